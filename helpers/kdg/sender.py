"""Send records to a Kinesis data stream without losing any.

What the KDG web page does not do, this does: ``PutRecords`` batches of at most
500 records and 5 MiB; only the entries a batch reports as failed are sent
again, with exponential backoff and full jitter, a bounded number of times;
throttled records are never counted as sent; a target rate is held steadily;
a summary says what was sent, retried and given up.

Plain boto3: copy ``send_records`` into a producer of your own.
"""

from __future__ import annotations

import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, TextIO

import boto3
from botocore.exceptions import ClientError

from ..config import RETRY_CONFIG
from ..errors import KitError
from ..kinesis import MAX_RECORD_BYTES, check_stream_name, encode, stream_summary

MAX_BATCH_RECORDS = 500
MAX_BATCH_BYTES = 5 * 1024 * 1024
# Entry errors worth another try; anything else is reported, not retried.
RETRYABLE = {"ProvisionedThroughputExceededException", "InternalFailure", "KMSThrottlingException"}


@dataclass
class SendReport:
    """What happened to every record handed to ``send_records``."""

    stream: str
    sent: int = 0  # acknowledged by Kinesis (has a sequence number)
    failed: int = 0  # given up after the last retry; kept in failed_records
    retried: int = 0  # re-submissions of entries a batch reported as failed
    throttled: int = 0  # ProvisionedThroughputExceededException answers, retried or not
    batches: int = 0  # PutRecords calls
    elapsed: float = 0.0
    target_rate: float | None = None
    errors: Counter = field(default_factory=Counter)  # entry error code -> count
    shards: Counter = field(default_factory=Counter)  # shard id -> records acknowledged
    failed_records: list[tuple[bytes, str, str]] = field(default_factory=list)  # (data, partition key, error)

    @property
    def rate(self) -> float:
        """Records acknowledged per second of sending."""
        return self.sent / self.elapsed if self.elapsed > 0 else 0.0

    def summary(self) -> str:
        target = f", target {self.target_rate:,.0f}/s" if self.target_rate else ""
        return (
            f"{self.stream}: sent {self.sent:,} records in {self.elapsed:.1f} s "
            f"({self.rate:,.0f} records/s{target}); {self.throttled:,} throttled, "
            f"{self.retried:,} retried, {self.failed:,} failed"
        )


def random_partition_keys(seed: int | None = None) -> Callable[[bytes], str]:
    """KDG's choice: a random integer per record, so records spread over all shards."""
    rng = random.Random(seed)
    return lambda data: str(rng.randrange(10**10))


