"""The Glue job runtime: StartJobRun runs the script for real; states, logs, stop, failures, restarts.

Small plain-Python scripts keep these tests fast; the Spark job itself is tested
in test_awsglue_local.py and end to end.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from support import client, kill_9, start, stop_quietly

BUCKET = "glue-runtime-tests"


@pytest.fixture
def endpoint(tmp_path: Path):
    home = tmp_path / "home"
    url = start(home)
    client("s3", url).create_bucket(Bucket=BUCKET)
    yield url, home
    stop_quietly(home)


def deploy(url: str, name: str, script: str, extra: dict[str, str] | None = None, **job) -> None:
    s3 = client("s3", url)
    s3.put_object(Bucket=BUCKET, Key=f"scripts/{name}.py", Body=script.encode())
    for filename, body in (extra or {}).items():
        s3.put_object(Bucket=BUCKET, Key=f"scripts/lib/{filename}", Body=body.encode())
    defaults = {"--extra-py-files": ",".join(f"s3://{BUCKET}/scripts/lib/{f}" for f in extra)} if extra else {}
    client("glue", url).create_job(
        Name=name, Role="arn:aws:iam::123456789012:role/glue", GlueVersion="5.0",
        Command={"Name": "gluestreaming", "ScriptLocation": f"s3://{BUCKET}/scripts/{name}.py", "PythonVersion": "3"},
        DefaultArguments=defaults, **job)


def wait_for(url: str, name: str, run_id: str, states: tuple[str, ...], timeout: float = 120) -> dict:
    glue = client("glue", url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = glue.get_job_run(JobName=name, RunId=run_id)["JobRun"]
        if run["JobRunState"] in states:
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} still {run['JobRunState']} after {timeout} s")


def log_lines(url: str, group: str, run_id: str) -> list[str]:
    events = client("logs", url).get_log_events(logGroupName=group, logStreamName=run_id)["events"]
    return [e["message"] for e in events]


def wait_for_log(url: str, run_id: str, line: str, timeout: float = 60) -> None:
    logs = client("logs", url)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if line in log_lines(url, "/aws-glue/jobs/output", run_id):
                return
        except logs.exceptions.ResourceNotFoundException:
            pass  # the run's log stream is created as the run starts
        assert time.monotonic() < deadline, f"{line!r} never appeared in the run's output log"
        time.sleep(0.2)


def test_a_run_executes_the_script_with_glue_arguments_and_ships_its_output(endpoint):
    url, _ = endpoint
    deploy(url, "hello", "import sys\nprint('args:', ' '.join(sys.argv[1:]))\n")
    glue = client("glue", url)
    run_id = glue.start_job_run(JobName="hello", Arguments={"--stream_name": "s1"})["JobRunId"]
    assert run_id.startswith("jr_") and len(run_id) == 67
    run = wait_for(url, "hello", run_id, ("SUCCEEDED", "FAILED"))
    assert run["JobRunState"] == "SUCCEEDED", run
    assert run["Arguments"] == {"--stream_name": "s1"} and run["GlueVersion"] == "5.0"
    assert run["CompletedOn"] >= run["StartedOn"]
    (line,) = [l for l in log_lines(url, "/aws-glue/jobs/output", run_id) if l.startswith("args:")]
    assert "--JOB_NAME hello" in line and f"--JOB_RUN_ID {run_id}" in line and "--stream_name s1" in line


def test_a_script_that_raises_fails_with_its_error_message(endpoint):
    url, _ = endpoint
    deploy(url, "broken", "raise ValueError('the stream schema changed')\n")
    run_id = client("glue", url).start_job_run(JobName="broken")["JobRunId"]
    run = wait_for(url, "broken", run_id, ("SUCCEEDED", "FAILED"))
    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"] == "ValueError: the stream schema changed"
    assert any("Traceback" in l for l in log_lines(url, "/aws-glue/jobs/error", run_id))


def test_a_missing_script_fails_the_run_and_the_endpoint_keeps_serving(endpoint):
    url, _ = endpoint
    client("glue", url).create_job(Name="noscript", Role="r",
                                   Command={"Name": "gluestreaming", "ScriptLocation": f"s3://{BUCKET}/nope.py"})
    run_id = client("glue", url).start_job_run(JobName="noscript")["JobRunId"]
    run = wait_for(url, "noscript", run_id, ("FAILED", "SUCCEEDED"))
    assert run["JobRunState"] == "FAILED" and f"s3://{BUCKET}/nope.py" in run["ErrorMessage"]
    assert client("s3", url).list_buckets()["Buckets"]


def test_extra_py_files_are_importable(endpoint):
    url, _ = endpoint
    script = "import transforms\nprint('doubled', transforms.double(21))\n"
    deploy(url, "withlib", script, extra={"transforms.py": "def double(x):\n    return 2 * x\n"})
    run_id = client("glue", url).start_job_run(JobName="withlib")["JobRunId"]
    assert wait_for(url, "withlib", run_id, ("SUCCEEDED", "FAILED"))["JobRunState"] == "SUCCEEDED"
    lines = log_lines(url, "/aws-glue/jobs/output", run_id)
    assert "doubled 42" in lines


LOOP = """
import signal, sys, time
stop = False
def on_term(signum, frame):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
print("started", flush=True)
while not stop:
    time.sleep(0.1)
