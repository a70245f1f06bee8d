"""Bad input for the Glue streaming job, through StartJobRun on the local endpoint with the real script.

* a stream or an output bucket that does not exist, a bucket the job may not write: the run ends FAILED with
  one readable sentence as ``ErrorMessage``, the same sentence is in ``/aws-glue/jobs/error``, and the endpoint
  keeps serving;
* records that are not UTF-8, not JSON, not an object, with extra or missing fields, and a producer that changes
  its schema mid-stream: quarantined with the right reason codes while the job keeps running, and every record
  accounted for;
* an output prefix the job may not write (a bucket policy's Deny): the failing batch is retried, the run fails,
  and once the policy is fixed the next run re-runs that batch and finds every record exactly once.
"""

from __future__ import annotations

import base64
import io
import json
import time
from collections import Counter

import boto3
import pyarrow.parquet as pq
from glue_support import (
    DATASET,
    batch_ids,
    check_every_record_exactly_once,
    deploy_sensor_job,
    finished,
    keys,
    labelled_records,
    metrics,
    read_rows,
    wait_for_batches,
)

from helpers import glue as glue_helpers
from helpers import s3 as s3_helpers
from helpers.kdg import Generator, SimClock, compile_template, load_template
from helpers.kdg.sender import send_records


def failed_with(job: str, run_id: str, message: str | None = None) -> str:
    """The run ended FAILED with one readable line, also found in its error log; returns that line."""
    run = finished(job, run_id)
    assert run["JobRunState"] == "FAILED", run
    error = run.get("ErrorMessage", "")
    if message is not None:
        assert error == message
    assert error and "\n" not in error and len(error) < 400 and not error.startswith(("File ", "Traceback")), error
    assert error in [line.strip() for line in glue_helpers.run_log(run_id, errors=True)]
    return error


def clean_records(n: int, seed: int, start: str = "2026-01-01T00:00:00Z") -> list[str]:
    return list(Generator(compile_template(load_template("sensor_fleet")), seed=seed, clock=SimClock(start, 50),
                          tz="UTC").records(n))


# --- the run fails, in one sentence ---------------------------------------------------------------------------

def test_missing_stream_missing_bucket_and_a_bucket_it_may_not_write_fail_the_run_in_one_sentence(cfg):
    stream, bucket, job = deploy_sensor_job(cfg, "badcfg", shards=1, by_name=True, **{"--window_size": "1 second"})
    glue = boto3.client("glue")  # each run overrides one of the job's arguments
    arn = boto3.client("kinesis").describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamARN"]
    missing = cfg.name("no-such-stream")
    runs = []

    # a stream name that names no stream: found out before Spark starts
    runs.append(glue.start_job_run(JobName=job, Arguments={"--stream_name": missing})["JobRunId"])
    failed_with(job, runs[-1], f"ValueError: the Kinesis stream '{missing}' does not exist in {cfg.region}")

    # an output bucket that does not exist
    runs.append(glue.start_job_run(JobName=job, Arguments={"--bucket": f"{cfg.prefix}-no-such-bucket"})["JobRunId"])
    failed_with(job, runs[-1], f"ValueError: the output bucket '{cfg.prefix}-no-such-bucket' cannot be used (404): "
                               "create it first, or give the job's role access to it")

    # a bucket whose policy denies writing
    locked = f"{cfg.prefix}-badcfg-locked"
    s3_helpers.ensure_bucket(locked, cfg.region, tags=cfg.tags, verbose=False)
    policy = s3_helpers.tls_only_policy(locked)
    policy["Statement"].append({"Sid": "NoWrites", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                                "Resource": f"arn:aws:s3:::{locked}/*"})
    boto3.client("s3").put_bucket_policy(Bucket=locked, Policy=json.dumps(policy))
    runs.append(glue.start_job_run(JobName=job, Arguments={"--bucket": locked})["JobRunId"])
    error = failed_with(job, runs[-1])
    assert error.startswith(f"ValueError: the job cannot read and write its checkpoint under s3://{locked}/checkpoints/"), error
    assert ("(AccessDenied)" in error or "(403)" in error) and "give its role s3:GetObject, s3:PutObject" in error, error
    assert keys(locked, "") == []

    # a stream ARN that names no stream (it wins over --stream_name): the Kinesis source finds out once Spark runs
    missing_arn = arn.rsplit("/", 1)[0] + "/" + missing
    runs.append(glue.start_job_run(JobName=job, Arguments={"--stream_arn": missing_arn})["JobRunId"])
    error = failed_with(job, runs[-1])
    assert f"Kinesis stream '{missing}' does not exist" in error, error

    # the endpoint kept serving all along, and still runs the job
    assert [r["Id"] for r in glue.get_job_runs(JobName=job)["JobRuns"]] == runs[::-1]
    assert stream in boto3.client("kinesis").list_streams()["StreamNames"]
    assert bucket in [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]


