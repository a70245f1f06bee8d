"""S3 through boto3 for the local job: no Hadoop S3A connector is available offline.

Spark reads and writes local files in the job's temporary directory; these
helpers move them to and from S3 (the local endpoint, found by boto3 through
``AWS_ENDPOINT_URL`` in the job's environment). ``s3://bucket/prefix`` maps to
bucket ``bucket`` and keys under ``prefix/``; ``s3a://`` and ``s3n://`` are
accepted as Glue accepts them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator

import boto3
import botocore.config

__all__ = ["S3Path", "client", "delete_keys", "download_prefix", "list_objects", "upload_file"]

_CONFIG = botocore.config.Config(retries={"total_max_attempts": 8, "mode": "standard"})


class S3Path:
    """``s3://bucket/some/prefix`` split into bucket and key (no leading slash; trailing slash kept off)."""

    def __init__(self, uri: str):
        scheme, sep, rest = uri.partition("://")
        if not sep or scheme.lower() not in ("s3", "s3a", "s3n") or not rest.split("/", 1)[0]:
            raise ValueError(f"{uri!r} is not an S3 path: write it as s3://bucket/prefix/")
        bucket, _, key = rest.partition("/")
        self.bucket = bucket
        self.key = key.strip("/")

    def child(self, *parts: str) -> "S3Path":
        key = "/".join(p.strip("/") for p in (self.key, *parts) if p.strip("/"))
        return S3Path(f"s3://{self.bucket}/{key}")

    @property
    def prefix(self) -> str:
        """The key as a folder prefix: ``a/b/`` (empty for the bucket root)."""
        return f"{self.key}/" if self.key else ""

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def __repr__(self) -> str:
        return f"S3Path({str(self)!r})"


def is_s3(uri: str) -> bool:
    return uri.split("://", 1)[0].lower() in ("s3", "s3a", "s3n") and "://" in uri


def client(service: str = "s3", endpoint_url: str | None = None, region: str | None = None):
    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return boto3.client(service, endpoint_url=endpoint_url, region_name=region, config=_CONFIG)


def list_objects(s3, bucket: str, prefix: str) -> Iterator[dict]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        yield from page.get("Contents", [])


def delete_keys(s3, bucket: str, keys: Iterable[str]) -> int:
    keys = list(keys)
    for start in range(0, len(keys), 1000):
        chunk = keys[start:start + 1000]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True})
    return len(keys)


def upload_file(s3, path: Path, bucket: str, key: str) -> None:
    s3.upload_file(str(path), bucket, key)


def download_prefix(s3, location: S3Path, into: Path) -> int:
    """Every object under ``location`` into ``into``, keeping relative paths (so partition folders survive)."""
    count = 0
    prefix = location.prefix
    for obj in list_objects(s3, location.bucket, prefix):
        relative = obj["Key"][len(prefix):]
        if not relative or relative.endswith("/") or relative.endswith("$folder$"):
            continue
        target = into / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(location.bucket, obj["Key"], str(target))
        count += 1
    return count
