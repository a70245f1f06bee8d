"""Benchmark: the local AWS endpoint against moto in-process, measured in the same run.

What is measured
----------------
The same workload runs twice in one process:

1. against the kit's local endpoint (``python -m local_aws start``: moto's WSGI
   app behind the dispatch layer, a separate process reached over HTTP), and
2. against moto in-process (``with moto.mock_aws(): ...``, boto3 clients
   without ``endpoint_url``) -- the baseline.

The ratio endpoint / in-process is the cost of going through HTTP, werkzeug and
the dispatch layer; moto does the same work behind both. The workload:

* Kinesis ``PutRecord``, one ~300-byte JSON record per call, on a 4-shard stream
  (records/s and median ms per call);
* Kinesis ``PutRecords``, batches of 500 such records (records/s, ms per batch);
* Kinesis ``GetRecords`` read-back of everything written, shard by shard from
  ``TRIM_HORIZON`` (records/s); the count read must equal the count written;
* S3 ``PutObject`` of 1 KiB objects and of a few 8 MiB objects (objects/s, MiB/s);
* the start-up time of ``python -m local_aws start`` (until it prints the URL)
  over 3 runs, each in its own temporary home and stopped again; its baseline is
  a cold Python that imports boto3 and moto, enters ``mock_aws`` and answers one
  Kinesis call.

Every loop is bounded by a call count and by a time budget. The endpoint runs
first; the in-process run then repeats exactly the number of calls the endpoint
completed, so both sides do the same work on the same amount of state (moto's
Kinesis gets slower as a shard fills up). One client thread, sequential calls.

The script prints figures and ratios only; it never passes or fails on time.
It exits 0 unless something errors (for example the endpoint does not start or
a read-back comes back short).

How to run
----------
``make bench`` runs every ``bench/bench_*.py`` with the venv's Python. Directly::

    .venv/bin/python bench/bench_endpoint.py           # full run, about 1-2 min on 2 cores
    .venv/bin/python bench/bench_endpoint.py --quick   # smaller run, about 20 s

Progress goes to stderr, the report to stdout. The endpoint lives in a
temporary home directory and is always stopped, whatever happens.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import boto3
import botocore
import botocore.config
import moto

REPO_ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
SHARDS = 4
RECORD_BYTES = 300
BATCH = 500  # records per PutRecords call (the AWS maximum)
GET_LIMIT = 10_000  # records per GetRecords call (the AWS maximum)
SMALL_OBJECT = 1024
LARGE_OBJECT = 8 * 1024 * 1024
MIB = 1024 * 1024
START_TIMEOUT = 90.0  # seconds; local_aws start gives up by itself after 60 s
STOP_TIMEOUT = 30.0

CLIENT_CONFIG = botocore.config.Config(
    region_name=REGION,
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=5,
    read_timeout=120,
)

# The baseline for start-up: a cold interpreter reaching its first answered call in-process.
COLD_IN_PROCESS = """
import boto3
from moto import mock_aws
with mock_aws():
    boto3.client("kinesis", region_name="us-east-1").list_streams()
    print("ready", flush=True)
