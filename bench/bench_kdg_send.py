"""Benchmark: the kit's sender against a bare PutRecords loop, on the local endpoint, in one run.

What is measured
----------------
Sending the flagship ``sensor_fleet`` records (seeded) to a 4-shard stream on a
local endpoint started with ``--kinesis-limits off`` (so throttling does not
hide the client's own cost) and persistence on (the default):

* ``send_records`` -- the kit's sender: batching by count and size, per-entry
  result checks, retries bookkeeping, partition keys, no progress bar;
* baseline -- the same records, pre-batched by 500, sent with a bare
  ``put_records`` loop that checks nothing;
* render + send -- records rendered from the template on the fly while sending.

Each figure is records/s; the ratio sender / baseline is the cost of the
sender's guarantees. Runs alternate (baseline, sender, baseline, ...) to cancel
drift; the median of the rounds is printed. Never passes or fails on time.

    .venv/bin/python bench/bench_kdg_send.py [--quick]     # about 30 s (--quick: 10 s)
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpers.kdg import Generator, SimClock, compile_template, load_template  # noqa: E402
from helpers.kdg.sender import send_records  # noqa: E402


def local_aws(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "local_aws", *args], capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"local_aws {args[0]} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def generator() -> Generator:
    return Generator(compile_template(load_template("sensor_fleet")), seed=7, clock=SimClock("2026-01-01T00:00:00Z", 1000), tz="UTC")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    count, rounds = (5_000, 3) if args.quick else (20_000, 5)
    records = list(generator().records(count))

    with tempfile.TemporaryDirectory(prefix="bench-send-") as home:
        url = local_aws("start", "--port", "0", "--home", home, "--kinesis-limits", "off")
        try:
            kinesis = boto3.client("kinesis", endpoint_url=url, region_name="us-east-1",
                                   aws_access_key_id="x", aws_secret_access_key="y")
            kinesis.create_stream(StreamName="bench", ShardCount=4)
            results: dict[str, list[float]] = {"baseline": [], "sender": [], "render+send": []}
            batches = [[{"Data": r.encode(), "PartitionKey": str(i)} for i, r in enumerate(records[s:s + 500], start=s)]
                       for s in range(0, count, 500)]
            for _ in range(rounds):
                started = time.perf_counter()
                for batch in batches:
                    kinesis.put_records(StreamName="bench", Records=batch)
                results["baseline"].append(count / (time.perf_counter() - started))

                report = send_records("bench", records, kinesis=kinesis, progress=False, seed=1)
                assert report.sent == count and report.failed == 0, report.summary()
                results["sender"].append(report.rate)

                report = send_records("bench", generator().records(count), kinesis=kinesis, progress=False, seed=1)
                assert report.sent == count, report.summary()
                results["render+send"].append(report.rate)
        finally:
            local_aws("stop", "--home", home)

    base = statistics.median(results["baseline"])
    print(f"send {count:,} sensor_fleet records to a 4-shard stream (limits off, persistence on), median of {rounds} rounds")
    print(f"{'path':<14} | {'records/s':>10} | {'ratio to baseline':>17}")
    print(f"{'-' * 14}-+-{'-' * 10}-+-{'-' * 17}")
    for name, rates in results.items():
        median = statistics.median(rates)
        print(f"{name:<14} | {median:>10,.0f} | {median / base:>17.2f}")
    print("\nbaseline = bare put_records loop over pre-built batches of 500, results unchecked.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
