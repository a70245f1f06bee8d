"""Steps 2-4 end to end through the AWS API: send a seeded faulty stream, deploy the Glue script with the
helpers (bucket, role, job), run it with StartJobRun on the local endpoint, and account for every record."""

from __future__ import annotations

import io
import json

import boto3
import pyarrow.parquet as pq
from support import ROOT

from helpers import glue as glue_helpers
from helpers import iam as iam_helpers
from helpers import kinesis
from helpers import s3 as s3_helpers
from helpers.kdg import FaultRates, Generator, SimClock, compile_template, load_template
from helpers.kdg.sender import send_records

SCRIPTS = ROOT / "glue_scripts"


def test_the_deployed_script_runs_through_start_job_run_and_accounts_for_every_record(cfg):
    stream = cfg.name("e2e-stream")
    summary = kinesis.ensure_stream(stream, shard_count=2, tags=cfg.tags, verbose=False)
    generator = Generator(compile_template(load_template("sensor_fleet")), seed=42,
                          clock=SimClock(start="2026-01-01T00:00:00Z", rate=100), tz="UTC",
                          faults=FaultRates(malformed_json=0.02, out_of_range=0.02, wrong_type=0.02,
                                            missing_field=0.02, duplicate=0.03))
    report = send_records(stream, generator.records(1500), progress=False, seed=42)
    assert report.sent == 1500

    bucket = f"{cfg.prefix}-e2e-data"
    s3_helpers.ensure_bucket(bucket, cfg.region, tags=cfg.tags, verbose=False)
    for name in ("sensor_stream_etl.py", "sensor_transforms.py"):
        s3_helpers.upload(SCRIPTS / name, f"s3://{bucket}/scripts/{name}")
    policy = iam_helpers.glue_job_policy(summary["StreamARN"], bucket, "sensor_db", "123456789012", cfg.region)
    role = iam_helpers.ensure_role(cfg.name("glue-role"), iam_helpers.GLUE_TRUST_POLICY, policy, cfg.tags, verbose=False)
    job = cfg.name("sensor-etl")
    glue_helpers.ensure_streaming_job(job, role, f"s3://{bucket}/scripts/sensor_stream_etl.py", arguments={
        "--extra-py-files": f"s3://{bucket}/scripts/sensor_transforms.py",
        "--stream_arn": summary["StreamARN"], "--bucket": bucket, "--window_size": "2 seconds",
    }, timeout_minutes=20, tags=cfg.tags, verbose=False)

    run_id = glue_helpers.start_run(job, {"--local_max_idle_seconds": "4"})
    run = glue_helpers.wait_for_run(job, run_id, ("SUCCEEDED",), timeout=600, poll=1)
    assert run["JobRunState"] == "SUCCEEDED"

    s3 = boto3.client("s3")
    totals = {"read": 0, "curated": 0, "quarantined": 0, "duplicates": 0}
    for obj in s3_helpers.list_objects(f"s3://{bucket}/metrics/sensor_readings/"):
        metrics = json.loads(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
        for key in totals:
            totals[key] += metrics[key]
    faults = generator.fault_counts
    assert totals["read"] == 1500
    assert totals["curated"] + totals["quarantined"] + totals["duplicates"] == totals["read"]
    assert totals["duplicates"] == faults["duplicate"]
    assert totals["quarantined"] == faults["malformed_json"] + faults["out_of_range"] + faults["wrong_type"] + faults["missing_field"]

    curated_rows = 0
    for obj in s3_helpers.list_objects(f"s3://{bucket}/curated/sensor_readings/"):
        assert "/dt=2026-01-01/hour=00/" in obj["Key"] and obj["Key"].endswith(".parquet")
        curated_rows += pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())).num_rows
    assert curated_rows == totals["curated"]
    # The job's log (Glue's logger writes to the driver's stderr) reached CloudWatch Logs.
    assert glue_helpers.run_log(run_id) + glue_helpers.run_log(run_id, errors=True)