RAISES_THEN_TALKS = """
import atexit, sys
atexit.register(lambda: print("INFO ShutdownHookManager: Deleting directory /tmp/spark-0", file=sys.stderr))
class StreamGone(Exception):
    pass
print("reading the stream", file=sys.stderr)
raise StreamGone("the stream went away while the job was reading it")
"""


def test_the_error_message_is_the_exception_even_when_more_is_logged_after_it(cfg):
    """A script's exception of any class name is the run's ErrorMessage, not what shutdown logs after it."""
    bucket = f"{cfg.prefix}-raises-data"
    s3_helpers.ensure_bucket(bucket, cfg.region, tags=cfg.tags, verbose=False)
    boto3.client("s3").put_object(Bucket=bucket, Key="scripts/raises.py", Body=RAISES_THEN_TALKS.encode())
    job = cfg.name("raises")
    glue_helpers.ensure_streaming_job(job, "arn:aws:iam::123456789012:role/glue", f"s3://{bucket}/scripts/raises.py",
                                      timeout_minutes=5, tags=cfg.tags, verbose=False)
    run_id = glue_helpers.start_run(job)
    failed_with(job, run_id, "StreamGone: the stream went away while the job was reading it")
    assert glue_helpers.run_log(run_id, errors=True)[-1] == "INFO ShutdownHookManager: Deleting directory /tmp/spark-0"


# --- bad records and a schema change mid-stream: quarantined, the job keeps running -------------------------------

def test_bad_records_and_a_schema_change_mid_stream_are_quarantined_with_reasons_and_the_job_keeps_running(cfg):
    stream, bucket, job = deploy_sensor_job(cfg, "badrec", shards=2, **{"--window_size": "1 second"})
    kinesis = boto3.client("kinesis")

    def put(entries: list[tuple[bytes, str]]) -> None:
        for start in range(0, len(entries), 500):
            chunk = entries[start:start + 500]
            answer = kinesis.put_records(StreamName=stream, Records=[{"Data": d, "PartitionKey": k} for d, k in chunk])
            assert answer.get("FailedRecordCount", 0) == 0

    good = clean_records(240, seed=3)
    clean_before, spare, clean_after, changing = good[:150], good[150:160], good[160:190], good[190:]
    with_extra = json.loads(spare[1]) | {"firmware": "2.1.0", "tags": ["roof", "north"]}
    without_two = {k: v for k, v in json.loads(spare[2]).items() if k not in ("device_id", "status")}
    not_utf8 = b'{"event_id": "caf\xe9-1", "reading": 1}'  # Latin-1, not UTF-8
    bad_before = {
        spare[0][:37]: "MALFORMED_JSON",  # cut short
        "[1, 2, 3]": "NOT_AN_OBJECT",
        json.dumps(without_two): "MISSING_FIELD:device_id",
        "{}": "MISSING_FIELD:event_id",
    }
    before = [(r.encode(), f"k{n}") for n, r in enumerate(clean_before)]
    before.insert(10, (clean_before[9].encode(), "k9"))  # a duplicate, next to its original: same shard, same batch
    before += [(text.encode(), f"b{n}") for n, text in enumerate(bad_before)]
    before += [(not_utf8, "u"), (json.dumps(with_extra).encode(), "x")]
    put(before)

    run_id = glue_helpers.start_run(job)
    wait_for_batches(job, run_id, bucket, at_least=1)

    # the producer changes its schema: `reading` as a string, then renamed to `value`
    as_string = [json.dumps(json.loads(r) | {"reading": str(json.loads(r)["reading"])}) for r in changing[:25]]
    renamed = []
    for r in changing[25:]:
        data = json.loads(r)
        data["value"] = data.pop("reading")
        renamed.append(json.dumps(data))
    after = as_string + renamed + clean_after
    put([(r.encode(), f"a{n}") for n, r in enumerate(after)])
    sent = len(before) + len(after)

    glue = boto3.client("glue")
    deadline = time.monotonic() + 600
    while sum(m["read"] for m in metrics(bucket).values()) < sent:
        assert glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]["JobRunState"] == "RUNNING"
        assert time.monotonic() < deadline, "the job did not read the records sent after the change"
        time.sleep(0.5)
    assert glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]["JobRunState"] == "RUNNING"  # it keeps running
    run = glue_helpers.stop_run(job, run_id)
    assert run["JobRunState"] == "STOPPED", run

    curated = read_rows(bucket, f"curated/{DATASET}/")
    quarantine = read_rows(bucket, f"quarantine/{DATASET}/")
    by_batch = metrics(bucket)
    assert sorted(by_batch) == list(range(len(by_batch))) and len(by_batch) >= 2

    # every bad record, with its payload as sent and its reason
    want = dict(bad_before) | {r: "WRONG_TYPE:reading" for r in as_string} | {r: "MISSING_FIELD:reading" for r in renamed}
    got = {q["raw_payload"]: q["reason"] for q in quarantine if q["reason"] != "NOT_UTF8"}
    assert got == want
    (latin,) = [q for q in quarantine if q["reason"] == "NOT_UTF8"]
    assert base64.b64decode(latin["raw_payload_base64"]) == not_utf8 and latin["reasons"] == "NOT_UTF8"
    assert Counter(q["raw_payload"] for q in quarantine).most_common(1)[0][1] == 1  # each once
    [two_missing] = [q for q in quarantine if q["reason"] == "MISSING_FIELD:device_id"]
    assert two_missing["reasons"] == "MISSING_FIELD:device_id;MISSING_FIELD:status"
    # the schema change came mid-stream: those records were read by later batches, the job went on
    assert min(q["batch_id"] for q in quarantine if q["raw_payload"] in as_string + renamed) >= 1
    assert {r["batch_id"] for r in curated if r["event_id"] in {json.loads(c)["event_id"] for c in clean_after}} - {0}

    # extra fields are ignored: the record is curated with the declared columns only
    assert {r["event_id"] for r in curated} == {json.loads(r)["event_id"] for r in clean_before + clean_after} | {
        with_extra["event_id"]}
    s3 = boto3.client("s3")
    schema = pq.read_schema(io.BytesIO(s3.get_object(Bucket=bucket, Key=curated[0]["_key"])["Body"].read()))
    assert set(schema.names) == {"event_id", "event_time", "device_id", "site", "sensor_type", "unit", "reading",
                                 "battery_pct", "status", "batch_id", "processed_at"}

    # accounting: every record read lands in exactly one place
    totals = {k: sum(m[k] for m in by_batch.values()) for k in ("read", "curated", "quarantined", "duplicates")}
    assert totals == {"read": sent, "curated": len(curated), "quarantined": len(quarantine), "duplicates": 1}
    assert len(curated) + len(quarantine) + totals["duplicates"] == sent
    reasons = Counter()
    for m in by_batch.values():
        reasons.update(m["reasons"])
    assert reasons == Counter(q["reason"] for q in quarantine)


