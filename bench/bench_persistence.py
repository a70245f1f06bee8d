"""Benchmark: what durable state costs the local endpoint, and how restart time grows with the state.

What is measured
----------------
1. **Cost of durability.** Two endpoints run side by side, each in its own
   temporary home and both with ``--kinesis-limits off`` (throttling would
   otherwise decide the Kinesis rate): one keeps state durably (the default: every
   acknowledged change is appended to an fsync'ed journal before the response),
   the other with ``--no-persist`` (memory only) -- the baseline. The same calls
   go to both in alternating legs (on, off, off, on, on, off ...), so drift of a
   busy machine falls on both sides:

   * Kinesis ``PutRecords``, batches of 500 ~300-byte JSON records, 4-shard stream;
   * S3 ``PutObject`` of 1 KiB objects and of a few 8 MiB objects.

   The ratio persist on / off is printed next to the target of the durability
   issue (>= 0.70 of the in-memory rate). The target is informational: nothing
   passes or fails on it.

2. **Restart time against state size.** Two states are built in their own
   persistent homes: (a) S3 objects of 1 KiB, one per ``PutObject`` (10,000 in
   the full run) and (b) Kinesis records, 500 per ``PutRecords`` (1,000,000 in the
   full run; if the build's time budget runs out first, the N actually reached is
   reported). For each state, in this order:

   * ``kill -9`` of the endpoint right after the build, then ``start``: the whole
     state is in the journal and is replayed (the worst case for a crash: the
     journal is snapshotted by itself only once it passes 512 MiB);
   * ``stop`` (which writes the snapshot and empties the journal), the size of
     ``state/``;
   * ``start`` again: a clean restart, from the snapshot;
   * a final ``stop``.

   Each ``start`` is timed until it prints the URL (the same measure as the
   start-up of an empty home, taken when the build begins: the baseline), each
   ``stop`` until it returns. The endpoint log says where the state came from
   and how long loading took inside the server. After every restart the state is
   read back in full and compared with what was acknowledged: every S3 key with
   its size and ETag (``ListObjectsV2``, paginated) and every Kinesis shard's
   record count, last sequence number and a CRC of its data in order
   (``GetRecords`` from ``TRIM_HORIZON``, one thread per shard). Anything missing,
   extra or different is an error; a read-back that does not finish within its
   time budget is reported as not checked (unknown, not wrong). Peak resident memory of the endpoint
   (``VmHWM`` in ``/proc/PID/status``) is read after each build and start, and
   sampled while it stops (the snapshot is built in memory).

   ``python -m local_aws stop`` gives the endpoint 30 s to exit before it kills
   it. If a stop ends that way, the snapshot was not written; the state is still
   in the journal (it is checked), the next start replays it and the report says
   so. The endpoint is then stopped once more by SIGTERM with a longer wait, to
   time the snapshot load as well.

Every loop is bounded by a count and by a time budget. One client thread,
sequential calls (except the per-shard read-back). The script prints figures and
ratios only; it never passes or fails on time. It exits 0 unless something
errors: an endpoint that does not start, or a state that comes back incomplete
after a restart.

How to run
----------
``make bench`` runs every ``bench/bench_*.py`` with the venv's Python. Directly::

    .venv/bin/python bench/bench_persistence.py           # full run, about 8-13 min on 2 cores
    .venv/bin/python bench/bench_persistence.py --quick   # smaller run, about 70 s

Most of the full run is building 1,000,000 records (1.5 min), replaying them
(about 1 min) and reading them back after each restart (about 1.5 min each, three
or four times); the longer figure is for a stop that ends without a snapshot,
which adds a restart. Every phase has its own time budget, so the run is bounded.

The full run needs about 2.5 GB of memory (the endpoint holding 1,000,000
records) and about 1.5 GB of temporary disk. Progress goes to stderr, the report
to stdout. Every endpoint lives in a temporary home directory and is always
stopped, whatever happens.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import signal
import sys
import tempfile
import textwrap
import threading
import time
import traceback
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import boto3
import botocore

from bench_endpoint import (
    BATCH,
    BATCHES,
    CLIENT_CONFIG,
    GET_LIMIT,
    LARGE_BODY,
    LARGE_OBJECT,
    MIB,
    RECORD_BYTES,
    REPO_ROOT,
    SHARDS,
    SMALL_OBJECT,
    Loop,
    bounded_loop,
    fmt,
    isolate_environment,
    local_aws,
    progress,
    stop_endpoint,
    time_until_line,
    wait_active,
)

sys.path.insert(0, str(REPO_ROOT))
from local_aws.cli import START_TIMEOUT as CLI_START_TIMEOUT  # noqa: E402
from local_aws.cli import STOP_TIMEOUT as CLI_STOP_TIMEOUT  # noqa: E402
from local_aws.persistence import SNAPSHOT_EVERY_BYTES  # noqa: E402

TARGET_RATIO = 0.70  # the durability issue's target: persist on >= 0.7 x the in-memory rate
STREAM = "bench-durable"
BUCKET = "bench-durable"
SIGTERM_STOP_SECONDS = 180.0  # the longer wait when the CLI's stop gave up on the snapshot
_LOADED = re.compile(
    r"state loaded from (?P<source>[a-z +]+): (?P<replayed>\d+) changes replayed \((?P<failed>\d+) failed\) "
    r"after snapshot (?P<seq>\d+), in (?P<seconds>[\d.]+) s"
)


@dataclass(frozen=True)
class Sizes:
    """Call counts and time budgets (seconds) of one run."""

    rounds: int  # legs per side in part 1 (alternating on/off)
    put_records_calls: int  # per leg
    small_objects: int  # per leg
    large_objects: int  # per leg
    leg_seconds: float
    s3_state_objects: int
    s3_build_seconds: float
    kinesis_state_records: int
    kinesis_build_seconds: float
    verify_seconds: float  # per read-back


FULL = Sizes(
    rounds=6,
    put_records_calls=40,  # 20,000 records per leg
    small_objects=200,
    large_objects=3,
    leg_seconds=6,
    s3_state_objects=10_000,
    s3_build_seconds=150,
    kinesis_state_records=1_000_000,
    kinesis_build_seconds=200,
    verify_seconds=300,
)
QUICK = Sizes(
    rounds=3,
    put_records_calls=12,
    small_objects=60,
    large_objects=2,
    leg_seconds=2,
    s3_state_objects=2_000,
    s3_build_seconds=20,
    kinesis_state_records=50_000,
    kinesis_build_seconds=20,
    verify_seconds=40,
)


# --- the endpoint's process and home ------------------------------------------------


def start(home: str, *extra: str) -> tuple[float, str]:
    """``local_aws start`` with Kinesis limits off; seconds until it printed the URL, and the URL."""
    return time_until_line(
        [sys.executable, "-m", "local_aws", "start", "--port", "0", "--home", home, "--kinesis-limits", "off", *extra],
        lambda line: line.startswith("http://"),
    )


def endpoint_pid(home: str) -> int:
    return json.loads((Path(home) / "endpoint.json").read_text())["pid"]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (dead, not yet reaped) counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.02)
    return not pid_alive(pid)


def memory_mib(pid: int) -> dict[str, float]:
    """VmHWM (peak) and VmRSS of a process, in MiB; empty if it is gone."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in ("VmHWM", "VmRSS"):
                values[name] = int(rest.split()[0]) / 1024
    except (OSError, ValueError, IndexError):
        return {}
    return values


