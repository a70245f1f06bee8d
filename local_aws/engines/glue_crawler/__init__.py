"""The Glue crawler: ``StartCrawler`` really crawls S3 and writes tables and partitions to the catalog.

``runtime`` answers the crawler API (runs in background threads, state,
metrics, history, stop, logs); ``crawl`` is one crawl (policies, writes);
``layout`` groups objects into tables and partitions; ``classify`` reads
Parquet footers and samples JSON and CSV; ``hivetypes`` maps and merges
column types; ``s3view`` reads moto's S3 in-process by byte range;
``catalog`` builds the table and partition definitions and writes them
through the endpoint's own Glue API, so the journal keeps them.
"""

from __future__ import annotations

from pathlib import Path

from ...dispatch import Registry
from .runtime import RUNTIME
from .runtime import install as _install


def install(registry: Registry) -> None:
    _install(registry)


def configure(state_dir: Path | None = None, url: str | None = None) -> None:
    RUNTIME.configure(state_dir=state_dir, url=url)


def recover() -> None:
    RUNTIME.recover()


def reset() -> None:
    RUNTIME.reset()


def shutdown() -> None:
    RUNTIME.shutdown()
