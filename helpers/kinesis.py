"""Kinesis Data Streams helpers: plain boto3, idempotent, with waiters and paging.

Copy any function into a project as it is: each takes an optional boto3
``kinesis`` client and otherwise makes one from the environment.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from datetime import datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

from .config import RETRY_CONFIG
from .errors import KitError

MAX_RECORD_BYTES = 1024 * 1024  # data + partition key, per record (AWS limit)
_STREAM_NAME = re.compile(r"^[a-zA-Z0-9_.-]{1,128}$")
# Poll every 2 s for up to 5 minutes; a new stream is ACTIVE in ~30 s on AWS.
_WAIT = {"Delay": 2, "MaxAttempts": 150}


def _client(kinesis=None):
    return kinesis or boto3.client("kinesis", config=RETRY_CONFIG)


def _error_code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def check_stream_name(name: str) -> str:
    if not isinstance(name, str) or not _STREAM_NAME.match(name):
        raise KitError(f"{name!r} is not a valid stream name: use 1-128 letters, digits, '_', '.' or '-'.")
    return name


def stream_summary(name: str, kinesis=None) -> dict[str, Any] | None:
    """``DescribeStreamSummary`` of the stream, or None if it does not exist."""
    try:
        return _client(kinesis).describe_stream_summary(StreamName=check_stream_name(name))["StreamDescriptionSummary"]
    except ClientError as exc:
        if _error_code(exc) == "ResourceNotFoundException":
            return None
        raise


def ensure_stream(
    name: str,
    shard_count: int = 1,
    on_demand: bool = False,
    tags: dict[str, str] | None = None,
    kinesis=None,
    verbose: bool = True,
) -> dict[str, Any]:
    """Create the stream unless it exists, wait until it is ACTIVE, return its summary.

    Idempotent: if the stream exists it is left as it is (a different shard
    count or mode is reported, not changed) apart from gaining missing ``tags``. Provisioned streams get
    ``shard_count`` shards; ``on_demand=True`` lets Kinesis scale them.
    """
    check_stream_name(name)
    if not on_demand and not (isinstance(shard_count, int) and shard_count >= 1):
        raise KitError(f"shard_count={shard_count!r} is not valid: a provisioned stream needs at least 1 shard.")
    kinesis = _client(kinesis)
    summary = stream_summary(name, kinesis)
    if summary and summary["StreamStatus"] == "DELETING":
        kinesis.get_waiter("stream_not_exists").wait(StreamName=name, WaiterConfig=_WAIT)
        summary = None

    created = summary is None
    if created:
        params: dict[str, Any] = {"StreamName": name}
        if on_demand:
            params["StreamModeDetails"] = {"StreamMode": "ON_DEMAND"}
        else:
            params["StreamModeDetails"] = {"StreamMode": "PROVISIONED"}
            params["ShardCount"] = shard_count
        try:
            kinesis.create_stream(**params)
        except ClientError as exc:
            if _error_code(exc) == "ResourceInUseException":
                created = False  # someone created it meanwhile: fine
            elif _error_code(exc) == "LimitExceededException":
                raise KitError(f"Kinesis refused to create {name}: {exc.response['Error'].get('Message')}") from None
            else:
                raise

    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig=_WAIT)
    if tags:
        # Tagged after creation (not via CreateStream's Tags) so that an existing
        # stream converges to the tags too; AddTagsToStream is idempotent.
        missing = {k: v for k, v in tags.items() if list_stream_tags(name, kinesis).get(k) != v}
        if missing:
            kinesis.add_tags_to_stream(StreamName=name, Tags=missing)
    summary = stream_summary(name, kinesis)
    mode = summary["StreamModeDetails"]["StreamMode"]
    if verbose:
        shards = summary["OpenShardCount"]
        what = "Created" if created else "Stream already exists:"
        print(f"{what} {name} ({mode.lower()}, {shards} open shard{'s' if shards != 1 else ''}, {summary['StreamStatus']})")
        wanted = "ON_DEMAND" if on_demand else "PROVISIONED"
        if not created and (mode != wanted or (not on_demand and shards != shard_count)):
            print(
                f"  note: you asked for {wanted.lower()}"
                + ("" if on_demand else f" with {shard_count} shard(s)")
                + "; the existing stream was left unchanged (see update_shard_count / update_stream_mode)."
            )
    return summary


def list_shards(name: str, kinesis=None) -> list[dict[str, Any]]:
    """Every shard of the stream (all pages of ``ListShards``)."""
    pages = _client(kinesis).get_paginator("list_shards").paginate(StreamName=check_stream_name(name))
    return [shard for page in pages for shard in page["Shards"]]


def describe_stream(name: str, kinesis=None) -> dict[str, Any]:
    """The stream's summary plus its shards (``Shards``) and tags (``Tags``)."""
    kinesis = _client(kinesis)
    summary = stream_summary(name, kinesis)
    if summary is None:
        raise KitError(f"Stream {name} does not exist in this account and region; create it with ensure_stream().")
    summary = dict(summary)
    summary["Shards"] = list_shards(name, kinesis)
    summary["Tags"] = list_stream_tags(name, kinesis)
    return summary