def state_files(home: str) -> dict[str, int]:
    state = Path(home) / "state"
    return {p.name: p.stat().st_size for p in sorted(state.iterdir()) if p.is_file()} if state.exists() else {}


def describe_files(files: dict[str, int]) -> str:
    parts = [f"{name} {files[name] / MIB:,.1f}" for name in sorted(files) if name != "FORMAT.json"]
    return ", ".join(parts) + " MiB" if parts else "empty"


def last_load(home: str) -> dict[str, Any] | None:
    """The last 'state loaded from ...' line of the endpoint log."""
    try:
        text = (Path(home) / "logs" / "endpoint.log").read_text(errors="replace")
    except OSError:
        return None
    matches = list(_LOADED.finditer(text))
    if not matches:
        return None
    m = matches[-1]
    return {
        "source": m["source"],
        "replayed": int(m["replayed"]),
        "failed": int(m["failed"]),
        "seconds": float(m["seconds"]),
    }


@dataclass
class Stop:
    seconds: float
    how: str  # "local_aws stop" or "SIGTERM"
    killed: bool  # the CLI gave up waiting and killed the endpoint
    snapshot: bool  # snapshot.pickle present and the journal empty afterwards
    peak_mib: float
    files: dict[str, int]


def sample_peak(pid: int, stop_event: threading.Event, peak: list[float]) -> None:
    """Keep the last VmHWM seen until the process is gone (the snapshot is pickled in memory)."""
    while not stop_event.is_set():
        seen = memory_mib(pid).get("VmHWM")
        if seen is None:
            return
        peak[0] = max(peak[0], seen)
        time.sleep(0.05)


def timed_stop(home: str, patient: bool = False) -> Stop:
    """Stop the endpoint of this home, timed. ``patient``: SIGTERM and wait up to SIGTERM_STOP_SECONDS
    instead of ``local_aws stop`` (which kills after its own 30 s)."""
    pid = endpoint_pid(home)
    peak = [memory_mib(pid).get("VmHWM", float("nan"))]
    done = threading.Event()
    sampler = threading.Thread(target=sample_peak, args=(pid, done, peak), daemon=True)
    sampler.start()
    killed = False
    started = time.perf_counter()
    try:
        if patient:
            os.kill(pid, signal.SIGTERM)
            if not wait_gone(pid, SIGTERM_STOP_SECONDS):
                raise RuntimeError(f"endpoint pid {pid} did not exit within {SIGTERM_STOP_SECONDS:.0f} s of SIGTERM")
            seconds = time.perf_counter() - started
        else:
            result = local_aws("stop", "--home", home, timeout=CLI_STOP_TIMEOUT + 60)
            seconds = time.perf_counter() - started
            if result.returncode != 0:
                raise RuntimeError(f"local_aws stop failed: {result.stderr.strip()}")
            killed = "was killed" in result.stderr
            wait_gone(pid, 10)
    finally:
        done.set()
        sampler.join(timeout=2)
    files = state_files(home)
    snapshot = "snapshot.pickle" in files and files.get("journal.log", 0) == 0
    return Stop(seconds, "SIGTERM" if patient else "local_aws stop", killed, snapshot, peak[0], files)


