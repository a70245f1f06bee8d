"""Shared by the endpoint tests: run the CLI, watch processes, make clients."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import botocore.config

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, home: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "local_aws", *args]
    if home is not None:
        command += ["--home", str(home)]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT, stdin=subprocess.DEVNULL)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (killed, not yet reaped by its parent) counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def wait_gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return False


def endpoint_pid(home: Path) -> int:
    return json.loads((home / "endpoint.json").read_text())["pid"]


def kill_9(home: Path) -> None:
    pid = endpoint_pid(home)
    os.kill(pid, signal.SIGKILL)
    assert wait_gone(pid)
    assert wait_lock_free(home), f"{home}/endpoint.lock is still held after pid {pid} was killed"


def wait_lock_free(home: Path, timeout: float = 30) -> bool:
    """True once nobody holds the home's flock (the kernel releases it as the killed process is torn down)."""
    import fcntl

    deadline = time.monotonic() + timeout
    while True:
        fd = os.open(home / "endpoint.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
            return True
        except OSError:
            if time.monotonic() > deadline:
                return False
        finally:
            os.close(fd)
        time.sleep(0.1)


def start(home: Path, *extra: str) -> str:
    started = cli("start", "--port", "0", *extra, home=home)
    assert started.returncode == 0, started.stderr
    return started.stdout.strip()


def stop_quietly(home: Path) -> None:
    if (home / "endpoint.json").exists():
        pid = endpoint_pid(home)
        cli("stop", home=home)
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)


def client(service: str, url: str, attempts: int = 5):
    return boto3.client(
        service, endpoint_url=url, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y",
        config=botocore.config.Config(retries={"total_max_attempts": attempts, "mode": "standard"}),
    )
