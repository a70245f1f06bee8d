"""The crawler's view of S3: moto's in-process S3 backend, listed and read by byte range.

The crawler runs inside the endpoint, next to moto, so it reads objects the way
a ranged ``GetObject`` would -- but without HTTP: ``ObjectReader.read_range``
seeks in the object's buffer and reads only the bytes asked for (a Parquet
footer, the first megabyte of a JSON file), never the whole object. Every
reader counts the bytes it read, so a crawl can report how little it read.

Reading only: nothing here changes S3, so nothing here needs journaling.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime


class BucketMissing(Exception):
    """The bucket of a crawler target does not exist."""


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str
    size: int
    etag: str
    last_modified: datetime | None

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass
class ReadStats:
    """Bytes read by a crawl (thread-safe counters)."""

    bytes_read: int = 0
    reads: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, n: int) -> None:
        with self.lock:
            self.bytes_read += n
            self.reads += 1


def _s3_backend(account: str, region: str):
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    return s3_backends[account][get_partition(region)]


def _bucket(account: str, region: str, name: str):
    from moto.s3.exceptions import MissingBucket

    try:
        return _s3_backend(account, region).get_bucket(name)
    except MissingBucket:
        raise BucketMissing(name) from None
    except Exception as exc:  # e.g. a bucket of another account, not shared
        if type(exc).__name__ in ("AccessDeniedByLock", "AccessDenied"):
            raise BucketMissing(name) from None
        raise


def list_objects(account: str, region: str, bucket: str, prefix: str) -> list[S3Object]:
    """Every current object under ``prefix``, in key order (delete markers and folder markers included as they are)."""
    from moto.s3.models import FakeDeleteMarker

    store = _bucket(account, region, bucket).keys
    raw = dict(store)  # a copy of name -> versions: safe against concurrent puts
    found = []
    for name, versions in raw.items():
        if not name.startswith(prefix) or not versions:
            continue
        latest = versions[-1]
        if isinstance(latest, FakeDeleteMarker):
            continue
        found.append(S3Object(bucket, name, int(getattr(latest, "size", 0) or 0), str(getattr(latest, "etag", "") or ""),
                              getattr(latest, "last_modified", None)))
    found.sort(key=lambda o: o.key)
    return found


class ObjectGone(Exception):
    """The object was deleted or replaced while the crawl read it."""


class ObjectReader:
    """Ranged reads of one object, as ``GetObject`` with a ``Range`` header would give them."""

    def __init__(self, account: str, region: str, obj: S3Object, stats: ReadStats | None = None):
        self.obj = obj
        self.stats = stats
        self._key = None
        self._account, self._region = account, region

    def _fake_key(self):
        if self._key is None:
            from moto.s3.models import FakeDeleteMarker

            versions = _bucket(self._account, self._region, self.obj.bucket).keys.getlist(self.obj.key, [])
            if not versions or isinstance(versions[-1], FakeDeleteMarker):
                raise ObjectGone(self.obj.uri)
            self._key = versions[-1]
        return self._key

    def read_range(self, start: int, length: int) -> bytes:
        """Up to ``length`` bytes from offset ``start`` (negative: from the end, like ``bytes=-N``)."""
        key = self._fake_key()
        size = key.size
        if start < 0:
            start = max(0, size + start)
        length = max(0, min(length, size - start))
        if length == 0:
            return b""
        buffer = getattr(key, "_value_buffer", None)
        try:
            if buffer is not None and getattr(key, "lock", None) is not None:
                with key.lock:
                    buffer.seek(start)
                    data = buffer.read(length)
            else:  # another moto layout: slower, still correct
                data = key.value[start:start + length]
        except ValueError:  # buffer closed: the object was deleted meanwhile
            raise ObjectGone(self.obj.uri) from None
        if self.stats is not None:
            self.stats.add(len(data))
        return data

    def head(self, length: int) -> bytes:
        return self.read_range(0, length)

    def tail(self, length: int) -> bytes:
        return self.read_range(-length, length)
