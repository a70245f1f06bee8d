"""S3 helpers: a secure, idempotent bucket and the object listings the notebooks need.

Plain boto3; every function takes an optional ``s3`` client.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

import boto3
from botocore.exceptions import ClientError

from .config import RETRY_CONFIG
from .errors import KitError

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def _client(s3=None):
    return s3 or boto3.client("s3", config=RETRY_CONFIG)


def _code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def data_bucket_name(prefix: str, account: str, region: str, purpose: str = "data") -> str:
    """A bucket name unique to the learner, the account and the region.

    S3 names are global across all AWS accounts, so the account id and region
    are part of it (``dsca-ana-data-123456789012-eu-west-1``).
    """
    name = f"{prefix}-{purpose}-{account}-{region}"
    check_bucket_name(name)
    return name


def check_bucket_name(name: str) -> str:
    if not _BUCKET.match(name) or ".." in name or re.match(r"^\d+\.\d+\.\d+\.\d+$", name):
        raise KitError(f"{name!r} is not a valid bucket name: 3-63 lowercase letters, digits, '.' or '-', "
                       "starting and ending with a letter or digit.")
    return name


def ensure_bucket(name: str, region: str, tags: dict[str, str] | None = None, s3=None, verbose: bool = True) -> str:
    """Create the bucket unless it exists, and make it safe: returns ``s3://name``.

    Idempotent. Every run (re)applies: public access blocked, default
    encryption (SSE-S3), a policy refusing plain-HTTP requests, and ``tags``.
    """
    check_bucket_name(name)
    s3 = _client(s3)
    created = False
    try:
        s3.head_bucket(Bucket=name)
    except ClientError as exc:
        if _code(exc) in ("403", "AccessDenied", "Forbidden"):
            raise KitError(f"The bucket name {name} is taken by another account; choose another prefix.") from None
        if _code(exc) not in ("404", "NoSuchBucket", "NotFound"):
            raise
        params: dict[str, Any] = {"Bucket": name}
        if region != "us-east-1":  # us-east-1 is the default and refuses an explicit constraint
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            s3.create_bucket(**params)
            created = True
        except ClientError as create_exc:
            if _code(create_exc) == "BucketAlreadyExists":
                raise KitError(f"The bucket name {name} is taken by another account; choose another prefix.") from None
            if _code(create_exc) != "BucketAlreadyOwnedByYou":
                raise
        s3.get_waiter("bucket_exists").wait(Bucket=name, WaiterConfig={"Delay": 2, "MaxAttempts": 60})

    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}]})
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(tls_only_policy(name)))
    if tags:
        current = bucket_tags(name, s3)
        if any(current.get(k) != v for k, v in tags.items()):
            merged = {**current, **tags}
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in merged.items()]})
    if verbose:
        print(f"{'Created' if created else 'Bucket already exists:'} s3://{name} "
              "(public access blocked, encrypted by default, HTTPS only)")
    return f"s3://{name}"


def tls_only_policy(bucket: str) -> dict[str, Any]:
    """A bucket policy that refuses any request not made over HTTPS."""
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }],
    }


def bucket_tags(name: str, s3=None) -> dict[str, str]:
    try:
        tag_set = _client(s3).get_bucket_tagging(Bucket=name)["TagSet"]
    except ClientError as exc:
        if _code(exc) in ("NoSuchTagSet", "NoSuchTagSetError"):
            return {}
        raise
    return {t["Key"]: t["Value"] for t in tag_set}


def split_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/some/key`` -> ``("bucket", "some/key")``."""
    if not uri.startswith("s3://"):
        raise KitError(f"{uri!r} is not an s3:// URI.")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def list_objects(uri: str, s3=None) -> Iterator[dict[str, Any]]:
    """Every object under ``s3://bucket/prefix`` (all pages)."""
    bucket, prefix = split_uri(uri)
    for page in _client(s3).get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        yield from page.get("Contents", [])


def upload(path: str, uri: str, s3=None) -> str:
    """Upload a local file to ``s3://bucket/key``; returns the URI."""
    bucket, key = split_uri(uri)
    _client(s3).upload_file(str(path), bucket, key)
    return uri


def delete_prefix(uri: str, s3=None) -> int:
    """Delete every object under ``s3://bucket/prefix`` (1,000 per request); returns how many went.

    The prefix must name something below the bucket: an empty prefix (the whole
    bucket) is refused.
    """
    bucket, prefix = split_uri(uri)
    if not prefix.strip("/"):
        raise KitError(f"Refusing to delete everything in s3://{bucket}: give a prefix below the bucket.")
    s3 = _client(s3)
    deleted = 0
    batch: list[dict[str, str]] = []
    for obj in list_objects(uri, s3):
        batch.append({"Key": obj["Key"]})
        if len(batch) == 1000:
            deleted += _delete_batch(s3, bucket, batch)
            batch = []
    if batch:
        deleted += _delete_batch(s3, bucket, batch)
    return deleted


def _delete_batch(s3, bucket: str, keys: list[dict[str, str]]) -> int:
    answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
    errors = answer.get("Errors") or []
    if errors:
        first = errors[0]
        raise KitError(f"Could not delete s3://{bucket}/{first['Key']}: {first.get('Message', first.get('Code'))}")
    return len(keys)