def kill_9(home: str) -> None:
    pid = endpoint_pid(home)
    os.kill(pid, signal.SIGKILL)
    if not wait_gone(pid, 30):
        raise RuntimeError(f"endpoint pid {pid} still alive 30 s after SIGKILL")


# --- part 1: the cost of durability ----------------------------------------------------


def s3_client(session: boto3.session.Session, url: str) -> Any:
    return session.client("s3", endpoint_url=url, config=CLIENT_CONFIG)


def kinesis_client(session: boto3.session.Session, url: str) -> Any:
    return session.client("kinesis", endpoint_url=url, config=CLIENT_CONFIG)


class Side:
    """One endpoint of part 1 with its clients, stream and bucket."""

    def __init__(self, label: str, url: str):
        session = boto3.session.Session()
        self.label = label
        self.kinesis = kinesis_client(session, url)
        self.s3 = s3_client(session, url)
        self.kinesis.create_stream(StreamName=STREAM, ShardCount=SHARDS)
        wait_active(self.kinesis, STREAM)
        self.s3.create_bucket(Bucket=BUCKET)
        self.calls = {"put_records": 0, "put_small": 0, "put_large": 0}
        # Warm-up: connection, lazy imports, moto's backends, the journal file.
        self.put_records(0)
        for i in range(5):
            self.s3.put_object(Bucket=BUCKET, Key=f"warmup/{i}", Body=LARGE_BODY[:SMALL_OBJECT])

    def put_records(self, i: int) -> int:
        n = self.calls["put_records"] = self.calls["put_records"] + 1
        response = self.kinesis.put_records(StreamName=STREAM, Records=BATCHES[n % len(BATCHES)])
        return BATCH - response.get("FailedRecordCount", 0)

    def put_small(self, i: int) -> int:
        n = self.calls["put_small"] = self.calls["put_small"] + 1
        self.s3.put_object(Bucket=BUCKET, Key=f"small/{n:07d}", Body=LARGE_BODY[n % 1024 : n % 1024 + SMALL_OBJECT])
        return 1

    def put_large(self, i: int) -> int:
        n = self.calls["put_large"] = self.calls["put_large"] + 1
        self.s3.put_object(Bucket=BUCKET, Key=f"large/{n:05d}", Body=LARGE_BODY)
        return 1

    def close(self) -> None:
        self.kinesis.close()
        self.s3.close()


def merge(loops: list[Loop]) -> Loop:
    total = Loop()
    for loop in loops:
        total.calls += loop.calls
        total.units += loop.units
        total.seconds += loop.seconds
        total.latencies += loop.latencies
        total.hit_time_cap |= loop.hit_time_cap
    return total


@dataclass
class Durability:
    on: dict[str, Loop]
    off: dict[str, Loop]
    leg_ratios: dict[str, list[float]]
    memory: dict[str, dict[str, float]]
    journal_bytes: int
    journal_changes: int


def measure_durability(sizes: Sizes) -> Durability:
    workloads = [
        ("put_records", f"Kinesis PutRecords x{BATCH}", sizes.put_records_calls),
        ("put_small", "S3 PutObject 1 KiB", sizes.small_objects),
        ("put_large", "S3 PutObject 8 MiB", sizes.large_objects),
    ]
    on_legs: dict[str, list[Loop]] = {key: [] for key, _, _ in workloads}
    off_legs: dict[str, list[Loop]] = {key: [] for key, _, _ in workloads}
    with tempfile.TemporaryDirectory(prefix="bench-persist-on-") as home_on, tempfile.TemporaryDirectory(
        prefix="bench-persist-off-"
    ) as home_off:
        sides: dict[str, Side] = {}
        try:
            _, url_on = start(home_on)
            _, url_off = start(home_off, "--no-persist")
            progress(f"persist on at {url_on}, persist off (--no-persist) at {url_off}")
            sides = {"on": Side("on", url_on), "off": Side("off", url_off)}
            journal_before = state_files(home_on).get("journal.log", 0)
            for key, label, calls in workloads:
                for leg in range(sizes.rounds):
                    # on, off | off, on | on, off ...: each side goes first as often as second.
                    order = ("on", "off") if leg % 2 == 0 else ("off", "on")
                    for side in order:
                        s = sides[side]
                        loop = bounded_loop(getattr(s, key), calls, sizes.leg_seconds)
                        (on_legs if side == "on" else off_legs)[key].append(loop)
                    progress(
                        f"{label}: leg {leg + 1}/{sizes.rounds}, persist on {fmt(on_legs[key][-1].rate())}/s, "
                        f"off {fmt(off_legs[key][-1].rate())}/s"
                    )
            memory = {
                "on": memory_mib(endpoint_pid(home_on)),
                "off": memory_mib(endpoint_pid(home_off)),
            }
            journal_bytes = state_files(home_on).get("journal.log", 0) - journal_before
            journal_changes = sum(leg.calls for legs in on_legs.values() for leg in legs)
        finally:
            for s in sides.values():
                s.close()
            stop_endpoint(home_on)
            stop_endpoint(home_off)
    leg_ratios = {
        key: [a.rate() / b.rate() for a, b in zip(on_legs[key], off_legs[key]) if b.rate() > 0] for key in on_legs
    }
    return Durability(
        on={k: merge(v) for k, v in on_legs.items()},
        off={k: merge(v) for k, v in off_legs.items()},
        leg_ratios=leg_ratios,
        memory=memory,
        journal_bytes=journal_bytes,
        journal_changes=journal_changes,
    )


