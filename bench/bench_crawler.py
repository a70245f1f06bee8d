"""Benchmark: crawl time of the local endpoint's Glue crawler against the number of objects and partitions.

What is measured
----------------
For each layout -- N snappy Parquet objects of about 17 KiB (the Glue job's
curated columns), written under ``dt=YYYY-MM-DD/hour=HH/`` -- the script
measures, against one local endpoint (``python -m local_aws start``, in a
temporary home):

* the first crawl (``StartCrawler`` until the crawler is READY again): one
  table and its partitions created; seconds, objects per second, and the
  bytes the crawler read of the bytes stored (from the crawl's own log line:
  it reads Parquet footers, never whole files);
* a re-crawl with nothing changed (every object's schema is remembered by
  ETag, so only listing and comparing remain);
* a re-crawl after one new partition was added;
* the baseline, in the same run: a client-side crawl written with boto3
  against the same endpoint -- ``ListObjectsV2`` pages, then for each object
  two ranged ``GetObject`` calls (the last 8 bytes, then the footer) and
  pyarrow to parse it -- which reads exactly what the crawler reads, but
  through HTTP. It writes nothing to the catalog, so it is a lower bound for
  doing the crawler's job from outside the endpoint. It depends on the number
  of objects only, so it is measured once per object count.

Layouts: 100, 1,000 and 10,000 objects with one object per partition, and
10,000 objects in 100 partitions (100 objects each) -- so the cost of
partitions (catalog writes) and of objects (footer reads) can be told apart.
``--quick`` runs the 100 and 1,000 layouts only.

The script prints figures and ratios only; it never passes or fails on time.
It exits 0 unless something errors (the endpoint does not start, a crawl
fails, or a crawl does not catalogue every partition).

How to run
----------
``make bench`` runs every ``bench/bench_*.py`` with the venv's Python. Directly::

    .venv/bin/python bench/bench_crawler.py           # full run, about 7 minutes on 2 cores
    .venv/bin/python bench/bench_crawler.py --quick   # 100 and 1,000 objects, about 40 s

Progress goes to stderr, the report to stdout. The endpoint lives in a
temporary home directory and is always stopped, whatever happens.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import re
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import botocore
import botocore.config
import moto
import pyarrow as pa
import pyarrow.parquet as pq

REPO_ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
START_TIMEOUT = 90.0
STOP_TIMEOUT = 60.0
CRAWL_TIMEOUT = 1800.0
ROWS_PER_OBJECT = 400  # about 17 KiB of snappy Parquet with the columns below
UPLOAD_THREADS = 8

CLIENT_CONFIG = botocore.config.Config(region_name=REGION, retries={"mode": "standard", "max_attempts": 5},
                                       connect_timeout=5, read_timeout=300, max_pool_connections=UPLOAD_THREADS * 2)


@dataclass(frozen=True)
class Layout:
    objects: int
    partitions: int

    @property
    def label(self) -> str:
        return f"{self.objects:,} objects / {self.partitions:,} partitions"


FULL = [Layout(100, 100), Layout(1_000, 1_000), Layout(10_000, 10_000), Layout(10_000, 100)]
QUICK = [Layout(100, 100), Layout(1_000, 1_000)]


@dataclass
class Result:
    layout: Layout
    upload_seconds: float = 0.0
    stored_bytes: int = 0
    first_seconds: float = 0.0
    first_runtime: float = 0.0  # LastRuntimeSeconds reported by GetCrawlerMetrics
    bytes_read: int = 0
    reads: int = 0
    unchanged_seconds: float = 0.0
    one_more_seconds: float = 0.0
    baseline_seconds: float = 0.0
    baseline_bytes: int = 0
    notes: list[str] = field(default_factory=list)


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- data ---------------------------------------------------------------------------------


def parquet_object(seed: int) -> bytes:
    """One curated-like Parquet object (the Glue job's columns, without the partition columns)."""
    base = datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=seed)
    n = ROWS_PER_OBJECT
    table = pa.table({
        "event_id": pa.array([f"{seed:08d}-{i:04d}-4000-8000-{i * 7919 % 10**12:012d}" for i in range(n)]),
        "event_time": pa.array([base + timedelta(milliseconds=37 * i) for i in range(n)], pa.timestamp("us", tz="UTC")),
        "device_id": pa.array([f"sensor-{(seed + i) % 500:04d}" for i in range(n)]),
        "site": pa.array([("plant-a", "plant-b", "plant-c")[i % 3] for i in range(n)]),
        "sensor_type": pa.array([("temperature", "humidity", "pressure")[i % 3] for i in range(n)]),
        "unit": pa.array([("C", "%", "hPa")[i % 3] for i in range(n)]),
        "reading": pa.array([((seed * 31 + i * 17) % 10_000) / 100 for i in range(n)], pa.float64()),
        "battery_pct": pa.array([(seed + i) % 101 for i in range(n)], pa.int32()),
        "status": pa.array([("ok", "ok", "ok", "warn")[i % 4] for i in range(n)]),
        "batch_id": pa.array([seed // 10] * n, pa.int64()),
        "processed_at": pa.array([base] * n, pa.timestamp("us", tz="UTC")),
    })
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="snappy")
    return buffer.getvalue()


def partition_folder(p: int) -> str:
    moment = datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(hours=p)
    return f"dt={moment:%Y-%m-%d}/hour={moment:%H}"


def upload(s3, bucket: str, layout: Layout, bodies: list[bytes]) -> tuple[float, int]:
    """Write the layout's objects (threads, like a job's writers); (seconds, bytes)."""
    per_partition = layout.objects // layout.partitions

    def put(i: int) -> int:
        key = f"curated/readings/{partition_folder(i // per_partition)}/part-{i:06d}.snappy.parquet"
        body = bodies[i % len(bodies)]
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        return len(body)

    started = time.perf_counter()
    with ThreadPoolExecutor(UPLOAD_THREADS) as pool:
        total = sum(pool.map(put, range(layout.objects)))
    return time.perf_counter() - started, total


# --- the crawler ---------------------------------------------------------------------------


def crawl(glue, name: str) -> float:
    """Start the crawler, wait until READY with a new finished crawl; seconds. Raises if it did not succeed."""
    before = (glue.get_crawler(Name=name)["Crawler"].get("LastCrawl") or {}).get("MessagePrefix")
    started = time.perf_counter()
    glue.start_crawler(Name=name)
    deadline = time.monotonic() + CRAWL_TIMEOUT
    while True:
        crawler = glue.get_crawler(Name=name)["Crawler"]
        last = crawler.get("LastCrawl") or {}
        if crawler["State"] == "READY" and last.get("MessagePrefix") not in (None, before):
            elapsed = time.perf_counter() - started
            if last["Status"] != "SUCCEEDED":
                raise RuntimeError(f"crawl of {name} ended {last['Status']}: {last.get('ErrorMessage')}")
            return elapsed
        if time.monotonic() > deadline:
            raise RuntimeError(f"crawler {name} still {crawler['State']} after {CRAWL_TIMEOUT:.0f} s")
        time.sleep(0.05)


READ_LINE = re.compile(r"read ([\d,]+) of ([\d,]+) bytes .* in ([\d,]+) ranged reads")


def bytes_read(logs, name: str, crawl_id: str) -> tuple[int, int]:
    """(bytes read, ranged reads) from the crawl's BENCHMARK log line."""
    params = {"logGroupName": "/aws-glue/crawlers", "logStreamName": name, "startFromHead": True}
    while True:
        page = logs.get_log_events(**params)
        for event in page["events"]:
            if event["message"].startswith(f"[{crawl_id}]"):
                match = READ_LINE.search(event["message"])
                if match:
                    return int(match.group(1).replace(",", "")), int(match.group(3).replace(",", ""))
        if not page["events"] or page.get("nextForwardToken") == params.get("nextToken"):
            raise RuntimeError(f"no 'read ... bytes' line in the log of crawl {crawl_id}")
        params["nextToken"] = page["nextForwardToken"]


def client_side_crawl(s3, bucket: str, prefix: str) -> tuple[float, int, int]:
    """The baseline: list, then read each Parquet footer with two ranged GETs over HTTP; (seconds, objects, bytes)."""
    started = time.perf_counter()
    objects = read = 0
    schemas = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            tail = s3.get_object(Bucket=bucket, Key=obj["Key"], Range="bytes=-8")["Body"].read()
            length = struct.unpack("<I", tail[:4])[0]
            start = obj["Size"] - 8 - length
            footer = s3.get_object(Bucket=bucket, Key=obj["Key"], Range=f"bytes={start}-{start + length - 1}")["Body"].read()
            metadata = pq.read_metadata(pa.BufferReader(b"PAR1" + footer + tail))
            schemas.add(metadata.schema.to_arrow_schema().to_string())
            objects += 1
            read += len(tail) + len(footer)
    if len(schemas) != 1:
        raise RuntimeError(f"the baseline found {len(schemas)} schemas, expected 1")
    return time.perf_counter() - started, objects, read


def run_layout(url: str, layout: Layout, bodies: list[bytes], baselines: dict[int, tuple[float, int]]) -> Result:
    session = boto3.session.Session(aws_access_key_id="bench", aws_secret_access_key="bench", region_name=REGION)
    s3 = session.client("s3", endpoint_url=url, config=CLIENT_CONFIG)
    glue = session.client("glue", endpoint_url=url, config=CLIENT_CONFIG)
    logs = session.client("logs", endpoint_url=url, config=CLIENT_CONFIG)
    result = Result(layout)
    bucket = f"bench-crawl-{uuid.uuid4().hex[:8]}"
    database = f"bench_{uuid.uuid4().hex[:8]}"
    name = f"bench-{layout.objects}-{layout.partitions}"
    s3.create_bucket(Bucket=bucket)
    glue.create_database(DatabaseInput={"Name": database})
    glue.create_crawler(Name=name, Role="arn:aws:iam::123456789012:role/bench", DatabaseName=database,
                        Targets={"S3Targets": [{"Path": f"s3://{bucket}/curated/readings/"}]})

    progress(f"{layout.label}: uploading")
    result.upload_seconds, result.stored_bytes = upload(s3, bucket, layout, bodies)

    progress(f"{layout.label}: first crawl")
    result.first_seconds = crawl(glue, name)
    crawl_id = glue.get_crawler(Name=name)["Crawler"]["LastCrawl"]["MessagePrefix"]
    result.first_runtime = glue.get_crawler_metrics(CrawlerNameList=[name])["CrawlerMetricsList"][0]["LastRuntimeSeconds"]
    result.bytes_read, result.reads = bytes_read(logs, name, crawl_id)
    found = sum(len(p["Partitions"]) for p in glue.get_paginator("get_partitions").paginate(
        DatabaseName=database, TableName="readings"))
    if found != layout.partitions:
        raise RuntimeError(f"{layout.label}: the crawl catalogued {found} partitions")

    progress(f"{layout.label}: re-crawl, nothing changed")
    result.unchanged_seconds = crawl(glue, name)

    key = f"curated/readings/{partition_folder(layout.partitions)}/part-new.snappy.parquet"
    s3.put_object(Bucket=bucket, Key=key, Body=bodies[0])
    progress(f"{layout.label}: re-crawl after one new partition")
    result.one_more_seconds = crawl(glue, name)
    found = sum(len(p["Partitions"]) for p in glue.get_paginator("get_partitions").paginate(
        DatabaseName=database, TableName="readings"))
    if found != layout.partitions + 1:
        raise RuntimeError(f"{layout.label}: after one more partition the catalogue has {found}")
    s3.delete_object(Bucket=bucket, Key=key)

    if layout.objects not in baselines:  # it depends on the objects only, not on how they are partitioned
        progress(f"{layout.label}: baseline (boto3 list + ranged GETs of every footer)")
        seconds, objects, read = client_side_crawl(s3, bucket, "curated/readings/")
        if objects != layout.objects:
            raise RuntimeError(f"{layout.label}: the baseline read {objects} objects")
        baselines[layout.objects] = (seconds, read)
    result.baseline_seconds, result.baseline_bytes = baselines[layout.objects]
    return result


# --- the endpoint --------------------------------------------------------------------------


def start_endpoint(home: str) -> str:
    done = subprocess.run([sys.executable, "-m", "local_aws", "start", "--port", "0", "--home", home], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=START_TIMEOUT)
    if done.returncode != 0:
        raise RuntimeError(f"local_aws start failed: {done.stderr.strip()}")
    return done.stdout.strip().splitlines()[-1]


def stop_endpoint(home: str) -> None:
    try:
        done = subprocess.run([sys.executable, "-m", "local_aws", "stop", "--home", home], cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=STOP_TIMEOUT)
        if done.returncode != 0 and "not running" not in done.stderr:
            progress(f"warning: 'local_aws stop' said: {done.stderr.strip()}")
    except subprocess.TimeoutExpired:
        progress(f"warning: 'local_aws stop --home {home}' did not finish within {STOP_TIMEOUT:.0f} s")


# --- report --------------------------------------------------------------------------------


def fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def mib(n: int) -> str:
    return f"{n / 1024 / 1024:,.1f} MiB" if n >= 1024 * 1024 else f"{n / 1024:,.1f} KiB"


def print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(r[c]) for r in rows + [header]) for c in range(len(header))]

    def line(cells: list[str]) -> str:
        return " | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    print(line(header))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


