"""Glue job runs for real: ``StartJobRun`` runs the job's script with local PySpark.

Job definitions stay in moto (``CreateJob``/``GetJob``/``UpdateJob``/``DeleteJob``);
this engine answers ``StartJobRun``, ``GetJobRun``, ``GetJobRuns`` and
``BatchStopJobRun``. A run:

1. STARTING -- the script (``Command.ScriptLocation``) and ``--extra-py-files``
   are fetched from the endpoint's S3 into a work directory;
2. RUNNING -- ``python <script> --JOB_NAME … --JOB_RUN_ID … <arguments>`` runs in
   its own process with the local ``awsglue`` package (next to this file) on its
   ``PYTHONPATH`` only, the endpoint's URL and dummy credentials in its
   environment; stdout and stderr go to CloudWatch Logs under
   ``/aws-glue/jobs/output`` and ``/aws-glue/jobs/error``, stream = run id, as
   Glue writes them;
3. SUCCEEDED (exit 0), FAILED (with the script's last error line as
   ``ErrorMessage``), STOPPED (after ``BatchStopJobRun``: SIGTERM, the script's
   loop finishes its batch and checkpoint), or TIMEOUT (``Timeout`` minutes:
   SIGTERM, then SIGKILL if the process is still there 10 s later). A process
   killed by a signal ends FAILED with a message naming the signal.

Local-only knobs, never seen by the script:

* job arguments (AWS Glue would pass them on, and the script ignores them)
  that become environment variables of the job process:
  ``--local_max_idle_seconds`` (``LOCAL_GLUE_MAX_IDLE_SECONDS``: end the run
  once the stream is idle that long) and ``--local_test_kill_before_commit``
  (``LOCAL_GLUE_TEST_KILL_BEFORE_COMMIT``: a test hook, the job kills itself
  before committing that batch id) -- see ``awsglue/_local/microbatch.py``;
* ``LOCAL_AWS_GLUE_TIMEOUT_MINUTE_SECONDS`` in the endpoint's environment
  (default 60): how many seconds one minute of a run's ``Timeout`` lasts, so
  tests can see a 1-minute timeout expire in seconds. The run still reports
  ``Timeout`` and its TIMEOUT message in minutes.

Runs are recorded in ``<state>/glue_job_runs.json``, rewritten atomically on
every change, so a restart finds them; a run that was in flight when the
endpoint stopped comes back FAILED with a message saying so (its checkpoint
lets a new run carry on where it stopped).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ...dispatch import AwsError, KitRequest, Registry
from .._moto import account_id, backend

log = logging.getLogger("local_aws.glue_jobs")

HERE = Path(__file__).resolve().parent  # holds the local `awsglue` package
ACTIVE = ("STARTING", "RUNNING", "STOPPING")
OUTPUT_GROUP, ERROR_GROUP = "/aws-glue/jobs/output", "/aws-glue/jobs/error"
STOP_GRACE_SECONDS = 60  # a stopped run may finish its batch before it is killed
LOCAL_KNOBS = {"--local_max_idle_seconds": "LOCAL_GLUE_MAX_IDLE_SECONDS",
               "--local_test_kill_before_commit": "LOCAL_GLUE_TEST_KILL_BEFORE_COMMIT"}
TIMEOUT_MINUTE_ENV = "LOCAL_AWS_GLUE_TIMEOUT_MINUTE_SECONDS"
TIMEOUT_KILL_GRACE_SECONDS = 10  # after a timeout's SIGTERM


def timeout_minute_seconds() -> float:
    """Seconds in one minute of ``Timeout`` (60 unless the endpoint's environment says otherwise, for tests)."""
    text = os.environ.get(TIMEOUT_MINUTE_ENV, "").strip()
    if not text:
        return 60.0
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if value <= 0:
        log.warning("%s=%r is not a positive number of seconds; using 60", TIMEOUT_MINUTE_ENV, text)
        return 60.0
    return value


@dataclass
class Run:
    Id: str
    JobName: str
    account: str
    region: str
    Attempt: int = 0
    JobRunState: str = "STARTING"
    Arguments: dict[str, str] = field(default_factory=dict)
    StartedOn: float = field(default_factory=time.time)
    LastModifiedOn: float = field(default_factory=time.time)
    CompletedOn: float | None = None
    ErrorMessage: str | None = None
    Timeout: int = 2880
    GlueVersion: str | None = None
    WorkerType: str | None = None
    NumberOfWorkers: int | None = None
    MaxCapacity: float | None = None
    pid: int | None = None
    stop_requested: bool = False

    def as_api(self) -> dict[str, Any]:
        now = self.CompletedOn or time.time()
        api = {
            "Id": self.Id,
            "Attempt": self.Attempt,
            "JobName": self.JobName,
            "JobMode": "SCRIPT",
            "StartedOn": self.StartedOn,
            "LastModifiedOn": self.LastModifiedOn,
            "JobRunState": self.JobRunState,
            "Arguments": self.Arguments,
            "PredecessorRuns": [],
            "ExecutionTime": int(now - self.StartedOn),
            "Timeout": self.Timeout,
            "LogGroupName": "/aws-glue/jobs",
        }
        for key in ("CompletedOn", "ErrorMessage", "GlueVersion", "WorkerType", "NumberOfWorkers", "MaxCapacity"):
            value = getattr(self, key)
            if value is not None:
                api[key] = value
        return api


class Runtime:
    """All runs of this endpoint, and the threads that drive them."""

    def __init__(self) -> None:
        self.runs: dict[str, Run] = {}
        self.lock = threading.RLock()
        self.save_lock = threading.Lock()
        self.state_file: Path | None = None
        self.url: str | None = None
        self.work_root = Path(tempfile.gettempdir()) / "local_aws_glue_runs"
        self.processes: dict[str, subprocess.Popen] = {}

    # -- durability ------------------------------------------------------------

    def configure(self, state_dir: Path | None = None, url: str | None = None) -> None:
        if state_dir is not None:
            self.state_file = state_dir / "glue_job_runs.json"
            self.work_root = state_dir / "glue_job_runs"
            self._load()
        if url is not None:
            self.url = url

    def _load(self) -> None:
        if self.state_file is None or not self.state_file.exists():
            return
        try:
            data = json.loads(self.state_file.read_text())
            runs = {r["Id"]: Run(**r) for r in data["runs"]}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            from ...persistence import StateError

            raise StateError(f"The Glue job runs file {self.state_file} is damaged ({exc})") from None
        with self.lock:
            self.runs = runs

    def save(self) -> None:
        if self.state_file is None:
            return
        # One writer at a time (runs are driven by threads of their own): two saves sharing the temporary
        # file made one of them fail, and a run starting at that moment ended FAILED. Serialising inside
        # the lock means the last save to finish wrote the newest state.
        with self.save_lock:
            with self.lock:
                payload = json.dumps({"format": 1, "runs": [asdict(r) for r in self.runs.values()]})
            tmp = self.state_file.with_suffix(".tmp")
            with open(tmp, "w") as f:
                f.write(payload)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.state_file)

    def recover(self) -> None:
        """Runs left in flight by a previous endpoint process end FAILED, and their processes too."""
        changed = False
        with self.lock:
            for run in self.runs.values():
                if run.JobRunState in ACTIVE and run.Id not in self.processes:
                    if run.pid:
                        _kill_group(run.pid, signal.SIGKILL)
                    was = run.JobRunState
                    self._finish(run, "FAILED", f"The local endpoint stopped while this run was {was}; start a new "
                                                "run to carry on from its checkpoint.", save=False)
                    changed = True
        if changed:
            self.save()

    def reset(self) -> None:
        with self.lock:
            for run_id, process in list(self.processes.items()):
                _kill_group(process.pid, signal.SIGKILL)
            self.runs.clear()
            self.processes.clear()
        self.save()

    def shutdown(self) -> None:
        """The endpoint is stopping: stop every run it drives."""
        with self.lock:
            active = [(self.runs[i], p) for i, p in self.processes.items() if self.runs[i].JobRunState in ACTIVE]
        for run, process in active:
            run.stop_requested = True
            _kill_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for run, process in active:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _kill_group(process.pid, signal.SIGKILL)
            self._finish(run, "STOPPED", "Stopped because the local endpoint stopped.")

    # -- the API ------------------------------------------------------------------

    def start_job_run(self, request: KitRequest) -> dict[str, Any]:
        from moto.glue.models import glue_backends

        params = request.json()
        request.journal = False  # runs are kept in glue_job_runs.json, not replayed
        name = params.get("JobName")
        glue = backend(glue_backends, request)
        try:
            job = glue.get_job(name)
        except Exception:
            raise AwsError("EntityNotFoundException", f"Job {name} not found.") from None
        max_concurrent = (job.execution_property or {}).get("MaxConcurrentRuns", 1)
        with self.lock:
            active = [r for r in self.runs.values() if r.JobName == name and r.JobRunState in ACTIVE
                      and (r.account, r.region) == (account_id(request), request.region)]
            if len(active) >= max_concurrent:
                raise AwsError("ConcurrentRunsExceededException",
                               f"Concurrent runs exceeded for {name}: {len(active)} running, MaxConcurrentRuns is {max_concurrent}.")
            arguments = {**(job.default_arguments or {}), **(params.get("Arguments") or {}), **(job.non_overridable_arguments or {})}
            run = Run(
                Id="jr_" + secrets.token_hex(32),
                JobName=name,
                account=account_id(request),
                region=request.region,
                Arguments=params.get("Arguments") or {},
                Timeout=params.get("Timeout") or job.timeout or 2880,
                GlueVersion=job.glue_version,
                WorkerType=params.get("WorkerType") or job.worker_type,
                NumberOfWorkers=params.get("NumberOfWorkers") or job.number_of_workers,
                MaxCapacity=params.get("MaxCapacity") or job.max_capacity,
            )
            self.runs[run.Id] = run
        self.save()
        command = job.command or {}
        threading.Thread(target=self._drive, args=(run, dict(command), arguments), daemon=True,
                         name=f"glue-run-{run.Id[:12]}").start()
        return {"JobRunId": run.Id}

    def get_job_run(self, request: KitRequest) -> dict[str, Any]:
        params = request.json()
        run = self.runs.get(params.get("RunId", ""))
        if run is None or run.JobName != params.get("JobName"):
            raise AwsError("EntityNotFoundException", f"Job run {params.get('RunId')} of job {params.get('JobName')} not found.")
        return {"JobRun": run.as_api()}

    def get_job_runs(self, request: KitRequest) -> dict[str, Any]:
        from moto.glue.models import glue_backends

        params = request.json()
        name = params.get("JobName")
        try:
            backend(glue_backends, request).get_job(name)
        except Exception:
            raise AwsError("EntityNotFoundException", f"Job {name} not found.") from None
        limit = params.get("MaxResults") or 100
        runs = sorted((r for r in self.runs.values() if r.JobName == name and (r.account, r.region) == (account_id(request), request.region)),
                      key=lambda r: r.StartedOn, reverse=True)
        start = int(params.get("NextToken") or 0)
        page = runs[start:start + limit]
        result: dict[str, Any] = {"JobRuns": [r.as_api() for r in page]}
        if start + limit < len(runs):
            result["NextToken"] = str(start + limit)
        return result

    def batch_stop_job_run(self, request: KitRequest) -> dict[str, Any]:
        params = request.json()
        request.journal = False
        stopped, errors = [], []
        for run_id in params.get("JobRunIds") or []:
            run = self.runs.get(run_id)
            if run is None or run.JobName != params.get("JobName"):
                errors.append({"JobName": params.get("JobName"), "JobRunId": run_id,
                               "ErrorDetail": {"ErrorCode": "EntityNotFoundException", "ErrorMessage": f"Job run {run_id} not found."}})
                continue
            if run.JobRunState not in ACTIVE:
                errors.append({"JobName": run.JobName, "JobRunId": run_id,
                               "ErrorDetail": {"ErrorCode": "InvalidInputException",
                                               "ErrorMessage": f"Job run {run_id} is {run.JobRunState} and cannot be stopped."}})
                continue
            self.stop(run)
            stopped.append({"JobName": run.JobName, "JobRunId": run_id})
        return {"SuccessfulSubmissions": stopped, "Errors": errors}

    def stop(self, run: Run) -> None:
        with self.lock:
            run.stop_requested = True
            run.JobRunState = "STOPPING"
            run.LastModifiedOn = time.time()
            process = self.processes.get(run.Id)
        self.save()
        if process is not None:
            _kill_group(process.pid, signal.SIGTERM)

    # -- driving a run ---------------------------------------------------------------

    def _finish(self, run: Run, state: str, message: str | None, save: bool = True) -> None:
        with self.lock:
            run.JobRunState = state
            run.ErrorMessage = message
            run.CompletedOn = run.LastModifiedOn = time.time()
            run.pid = None
            self.processes.pop(run.Id, None)
        if save:
            self.save()

    def _drive(self, run: Run, command: dict[str, Any], arguments: dict[str, str]) -> None:
        logs = _LogShipper(self.url, run)
        try:
            logs.open()  # the run's log streams exist from its start, as on Glue
            workdir = self.work_root / run.Id
            script, extra_paths = self._fetch(command, arguments, workdir)
            argv = [sys.executable, str(script), "--JOB_NAME", run.JobName, "--JOB_ID", f"j_{run.JobName}",
                    "--JOB_RUN_ID", run.Id]
            for key, value in arguments.items():
                if key in ("--JOB_NAME", "--JOB_ID", "--JOB_RUN_ID", "--extra-py-files", *LOCAL_KNOBS):
                    continue
                argv += [key, str(value)]
            env = self._environment(run, extra_paths + [workdir])
            # Local-only knobs travel as job arguments (AWS Glue passes them to the
            # script, which ignores them), e.g. end the run once the stream is idle.
            for argument, variable in LOCAL_KNOBS.items():
                if argument in arguments:
                    env[variable] = str(arguments[argument])
            with self.lock:
                if run.stop_requested:
                    self._finish(run, "STOPPED", None)
                    return
                process = subprocess.Popen(argv, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                           stderr=subprocess.PIPE, start_new_session=True)
                self.processes[run.Id] = process
                run.pid = process.pid
                run.JobRunState = "RUNNING"
                run.LastModifiedOn = time.time()
            self.save()
        except AwsError as err:
            logs.error(err.message)
            logs.close()
            self._finish(run, "FAILED", err.message)
            return
        except Exception as exc:  # never leave a run STARTING forever
            log.exception("run %s could not start", run.Id)
            logs.close()
            self._finish(run, "FAILED", f"The run could not start: {exc}")
            return

        readers = [threading.Thread(target=logs.pump, args=(process.stdout, False), daemon=True),
                   threading.Thread(target=logs.pump, args=(process.stderr, True), daemon=True)]
        for reader in readers:
            reader.start()
        timed_out = False
        deadline = run.StartedOn + run.Timeout * timeout_minute_seconds()
        kill_at = None
        while process.poll() is None:
            if time.time() > deadline and not timed_out:
                timed_out = True
                logs.error(f"Job run timed out after {run.Timeout} minute(s): stopping it.")
                _kill_group(process.pid, signal.SIGTERM)
                kill_at = time.monotonic() + TIMEOUT_KILL_GRACE_SECONDS
            if kill_at is not None and time.monotonic() > kill_at:
                _kill_group(process.pid, signal.SIGKILL)
                kill_at = None
            if run.stop_requested and time.time() > run.LastModifiedOn + STOP_GRACE_SECONDS:
                _kill_group(process.pid, signal.SIGKILL)
            logs.flush_if_due()
            time.sleep(0.2)
        for reader in readers:
            reader.join(timeout=5)
        logs.close()
        code = process.returncode
        if timed_out:
            self._finish(run, "TIMEOUT", f"Job run timed out after {run.Timeout} minute(s).")
        elif run.stop_requested:
            self._finish(run, "STOPPED", None)
        elif code == 0:
            self._finish(run, "SUCCEEDED", None)
        elif code < 0:
            self._finish(run, "FAILED", f"The job process was killed by signal {_signal_name(-code)} before it finished.")
        else:
            self._finish(run, "FAILED", logs.last_error() or f"The script exited with code {code}.")

    def _fetch(self, command: dict[str, Any], arguments: dict[str, str], workdir: Path) -> tuple[Path, list[Path]]:
        location = command.get("ScriptLocation")
        if not location:
            raise AwsError("InvalidInputException", "The job has no Command.ScriptLocation: nothing to run.")
        workdir.mkdir(parents=True, exist_ok=True)
        script = self._download(location, workdir)
        extra_dir = workdir / "extra"
        extra_dir.mkdir(exist_ok=True)
        for location in filter(None, (arguments.get("--extra-py-files") or "").split(",")):
            self._download(location.strip(), extra_dir)
        return script, [extra_dir]

    def _download(self, location: str, into: Path) -> Path:
        import boto3
        from botocore.exceptions import ClientError

        if not location.startswith("s3://") or "/" not in location[5:]:
            raise AwsError("InvalidInputException", f"{location} is not an s3://bucket/key location.")
        bucket, key = location[5:].split("/", 1)
        target = into / Path(key).name
        s3 = boto3.client("s3", endpoint_url=self.url, region_name="us-east-1", aws_access_key_id="local",
                          aws_secret_access_key="local")
        try:
            s3.download_file(bucket, key, str(target))
        except ClientError as exc:
            raise AwsError("InvalidInputException", f"Cannot read {location}: {exc.response['Error'].get('Message') or exc}") from None
        return target

    def _environment(self, run: Run, python_paths: list[Path]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYSPARK_", "SPARK_"))}
        env.update({
            "AWS_ENDPOINT_URL": self.url or "",
            "AWS_ACCESS_KEY_ID": "local-glue-job",
            "AWS_SECRET_ACCESS_KEY": "local-glue-job",
            "AWS_REGION": run.region,
            "AWS_DEFAULT_REGION": run.region,
            # The local awsglue and the job's own files (--extra-py-files). The
            # kit's environment (pyspark, boto3 ...) plays Glue's preinstalled libraries.
            "PYTHONPATH": os.pathsep.join([str(HERE), *map(str, python_paths)]),
            "PYTHONUNBUFFERED": "1",
        })
        return env


class _LogShipper:
    """Sends a run's output to CloudWatch Logs on the endpoint, in batches."""

    def __init__(self, url: str | None, run: Run):
        self.url, self.run = url, run
        self.pending: list[tuple[str, int, str]] = []
        self.tail: deque[str] = deque(maxlen=200)
        self.lock = threading.Lock()
        self.last_flush = time.monotonic()
        self._client = None

    def open(self) -> None:
        if self.url:
            self.client()

    def flush_if_due(self) -> None:
        with self.lock:
            if self.pending and time.monotonic() - self.last_flush > 1:
                self._flush()

    def client(self):
        if self._client is None:
            import boto3

            self._client = boto3.client("logs", endpoint_url=self.url, region_name=self.run.region,
                                        aws_access_key_id="local", aws_secret_access_key="local")
            for group in (OUTPUT_GROUP, ERROR_GROUP):
                try:
                    self._client.create_log_group(logGroupName=group)
                except self._client.exceptions.ResourceAlreadyExistsException:
                    pass
                try:
                    self._client.create_log_stream(logGroupName=group, logStreamName=self.run.Id)
                except self._client.exceptions.ResourceAlreadyExistsException:
                    pass
        return self._client

    def pump(self, stream, is_error: bool) -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if is_error:
                self.tail.append(line)
            with self.lock:
                self.pending.append((ERROR_GROUP if is_error else OUTPUT_GROUP, int(time.time() * 1000), line))
                if len(self.pending) >= 200 or time.monotonic() - self.last_flush > 1:
                    self._flush()

    def error(self, message: str) -> None:
        self.tail.append(message)
        with self.lock:
            self.pending.append((ERROR_GROUP, int(time.time() * 1000), message))

    def close(self) -> None:
        with self.lock:
            self._flush()

    def _flush(self) -> None:
        self.last_flush = time.monotonic()
        if not self.pending or not self.url:
            self.pending.clear()
            return
        try:
            client = self.client()
            for group in (OUTPUT_GROUP, ERROR_GROUP):
                events = [{"timestamp": ts, "message": msg or " "} for g, ts, msg in self.pending if g == group]
                for start in range(0, len(events), 5000):
                    client.put_log_events(logGroupName=group, logStreamName=self.run.Id, logEvents=events[start:start + 5000])
        except Exception:  # logs are best effort; the run's state must not depend on them
            log.exception("could not ship logs of run %s", self.run.Id)
        self.pending.clear()

    def last_error(self) -> str | None:
        """The line that says what went wrong: a Python exception, else the last non-empty stderr line.

        The exception is the first unindented line after the last ``Traceback`` header, whatever
        its class is called (``awsglue._local.kinesis.StreamNotFound: …``); without a traceback,
        the last line that looks like ``SomeError: …``.
        """
        raw = list(self.tail)
        for start in range(len(raw) - 1, -1, -1):
            if raw[start].startswith("Traceback (most recent call last)"):
                for line in raw[start + 1:]:
                    if line.strip() and not line[0].isspace():
                        return line.strip()[:2000]
                break
        lines = [line.strip() for line in raw if line.strip()]
        for line in reversed(lines):
            if ":" in line and (line.split(":", 1)[0].endswith(("Error", "Exception")) or line.startswith("error:")):
                return line[:2000]
        return lines[-1][:2000] if lines else None


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def _kill_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


_JOB_UPDATE_FIELDS = {
    "Description": "description", "LogUri": "log_uri", "Role": "role", "ExecutionProperty": "execution_property",
    "Command": "command", "DefaultArguments": "default_arguments", "NonOverridableArguments": "non_overridable_arguments",
    "Connections": "connections", "MaxRetries": "max_retries", "AllocatedCapacity": "allocated_capacity",
    "Timeout": "timeout", "MaxCapacity": "max_capacity", "WorkerType": "worker_type", "NumberOfWorkers": "number_of_workers",
    "SecurityConfiguration": "security_configuration", "NotificationProperty": "notification_property",
    "GlueVersion": "glue_version", "ExecutionClass": "execution_class",
}


def update_job(request: KitRequest) -> dict[str, Any]:
    """``UpdateJob`` (moto lacks it): the new definition replaces the old one, as on AWS."""
    from moto.core.utils import utcnow
    from moto.glue.models import glue_backends

    params = request.json()
    name = params.get("JobName")
    try:
        job = backend(glue_backends, request).get_job(name)
    except Exception:
        raise AwsError("EntityNotFoundException", f"Job {name} not found.") from None
    update = params.get("JobUpdate") or {}
    if "Role" not in update or "Command" not in update:
        raise AwsError("InvalidInputException", "JobUpdate needs at least Role and Command.")
    for key, attribute in _JOB_UPDATE_FIELDS.items():
        default = {} if attribute in ("execution_property", "default_arguments") else None
        setattr(job, attribute, update.get(key, default))
    job.timeout = update.get("Timeout") or 2880
    job.execution_class = update.get("ExecutionClass") or "STANDARD"
    job.last_modified_on = utcnow()
    return {"JobName": name}


RUNTIME = Runtime()


def install(registry: Registry) -> None:
    registry.register("glue", "UpdateJob", update_job)
    registry.register("glue", "StartJobRun", RUNTIME.start_job_run)
    registry.register("glue", "GetJobRun", RUNTIME.get_job_run)
    registry.register("glue", "GetJobRuns", RUNTIME.get_job_runs)
    registry.register("glue", "BatchStopJobRun", RUNTIME.batch_stop_job_run)