# --- part 2: states to restart with ----------------------------------------------------


class S3State:
    """N 1-KiB objects, each with its own content (checked by key, size and ETag)."""

    kind = "S3"

    def __init__(self, target: int, budget: float):
        self.target, self.budget = target, budget
        self.expected: dict[str, tuple[int, str]] = {}
        self.fill = os.urandom(SMALL_OBJECT)

    def describe(self, n: int | None = None) -> str:
        return f"{self.target if n is None else n:,} S3 objects of 1 KiB"

    def build(self, url: str) -> Loop:
        s3 = s3_client(boto3.session.Session(), url)
        s3.create_bucket(Bucket=BUCKET)

        def put(i: int) -> int:
            key = f"obj/{i:07d}"
            body = key.encode() + self.fill[len(key) :]
            s3.put_object(Bucket=BUCKET, Key=key, Body=body)
            self.expected[key] = (len(body), '"' + hashlib.md5(body).hexdigest() + '"')
            return 1

        try:
            return bounded_loop(put, self.target, self.budget)
        finally:
            s3.close()

    def count(self) -> int:
        return len(self.expected)

    def verify(self, url: str, budget: float) -> tuple[float, str, bool]:
        """Seconds to read it all back, what was checked, and whether the read-back finished within ``budget``.
        Raises if anything differs."""
        s3 = s3_client(boto3.session.Session(), url)
        started = time.perf_counter()
        seen: dict[str, tuple[int, str]] = {}
        try:
            kwargs: dict[str, Any] = {"Bucket": BUCKET, "MaxKeys": 1000}
            for _ in range(self.count() // 1000 + 10):  # count bound: done long before this
                if time.perf_counter() - started > budget:  # unknown, not wrong: reported, not an error
                    return time.perf_counter() - started, f"NOT checked: {len(seen):,} keys listed in the {budget:.0f} s budget", False
                page = s3.list_objects_v2(**kwargs)
                for obj in page.get("Contents", []):
                    seen[obj["Key"]] = (obj["Size"], obj["ETag"])
                if not page.get("IsTruncated"):
                    break
                kwargs["ContinuationToken"] = page["NextContinuationToken"]
            else:
                raise RuntimeError("S3 ListObjectsV2 pagination did not end")
        finally:
            s3.close()
        seconds = time.perf_counter() - started
        missing = self.expected.keys() - seen.keys()
        extra = seen.keys() - self.expected.keys()
        differ = [k for k in self.expected.keys() & seen.keys() if self.expected[k] != seen[k]]
        if missing or extra or differ:
            raise RuntimeError(
                f"S3 state incomplete after restart: {len(missing):,} missing, {len(extra):,} extra, "
                f"{len(differ):,} with another size/ETag (of {len(self.expected):,}); e.g. "
                f"{sorted(missing)[:3] or sorted(extra)[:3] or differ[:3]}"
            )
        return seconds, f"{len(seen):,} keys, sizes and ETags match", True


class KinesisState:
    """N records on a 4-shard stream, 500 per PutRecords (checked per shard: count, last sequence number, CRC)."""

    kind = "Kinesis"

    def __init__(self, target: int, budget: float):
        self.target, self.budget = target, budget
        self.shards: dict[str, list] = {}  # shard id -> [count, last sequence number, crc32 of data in order]

    def describe(self, n: int | None = None) -> str:
        return f"{self.target if n is None else n:,} Kinesis records"

    def build(self, url: str) -> Loop:
        kinesis = kinesis_client(boto3.session.Session(), url)
        kinesis.create_stream(StreamName=STREAM, ShardCount=SHARDS)
        wait_active(kinesis, STREAM)
        self.shards = {s["ShardId"]: [0, "0", 0] for s in kinesis.list_shards(StreamName=STREAM)["Shards"]}

        def put(i: int) -> int:
            batch = BATCHES[i % len(BATCHES)]
            response = kinesis.put_records(StreamName=STREAM, Records=batch)
            for entry, result in zip(batch, response["Records"]):
                if "SequenceNumber" in result:  # limits are off: every entry is expected to be taken
                    shard = self.shards[result["ShardId"]]
                    shard[0] += 1
                    shard[1] = result["SequenceNumber"]
                    shard[2] = zlib.crc32(entry["Data"], shard[2])
            return BATCH - response.get("FailedRecordCount", 0)

        last = progress_every(self.budget)
        try:
            return bounded_loop(lambda i: last(put(i), self.count()), -(-self.target // BATCH), self.budget)
        finally:
            kinesis.close()

    def count(self) -> int:
        return sum(s[0] for s in self.shards.values())

    def verify(self, url: str, budget: float) -> tuple[float, str, bool]:
        """As S3State.verify: per shard, the record count, the last sequence number and a CRC of the data in order."""
        deadline = time.perf_counter() + budget
        started = time.perf_counter()

        def read_shard(shard_id: str) -> list | None:
            kinesis = kinesis_client(boto3.session.Session(), url)
            count, last, crc = 0, "0", 0
            try:
                iterator = kinesis.get_shard_iterator(
                    StreamName=STREAM, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
                for _ in range(self.shards[shard_id][0] // GET_LIMIT + 20):  # count bound
                    if time.perf_counter() > deadline:
                        return None  # budget spent: unknown, not wrong
                    response = kinesis.get_records(ShardIterator=iterator, Limit=GET_LIMIT)
                    for record in response["Records"]:
                        count += 1
                        last = record["SequenceNumber"]
                        crc = zlib.crc32(record["Data"], crc)
                    iterator = response.get("NextShardIterator")
                    if not iterator or (not response["Records"] and response.get("MillisBehindLatest", 0) == 0):
                        return [count, last, crc]
                raise RuntimeError(f"Kinesis read-back of {shard_id} did not reach the tip")
            finally:
                kinesis.close()

        with ThreadPoolExecutor(max_workers=len(self.shards)) as pool:
            got = dict(zip(self.shards, pool.map(read_shard, list(self.shards))))
        seconds = time.perf_counter() - started
        if any(g is None for g in got.values()):
            return seconds, f"NOT checked: the read-back did not finish in its {budget:.0f} s budget", False
        bad = {s: (self.shards[s], got[s]) for s in self.shards if got[s] != self.shards[s]}
        if bad:
            detail = "; ".join(
                f"{s}: expected {e[0]:,} records (last {e[1]}), read {g[0]:,} (last {g[1]})"
                + ("" if e[2] == g[2] or e[:2] != g[:2] else ", data differs")
                for s, (e, g) in bad.items()
            )
            raise RuntimeError(f"Kinesis state incomplete after restart: {detail}")
        checked = f"{sum(g[0] for g in got.values()):,} records, per-shard counts, sequence numbers and CRCs match"
        return seconds, checked, True


def progress_every(budget: float, seconds: float = 10.0) -> Callable[[int, int], int]:
    """A pass-through that reports the build's progress every ``seconds``."""
    began = time.perf_counter()
    mark = [began]

    def report(units: int, total: int) -> int:
        now = time.perf_counter()
        if now - mark[0] >= seconds:
            mark[0] = now
            progress(f"  {total:,} records after {now - began:.0f} s (budget {budget:.0f} s)")
        return units

    return report


@dataclass
class Restart:
    what: str
    start_seconds: float
    load: dict[str, Any] | None
    peak_mib: float
    verify_seconds: float
    verified: str
    complete: bool  # the read-back finished within its budget
    stop: Stop | None = None  # the stop that followed this start


@dataclass
class StateRun:
    state: Any
    empty_start: float = float("nan")
    build: Loop | None = None
    built_peak_mib: float = float("nan")
    built_files: dict[str, int] = field(default_factory=dict)
    restarts: list[Restart] = field(default_factory=list)
    stops: list[Stop] = field(default_factory=list)
    error: str | None = None


def restart(run: StateRun, home: str, what: str, budget: float) -> Restart:
    seconds, url = start(home)
    load = last_load(home)
    peak = memory_mib(endpoint_pid(home)).get("VmHWM", float("nan"))
    source = load["source"] if load else "?"
    progress(f"{run.state.kind}: {what}: URL after {seconds:.2f} s (state from {source}); reading it all back")
    verify_seconds, verified, complete = run.state.verify(url, budget)
    progress(f"{run.state.kind}: {verified} (read in {verify_seconds:.1f} s)")
    r = Restart(what, seconds, load, peak, verify_seconds, verified, complete)
    run.restarts.append(r)
    return r


def stop(run: StateRun, home: str, patient: bool = False) -> Stop:
    s = timed_stop(home, patient)
    run.stops.append(s)
    if run.restarts:
        run.restarts[-1].stop = s
    outcome = "snapshot written" if s.snapshot else "NO snapshot"
    progress(f"{run.state.kind}: {s.how} took {s.seconds:.2f} s ({outcome}{', killed by the CLI' if s.killed else ''}); "
             f"state/: {describe_files(s.files)}")
    return s


def measure_restarts(state: Any, sizes: Sizes) -> StateRun:
    run = StateRun(state)
    with tempfile.TemporaryDirectory(prefix=f"bench-persist-{state.kind.lower()}-") as home:
        try:
            run.empty_start, url = start(home)
            progress(f"{state.kind}: building {state.describe()} (budget {state.budget:.0f} s) at {url}")
            run.build = state.build(url)
            progress(f"{state.kind}: built {state.describe(state.count())} in {run.build.seconds:.1f} s")
            run.built_peak_mib = memory_mib(endpoint_pid(home)).get("VmHWM", float("nan"))
            run.built_files = state_files(home)

            kill_9(home)
            restart(run, home, "start after kill -9", sizes.verify_seconds)
            first = stop(run, home)
            if not first.snapshot:
                # What a user gets next: the journal replayed again. Then a patient stop, to time the snapshot too.
                restart(run, home, "start after a stop without snapshot", sizes.verify_seconds)
                stop(run, home, patient=True)
            restart(run, home, "clean start (snapshot)", sizes.verify_seconds)
            stop(run, home)
        except Exception as exc:  # reported, and the exit code says so
            run.error = f"{type(exc).__name__}: {exc}"
            progress(f"{state.kind}: ERROR {run.error}\n{traceback.format_exc()}")
        finally:
            stop_endpoint(home)
    return run


# --- report ------------------------------------------------------------------------------


def table(header: list[str], rows: list[list[str]], right: set[int]) -> None:
    widths = [max(len(r[c]) for r in rows + [header]) for c in range(len(header))]

    def line(cells: list[str]) -> str:
        return " | ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    print(line(header))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


def ratio(on: float, off: float) -> float:
    return on / off if on == on and off == off and off > 0 else float("nan")


def report_durability(d: Durability, sizes: Sizes) -> dict[str, float]:
    rows, ratios = [], {}

    def rate_row(key: str, label: str, unit: str, scale: float = 1.0) -> None:
        on, off = d.on[key].rate() * scale, d.off[key].rate() * scale
        r = ratio(on, off)
        ratios[key] = r
        legs = d.leg_ratios[key]
        spread = f"{min(legs):.2f}-{max(legs):.2f}" if legs else "n/a"
        verdict = "n/a" if r != r else ("meets target" if r >= TARGET_RATIO else "BELOW target")
        rows.append([label, unit, fmt(on), fmt(off), f"{r:.2f}" if r == r else "n/a", spread, f">= {TARGET_RATIO:.2f}", verdict])

    def latency_row(key: str, label: str = "  median latency per call", p90: bool = False) -> None:
        on = d.on[key].p90_ms() if p90 else d.on[key].median_ms()
        off = d.off[key].p90_ms() if p90 else d.off[key].median_ms()
        r = ratio(on, off)
        rows.append([label, "ms", fmt(on), fmt(off), f"{r:.2f}" if r == r else "n/a", "", "", f"+{fmt(on - off)} ms"])

    rate_row("put_records", f"Kinesis PutRecords ({BATCH} records/call)", "records/s")
    latency_row("put_records")
    rate_row("put_small", "S3 PutObject 1 KiB", "objects/s")
    latency_row("put_small")
    latency_row("put_small", "  p90 latency per call", p90=True)
    rate_row("put_large", "S3 PutObject 8 MiB", "MiB/s", LARGE_OBJECT / MIB)
    latency_row("put_large")

    print("1. cost of durability: persist on (journal, fsync per change) vs off (--no-persist), Kinesis limits off")
    print()
    table(
        ["operation", "unit", "persist on", "persist off", "ratio on/off", "per-leg ratios", "target", ""],
        rows,
        right={2, 3, 4, 5},
    )
    print()
    print(f"{sizes.rounds} legs per side, alternating (on, off | off, on | ...); ratio = on / off over all legs,")
    print("per-leg ratios = the spread of the ratio between adjacent legs. The target is informational.")
    print("work done (persist on | off):")
    for key, label in [("put_records", "PutRecords calls"), ("put_small", "PutObject 1 KiB"), ("put_large", "PutObject 8 MiB")]:
        on, off = d.on[key], d.off[key]
        capped = " (time budget reached)" if on.hit_time_cap or off.hit_time_cap else ""
        print(f"  {label:<17} {on.calls:>6,} in {on.seconds:6.2f} s | {off.calls:>6,} in {off.seconds:6.2f} s{capped}")
    if d.journal_changes:
        print(f"  journal written by the measured calls: {d.journal_bytes / MIB:,.1f} MiB for {d.journal_changes:,} changes "
              f"({d.journal_bytes / d.journal_changes / 1024:,.1f} KiB per change on average)")
    mem = {side: d.memory.get(side, {}).get("VmHWM", float("nan")) for side in ("on", "off")}
    print(f"  endpoint peak RSS (VmHWM) at the end: persist on {fmt(mem['on'])} MiB, off {fmt(mem['off'])} MiB")
    return ratios


def report_restarts(runs: list[StateRun]) -> None:
    print()
    print("2. restart time against state size (persist on; every restart read back in full and compared)")
    print()
    header = ["measurement", "unit"] + [r.state.describe(r.state.count()) for r in runs]
    rows: list[list[str]] = []

    def add(label: str, unit: str, values: list[str]) -> None:
        rows.append([label, unit] + values)

    def each(get: Callable[[StateRun], str]) -> list[str]:
        out = []
        for r in runs:
            try:
                out.append(get(r))
            except (IndexError, TypeError, KeyError, AttributeError, ZeroDivisionError, StopIteration):
                out.append("n/a")
        return out

    add("target size of the state", "", each(lambda r: f"{r.state.target:,}"))
    add("built", "", each(lambda r: f"{r.state.count():,}" + (" (time budget)" if r.build.hit_time_cap else "")))
    add("  build time", "s", each(lambda r: fmt(r.build.seconds)))
    add("  build rate", "/s", each(lambda r: fmt(r.build.rate())))
    add("  peak RSS after build", "MiB", each(lambda r: fmt(r.built_peak_mib)))
    add("  state/ after build (journal)", "MiB", each(lambda r: fmt(sum(r.built_files.values()) / MIB)))
    add("start of the empty home (baseline)", "s", each(lambda r: fmt(r.empty_start)))
    stage_names = sorted({x.what for r in runs for x in r.restarts}, key=lambda w: ("kill" not in w, "snapshot)" in w))
    for name in stage_names:
        def pick(r: StateRun, name: str = name) -> Restart:
            return next(x for x in r.restarts if x.what == name)

        add(name, "s", each(lambda r: fmt(pick(r).start_seconds)))
        add("  x empty-home start", "", each(lambda r: f"{pick(r).start_seconds / r.empty_start:.1f}x"))
        add("  state loaded from", "", each(lambda r: pick(r).load["source"]))
        add("  changes replayed (failed)", "", each(lambda r: f"{pick(r).load['replayed']:,} ({pick(r).load['failed']})"))
        add("  load time inside the server", "s", each(lambda r: fmt(pick(r).load["seconds"])))
        add("  peak RSS after start", "MiB", each(lambda r: fmt(pick(r).peak_mib)))
        add("  read back and verified", "s",
            each(lambda r: fmt(pick(r).verify_seconds) + (" ok" if pick(r).complete else " NOT checked (budget)")))

        def stop_after(r: StateRun, name: str = name) -> Stop:
            return pick(r, name).stop

        label = "stop (writes the snapshot)" if "snapshot)" not in name else "final stop"
        add(label, "s", each(lambda r: fmt(stop_after(r).seconds) + (" (killed)" if stop_after(r).killed else "")))
        add("  how", "", each(lambda r: stop_after(r).how))
        add("  snapshot written", "", each(lambda r: "yes" if stop_after(r).snapshot else "NO"))
        add("  peak RSS while stopping", "MiB", each(lambda r: fmt(stop_after(r).peak_mib)))
        add("  state/ after stop", "MiB", each(lambda r: fmt(sum(stop_after(r).files.values()) / MIB)))
    table(header, rows, right=set(range(2, len(header))))
    print()
    for r in runs:
        if r.stops:
            print(f"state/ of {r.state.describe(r.state.count())} after its last stop: {describe_files(r.stops[-1].files)}")
    for r in runs:
        if r.error:
            print(f"ERROR with {r.state.describe()}: {r.error}")


def point(text: str, bullet: bool = True) -> None:
    """One point of 'what this shows', wrapped."""
    print(textwrap.fill(text, width=108, initial_indent="- " if bullet else "  ", subsequent_indent="  "))


def what_this_shows(d: Durability, ratios: dict[str, float], runs: list[StateRun]) -> None:
    print()
    print("what this shows")
    names = {"put_records": "Kinesis PutRecords", "put_small": "S3 PutObject 1 KiB", "put_large": "S3 PutObject 8 MiB"}
    met = [f"{names[k]} ({r:.2f})" for k, r in ratios.items() if r == r and r >= TARGET_RATIO]
    below = [f"{names[k]} ({r:.2f})" for k, r in ratios.items() if r == r and r < TARGET_RATIO]
    extra = {k: d.on[k].median_ms() - d.off[k].median_ms() for k in names}
    text = (
        f"Durability adds about {fmt(extra['put_small'])} ms to a small change (S3 1 KiB), {fmt(extra['put_records'])} ms "
        f"to a 500-record PutRecords and {fmt(extra['put_large'])} ms to an 8 MiB PutObject (median per call): the "
        "journal append and its fsync, done before the response."
    )
    if met:
        text += f" At or above the {TARGET_RATIO:.2f} target of the in-memory rate: {', '.join(met)}."
    if below:
        text += f" Below it: {', '.join(below)}."
    point(text)
    for r in runs:
        if r.error or not r.restarts or r.build is None:
            continue
        crash, clean = r.restarts[0], r.restarts[-1]
        what = r.state.describe(r.state.count())
        replayed = crash.load["replayed"] if crash.load else 0
        text = (
            f"{what}: after kill -9 the whole journal ({replayed:,} changes, "
            f"{r.built_files.get('journal.log', 0) / MIB:,.0f} MiB) is replayed before the URL appears: "
            f"{crash.start_seconds:.1f} s, {crash.start_seconds / r.empty_start:.1f}x an empty home's "
            f"{r.empty_start:.1f} s ({crash.start_seconds / r.build.seconds:.2f}x the time it took to build the state)."
        )
        if clean.load and clean.load["source"] == "snapshot":
            text += (
                f" A clean restart from the snapshot takes {clean.start_seconds:.1f} s "
                f"({clean.start_seconds / r.empty_start:.1f}x the empty home)."
            )
        else:
            text += " No restart came from a snapshot (see the table)."
        point(text)
        peak = max([r.built_peak_mib] + [x.peak_mib for x in r.restarts] + [s.peak_mib for s in r.stops])
        point(
            f"Peak endpoint memory {fmt(peak)} MiB against {fmt(r.built_peak_mib)} MiB after the build: moto holds the "
            "state in memory, and the snapshot is pickled in memory before it is written.",
            bullet=False,
        )
        for s in r.stops:
            if s.how == "local_aws stop" and s.killed:
                point(
                    f"WARNING: 'local_aws stop' killed the endpoint after its {CLI_STOP_TIMEOUT:.0f} s limit while "
                    "the snapshot was being written: no snapshot, so the next start replayed the journal again (nothing "
                    "was lost; checked).",
                    bullet=False,
                )
            elif s.how == "local_aws stop" and s.seconds > 0.6 * CLI_STOP_TIMEOUT:
                point(
                    f"Note: a 'local_aws stop' took {s.seconds:.1f} s (its own start-up included); it waits "
                    f"{CLI_STOP_TIMEOUT:.0f} s after SIGTERM, then kills the endpoint, and a snapshot not written by "
                    "then is lost (the journal still holds the state).",
                    bullet=False,
                )
        slowest = max(x.start_seconds for x in r.restarts)
        if slowest > 0.4 * CLI_START_TIMEOUT:
            point(
                f"Note: the slowest start took {slowest:.1f} s; 'local_aws start' gives up after "
                f"{CLI_START_TIMEOUT:.0f} s, so a journal {CLI_START_TIMEOUT / slowest:.1f}x as large (or a machine that "
                "much slower) would not start.",
                bullet=False,
            )
    kinesis = next((r for r in runs if r.state.kind == "Kinesis" and r.state.count()), None)
    bound = ""
    if kinesis is not None and kinesis.built_files.get("journal.log"):
        per_record = kinesis.built_files["journal.log"] / kinesis.state.count()
        bound = f" (about {SNAPSHOT_EVERY_BYTES / per_record:,.0f} such Kinesis records, at {per_record:,.0f} journal bytes each)"
    point(
        f"The endpoint snapshots by itself once the journal passes {SNAPSHOT_EVERY_BYTES / MIB:,.0f} MiB{bound}; that "
        "bounds the replay after a crash. Below that size a crash means replaying every change since the last snapshot."
    )
    unchecked = [x.what for r in runs for x in r.restarts if not x.complete]
    if any(r.error for r in runs):
        point("At least one state run ended in an error (above): its figures are incomplete.")
    elif unchecked:
        point(f"The read-back after {', '.join(unchecked)} did not finish within its time budget, so that state was "
              "not checked; every read-back that finished matched what was acknowledged.")
    else:
        point(
            "Every restart gave back exactly what was acknowledged before it (S3 keys, sizes and ETags; per-shard record "
            "counts, last sequence numbers and data CRCs)."
        )


# --- main ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run (about 70 s)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    isolate_environment()
    began = time.perf_counter()

    durability = measure_durability(sizes)
    runs = [
        measure_restarts(S3State(sizes.s3_state_objects, sizes.s3_build_seconds), sizes),
        measure_restarts(KinesisState(sizes.kinesis_state_records, sizes.kinesis_build_seconds), sizes),
    ]

    print()
    print(f"durable state of the local endpoint ({'quick' if args.quick else 'full'} run)")
    print(
        f"python {platform.python_version()}, boto3 {boto3.__version__}, botocore {botocore.__version__}, "
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.machine()}"
    )
    print(f"Kinesis: {SHARDS}-shard stream, {RECORD_BYTES}-byte JSON records, limits off; one client thread, sequential calls")
    print()
    ratios = report_durability(durability, sizes)
    report_restarts(runs)
    what_this_shows(durability, ratios, runs)
    print(f"total bench time: {time.perf_counter() - began:.1f} s")
    return 1 if any(r.error for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