def report(quick: bool, results: list[Result], total: float) -> None:
    print()
    print(f"Glue crawler on the local endpoint ({'quick' if quick else 'full'} run)")
    print(f"python {platform.python_version()}, boto3 {boto3.__version__}, botocore {botocore.__version__}, "
          f"moto {moto.__version__}, pyarrow {pa.__version__}, {os.cpu_count()} CPUs, {platform.system()} {platform.machine()}")
    size = sum(r.stored_bytes for r in results) / max(1, sum(r.layout.objects for r in results))
    print(f"objects: snappy Parquet, {ROWS_PER_OBJECT} rows x 11 columns, {size / 1024:.1f} KiB each; "
          "one table, partitions dt=/hour=")
    print()
    rows = []
    for r in results:
        rows.append([
            r.layout.label,
            fmt(r.first_seconds),
            f"{r.layout.objects / r.first_seconds:,.0f}",
            f"{mib(r.bytes_read)} of {mib(r.stored_bytes)} ({100 * r.bytes_read / r.stored_bytes:.1f} %)",
            fmt(r.unchanged_seconds),
            fmt(r.one_more_seconds),
            fmt(r.baseline_seconds),
            f"{r.first_seconds / r.baseline_seconds:.2f}",
        ])
    print_table(["layout", "first crawl s", "objects/s", "bytes read by the crawl", "re-crawl unchanged s",
                 "re-crawl +1 partition s", "baseline s", "crawl / baseline"], rows)
    print()
    print("first crawl: StartCrawler until READY with the crawl finished (creates the table and every partition);")
    print("re-crawl unchanged: every object listed and compared, none read again (schemas remembered by ETag);")
    print("baseline: boto3 against the same endpoint, ListObjectsV2 + 2 ranged GetObject per object + pyarrow,")
    print("reading the same footer bytes as the crawler but over HTTP and writing nothing to the catalog")
    print("(measured once per number of objects: it does not depend on the partitions).")
    print("A ratio below 1 means the crawl (which also writes the catalog) was faster than the baseline.")
    print()
    print("details:")
    for r in results:
        print(f"  {r.layout.label:<36} upload {fmt(r.upload_seconds)} s; crawler's LastRuntimeSeconds "
              f"{fmt(r.first_runtime)}; {r.reads:,} ranged reads in-process, baseline read {mib(r.baseline_bytes)}")
    print(f"total bench time: {total:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 and 1,000 objects only (about 40 s)")
    args = parser.parse_args(argv)
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL") or name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            del os.environ[name]
    layouts = QUICK if args.quick else FULL
    began = time.perf_counter()
    progress("building the Parquet objects")
    bodies = [parquet_object(seed) for seed in range(16)]
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-crawler-") as home:
        try:
            url = start_endpoint(home)
            progress(f"endpoint at {url} (home {home})")
            baselines: dict[int, tuple[float, int]] = {}
            for layout in layouts:
                results.append(run_layout(url, layout, bodies, baselines))
        finally:
            stop_endpoint(home)
    report(args.quick, results, time.perf_counter() - began)
    return 0


if __name__ == "__main__":
    sys.exit(main())