def send_records(
    stream: str,
    records: Iterable[Any],
    rate: float | None = None,
    partition_key: Callable[[bytes], str] | None = None,
    kinesis=None,
    max_attempts: int = 8,
    base_delay: float = 0.05,
    max_delay: float = 2.0,
    total: int | None = None,
    progress: bool = True,
    out: TextIO | None = None,
    seed: int | None = None,
) -> SendReport:
    """Send ``records`` (str, bytes or JSON-able objects) to ``stream``; return a report.

    ``rate`` is the target in records per second (None: as fast as the stream
    takes them). ``partition_key(data) -> str`` picks each record's key
    (default: random, as the KDG does; ``seed`` makes it reproducible). An
    entry refused by Kinesis is sent again up to ``max_attempts`` times in all,
    after ``base_delay * 2**attempt`` seconds (capped at ``max_delay``, full
    jitter); entries still refused are counted in ``failed`` and kept in
    ``failed_records`` -- never silently dropped. Progress and the summary go
    to ``out`` (default stderr) when ``progress`` is true.
    """
    check_stream_name(stream)
    if max_attempts < 1:
        raise KitError("max_attempts must be at least 1.")
    kinesis = kinesis or boto3.client("kinesis", config=RETRY_CONFIG)
    summary = stream_summary(stream, kinesis)
    if summary is None:
        raise KitError(f"Stream {stream} does not exist; create it first (notebook 01 or helpers.kinesis.ensure_stream). Nothing was sent.")
    if summary["StreamStatus"] not in ("ACTIVE", "UPDATING"):
        raise KitError(f"Stream {stream} is {summary['StreamStatus']}, not ACTIVE; nothing was sent.")

    if rate is not None and not rate > 0:
        raise KitError(f"rate={rate!r} is not valid: give records per second greater than 0.")
    key_of = partition_key or random_partition_keys(seed)
    jitter = random.Random(seed)
    report = SendReport(stream=stream, target_rate=rate)
    bar = _progress_bar(total, stream, out) if progress else None
    # At a target rate, about ten calls a second; otherwise full batches.
    batch_target = MAX_BATCH_RECORDS if rate is None else max(1, min(MAX_BATCH_RECORDS, int(rate // 10)))
    batch: list[dict[str, Any]] = []
    batch_bytes = 0
    released = 0
    started = time.monotonic()

    def flush() -> None:
        nonlocal batch, batch_bytes
        if not batch:
            return
        if rate is not None:
            # Record n is due at start + n / rate: a steady rate, not one burst a second.
            wait = started + (released - 1) / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        before = report.sent + report.failed
        _put_with_retries(kinesis, stream, batch, report, max_attempts, base_delay, max_delay, jitter)
        if bar is not None:
            bar.update(report.sent + report.failed - before)
            bar.set_postfix(throttled=report.throttled, failed=report.failed, refresh=False)
        batch, batch_bytes = [], 0

    try:
        for index, record in enumerate(records):
            data = encode(record)
            key = key_of(data)
            size = len(data) + len(key.encode())
            if size > MAX_RECORD_BYTES:
                flush()
                raise KitError(
                    f"Record {index + 1} is {size:,} bytes: Kinesis takes at most 1 MiB per record (data + partition key). "
                    f"Stopped there; {report.sent:,} records before it were sent."
                )
            if batch_bytes + size > MAX_BATCH_BYTES:
                flush()
            batch.append({"Data": data, "PartitionKey": key})
            batch_bytes += size
            released += 1
            if len(batch) >= batch_target:
                flush()
        flush()
    finally:
        report.elapsed = time.monotonic() - started
        if bar is not None:
            bar.close()
        if progress:
            print(report.summary(), file=out or sys.stderr, flush=True)
    return report


def _put_with_retries(kinesis, stream, entries, report, max_attempts, base_delay, max_delay, jitter) -> None:
    pending = entries
    for attempt in range(max_attempts):
        if attempt:
            time.sleep(jitter.uniform(0, min(max_delay, base_delay * 2**attempt)))
            report.retried += len(pending)
        try:
            response = kinesis.put_records(StreamName=stream, Records=pending)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ResourceNotFoundException":
                raise KitError(f"Stream {stream} disappeared while sending; {report.sent:,} records were sent.") from None
            raise
        report.batches += 1
        retry = []
        for entry, result in zip(pending, response["Records"]):
            if "SequenceNumber" in result:
                report.sent += 1
                report.shards[result["ShardId"]] += 1
                continue
            code = result.get("ErrorCode", "Unknown")
            report.errors[code] += 1
            if code == "ProvisionedThroughputExceededException":
                report.throttled += 1
            if code in RETRYABLE:
                retry.append((entry, code))
            else:
                _give_up(report, entry, f"{code}: {result.get('ErrorMessage', '')}")
        if not retry:
            return
        pending = [entry for entry, _ in retry]
    for entry, code in retry:
        _give_up(report, entry, f"{code} after {max_attempts} attempts")


def _give_up(report: SendReport, entry: dict[str, Any], reason: str) -> None:
    report.failed += 1
    report.failed_records.append((entry["Data"], entry["PartitionKey"], reason))


def _progress_bar(total: int | None, stream: str, out: TextIO | None):
    from tqdm import tqdm

    return tqdm(total=total, desc=f"→ {stream}", unit="rec", file=out or sys.stderr, mininterval=0.5, leave=True)
