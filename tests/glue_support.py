"""Deploying and watching the real Glue streaming job in tests, and the exact per-record accounting
shared by the restart and bad-input tests."""

from __future__ import annotations

import io
import json
import time
from collections import Counter

import boto3
import pyarrow.parquet as pq
from support import ROOT

from helpers import glue as glue_helpers
from helpers import iam as iam_helpers
from helpers import kinesis
from helpers import s3 as s3_helpers
from helpers.kdg import FaultRates, Generator, SimClock, compile_template, load_template

SCRIPTS = ROOT / "glue_scripts"
DATASET = "sensor_readings"
FAULTS = FaultRates(malformed_json=0.03, out_of_range=0.03, wrong_type=0.03, missing_field=0.03, duplicate=0.05)
VALID_KINDS = ("clean", "duplicate")


# --- deploying and watching the real job ---------------------------------------------------------------------

def deploy_sensor_job(cfg, tag: str, shards: int, by_name: bool = False, **arguments: str) -> tuple[str, str, str]:
    """Stream, secure bucket, scripts, role and streaming job, as notebook 03 makes them: (stream, bucket, job).

    The job names its stream by ARN (``--stream_arn``), or by name with ``by_name``.
    """
    stream = cfg.name(f"{tag}-stream")
    summary = kinesis.ensure_stream(stream, shard_count=shards, tags=cfg.tags, verbose=False)
    bucket = f"{cfg.prefix}-{tag}-data"
    s3_helpers.ensure_bucket(bucket, cfg.region, tags=cfg.tags, verbose=False)
    for name in ("sensor_stream_etl.py", "sensor_transforms.py"):
        s3_helpers.upload(SCRIPTS / name, f"s3://{bucket}/scripts/{name}")
    policy = iam_helpers.glue_job_policy(summary["StreamARN"], bucket, "sensor_db", "123456789012", cfg.region)
    role = iam_helpers.ensure_role(cfg.name(f"{tag}-role"), iam_helpers.GLUE_TRUST_POLICY, policy, cfg.tags,
                                   verbose=False)
    job = cfg.name(f"{tag}-etl")
    glue_helpers.ensure_streaming_job(job, role, f"s3://{bucket}/scripts/sensor_stream_etl.py", arguments={
        "--extra-py-files": f"s3://{bucket}/scripts/sensor_transforms.py",
        **({"--stream_name": stream} if by_name else {"--stream_arn": summary["StreamARN"]}),
        "--bucket": bucket, **arguments,
    }, timeout_minutes=30, tags=cfg.tags, verbose=False)
    return stream, bucket, job


def labelled_records(n: int, seed: int) -> tuple[list[str], list[str]]:
    generator = Generator(compile_template(load_template("sensor_fleet")), seed=seed,
                          clock=SimClock("2026-01-01T00:00:00Z", 50), tz="UTC", faults=FAULTS)
    labelled = [generator.render_labelled() for _ in range(n)]
    return [r for r, _ in labelled], [k for _, k in labelled]


def keys(bucket: str, prefix: str) -> list[str]:
    return sorted(obj["Key"] for obj in s3_helpers.list_objects(f"s3://{bucket}/{prefix}"))


def batch_ids(bucket: str, prefix: str) -> list[int]:
    """Batch ids named by the objects under ``prefix`` (``offsets/3``, ``commits/3``, ``batch=3.json``)."""
    names = [k.rsplit("/", 1)[1] for k in keys(bucket, prefix)]
    return sorted(int(n.removeprefix("batch=").removesuffix(".json")) for n in names)


def read_json(bucket: str, key: str):
    return json.loads(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def read_rows(bucket: str, prefix: str) -> list[dict]:
    s3 = boto3.client("s3")
    rows: list[dict] = []
    for key in keys(bucket, prefix):
        assert key.endswith(".snappy.parquet"), key
        table = pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
        rows += [{**row, "_key": key} for row in table.to_pylist()]
    return rows


def metrics(bucket: str) -> dict[int, dict]:
    return {m["batch_id"]: m for m in (read_json(bucket, k) for k in keys(bucket, f"metrics/{DATASET}/"))}


def wait_for_batches(job: str, run_id: str, bucket: str, at_least: int, timeout: float = 600) -> None:
    """Until the metrics prefix shows ``at_least`` batches; the run must stay RUNNING meanwhile."""
    glue = boto3.client("glue")
    deadline = time.monotonic() + timeout
    while len(keys(bucket, f"metrics/{DATASET}/")) < at_least:
        run = glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]
        if run["JobRunState"] in glue_helpers.FINAL_STATES:
            tail = "\n".join(glue_helpers.run_log(run_id, errors=True)[-40:])
            raise AssertionError(f"run ended {run['JobRunState']} ({run.get('ErrorMessage')}) before "
                                 f"{at_least} batches:\n{tail}")
        assert time.monotonic() < deadline, f"fewer than {at_least} batches after {timeout} s"
        time.sleep(0.5)


