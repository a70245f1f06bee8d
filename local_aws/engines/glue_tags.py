"""Glue forgets the tags of a job, crawler or database when it is deleted, as AWS does.

moto keeps a deleted resource's tags in its tagger: ``GetTags`` still answers for the
ARN, the Resource Groups Tagging API still lists the resource (so a teardown never
looks finished), and a new resource of the same name inherits the old tags. Here
the three deletes also drop the ARN's tags. They run in moto's backend, so a
journal replay and a snapshot do the same.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ..dispatch import Registry

KINDS = {"delete_job": "job", "delete_crawler": "crawler", "delete_database": "database"}


def _forgetting_tags(delete: Callable[..., Any], kind: str) -> Callable[..., Any]:
    @functools.wraps(delete)
    def wrapper(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        from moto.utilities.utils import get_partition

        result = delete(self, name, *args, **kwargs)  # raises (and keeps the tags) when there is nothing to delete
        arn = f"arn:{get_partition(self.region_name)}:glue:{self.region_name}:{self.account_id}:{kind}/{name}"
        self.tagger.delete_all_tags_for_resource(arn)
        return result

    wrapper.__kit_forgets_tags__ = True  # type: ignore[attr-defined]
    return wrapper


def install(registry: Registry) -> None:
    from moto.glue.models import GlueBackend

    for method, kind in KINDS.items():
        current = getattr(GlueBackend, method)
        if not getattr(current, "__kit_forgets_tags__", False):
            setattr(GlueBackend, method, _forgetting_tags(current, kind))