"""


@dataclass(frozen=True)
class Sizes:
    """Call counts and time budgets (seconds) of one run."""

    startup_runs: int
    put_record_calls: int
    put_record_seconds: float
    put_records_calls: int
    put_records_seconds: float
    get_records_seconds: float
    small_objects: int
    small_seconds: float
    large_objects: int
    large_seconds: float


FULL = Sizes(
    startup_runs=3,
    put_record_calls=3000,
    put_record_seconds=10,
    put_records_calls=80,  # 40,000 records
    put_records_seconds=12,
    get_records_seconds=10,
    small_objects=2000,
    small_seconds=8,
    large_objects=8,
    large_seconds=12,
)
QUICK = Sizes(
    startup_runs=3,
    put_record_calls=300,
    put_record_seconds=2,
    put_records_calls=8,  # 4,000 records
    put_records_seconds=3,
    get_records_seconds=3,
    small_objects=200,
    small_seconds=2,
    large_objects=3,
    large_seconds=3,
)


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- timing ---------------------------------------------------------------------


@dataclass
class Loop:
    """What one bounded loop did: calls, units (records, objects, bytes) and time."""

    calls: int = 0
    units: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    hit_time_cap: bool = False

    def rate(self) -> float:
        return self.units / self.seconds if self.seconds > 0 else float("nan")

    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")

    def p90_ms(self) -> float:
        if len(self.latencies) < 10:
            return float("nan")
        return statistics.quantiles(self.latencies, n=10)[-1] * 1000


def bounded_loop(call: Callable[[int], int], max_calls: int, max_seconds: float) -> Loop:
    """Run ``call(i)`` (which returns the units it did) until max_calls or max_seconds."""
    loop = Loop()
    start = time.perf_counter()
    deadline = start + max_seconds
    for i in range(max_calls):
        t0 = time.perf_counter()
        loop.units += call(i)
        t1 = time.perf_counter()
        loop.latencies.append(t1 - t0)
        loop.calls += 1
        if t1 >= deadline and loop.calls < max_calls:
            loop.hit_time_cap = True
            break
    loop.seconds = time.perf_counter() - start
    return loop


# --- the workload (identical against the endpoint and in-process) ---------------


def make_payloads(count: int) -> list[bytes]:
    """Sensor-like JSON records of exactly RECORD_BYTES bytes."""
    payloads = []
    for i in range(count):
        record = {
            "sensor_id": f"sensor-{i % 64:03d}",
            "seq": i,
            "event_time": f"2024-05-01T12:{i // 60 % 60:02d}:{i % 60:02d}.000000+00:00",
            "temperature_c": round(18 + (i % 97) / 7, 3),
            "humidity_pct": round(40 + (i % 53) / 3, 3),
            "pressure_hpa": round(1000 + (i % 31) / 5, 2),
            "status": "ok",
            "site": "plant-a",
            "pad": "",
        }
        base = len(json.dumps(record, separators=(",", ":")))
        record["pad"] = "x" * max(0, RECORD_BYTES - base)
        payloads.append(json.dumps(record, separators=(",", ":")).encode())
    return payloads


PAYLOADS = make_payloads(2 * BATCH)
BATCHES = [
    [{"Data": PAYLOADS[b * BATCH + j], "PartitionKey": f"sensor-{j % 64:03d}"} for j in range(BATCH)] for b in range(2)
]
SMALL_BODY = os.urandom(SMALL_OBJECT)
LARGE_BODY = os.urandom(LARGE_OBJECT)


@dataclass
class Counts:
    """Calls each loop may make; the in-process run reuses what the endpoint completed."""

    put_record: int
    put_records: int
    small_objects: int
    large_objects: int


def wait_active(kinesis: Any, stream: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamStatus"]
        if status == "ACTIVE":
            return
        time.sleep(0.1)
    raise RuntimeError(f"stream {stream} did not become ACTIVE within 60 s")


def run_workload(
    label: str, session: boto3.session.Session, endpoint_url: str | None, sizes: Sizes, counts: Counts
) -> dict[str, Loop]:
    kinesis = session.client("kinesis", endpoint_url=endpoint_url, config=CLIENT_CONFIG)
    s3 = session.client("s3", endpoint_url=endpoint_url, config=CLIENT_CONFIG)
    stream = f"bench-{uuid.uuid4().hex[:8]}"
    bucket = f"bench-{uuid.uuid4().hex[:8]}"
    results: dict[str, Loop] = {}
    try:
        kinesis.create_stream(StreamName=stream, ShardCount=SHARDS)
        wait_active(kinesis, stream)
        s3.create_bucket(Bucket=bucket)

        def put_record(i: int) -> int:
            kinesis.put_record(StreamName=stream, Data=PAYLOADS[i % len(PAYLOADS)], PartitionKey=f"sensor-{i % 64:03d}")
            return 1

        def put_records(i: int) -> int:
            response = kinesis.put_records(StreamName=stream, Records=BATCHES[i % len(BATCHES)])
            return BATCH - response.get("FailedRecordCount", 0)

        # Warm-up (connection, lazy imports, moto's backends); its records are read back too.
        warm = sum(put_record(i) for i in range(20)) + put_records(0)
        for i in range(5):
            s3.put_object(Bucket=bucket, Key=f"warmup/{i}", Body=SMALL_BODY)

        progress(f"{label}: Kinesis PutRecord (up to {counts.put_record} calls / {sizes.put_record_seconds:g} s)")
        results["put_record"] = bounded_loop(put_record, counts.put_record, sizes.put_record_seconds)
        progress(f"{label}: Kinesis PutRecords x{BATCH} (up to {counts.put_records} calls / {sizes.put_records_seconds:g} s)")
        results["put_records"] = bounded_loop(put_records, counts.put_records, sizes.put_records_seconds)

        written = warm + results["put_record"].units + results["put_records"].units
        progress(f"{label}: Kinesis GetRecords read-back of {written:,} records (up to {sizes.get_records_seconds:g} s)")
        results["get_records"] = read_back(kinesis, stream, written, sizes.get_records_seconds)

        def put_small(i: int) -> int:
            s3.put_object(Bucket=bucket, Key=f"small/{i:06d}", Body=SMALL_BODY)
            return 1

        def put_large(i: int) -> int:
            s3.put_object(Bucket=bucket, Key=f"large/{i:04d}", Body=LARGE_BODY)
            return 1

        progress(f"{label}: S3 PutObject 1 KiB (up to {counts.small_objects} calls / {sizes.small_seconds:g} s)")
        results["put_small"] = bounded_loop(put_small, counts.small_objects, sizes.small_seconds)
        progress(f"{label}: S3 PutObject 8 MiB (up to {counts.large_objects} calls / {sizes.large_seconds:g} s)")
        results["put_large"] = bounded_loop(put_large, counts.large_objects, sizes.large_seconds)
    finally:
        kinesis.close()
        s3.close()
    return results


def read_back(kinesis: Any, stream: str, expected: int, max_seconds: float) -> Loop:
    """Read every shard from TRIM_HORIZON until drained, or until the time budget is spent."""
    loop = Loop()
    start = time.perf_counter()
    deadline = start + max_seconds
    max_calls = expected // GET_LIMIT + 20 * SHARDS  # count bound: drained long before this
    drained = True
    shards = [s["ShardId"] for s in kinesis.list_shards(StreamName=stream)["Shards"]]
    for shard in shards:
        iterator = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
            "ShardIterator"
        ]
        while iterator:
            if loop.calls >= max_calls or time.perf_counter() >= deadline:
                loop.hit_time_cap = time.perf_counter() >= deadline
                drained = False
                break
            t0 = time.perf_counter()
            response = kinesis.get_records(ShardIterator=iterator, Limit=GET_LIMIT)
            loop.latencies.append(time.perf_counter() - t0)
            loop.calls += 1
            loop.units += len(response["Records"])
            iterator = response.get("NextShardIterator")
            if not response["Records"] and response.get("MillisBehindLatest", 0) == 0:
                break  # at the tip of this shard
        if not drained:
            break
    loop.seconds = time.perf_counter() - start
    if drained and loop.units != expected:
        raise RuntimeError(f"GetRecords read back {loop.units:,} records from {stream}, but {expected:,} were written")
    return loop


# --- the local endpoint -------------------------------------------------------------


def local_aws(*args: str, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "local_aws", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def time_until_line(command: list[str], expect: Callable[[str], bool]) -> tuple[float, str]:
    """Seconds from spawning ``command`` until it prints its first stdout line; and that line."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(START_TIMEOUT, proc.kill)  # kills only the child this call started
    watchdog.start()
    try:
        line = proc.stdout.readline().strip()
        elapsed = time.perf_counter() - start
        _, err = proc.communicate(timeout=START_TIMEOUT)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode != 0 or not expect(line):
        message = err.strip().splitlines()[-1] if err.strip() else f"exit code {proc.returncode}"
        raise RuntimeError(f"{' '.join(command[1:])} failed: {message}")
    return elapsed, line