def finished(job: str, run_id: str) -> dict:
    """The run once it has ended, whichever way (its log is shipped before its state changes)."""
    return glue_helpers.wait_for_run(job, run_id, glue_helpers.FINAL_STATES, timeout=900, poll=1)


def stream_records(stream: str) -> dict[str, list[tuple[int, bytes]]]:
    """Every record of every shard: (sequence number, data), in order."""
    kinesis_client = boto3.client("kinesis")
    found: dict[str, list[tuple[int, bytes]]] = {}
    for shard in kinesis_client.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis_client.get_shard_iterator(StreamName=stream, ShardId=shard["ShardId"],
                                                     ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        records: list[tuple[int, bytes]] = []
        while iterator:
            page = kinesis_client.get_records(ShardIterator=iterator, Limit=10_000)
            records += [(int(r["SequenceNumber"]), r["Data"]) for r in page["Records"]]
            if not page["Records"] and page.get("MillisBehindLatest", 0) == 0:
                break
            iterator = page.get("NextShardIterator")
        found[shard["ShardId"]] = records
    return found


def planned_batches(stream: str, bucket: str, job: str) -> dict[tuple[str, int], int]:
    """(shard, sequence number) -> the batch id the checkpoint's offset log planned it into; every record once."""
    root = f"checkpoints/{job}/stream/"
    plans = {i: read_json(bucket, f"{root}offsets/{i}") for i in batch_ids(bucket, f"{root}offsets/")}
    by_record: dict[tuple[str, int], int] = {}
    records = stream_records(stream)
    for batch_id, plan in plans.items():
        assert plan["batch_id"] == batch_id
        for shard, info in plan["shards"].items():
            first, last = int(info["first_seq"]), int(info["last_seq"])
            mine = [seq for seq, _ in records[shard] if first <= seq <= last]
            assert len(mine) == info["count"], (batch_id, shard, info)
            for seq in mine:
                assert (shard, seq) not in by_record, f"record {shard}/{seq} planned twice"
                by_record[(shard, seq)] = batch_id
    every = {(shard, seq) for shard, recs in records.items() for seq, _ in recs}
    assert set(by_record) == every, f"{len(every - set(by_record))} records were never planned into a batch"
    return by_record


def expected_outputs(stream: str, bucket: str, job: str, valid_text: dict[str, bool]):
    """(curated (event_id, batch) Counter, quarantine (raw payload, batch) Counter, duplicates) from the stream
    and the plans: within a batch one curated row per valid event id; every invalid record quarantined."""
    plan = planned_batches(stream, bucket, job)
    curated: set[tuple[str, int]] = set()
    valid_records = 0
    quarantine: Counter = Counter()
    for shard, records in stream_records(stream).items():
        for seq, data in records:
            text = data.decode("utf-8")
            batch_id = plan[(shard, seq)]
            if valid_text[text]:
                curated.add((json.loads(text)["event_id"].lower(), batch_id))
                valid_records += 1
            else:
                quarantine[(text, batch_id)] += 1
    return Counter(curated), quarantine, valid_records - len(curated)


def check_every_record_exactly_once(stream: str, bucket: str, job: str, records: list[str], labels: list[str]):
    """The curated and quarantine tables and the metrics against what was sent; returns the metrics."""
    valid_text = {}
    for record, kind in zip(records, labels):
        valid_text[record] = kind in VALID_KINDS
    want_curated, want_quarantine, want_duplicates = expected_outputs(stream, bucket, job, valid_text)
    curated = read_rows(bucket, f"curated/{DATASET}/")
    quarantine = read_rows(bucket, f"quarantine/{DATASET}/")
    got_curated = Counter((r["event_id"], r["batch_id"]) for r in curated)
    twice = {pair: n for pair, n in got_curated.items() if n > 1}
    assert not twice, f"event ids curated twice in one batch: {list(twice.items())[:5]}"
    assert got_curated == want_curated
    assert Counter((q["raw_payload"], q["batch_id"]) for q in quarantine) == want_quarantine
    by_batch = metrics(bucket)
    assert sorted(by_batch) == list(range(len(by_batch))), f"batch ids not contiguous: {sorted(by_batch)}"
    commits = batch_ids(bucket, f"checkpoints/{job}/stream/commits/")
    assert commits == sorted(by_batch)
    totals = {k: sum(m[k] for m in by_batch.values()) for k in ("read", "curated", "quarantined", "duplicates")}
    assert totals == {"read": len(records), "curated": len(curated), "quarantined": len(quarantine),
                      "duplicates": want_duplicates}
    assert len(curated) + len(quarantine) + totals["duplicates"] == len(records)
    for batch_id, m in by_batch.items():  # each batch's metrics describe its own rows
        assert m["curated"] == sum(1 for r in curated if r["batch_id"] == batch_id)
        assert m["quarantined"] == sum(1 for q in quarantine if q["batch_id"] == batch_id)
    assert keys(bucket, f"checkpoints/{job}/output/staging/") == []
    return by_batch


# --- stop, kill, restart: every record exactly once -------------------------------------------------------------
