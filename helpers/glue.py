"""Glue job helpers: create or update a streaming job, run it, watch it, stop it, read its log.

Plain boto3, identical on AWS and on the local endpoint (where ``StartJobRun``
runs the script with local PySpark).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from .config import RETRY_CONFIG
from .errors import KitError
from .s3 import list_objects, split_uri

# The kit's job scripts (glue_scripts/ in the repository).
SCRIPTS_DIR = Path(__file__).resolve().parents[1] / "glue_scripts"

FINAL_STATES = ("SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR", "EXPIRED")


def _client(glue=None):
    return glue or boto3.client("glue", config=RETRY_CONFIG)


def ensure_streaming_job(
    name: str,
    role_arn: str,
    script_uri: str,
    arguments: dict[str, str] | None = None,
    glue_version: str = "5.0",
    worker_type: str = "G.1X",
    workers: int = 2,
    timeout_minutes: int = 60,
    tags: dict[str, str] | None = None,
    glue=None,
    verbose: bool = True,
) -> dict[str, Any]:
    """Create the streaming job, or update it to exactly this definition. Idempotent.

    ``timeout_minutes`` is always set (1 to 10080, refused when missing or 0):
    a streaming job without one runs, and on AWS bills, until someone stops it.
    Glue's minimum is 2 workers (one of them is the driver). Show the cost
    first with ``helpers.costs.confirm_cost(cfg, costs.glue_streaming_job(...), ...)``.
    """
    if isinstance(timeout_minutes, bool) or not isinstance(timeout_minutes, int) or not 1 <= timeout_minutes <= 10080:
        raise KitError(f"timeout_minutes={timeout_minutes!r} is not valid: 1 to 10080 minutes. A streaming job "
                       "always gets a timeout, otherwise it runs (and bills on AWS) until someone stops it.")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 2:
        raise KitError(f"workers={workers!r} is not valid: a Glue Spark job has at least 2 workers (one is the driver).")
    glue = _client(glue)
    definition = {
        "Role": role_arn,
        "Command": {"Name": "gluestreaming", "ScriptLocation": script_uri, "PythonVersion": "3"},
        "DefaultArguments": dict(arguments or {}),
        "GlueVersion": glue_version,
        "WorkerType": worker_type,
        "NumberOfWorkers": workers,
        "Timeout": timeout_minutes,
        "ExecutionProperty": {"MaxConcurrentRuns": 1},
    }
    try:
        glue.get_job(JobName=name)
        glue.update_job(JobName=name, JobUpdate=definition)
        action = "Updated"
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "EntityNotFoundException":
            raise
        glue.create_job(Name=name, Tags=dict(tags or {}), **definition)
        action = "Created"
    job = glue.get_job(JobName=name)["Job"]
    if job.get("Timeout") != timeout_minutes:  # never leave a streaming job without its timeout
        raise KitError(f"Job {name} was saved with Timeout={job.get('Timeout')!r} instead of {timeout_minutes} "
                       "minutes; check it in the Glue console before you start it.")
    if verbose:
        print(f"{action} job {name} (Glue {glue_version}, {workers} x {worker_type}, timeout {timeout_minutes} min)")
    return job


def start_run(name: str, arguments: dict[str, str] | None = None, glue=None) -> str:
    """Start a run; if one is already running, return that one instead of failing."""
    glue = _client(glue)
    try:
        running = active_runs(name, glue)
        if running:
            print(f"Job {name} already has a run in progress: {running[0]['Id']}")
            return running[0]["Id"]
        return glue.start_job_run(JobName=name, Arguments=dict(arguments or {}))["JobRunId"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "EntityNotFoundException":
            raise KitError(f"Job {name} does not exist; create it with ensure_streaming_job().") from None
        raise


def active_runs(name: str, glue=None) -> list[dict[str, Any]]:
    """Runs of the job that are starting, running or stopping (all pages)."""
    glue = _client(glue)
    runs = []
    for page in glue.get_paginator("get_job_runs").paginate(JobName=name):
        runs += [r for r in page["JobRuns"] if r["JobRunState"] in ("STARTING", "RUNNING", "STOPPING", "WAITING")]
    return runs


def wait_for_run(name: str, run_id: str, states: tuple[str, ...] = FINAL_STATES, timeout: float = 900,
                 poll: float = 2.0, glue=None) -> dict[str, Any]:
    """Poll ``GetJobRun`` until the run reaches one of ``states``; return it."""
    glue = _client(glue)
    deadline = time.monotonic() + timeout
    while True:
        run = glue.get_job_run(JobName=name, RunId=run_id)["JobRun"]
        if run["JobRunState"] in states:
            return run
        if run["JobRunState"] in FINAL_STATES:
            raise KitError(f"Run {run_id} of {name} ended {run['JobRunState']}: {run.get('ErrorMessage', 'no message')}")
        if time.monotonic() > deadline:
            raise KitError(f"Run {run_id} of {name} is still {run['JobRunState']} after {timeout:.0f} s.")
        time.sleep(poll)


def stop_run(name: str, run_id: str, wait: bool = True, glue=None) -> dict[str, Any]:
    """Stop a run (it finishes its current batch and checkpoint first); wait until it has stopped."""
    glue = _client(glue)
    answer = glue.batch_stop_job_run(JobName=name, JobRunIds=[run_id])
    for error in answer.get("Errors", []):
        detail = error["ErrorDetail"]
        if detail["ErrorCode"] != "InvalidInputException":  # already finished: nothing to stop
            raise KitError(f"Could not stop run {run_id}: {detail['ErrorMessage']}")
    run = glue.get_job_run(JobName=name, RunId=run_id)["JobRun"]
    return wait_for_run(name, run_id, FINAL_STATES, glue=glue) if wait and run["JobRunState"] not in FINAL_STATES else run


def run_log(run_id: str, errors: bool = False, limit: int = 10_000, logs=None) -> list[str]:
    """The run's lines from CloudWatch Logs (``/aws-glue/jobs/output`` or ``…/error``), oldest first."""
    logs = logs or boto3.client("logs", config=RETRY_CONFIG)
    group = "/aws-glue/jobs/error" if errors else "/aws-glue/jobs/output"
    lines: list[str] = []
    params: dict[str, Any] = {"logGroupName": group, "logStreamName": run_id, "startFromHead": True}
    try:
        while len(lines) < limit:
            page = logs.get_log_events(**params)
            lines += [event["message"] for event in page["events"]]
            if page.get("nextForwardToken") in (None, params.get("nextToken")):
                break
            params["nextToken"] = page["nextForwardToken"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceNotFoundException":
            return []
        raise
    return lines[:limit]


def deploy_scripts(files: list[str | Path], uri_prefix: str, s3=None) -> list[str]:
    """Upload the job's script files under ``s3://bucket/prefix/``; return their URIs.

    Run it again after editing a script: a job reads its script from S3 each
    time it starts, so the next run uses the new version.
    """
    s3 = s3 or boto3.client("s3", config=RETRY_CONFIG)
    bucket, prefix = split_uri(uri_prefix.rstrip("/") + "/")
    uris = []
    for path in map(Path, files):
        if not path.is_file():
            raise KitError(f"{path} is not a file: nothing to deploy.")
        s3.upload_file(str(path), bucket, prefix + path.name)
        uris.append(f"s3://{bucket}/{prefix}{path.name}")
    return uris


def batch_metrics(metrics_uri: str, s3=None) -> list[dict[str, Any]]:
    """The per-batch metrics files a job wrote under ``metrics_uri`` (``batch=N.json``), by batch id."""
    s3 = s3 or boto3.client("s3", config=RETRY_CONFIG)
    bucket, _ = split_uri(metrics_uri)
    batches = []
    for obj in list_objects(metrics_uri, s3):
        if obj["Key"].endswith(".json"):
            batches.append(json.loads(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()))
    return sorted(batches, key=lambda m: m["batch_id"])


def totals(batches: list[dict[str, Any]], keys: tuple[str, ...] = ("read", "curated", "quarantined", "duplicates")
           ) -> dict[str, int]:
    """Sums of the per-batch counts: what the job has read and where every record went."""
    return {key: sum(int(batch.get(key, 0)) for batch in batches) for key in keys}


def wait_for_records(name: str, run_id: str, metrics_uri: str, expected: int, timeout: float = 900,
                     poll: float = 2.0, glue=None, s3=None) -> list[dict[str, Any]]:
    """Wait until the job's metrics account for ``expected`` records read; return the batches.

    Fails at once, with the run's error message, if the run ends first.
    """
    glue = _client(glue)
    deadline = time.monotonic() + timeout
    while True:
        batches = batch_metrics(metrics_uri, s3)
        read = totals(batches)["read"]
        if read >= expected:
            return batches
        run = glue.get_job_run(JobName=name, RunId=run_id)["JobRun"]
        if run["JobRunState"] in FINAL_STATES:
            raise KitError(f"Run {run_id} of {name} ended {run['JobRunState']} after reading {read} of {expected} "
                           f"records: {run.get('ErrorMessage', 'no error message')}")
        if time.monotonic() > deadline:
            raise KitError(f"Run {run_id} of {name} has read {read} of {expected} records after {timeout:.0f} s; "
                           "is the job reading the right stream?")
        time.sleep(poll)