def list_stream_tags(name: str, kinesis=None) -> dict[str, str]:
    """The stream's tags as a dict (follows ``HasMoreTags``)."""
    kinesis = _client(kinesis)
    tags: dict[str, str] = {}
    params: dict[str, Any] = {"StreamName": name}
    while True:
        page = kinesis.list_tags_for_stream(**params)
        tags.update({t["Key"]: t["Value"] for t in page["Tags"]})
        if not page.get("HasMoreTags") or not page["Tags"]:
            return tags
        params["ExclusiveStartTagKey"] = page["Tags"][-1]["Key"]


def list_streams(prefix: str = "", kinesis=None) -> list[str]:
    """Names of the streams in this account and region starting with ``prefix``."""
    pages = _client(kinesis).get_paginator("list_streams").paginate()
    return sorted(name for page in pages for name in page["StreamNames"] if name.startswith(prefix))


def encode(data: Any) -> bytes:
    """Bytes as sent: dicts and lists become compact JSON, str is UTF-8."""
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode("utf-8")
    return json.dumps(data, separators=(",", ":")).encode("utf-8")


def put_record(name: str, data: Any, partition_key: str | None = None, kinesis=None) -> dict[str, str]:
    """Write one record; return its ``ShardId`` and ``SequenceNumber``.

    The partition key picks the shard (MD5 hash of the key); by default it is
    derived from the data so equal records land on the same shard.
    """
    payload = encode(data)
    key = partition_key if partition_key is not None else hashlib.md5(payload).hexdigest()
    if not 1 <= len(key) <= 256:
        raise KitError(f"The partition key must be 1-256 characters, not {len(key)}.")
    if len(payload) + len(key.encode()) > MAX_RECORD_BYTES:
        raise KitError(f"The record is {len(payload)} bytes: Kinesis takes at most 1 MiB per record (data + partition key).")
    try:
        response = _client(kinesis).put_record(StreamName=check_stream_name(name), Data=payload, PartitionKey=key)
    except ClientError as exc:
        if _error_code(exc) == "ResourceNotFoundException":
            raise KitError(f"Stream {name} does not exist; create it first (ensure_stream).") from None
        raise
    return {"ShardId": response["ShardId"], "SequenceNumber": response["SequenceNumber"]}


def _decode(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace")


def read_records(
    name: str,
    limit: int = 100,
    position: str = "TRIM_HORIZON",
    sequence_number: str | None = None,
    timestamp: datetime | None = None,
    shard_id: str | None = None,
    kinesis=None,
    max_calls_per_shard: int = 50,
) -> list[dict[str, Any]]:
    """Read up to ``limit`` records from every shard (or one ``shard_id``).

    ``position`` is a ShardIteratorType: ``TRIM_HORIZON`` (oldest kept),
    ``LATEST``, ``AT_SEQUENCE_NUMBER`` / ``AFTER_SEQUENCE_NUMBER`` (give
    ``sequence_number``) or ``AT_TIMESTAMP`` (give ``timestamp``). Reading stops
    at the tip of each shard. JSON payloads are decoded.
    """
    kinesis = _client(kinesis)
    check_stream_name(name)
    if position in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER") and not (sequence_number and shard_id):
        raise KitError(f"position={position} needs sequence_number= and the shard_id= it belongs to.")
    if position == "AT_TIMESTAMP" and timestamp is None:
        raise KitError("position=AT_TIMESTAMP needs timestamp=.")
    shards = [shard_id] if shard_id else [s["ShardId"] for s in list_shards(name, kinesis)]
    records: list[dict[str, Any]] = []
    for shard in shards:
        params: dict[str, Any] = {"StreamName": name, "ShardId": shard, "ShardIteratorType": position}
        if sequence_number:
            params["StartingSequenceNumber"] = sequence_number
        if timestamp is not None:
            params["Timestamp"] = timestamp
        iterator = kinesis.get_shard_iterator(**params)["ShardIterator"]
        for call in range(max_calls_per_shard):
            if iterator is None or len(records) >= limit:
                break
            if call:
                time.sleep(0.2)  # AWS allows 5 GetRecords calls per second per shard
            page = kinesis.get_records(ShardIterator=iterator, Limit=min(10_000, limit - len(records)))
            for record in page["Records"]:
                records.append(
                    {
                        "shard_id": shard,
                        "sequence_number": record["SequenceNumber"],
                        "partition_key": record["PartitionKey"],
                        "arrival": record["ApproximateArrivalTimestamp"],
                        "data": _decode(record["Data"]),
                    }
                )
            iterator = page.get("NextShardIterator")
            if not page["Records"] and page.get("MillisBehindLatest", 0) == 0:
                break  # at the tip of the shard
    return records[:limit]


def delete_stream(name: str, kinesis=None, verbose: bool = True) -> bool:
    """Delete the stream if it exists and wait until it is gone. True if it existed."""
    kinesis = _client(kinesis)
    if stream_summary(name, kinesis) is None:
        if verbose:
            print(f"Stream {name} does not exist; nothing to delete.")
        return False
    try:
        kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
    except ClientError as exc:
        if _error_code(exc) != "ResourceNotFoundException":
            raise
    kinesis.get_waiter("stream_not_exists").wait(StreamName=name, WaiterConfig=_WAIT)
    if verbose:
        print(f"Deleted {name}.")
    return True
