"""The engine's S3: read in-process from moto's backend, write through the endpoint's own API.

Reads (listing a table's files, reading Parquet column chunks) go straight to
moto's in-process S3 backend: no HTTP, and only the byte ranges a reader asks
for are copied out of the object's buffer. Every byte read is counted, which is
what ``DataScannedInBytes`` reports.

Writes (result files, CTAS/INSERT/UNLOAD data) go through the endpoint's S3 API
over HTTP, signed with the caller's access key, exactly like a client's
``PutObject``: the endpoint's journal records them, so they survive a restart.
Without a served endpoint (an app built in-process by a test) they go into
moto's backend directly.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass, field
from typing import Any

from .errors import QueryError


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str
    size: int

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def split_uri(uri: str) -> tuple[str, str]:
    """(bucket, key prefix) of ``s3://bucket/prefix``; raises ValueError for anything else."""
    if not isinstance(uri, str) or not uri.startswith(("s3://", "s3a://", "s3n://")):
        raise ValueError(f"{uri!r} is not an s3:// location")
    rest = uri.split("://", 1)[1]
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise ValueError(f"{uri!r} names no bucket")
    return bucket, prefix


def folder(prefix: str) -> str:
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


@dataclass
class ScanStats:
    """Bytes read from S3 by one query (thread-safe)."""

    bytes_read: int = 0
    objects: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, n: int, objects: int = 0) -> None:
        with self.lock:
            self.bytes_read += n
            self.objects += objects


class BucketMissing(Exception):
    pass


def _backend(account: str, region: str):
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    return s3_backends[account][get_partition(region)]


def bucket_exists(account: str, region: str, bucket: str) -> bool:
    try:
        _bucket(account, region, bucket)
        return True
    except BucketMissing:
        return False


def _bucket(account: str, region: str, name: str):
    try:
        return _backend(account, region).get_bucket(name)
    except Exception:
        raise BucketMissing(name) from None


def _latest(versions: Any):
    from moto.s3.models import FakeDeleteMarker

    if not versions:
        return None
    latest = versions[-1]
    return None if isinstance(latest, FakeDeleteMarker) else latest


def list_objects(account: str, region: str, bucket: str, prefix: str) -> list[S3Object]:
    """Current objects under ``prefix`` in key order (raises BucketMissing)."""
    store = _bucket(account, region, bucket).keys
    found = []
    for name in list(store.keys()):
        if not name.startswith(prefix):
            continue
        key = _latest(store.getlist(name, []))
        if key is not None:
            found.append(S3Object(bucket, name, int(key.size or 0)))
    found.sort(key=lambda o: o.key)
    return found


def is_data_file(relative: str) -> bool:
    """Hive/Athena skip folder markers and names starting with ``_`` or ``.`` (``_SUCCESS``, ``.crc``...)."""
    if not relative or relative.endswith("/") or relative.endswith("_$folder$"):
        return False
    return not any(part.startswith(("_", ".")) for part in relative.split("/") if part)


class ObjectGone(Exception):
    pass


class ObjectFile(io.RawIOBase):
    """A seekable, read-only file over one S3 object in moto, counting the bytes read."""

    def __init__(self, account: str, region: str, obj: S3Object, stats: ScanStats | None):
        super().__init__()
        store = _bucket(account, region, obj.bucket).keys
        key = _latest(store.getlist(obj.key, []))
        if key is None:
            raise ObjectGone(obj.uri)
        self._key, self._pos, self._size, self._stats, self.obj = key, 0, int(key.size or 0), stats, obj

    @property
    def etag(self) -> str:
        return str(getattr(self._key, "etag", "") or "") + str(getattr(self._key, "last_modified", ""))

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def size(self) -> int:
        return self._size

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self._size - self._pos
        n = max(0, min(n, self._size - self._pos))
        if n == 0:
            return b""
        buffer = getattr(self._key, "_value_buffer", None)
        try:
            if buffer is not None and getattr(self._key, "lock", None) is not None:
                with self._key.lock:
                    buffer.seek(self._pos)
                    data = buffer.read(n)
            else:
                data = self._key.value[self._pos:self._pos + n]
        except ValueError:  # the buffer was closed: the object was deleted meanwhile
            raise ObjectGone(self.obj.uri) from None
        self._pos += len(data)
        if self._stats is not None:
            self._stats.add(len(data))
        return data

    def readall(self) -> bytes:
        return self.read(-1)

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)


def read_object(account: str, region: str, obj: S3Object, stats: ScanStats | None = None) -> bytes:
    return ObjectFile(account, region, obj, stats).read()


def read_text_object(account: str, region: str, bucket: str, key: str) -> bytes | None:
    """A whole object's bytes, or None if it (or its bucket) is gone."""
    try:
        return read_object(account, region, S3Object(bucket, key, 0))
    except (BucketMissing, ObjectGone):
        return None


# --- writing ------------------------------------------------------------------------------------


class WriteFailed(Exception):
    pass


class S3Writer:
    """PutObject/DeleteObjects as the caller, through the endpoint (journaled) or into moto directly."""

    def __init__(self, url: str | None, account: str, region: str, access_key: str, account_header: str | None):
        self.url, self.account, self.region = url, account, region
        self._client = None
        self._access_key, self._account_header = access_key, account_header

    def client(self):
        if self._client is None and self.url:
            from .clients import client

            self._client = client("s3", self.url, self.region, self._access_key, self._account_header)
        return self._client

    def put(self, bucket: str, key: str, body: bytes, content_type: str = "binary/octet-stream") -> None:
        client = self.client()
        if client is None:
            try:
                _backend(self.account, self.region).put_object(bucket, key, body)
            except Exception as exc:
                raise WriteFailed(f"{type(exc).__name__}: {exc}") from None
            return
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            client.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise WriteFailed(f"{error.get('Code')}: {error.get('Message')}") from None
        except BotoCoreError as exc:
            raise WriteFailed(str(exc)) from None

    def delete(self, bucket: str, keys: list[str]) -> None:
        client = self.client()
        for start in range(0, len(keys), 1000):
            batch = keys[start:start + 1000]
            if client is None:
                for key in batch:
                    _backend(self.account, self.region).delete_object(bucket, key)
            else:
                client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True})


def require_bucket(account: str, region: str, bucket: str, what: str = "output") -> None:
    if not bucket_exists(account, region, bucket):
        raise QueryError("OUTPUT_BUCKET", f"Unable to verify/create {what} bucket {bucket}", plain=True)
