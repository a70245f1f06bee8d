"""Kinesis write limits, as AWS enforces them on provisioned streams.

Each shard takes at most 1,000 records/s **and** 1 MiB/s (data + partition
key). Above that, ``PutRecords`` still succeeds as a call but marks the excess
entries ``ProvisionedThroughputExceededException`` (and counts them in
``FailedRecordCount``); ``PutRecord`` fails as a whole. Producers that do not
retry those entries lose them -- the lesson notebook 02 teaches.

Each shard's allowance is a token bucket refilled continuously, holding at
most one second's worth, so a burst of 1,000 records passes and the 1,001st
in the same second does not. On-demand streams are not limited here (AWS
scales them). ``SETTINGS.kinesis_limits`` switches the limits off.

Writes to one stream are serialised: moto's shard computes the next sequence
number as "last + 1" and is not safe for concurrent puts.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections import defaultdict
from typing import Any

from ...dispatch import AwsError, KitRequest, Registry
from ...settings import SETTINGS
from .._moto import account_id, moto_errors

RECORDS_PER_SECOND = 1000
BYTES_PER_SECOND = 1024 * 1024


class ShardBucket:
    """Records and bytes a shard may still take now."""

    def __init__(self, now: float):
        self.records = float(RECORDS_PER_SECOND)
        self.bytes = float(BYTES_PER_SECOND)
        self.updated = now

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.records = min(RECORDS_PER_SECOND, self.records + elapsed * RECORDS_PER_SECOND)
        self.bytes = min(BYTES_PER_SECOND, self.bytes + elapsed * BYTES_PER_SECOND)
        self.updated = now

    def take(self, size: int) -> bool:
        if self.records >= 1 and self.bytes >= size:
            self.records -= 1
            self.bytes -= size
            return True
        return False


_buckets: dict[tuple[str, str, str, str], ShardBucket] = {}
_stream_locks: defaultdict[tuple[str, str, str], threading.Lock] = defaultdict(threading.Lock)
_registry_lock = threading.Lock()


def reset() -> None:
    with _registry_lock:
        _buckets.clear()


def _lock_for(key: tuple[str, str, str]) -> threading.Lock:
    with _registry_lock:
        return _stream_locks[key]


def _size(entry: dict[str, Any]) -> int:
    data = entry.get("Data") or ""
    try:
        # The wire carries base64; the limit counts the decoded bytes.
        decoded = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise AwsError("SerializationException", "Data is not valid base64.") from None
    return len(decoded) + len((entry.get("PartitionKey") or "").encode())


def _stream(request: KitRequest, params: dict[str, Any]):
    from moto.kinesis.models import kinesis_backends

    backend = kinesis_backends[account_id(request)][request.region]
    with moto_errors():
        stream = backend.describe_stream(stream_arn=params.get("StreamARN"), stream_name=params.get("StreamName"))
    return backend, stream


def _admit(request: KitRequest, stream: Any, entries: list[dict[str, Any]]) -> list[str | None]:
    """For each entry, None if the shard takes it now, else the throttled shard's id."""
    limited = SETTINGS.kinesis_limits and stream.stream_mode.get("StreamMode", "PROVISIONED") == "PROVISIONED"
    now = time.monotonic()
    verdicts: list[str | None] = []
    for entry in entries:
        with moto_errors():
            shard = stream.get_shard_for_key(entry.get("PartitionKey"), entry.get("ExplicitHashKey"))
        if shard is None:
            raise AwsError("InvalidArgumentException", "The hash key does not belong to any open shard of the stream.")
        if not limited:
            verdicts.append(None)
            continue
        key = (account_id(request), request.region, stream.stream_name, shard.shard_id)
        bucket = _buckets.get(key)
        if bucket is None:
            bucket = _buckets[key] = ShardBucket(now)
        bucket.refill(now)
        verdicts.append(None if bucket.take(_size(entry)) else shard.shard_id)
    return verdicts


def _throttled(stream: Any, shard_id: str, account: str) -> dict[str, str]:
    return {
        "ErrorCode": "ProvisionedThroughputExceededException",
        "ErrorMessage": f"Rate exceeded for shard {shard_id} in stream {stream.stream_name} under account {account}.",
    }


def put_records(request: KitRequest) -> dict[str, Any]:
    params = request.json()
    entries = params.get("Records") or []
    backend, stream = _stream(request, params)
    account = account_id(request)
    with _lock_for((account, request.region, stream.stream_name)):
        # moto validates counts and sizes first, as AWS does before any write;
        # run that validation on the whole request before taking any tokens.
        with moto_errors():
            _validate(entries)
        verdicts = _admit(request, stream, entries)
        accepted = [entry for entry, verdict in zip(entries, verdicts) if verdict is None]
        written: list[dict[str, Any]] = []
        if accepted:
            with moto_errors():
                written = backend.put_records(stream.arn, None, accepted)["Records"]
        if len(accepted) < len(entries):
            # Journal only what was written: a replay must not add throttled entries.
            request.journal = bool(accepted)
            request.journal_body = json.dumps({"StreamARN": stream.arn, "Records": accepted}).encode()
    results, written_iter = [], iter(written)
    for verdict in verdicts:
        results.append(next(written_iter) if verdict is None else _throttled(stream, verdict, account))
    return {
        "FailedRecordCount": sum(1 for v in verdicts if v is not None),
        "Records": results,
        "EncryptionType": stream.encryption_type or "NONE",
    }


def _validate(entries: list[dict[str, Any]]) -> None:
    from moto.kinesis.exceptions import RecordSizeExceedsLimit, TooManyRecords, TotalRecordsSizeExceedsLimit

    if not entries:
        raise AwsError("ValidationException", "1 validation error detected: Value '[]' at 'records' failed to satisfy "
                       "constraint: Member must have length greater than or equal to 1")
    if len(entries) > 500:
        raise TooManyRecords()
    sizes = [_size(entry) for entry in entries]
    if sum(sizes) > 5 * 1024 * 1024:
        raise TotalRecordsSizeExceedsLimit()
    for position, size in enumerate(sizes, start=1):
        if size > 1024 * 1024:
            raise RecordSizeExceedsLimit(position=position)


def put_record(request: KitRequest) -> dict[str, Any]:
    params = request.json()
    backend, stream = _stream(request, params)
    account = account_id(request)
    entry = {k: params.get(k) for k in ("Data", "PartitionKey", "ExplicitHashKey")}
    with _lock_for((account, request.region, stream.stream_name)):
        with moto_errors():
            _validate([entry])
        (verdict,) = _admit(request, stream, [entry])
        if verdict is not None:
            raise AwsError("ProvisionedThroughputExceededException", _throttled(stream, verdict, account)["ErrorMessage"])
        with moto_errors():
            sequence_number, shard_id = backend.put_record(
                stream.arn, None, entry["PartitionKey"], entry["ExplicitHashKey"], entry["Data"]
            )
    return {"SequenceNumber": sequence_number, "ShardId": shard_id, "EncryptionType": stream.encryption_type or "NONE"}


def _fast_sequence_numbers() -> None:
    """moto looks up a shard's last sequence number by listing every record
    (O(n) per put, so a stream gets slower as it fills); dicts keep insertion
    order, so the last key is the last record."""
    from moto.kinesis.models import Shard

    Shard.get_max_sequence_number = lambda self: next(reversed(self.records)) if self.records else 0
    Shard.get_min_sequence_number = lambda self: next(iter(self.records)) if self.records else 0


def install(registry: Registry) -> None:
    _fast_sequence_numbers()
    registry.register("kinesis", "PutRecords", put_records)
    registry.register("kinesis", "PutRecord", put_record)
