"""Kinesis: where moto's behaviour differs from AWS's in ways learners meet.

- ``listing``: ``ListStreams`` pages with ``NextToken`` as AWS does.
- ``limits``: per-shard write limits on ``PutRecord``/``PutRecords``, writes
  serialised per stream (moto's shard is not safe for concurrent puts), and
  O(1) sequence-number look-ups so a long stream does not slow every put.
"""

from __future__ import annotations

from ...dispatch import Registry
from . import limits, listing


def install(registry: Registry) -> None:
    listing.install(registry)
    limits.install(registry)


def reset() -> None:
    limits.reset()
