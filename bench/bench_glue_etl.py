"""Benchmark: the Glue job's cleaning against a plain Spark JSON-to-Parquet job, and the job end to end.

What is measured
----------------
1. **Spark start-up**: a cold ``SparkSession`` (JVM launch, session, first
   trivial job) with the job process's settings (``local[2]``, 4 shuffle
   partitions, UTC, INT64 timestamps, no UI -- ``awsglue/_local/env.py``) and a
   Java 17-21 found by ``local_aws/engines/glue_jobs/java.py``. Reported on its
   own, not counted in the throughputs below.
2. **Transformation throughput** on ``--records`` seeded ``sensor_fleet``
   records (default 1,000,000; 100,000 with ``--quick``) with the faults of the
   end-to-end test (2 % each of malformed JSON, out-of-range, wrong type,
   missing field; 3 % duplicates). The records are shaped as the Kinesis source
   hands a batch to ``forEachBatch`` (``awsglue/_local/microbatch.py``): one
   string column ``$json$data_infer_schema$_temporary$`` cast from the bytes of
   a Parquet ``data`` column, persisted and counted before the batch function
   runs (not timed). Both legs read that same cached frame:

   * **baseline** -- plain Spark JSON to Parquet: ``from_json`` with the declared
     schema (``sensor_transforms.FIELDS``), ``event_time`` cast to a timestamp,
     ``dt``/``hour`` derived from it, written as snappy Parquet partitioned by
     ``dt``/``hour``. No validation, no de-duplication, no quarantine.
   * **job** -- what the job's batch function does with Spark:
     ``sensor_transforms.clean_batch`` (parse, normalise, validate, de-duplicate,
     count), then the curated records written as snappy Parquet partitioned by
     ``dt``/``hour`` and the quarantined ones by ``dt``, each repartitioned by its
     partition keys first as ``sensor_stream_etl.write_parquet`` does.
     Local files: the S3 upload and publishing are not part of it.

   Figures are records/s (records read / wall time); the ratio job / baseline is
   the cost of cleaning (issue 5's target is >= 0.8). Legs alternate (baseline,
   job, baseline, ...) to cancel drift; medians are printed, and the job's time
   split into ``clean_batch`` (its one counting job) and the two writes.
3. **Stream to curated Parquet through StartJobRun** on a throwaway local
   endpoint: ``--stream-records`` records (default 100,000; 10,000 with
   ``--quick``) are sent to a 4-shard stream with ``send_records``; the bucket,
   role, job and scripts are deployed with the helpers as in
   ``tests/test_glue_end_to_end.py``; the run (window 2 s,
   ``--local_max_idle_seconds``) is timed from ``StartJobRun`` until the metrics
   prefix accounts for every record sent (``read`` summed over the batches).
   The job's own log gives the split: Spark start-up (``StartJobRun`` until the
   script's first log line, written once its ``SparkContext`` exists) and the
   batches' ``seconds`` from their metrics.

Never passes or fails on time; exits non-zero only when something errors (the
accounting of every leg is checked: curated + quarantined + duplicates = read).
Timings on a shared 2-core machine are noisy: compare the ratios within a run.

    .venv/bin/python bench/bench_glue_etl.py            # about 6-10 min on 2 cores
    .venv/bin/python bench/bench_glue_etl.py --quick    # about 2 min
    .venv/bin/python bench/bench_glue_etl.py --records 300000 --rounds 5 --no-stream
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "glue_scripts"))

from helpers.kdg import FaultRates, Generator, SimClock, compile_template, load_template  # noqa: E402

GLUE_JOBS = ROOT / "local_aws" / "engines" / "glue_jobs"
RAW = "$json$data_infer_schema$_temporary$"  # the column Glue's Kinesis source hands forEachBatch
FAULTS = FaultRates(malformed_json=0.02, out_of_range=0.02, wrong_type=0.02, missing_field=0.02, duplicate=0.03)
PROCESSED_AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def load_by_path(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


TRANSFORMS = ROOT / "glue_scripts" / "sensor_transforms.py"


def load_transforms(path: Path):
    """``sensor_transforms`` as the job imports it (a top-level module), or another version of it (``--transforms``)."""
    if Path(path).resolve() == TRANSFORMS.resolve():
        import sensor_transforms  # glue_scripts/ is on sys.path

        return sensor_transforms
    spec = importlib.util.spec_from_file_location("sensor_transforms_under_test", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def generator(seed: int = 42) -> Generator:
    # 100 records per simulated second: 1M records span about 2.8 hours, so 3 hour partitions.
    return Generator(compile_template(load_template("sensor_fleet")), seed=seed,
                     clock=SimClock(start="2026-01-01T00:00:00Z", rate=100), tz="UTC", faults=FAULTS)


# -- Spark ----------------------------------------------------------------------------------------------


def start_spark():
    """A local SparkSession set up like the job process (env.py's settings); (session, seconds to first job)."""
    env = load_by_path("_bench_glue_env", GLUE_JOBS / "awsglue" / "_local" / "env.py")
    java = load_by_path("_bench_glue_java", GLUE_JOBS / "java.py")
    os.environ.update(java.java_environment(os.environ))
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    started = time.perf_counter()
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master("local[2]").appName("bench-glue-etl")
    for key, value in env.SPARK_CONF.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    session_ready = time.perf_counter() - started
    spark.sparkContext.setLogLevel("ERROR")
    spark.range(1).count()
    return spark, session_ready, time.perf_counter() - started


def batch_frame(spark, records: list[str], folder: Path):
    """The records as the local Kinesis source hands them to forEachBatch: persisted, counted."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"data": pa.array([r.encode() for r in records], pa.binary())}), folder / "records.parquet")
    frame = spark.read.parquet(str(folder)).select(F.col("data").cast("string").alias(RAW))
    frame.persist(StorageLevel.MEMORY_AND_DISK)
    assert frame.count() == len(records)
    return frame


def write_parquet(frame, path: Path, keys: tuple[str, ...]) -> None:
    """As the job: repartition by the partition keys (``write_parquet`` in the script), then what the local
    Glue writer does with the frame (``GlueContext.write_dynamic_frame_from_options``): skip it if empty,
    else write it with Spark."""
    frame = frame.repartition(*keys)
    if frame.isEmpty():
        return
    frame.write.mode("overwrite").partitionBy(*keys).option("compression", "snappy").parquet(str(path))


def run_baseline(st, frame, out: Path) -> dict[str, float]:
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    schema = T.StructType([T.StructField(f.name, f.json_type) for f in st.FIELDS])
    started = time.perf_counter()
    parsed = frame.select(F.from_json(F.col(f"`{RAW}`"), schema).alias("r")).select("r.*")
    event_time = F.to_timestamp("event_time")
    parsed.select(*[c for c in parsed.columns if c != "event_time"], event_time.alias("event_time"),
                  F.date_format(event_time, "yyyy-MM-dd").alias("dt"), F.date_format(event_time, "HH").alias("hour")) \
        .write.mode("overwrite").partitionBy("dt", "hour").option("compression", "snappy").parquet(str(out))
    return {"total": time.perf_counter() - started}


def run_job(st, frame, out: Path, batch_id: int) -> tuple[dict[str, float], dict[str, int]]:
    started = time.perf_counter()
    result = st.clean_batch(frame, batch_id, PROCESSED_AT)
    clean = time.perf_counter() - started
    try:
        if result.counts["curated"]:
            write_parquet(result.curated, out / "curated", st.CURATED_PARTITIONS)
        written = time.perf_counter() - started
        if result.counts["quarantined"]:
            write_parquet(result.quarantine, out / "quarantine", st.QUARANTINE_PARTITIONS)
    finally:
        result.unpersist()
    total = time.perf_counter() - started
    return {"total": total, "clean": clean, "curated": written - clean, "quarantine": total - written}, result.counts


def parquet_rows(spark, path: Path) -> int:
    return spark.read.parquet(str(path)).count() if path.exists() else 0


def transformation(spark, records: list[str], expected: dict[str, int], rounds: int, work: Path,
                   transforms: Path = TRANSFORMS) -> list[str]:
    st = load_transforms(transforms)

    n = len(records)
    # Warm-up, not timed: both legs once on a slice, so the JIT has compiled the hot paths of both
    # (the first run of each is several times slower than the next).
    warm = batch_frame(spark, records[:min(n, 100_000)], work / "warm-up")
    run_baseline(st, warm, work / "warm-baseline")
    run_job(st, warm, work / "warm-job", 0)
    warm.unpersist()
    frame = batch_frame(spark, records, work / "source")
    times: dict[str, list[float]] = {"baseline": [], "job": [], "clean": [], "curated": [], "quarantine": []}
    for round_ in range(rounds):
        out = work / f"baseline-{round_}"
        times["baseline"].append(run_baseline(st, frame, out)["total"])
        if round_ == 0:
            assert parquet_rows(spark, out) == n, "the baseline lost records"
        shutil.rmtree(out, ignore_errors=True)
        out = work / f"job-{round_}"
        split, counts = run_job(st, frame, out, round_ + 1)
        for key in ("clean", "curated", "quarantine"):
            times[key].append(split[key])
        times["job"].append(split["total"])
        if counts["curated"] + counts["quarantined"] + counts["duplicates"] != counts["read"] or counts["read"] != n:
            raise SystemExit(f"the job's accounting does not add up: {counts}")
        if round_ == 0:
            assert parquet_rows(spark, out / "curated") == counts["curated"], "curated rows differ from the count"
            assert parquet_rows(spark, out / "quarantine") == counts["quarantined"], "quarantine rows differ"
            if expected and (counts["duplicates"] != expected["duplicate"]
                             or counts["quarantined"] != n - expected["clean"] - expected["duplicate"]):
                raise SystemExit(f"the job's counts {counts} do not match the injected faults {expected}")
            first_counts = counts
        shutil.rmtree(out, ignore_errors=True)
        progress(f"round {round_ + 1}/{rounds}: baseline {times['baseline'][-1]:.1f} s, job {times['job'][-1]:.1f} s "
                 f"(clean {split['clean']:.1f} s)")
    frame.unpersist()

    base, job = statistics.median(times["baseline"]), statistics.median(times["job"])
    lines = [f"transformation: {n:,} sensor_fleet records with faults, median of {rounds} rounds (alternating)",
             f"  job counts: {first_counts}",
             f"{'leg':<40} | {'seconds':>8} | {'records/s':>10} | {'ratio to baseline':>17}",
             f"{'-' * 40}-+-{'-' * 8}-+-{'-' * 10}-+-{'-' * 17}",
             f"{'baseline: from_json -> Parquet (dt/hour)':<40} | {base:>8.2f} | {n / base:>10,.0f} | {1:>17.2f}",
             f"{'job: clean_batch + curated + quarantine':<40} | {job:>8.2f} | {n / job:>10,.0f} | {base / job:>17.2f}"]
    for key, label in (("clean", "  of which clean_batch (counting job)"), ("curated", "  of which curated write"),
                       ("quarantine", "  of which quarantine write")):
        lines.append(f"{label:<40} | {statistics.median(times[key]):>8.2f} | {'':>10} | {'':>17}")
    return lines


# -- the job end to end through StartJobRun -----------------------------------------------------------


def local_aws(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "local_aws", *args], capture_output=True, text=True, cwd=ROOT,
                          stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise SystemExit(f"local_aws {args[0]} failed: {done.stderr.strip()}")
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


_LOG_STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}),(\d{3}) \w+ \[main\] glue\.GlueLogger: (.*)$")


def _log_time(line: str) -> tuple[float, str] | None:
    match = _LOG_STAMP.match(line)
    if not match:
        return None
    moment = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    return moment.timestamp() + int(match.group(2)) / 1000, match.group(3)


def stream_to_parquet(count: int, idle_seconds: int) -> list[str]:
    home = tempfile.mkdtemp(prefix="bench-glue-")
    url = local_aws("start", "--port", "0", "--home", home, "--kinesis-limits", "off")
    saved = dict(os.environ)
    try:
        for name in [n for n in os.environ if n.startswith(("AWS_", "DSCA_"))]:
            del os.environ[name]
        os.environ.update({"DSCA_TARGET": "local", "DSCA_PREFIX": "bench-glue", "DSCA_ENDPOINT_URL": url,
                           "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"})
        import boto3

        import helpers
        from helpers import glue as glue_helpers
        from helpers import iam as iam_helpers
        from helpers import kinesis as kinesis_helpers
        from helpers import s3 as s3_helpers
        from helpers.kdg.sender import send_records

        cfg = helpers.setup(quiet=True)
        stream = cfg.name("bench-stream")
        summary = kinesis_helpers.ensure_stream(stream, shard_count=4, tags=cfg.tags, verbose=False)
        progress(f"stream: sending {count:,} records")
        gen = generator(seed=11)
        report = send_records(stream, gen.records(count), progress=False, seed=11)
        assert report.sent == count, report.summary()
        bucket = f"{cfg.prefix}-data"
        s3_helpers.ensure_bucket(bucket, cfg.region, tags=cfg.tags, verbose=False)
        for name in ("sensor_stream_etl.py", "sensor_transforms.py"):
            s3_helpers.upload(ROOT / "glue_scripts" / name, f"s3://{bucket}/scripts/{name}")
        policy = iam_helpers.glue_job_policy(summary["StreamARN"], bucket, "sensor_db", "123456789012", cfg.region)
        role = iam_helpers.ensure_role(cfg.name("glue-role"), iam_helpers.GLUE_TRUST_POLICY, policy, cfg.tags,
                                       verbose=False)
        job = cfg.name("sensor-etl")
        glue_helpers.ensure_streaming_job(job, role, f"s3://{bucket}/scripts/sensor_stream_etl.py", arguments={
            "--extra-py-files": f"s3://{bucket}/scripts/sensor_transforms.py",
            "--stream_arn": summary["StreamARN"], "--bucket": bucket, "--window_size": "2 seconds",
        }, timeout_minutes=60, tags=cfg.tags, verbose=False)
        s3 = boto3.client("s3")
        glue = boto3.client("glue")

        progress("stream: StartJobRun")
        started = time.time()
        run_id = glue_helpers.start_run(job, {"--local_max_idle_seconds": str(idle_seconds)})
        metrics: dict[str, dict] = {}
        accounted = None
        while accounted is None:
            for obj in s3_helpers.list_objects(f"s3://{bucket}/metrics/sensor_readings/"):
                if obj["Key"] not in metrics:
                    metrics[obj["Key"]] = json.loads(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
            if sum(m["read"] for m in metrics.values()) >= count:
                accounted = time.time()
                break
            run = glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]
            if run["JobRunState"] in ("FAILED", "STOPPED", "TIMEOUT", "ERROR"):
                raise SystemExit(f"the job run ended {run['JobRunState']}: {run.get('ErrorMessage')}")
            if run["JobRunState"] == "SUCCEEDED" and time.time() - started > 5:
                found = sum(m["read"] for m in metrics.values())
                if found < count and not s3_helpers.list_objects(f"s3://{bucket}/metrics/sensor_readings/"):
                    raise SystemExit("the job run SUCCEEDED without writing metrics")
            time.sleep(0.2)
        run = glue_helpers.wait_for_run(job, run_id, ("SUCCEEDED",), timeout=600, poll=0.5)
        if run["JobRunState"] != "SUCCEEDED":
            raise SystemExit(f"the job run ended {run['JobRunState']}: {run.get('ErrorMessage')}")
        ended = time.time()
        started_on = run["StartedOn"].timestamp()

        totals = {key: sum(m[key] for m in metrics.values()) for key in ("read", "curated", "quarantined", "duplicates")}
        if totals["read"] != count or totals["curated"] + totals["quarantined"] + totals["duplicates"] != count:
            raise SystemExit(f"the run's accounting does not add up: {totals} for {count} sent")
        curated_rows = 0
        import io

        import pyarrow.parquet as pq
        for obj in s3_helpers.list_objects(f"s3://{bucket}/curated/sensor_readings/"):
            curated_rows += pq.read_metadata(io.BytesIO(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())).num_rows
        if curated_rows != totals["curated"]:
            raise SystemExit(f"{curated_rows} curated rows in S3, the metrics say {totals['curated']}")

        lines = [glue_helpers.run_log(run_id, errors=True)]
        stamps = [_log_time(line) for line in lines[0]]
        first = next((t for t, message in (s for s in stamps if s) if message.startswith("sensor_stream_etl")), None)
        first_batch_plan = next((t for t, message in (s for s in stamps if s) if message.startswith("forEachBatch")), None)
        batches = sorted(metrics.values(), key=lambda m: m["batch_id"])
        batch_seconds = sum(m["seconds"] for m in batches)
        steps: dict[str, float] = {}
        for m in batches:
            for key, value in m.get("seconds_by_step", {}).items():
                steps[key] = steps.get(key, 0.0) + value
        span = accounted - started
        out = [f"stream to curated Parquet through StartJobRun: {count:,} records sent to a 4-shard stream, window 2 s",
               f"  accounting: {totals}, {len(batches)} batch(es) of "
               f"{', '.join(str(m['read']) for m in batches[:8])}{' ...' if len(batches) > 8 else ''}",
               f"  StartJobRun -> every record in the metrics: {span:8.2f} s  = {count / span:>9,.0f} records/s",
               f"  of which job start-up (StartJobRun -> script's first log line, Spark started): "
               f"{(first - started_on) if first else float('nan'):.2f} s",
               f"  of which batch functions (metrics 'seconds'): {batch_seconds:.2f} s "
               f"({', '.join(f'{k} {v:.2f}' for k, v in steps.items())})",
               f"  excluding start-up: {count / (accounted - first) if first else float('nan'):>9,.0f} records/s",
               f"  run ended {ended - started:.1f} s after StartJobRun "
               f"(idle stop after {idle_seconds} s without new records)"]
        if first_batch_plan and first:
            out.insert(4, f"  of which GlueContext / Kinesis set-up before the first batch: {first_batch_plan - first:.2f} s")
        return out
    finally:
        os.environ.clear()
        os.environ.update(saved)
        subprocess.run([sys.executable, "-m", "local_aws", "stop", "--home", home], capture_output=True, cwd=ROOT)
        shutil.rmtree(home, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 records, 10,000 through the stream (about 2 min)")
    parser.add_argument("--records", type=int, help="records for the transformation legs (default 1,000,000)")
    parser.add_argument("--rounds", type=int, help="rounds of baseline + job (default 3)")
    parser.add_argument("--stream-records", type=int, help="records sent through StartJobRun (default 100,000)")
    parser.add_argument("--no-stream", action="store_true", help="skip the StartJobRun leg")
    parser.add_argument("--no-transform", action="store_true", help="skip the transformation legs")
    parser.add_argument("--transforms", type=Path, default=TRANSFORMS,
                        help="the sensor_transforms.py to measure (default: glue_scripts/'s), e.g. an older version "
                             "from `git show <rev>:glue_scripts/sensor_transforms.py`")
    args = parser.parse_args()
    records_n = args.records or (100_000 if args.quick else 1_000_000)
    rounds = args.rounds or 3
    stream_n = args.stream_records or (10_000 if args.quick else 100_000)

    report: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="bench-glue-etl-"))
    try:
        if not args.no_transform:
            progress(f"generating {records_n:,} records")
            gen = generator()
            records = list(gen.records(records_n))
            progress("starting Spark")
            spark, session_seconds, first_job_seconds = start_spark()
            report += ["Spark start-up (local[2], the job process's settings, Java from java.py):",
                       f"  SparkSession.getOrCreate (JVM launch + session): {session_seconds:6.2f} s",
                       f"  ... and its first job (spark.range(1).count()):  {first_job_seconds:6.2f} s", ""]
            report += transformation(spark, records, dict(gen.fault_counts), rounds, work, args.transforms)
            report.append("")
            del records
            spark.stop()
        if not args.no_stream:
            report += stream_to_parquet(stream_n, idle_seconds=3)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n".join(report).rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
