"""QuickSight on the local endpoint: data sources, data sets and dashboards, and a dashboard viewer.

``api`` answers the QuickSight operations the kit uses (create, describe, list,
update, delete of Athena data sources, data sets -- a catalog table or custom
SQL -- and dashboards with a ``Definition``; dashboard versions, publishing and
permissions; ``DescribeAccountSubscription``). moto keeps answering users and
groups.

``viewer`` renders a dashboard's published ``Definition`` as an HTML page at
``<endpoint>/_local/quicksight/dashboards/<DashboardId>`` with data queried
through the Athena engine in-process. The endpoint serves it once
``mount(app)`` has been called on its ``Dispatcher`` (``local_aws.server.build_app``).
"""

from __future__ import annotations

from typing import Any, Callable

from ...dispatch import Registry
from . import viewer
from .api import ROUTES, STORE

VIEWER_PREFIX = viewer.PREFIX
viewer_url = viewer.viewer_url


def install(registry: Registry) -> None:
    for operation, handler in ROUTES.items():
        registry.register("quicksight", operation, handler)


def reset() -> None:
    STORE.reset()


def snapshot_state() -> dict:
    return STORE.snapshot()


def restore_state(state: dict) -> None:
    STORE.restore(state)


class _PrefixPaths(dict):
    """The dispatcher's exact ``kit_paths``, plus the viewer's path prefix."""

    def __init__(self, exact: dict, prefixes: dict[str, Callable]):
        super().__init__(exact)
        self.prefixes = prefixes

    def _prefix(self, path: Any) -> Callable | None:
        if isinstance(path, str):
            for prefix, handler in self.prefixes.items():
                if path == prefix or path.startswith(prefix + "/"):
                    return handler
        return None

    def __contains__(self, path: object) -> bool:
        return super().__contains__(path) or self._prefix(path) is not None

    def __getitem__(self, path: Any) -> Callable:
        if super().__contains__(path):
            return super().__getitem__(path)
        handler = self._prefix(path)
        if handler is None:
            raise KeyError(path)
        return handler


def mount(app: Any) -> Any:
    """Serve the viewer from the endpoint's ``Dispatcher`` (``app.kit_paths`` gains the viewer's prefix)."""
    app.kit_paths = _PrefixPaths(app.kit_paths, {VIEWER_PREFIX: viewer.serve})
    return app