# --- an output prefix the job may not write: fail, fix, restart, every record once -------------------------------------

def test_an_unwritable_output_prefix_fails_the_run_and_after_the_fix_a_restart_loses_nothing(cfg):
    stream, bucket, job = deploy_sensor_job(cfg, "locked", shards=1, **{
        "--window_size": "1 second", "--max_records_per_shard": "150"})
    records, labels = labelled_records(400, seed=17)
    assert send_records(stream, records, progress=False, seed=17).sent == 400
    s3 = boto3.client("s3")
    policy = s3_helpers.tls_only_policy(bucket)
    policy["Statement"].append({"Sid": "NoCuratedWrites", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                                "Resource": f"arn:aws:s3:::{bucket}/curated/*"})
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))

    first = glue_helpers.start_run(job, {"--local_max_idle_seconds": "3"})
    error = failed_with(job, first)
    assert "CopyObject operation" in error and ("AccessDenied" in error or "(403)" in error), error
    log = glue_helpers.run_log(first, errors=True)
    assert any("Batch 0 failed 4 time(s); giving up" in line for line in log)  # retried, as Glue does
    assert keys(bucket, "curated/") == [] and keys(bucket, "quarantine/") == []
    assert batch_ids(bucket, f"checkpoints/{job}/stream/commits/") == []

    s3_helpers.ensure_bucket(bucket, cfg.region, tags=cfg.tags, verbose=False)  # the fix: the kit's own policy again
    second = glue_helpers.start_run(job, {"--local_max_idle_seconds": "3"})
    run = finished(job, second)
    assert run["JobRunState"] == "SUCCEEDED", (run, glue_helpers.run_log(second, errors=True)[-30:])
    assert any("Batch 0: re-running, planned but not committed" in line
               for line in glue_helpers.run_log(second, errors=True))
    assert len(check_every_record_exactly_once(stream, bucket, job, records, labels)) >= 3