def start_endpoint(home: str) -> tuple[float, str]:
    return time_until_line(
        [sys.executable, "-m", "local_aws", "start", "--port", "0", "--home", home],
        lambda line: line.startswith("http://"),
    )


def stop_endpoint(home: str) -> float:
    """Stop the endpoint of this home (if any); seconds taken. Never raises."""
    start = time.perf_counter()
    try:
        result = local_aws("stop", "--home", home, timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        progress(f"warning: 'local_aws stop --home {home}' did not finish within {STOP_TIMEOUT:.0f} s")
        return float("nan")
    if result.returncode != 0 and "not running" not in result.stderr:
        progress(f"warning: 'local_aws stop --home {home}' said: {result.stderr.strip()}")
    return time.perf_counter() - start


def measure_startup(runs: int) -> dict[str, list[float]]:
    starts, stops, cold = [], [], []
    for run in range(1, runs + 1):
        with tempfile.TemporaryDirectory(prefix="bench-local-aws-") as home:
            try:
                elapsed, url = start_endpoint(home)
                starts.append(elapsed)
                progress(f"start-up run {run}/{runs}: URL {url} after {elapsed:.2f} s")
            finally:
                stops.append(stop_endpoint(home))
        elapsed, _ = time_until_line([sys.executable, "-c", COLD_IN_PROCESS], lambda line: line == "ready")
        cold.append(elapsed)
        progress(f"start-up run {run}/{runs}: cold in-process moto answered after {elapsed:.2f} s")
    return {"start": starts, "stop": stops, "cold": cold}


# --- report -------------------------------------------------------------------------


def fmt(value: float) -> str:
    if value != value:  # NaN
        return "n/a"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def row(label: str, unit: str, endpoint: float, in_process: float, higher_is_better: bool) -> list[str]:
    if endpoint == endpoint and in_process == in_process and endpoint > 0 and in_process > 0:
        ratio = endpoint / in_process
        slower = 1 / ratio if higher_is_better else ratio
        if 1 / 1.05 <= slower <= 1.05:
            verdict = "about the same"
        else:
            verdict = f"{slower:.1f}x slower" if slower >= 1 else f"{1 / slower:.1f}x faster"
        ratio_text = f"{ratio:.2f}"
    else:
        ratio_text, verdict = "n/a", ""
    return [label, unit, fmt(endpoint), fmt(in_process), ratio_text, verdict]


def print_table(rows: list[list[str]]) -> None:
    header = ["operation", "unit", "local endpoint", "in-process moto", "ratio end/in-proc", "endpoint is"]
    widths = [max(len(r[c]) for r in rows + [header]) for c in range(len(header))]
    right = {2, 3, 4}

    def line(cells: list[str]) -> str:
        return " | ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    print(line(header))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


def early_late(latencies: list[float], n: int = 5) -> tuple[float, float]:
    """Median ms of the first and of the last n calls."""
    if not latencies:
        return float("nan"), float("nan")
    return statistics.median(latencies[:n]) * 1000, statistics.median(latencies[-n:]) * 1000


def report(
    quick: bool, endpoint: dict[str, Loop], in_process: dict[str, Loop], startup: dict[str, list[float]], total: float
) -> None:
    e, p = endpoint, in_process

    def rate(key: str, label: str, unit: str, scale: float = 1.0) -> list[str]:
        return row(label, unit, e[key].rate() * scale, p[key].rate() * scale, True)

    def latency(key: str) -> list[str]:
        return row("  median latency per call", "ms", e[key].median_ms(), p[key].median_ms(), False)

    rows = [
        rate("put_record", "Kinesis PutRecord (1 record/call)", "records/s"),
        latency("put_record"),
        rate("put_records", f"Kinesis PutRecords ({BATCH} records/call)", "records/s"),
        latency("put_records"),
        rate("get_records", f"Kinesis GetRecords read-back (Limit {GET_LIMIT:,})", "records/s"),
        rate("put_small", "S3 PutObject 1 KiB", "objects/s"),
        rate("put_small", "S3 PutObject 1 KiB", "MiB/s", SMALL_OBJECT / MIB),
        latency("put_small"),
        row("  p90 latency per call", "ms", e["put_small"].p90_ms(), p["put_small"].p90_ms(), False),
        rate("put_large", "S3 PutObject 8 MiB", "objects/s"),
        rate("put_large", "S3 PutObject 8 MiB", "MiB/s", LARGE_OBJECT / MIB),
        row(
            f"start-up until ready (median of {len(startup['start'])})",
            "s",
            statistics.median(startup["start"]),
            statistics.median(startup["cold"]),
            False,
        ),
    ]

    print()
    print(f"local endpoint vs in-process moto ({'quick' if quick else 'full'} run)")
    print(
        f"python {platform.python_version()}, boto3 {boto3.__version__}, botocore {botocore.__version__}, "
        f"moto {moto.__version__}, {os.cpu_count()} CPUs, {platform.system()} {platform.machine()}"
    )
    print(f"Kinesis: {SHARDS}-shard stream, {RECORD_BYTES}-byte JSON records; one client thread, sequential calls")
    print()
    print_table(rows)
    print()
    print("ratio = local endpoint / in-process moto, both measured in this run; for rates a ratio below 1,")
    print("for times (s, ms) a ratio above 1 means the endpoint is slower.")
    print()
    print("work done (endpoint | in-process):")
    for key, label in [
        ("put_record", "PutRecord calls"),
        ("put_records", "PutRecords calls"),
        ("get_records", "GetRecords calls"),
        ("put_small", "PutObject 1 KiB"),
        ("put_large", "PutObject 8 MiB"),
    ]:
        el, pl = e[key], p[key]
        capped = " (time budget reached)" if el.hit_time_cap or pl.hit_time_cap else ""
        units = f", {el.units:,} | {pl.units:,} records" if key.startswith(("put_records", "get_")) else ""
        print(f"  {label:<17} {el.calls:>6,} in {el.seconds:6.2f} s | {pl.calls:>6,} in {pl.seconds:6.2f} s{units}{capped}")
    overhead = e["put_record"].median_ms() - p["put_record"].median_ms()
    print(f"  HTTP + dispatch overhead per small call (PutRecord median difference): {overhead:.2f} ms")
    ends = [early_late(e["put_records"].latencies), early_late(p["put_records"].latencies)]
    print(
        "  PutRecords ms per batch, first 5 -> last 5 batches: "
        f"endpoint {fmt(ends[0][0])} -> {fmt(ends[0][1])}, in-process {fmt(ends[1][0])} -> {fmt(ends[1][1])}"
    )
    print("  (moto's Kinesis scans a shard's sequence numbers per record, so its cost grows with the")
    print("  records already in the stream: rates from runs of different size are not comparable)")
    print()
    print(
        "start-up: 'python -m local_aws start' until it prints the URL, runs "
        + ", ".join(f"{s:.2f}" for s in startup["start"])
        + " s; 'stop' took "
        + ", ".join(f"{s:.2f}" for s in startup["stop"])
        + " s"
    )
    print(
        "          baseline: cold python importing boto3 + moto and answering one call in mock_aws, "
        + ", ".join(f"{s:.2f}" for s in startup["cold"])
        + " s"
    )
    print(f"total bench time: {total:.1f} s")


# --- main ---------------------------------------------------------------------------


def isolate_environment() -> None:
    """Dummy credentials, and nothing that could send the in-process clients elsewhere."""
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL") or name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            del os.environ[name]
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
        }
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run (about 20 s)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    isolate_environment()
    began = time.perf_counter()

    startup = measure_startup(sizes.startup_runs)

    counts = Counts(sizes.put_record_calls, sizes.put_records_calls, sizes.small_objects, sizes.large_objects)
    with tempfile.TemporaryDirectory(prefix="bench-local-aws-") as home:
        try:
            _, url = start_endpoint(home)
            progress(f"endpoint at {url} (home {home})")
            endpoint = run_workload("endpoint", boto3.session.Session(), url, sizes, counts)
        finally:
            stop_endpoint(home)

    # Same number of calls as the endpoint completed: same work on the same amount of state.
    done = Counts(
        endpoint["put_record"].calls,
        endpoint["put_records"].calls,
        endpoint["put_small"].calls,
        endpoint["put_large"].calls,
    )
    from moto import mock_aws

    with mock_aws():
        in_process = run_workload("in-process", boto3.session.Session(), None, sizes, done)

    report(args.quick, endpoint, in_process, startup, time.perf_counter() - began)
    return 0


if __name__ == "__main__":
    sys.exit(main())
