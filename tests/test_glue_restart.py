"""Restarting the Glue streaming job through the AWS API, and how runs end: stop, kill, timeout.

The restart test runs the real script (``glue_scripts/sensor_stream_etl.py``) three times over one seeded,
faulty stream, each run through ``StartJobRun`` on the session's local endpoint:

1. stopped with ``BatchStopJobRun`` after some but not all batches (it finishes its batch and checkpoint);
2. killed hard (SIGKILL) after a batch's output was published and before its commit
   (``--local_test_kill_before_commit``, a local-only test knob of the runtime);
3. run to the end: the uncommitted batch is re-run with the same id and records, replacing its own output.

Then every record sent is found exactly once, in the batch the checkpoint planned it into: the
expectation is computed from the stream itself (sequence numbers) and the checkpoint's offset log.

The timeout test uses small plain-Python scripts on an endpoint of its own, whose Timeout minutes last
seconds (``LOCAL_AWS_GLUE_TIMEOUT_MINUTE_SECONDS``, a local-only knob of the endpoint).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import boto3
import pytest
from glue_support import (
    DATASET,
    VALID_KINDS,
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
from support import client, pid_alive, start, stop_quietly

from helpers import glue as glue_helpers
from helpers.kdg.sender import send_records


def test_a_stopped_then_killed_job_restarts_and_finds_every_record_exactly_once(cfg):
    stream, bucket, job = deploy_sensor_job(cfg, "restart", shards=2, **{
        "--window_size": "1 second", "--max_records_per_shard": "250"})  # about 500 records a batch: 6 batches
    records, labels = labelled_records(3000, seed=5)
    report = send_records(stream, records, progress=False, seed=5)
    assert report.sent == 3000 and report.failed == 0
    assert sum(1 for k in labels if k == "duplicate") > 50 and sum(1 for k in labels if k not in VALID_KINDS) > 200
    glue = boto3.client("glue")

    # 1. BatchStopJobRun once some batches are done: the run finishes its batch and checkpoint, then STOPPED
    first = glue_helpers.start_run(job)
    wait_for_batches(job, first, bucket, at_least=2)
    answer = glue.batch_stop_job_run(JobName=job, JobRunIds=[first])
    assert answer["SuccessfulSubmissions"] == [{"JobName": job, "JobRunId": first}] and not answer["Errors"]
    assert glue.get_job_run(JobName=job, RunId=first)["JobRun"]["JobRunState"] in ("STOPPING", "STOPPED")
    run = finished(job, first)
    assert run["JobRunState"] == "STOPPED" and "ErrorMessage" not in run, run
    assert any("SIGTERM: stopped after the last committed batch" in line
               for line in glue_helpers.run_log(first, errors=True))
    done = batch_ids(bucket, f"checkpoints/{job}/stream/commits/")
    assert done == batch_ids(bucket, f"metrics/{DATASET}/") == list(range(len(done))) and len(done) >= 2
    assert batch_ids(bucket, f"checkpoints/{job}/stream/offsets/") == done  # nothing planned and left behind
    read_so_far = sum(m["read"] for m in metrics(bucket).values())
    assert read_so_far < len(records), "the stop came after the last batch: nothing left to restart"

    # 2. the next run dies by SIGKILL after batch `victim`'s output is published, before its commit
    victim = len(done)
    second = glue_helpers.start_run(job, {"--local_test_kill_before_commit": str(victim)})
    run = finished(job, second)
    assert run["JobRunState"] == "FAILED", run
    assert run["ErrorMessage"] == "The job process was killed by signal SIGKILL before it finished."
    assert batch_ids(bucket, f"checkpoints/{job}/stream/commits/") == done
    assert batch_ids(bucket, f"checkpoints/{job}/stream/offsets/") == done + [victim]
    assert victim in metrics(bucket)  # its output and metrics were written
    tag = f"-b{victim:06d}-"
    victim_files = [k for k in keys(bucket, "curated/") + keys(bucket, "quarantine/") if tag in k]
    assert victim_files
    victim_curated = sum(1 for r in read_rows(bucket, f"curated/{DATASET}/") if r["batch_id"] == victim)
    assert victim_curated == metrics(bucket)[victim]["curated"] > 0

    # 3. run to the end: the uncommitted batch is re-run first, with the same id and records
    third = glue_helpers.start_run(job, {"--local_max_idle_seconds": "3"})
    run = finished(job, third)
    assert run["JobRunState"] == "SUCCEEDED", (run, glue_helpers.run_log(third, errors=True)[-30:])
    log = glue_helpers.run_log(third, errors=True)
    assert any(f"Batch {victim}: re-running, planned but not committed" in line for line in log)
    assert [r["Id"] for r in glue.get_job_runs(JobName=job)["JobRuns"]] == [third, second, first]

    by_batch = check_every_record_exactly_once(stream, bucket, job, records, labels)
    assert len(by_batch) > victim + 1  # batches after the re-run one came from the last run
    # the re-run batch replaced its own files (same names), no second copy
    assert [k for k in keys(bucket, "curated/") + keys(bucket, "quarantine/") if tag in k] == victim_files
    assert sum(1 for r in read_rows(bucket, f"curated/{DATASET}/") if r["batch_id"] == victim) == victim_curated


# --- Timeout -----------------------------------------------------------------------------------------------------

RUNTIME_BUCKET = "glue-timeout-tests"

POLITE = """
import os, signal, time
stop = False
def on_term(signum, frame):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
print("started", os.getpid(), flush=True)
while not stop:
    time.sleep(0.1)