print("finished the batch, checkpointed", flush=True)
"""


def test_batch_stop_job_run_stops_after_the_current_batch(endpoint):
    url, _ = endpoint
    deploy(url, "looping", LOOP)
    glue = client("glue", url)
    run_id = glue.start_job_run(JobName="looping")["JobRunId"]
    wait_for_log(url, run_id, "started")
    answer = glue.batch_stop_job_run(JobName="looping", JobRunIds=[run_id, "jr_missing"])
    assert answer["SuccessfulSubmissions"] == [{"JobName": "looping", "JobRunId": run_id}]
    assert answer["Errors"][0]["ErrorDetail"]["ErrorCode"] == "EntityNotFoundException"
    run = wait_for(url, "looping", run_id, ("STOPPED", "FAILED", "SUCCEEDED"))
    assert run["JobRunState"] == "STOPPED"
    assert "finished the batch, checkpointed" in log_lines(url, "/aws-glue/jobs/output", run_id)
    again = glue.batch_stop_job_run(JobName="looping", JobRunIds=[run_id])
    assert again["Errors"][0]["ErrorDetail"]["ErrorCode"] == "InvalidInputException"


def test_concurrent_runs_are_limited_and_runs_are_listed_newest_first(endpoint):
    url, _ = endpoint
    deploy(url, "single", LOOP, ExecutionProperty={"MaxConcurrentRuns": 1})
    glue = client("glue", url, attempts=1)
    first = glue.start_job_run(JobName="single")["JobRunId"]
    wait_for_log(url, first, "started")
    with pytest.raises(glue.exceptions.ConcurrentRunsExceededException):
        glue.start_job_run(JobName="single")
    glue.batch_stop_job_run(JobName="single", JobRunIds=[first])
    wait_for(url, "single", first, ("STOPPED",))
    second = glue.start_job_run(JobName="single")["JobRunId"]
    wait_for_log(url, second, "started")
    assert [r["Id"] for r in glue.get_job_runs(JobName="single")["JobRuns"]] == [second, first]
    glue.batch_stop_job_run(JobName="single", JobRunIds=[second])
    wait_for(url, "single", second, ("STOPPED",))


def test_unknown_jobs_and_runs_are_entity_not_found(endpoint):
    url, _ = endpoint
    glue = client("glue", url, attempts=1)
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.start_job_run(JobName="no-such-job")
    deploy(url, "known", "pass\n")
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.get_job_run(JobName="known", RunId="jr_0")


def test_a_run_in_flight_when_the_endpoint_dies_comes_back_failed_and_its_process_is_gone(endpoint):
    url, home = endpoint
    deploy(url, "orphan", LOOP)
    run_id = client("glue", url).start_job_run(JobName="orphan")["JobRunId"]
    running = wait_for(url, "orphan", run_id, ("RUNNING",))
    import json

    pid = json.loads((home / "state" / "glue_job_runs.json").read_text())["runs"][0]["pid"]
    kill_9(home)
    url = start(home)
    run = client("glue", url).get_job_run(JobName="orphan", RunId=run_id)["JobRun"]
    assert run["JobRunState"] == "FAILED" and "local endpoint stopped while this run was RUNNING" in run["ErrorMessage"]
    assert run["StartedOn"] == running["StartedOn"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the orphaned job process still runs")


def test_stopping_the_endpoint_stops_its_runs(endpoint):
    from support import cli

    url, home = endpoint
    deploy(url, "endpoint-stop", LOOP)
    run_id = client("glue", url).start_job_run(JobName="endpoint-stop")["JobRunId"]
    wait_for_log(url, run_id, "started")
    assert cli("stop", home=home).returncode == 0
    run = client("glue", start(home)).get_job_run(JobName="endpoint-stop", RunId=run_id)["JobRun"]
    assert run["JobRunState"] == "STOPPED"