print("finished the batch, checkpointed", flush=True)
"""

STUBBORN = """
import os, signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("started", os.getpid(), flush=True)
while True:
    time.sleep(0.1)
"""


@pytest.fixture
def fast_minutes_endpoint(tmp_path: Path, monkeypatch):
    """An endpoint of its own on which one minute of a run's Timeout lasts 3 seconds."""
    monkeypatch.setenv("LOCAL_AWS_GLUE_TIMEOUT_MINUTE_SECONDS", "3")
    home = tmp_path / "home"
    url = start(home)
    client("s3", url).create_bucket(Bucket=RUNTIME_BUCKET)
    yield url, home
    stop_quietly(home)


def test_a_run_past_its_timeout_ends_timeout_and_its_process_is_stopped(fast_minutes_endpoint):
    url, _ = fast_minutes_endpoint
    glue, s3, logs = client("glue", url), client("s3", url), client("logs", url)
    for name, script, timeout in (("polite", POLITE, 1), ("stubborn", STUBBORN, None)):
        s3.put_object(Bucket=RUNTIME_BUCKET, Key=f"scripts/{name}.py", Body=script.encode())
        glue.create_job(Name=name, Role="arn:aws:iam::123456789012:role/glue", GlueVersion="5.0",
                        Command={"Name": "gluestreaming", "ScriptLocation": f"s3://{RUNTIME_BUCKET}/scripts/{name}.py"},
                        **({"Timeout": timeout} if timeout else {}))
    # the job's own Timeout=1, and a run's Timeout=1 overriding the job's default (2880)
    runs = {"polite": glue.start_job_run(JobName="polite")["JobRunId"],
            "stubborn": glue.start_job_run(JobName="stubborn", Timeout=1)["JobRunId"]}

    ended = {}
    deadline = time.monotonic() + 90
    while len(ended) < 2:
        for name, run_id in runs.items():
            run = glue.get_job_run(JobName=name, RunId=run_id)["JobRun"]
            if run["JobRunState"] not in ("STARTING", "RUNNING", "STOPPING"):
                ended[name] = run
        assert time.monotonic() < deadline, f"still running: {set(runs) - set(ended)}"
        time.sleep(0.2)

    def log(group: str, name: str) -> list[str]:
        return [e["message"] for e in logs.get_log_events(logGroupName=f"/aws-glue/jobs/{group}",
                                                         logStreamName=runs[name])["events"]]

    for name, run in ended.items():
        assert run["JobRunState"] == "TIMEOUT", run
        assert run["Timeout"] == 1
        assert run["ErrorMessage"] == "Job run timed out after 1 minute(s)."
        assert "Job run timed out after 1 minute(s): stopping it." in log("error", name)
        (pid,) = [int(line.split()[1]) for line in log("output", name) if line.startswith("started ")]
        assert not pid_alive(pid), f"the {name} job's process outlived its TIMEOUT"
    # SIGTERM first: a script that handles it can finish its batch; one that ignores it is killed
    assert log("output", "polite")[1:] == ["finished the batch, checkpointed"]
    assert log("output", "stubborn")[1:] == []
    # a TIMEOUT run is over: there is nothing left to stop
    stop = glue.batch_stop_job_run(JobName="polite", JobRunIds=[runs["polite"]])
    assert stop["Errors"][0]["ErrorDetail"]["ErrorCode"] == "InvalidInputException"


def test_runs_started_together_all_reach_the_state_file(tmp_path):
    """Each run's thread saves the runs file as its state changes; saves at the same moment must not collide
    (they once shared a temporary file, and the run whose save lost ended FAILED before it started)."""
    import threading

    from local_aws.engines.glue_jobs.runtime import Run, Runtime

    runtime = Runtime()
    runtime.state_file = tmp_path / "glue_job_runs.json"
    errors: list[Exception] = []

    def start_and_change(n: int) -> None:
        run = Run(Id=f"jr_{n}", JobName="j", account="123456789012", region="us-east-1")
        with runtime.lock:
            runtime.runs[run.Id] = run
        for state in ("STARTING", "RUNNING") * 10 + ("SUCCEEDED",):
            run.JobRunState = state
            try:
                runtime.save()
            except Exception as error:  # noqa: BLE001 - collected and reported below
                errors.append(error)

    threads = [threading.Thread(target=start_and_change, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    saved = json.loads(runtime.state_file.read_text())["runs"]
    assert sorted((r["Id"], r["JobRunState"]) for r in saved) == [(f"jr_{n}", "SUCCEEDED") for n in range(8)]
