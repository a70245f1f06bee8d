"""The endpoint's home directory: pid/endpoint file, lock, logs and state.

Layout of ``--home`` (default ``.local_aws/`` at the repository root)::

    endpoint.json   written by the serving process once it listens (pid, url, start time)
    endpoint.lock   held (flock) by the serving process for its whole life
    logs/endpoint.log
    state/          service state (persistence lands here)

The lock, not the pid, decides whether an endpoint is alive: a pid can be reused
by another program after a crash, a held flock cannot outlive its process.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from . import LocalAwsError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HOME = REPO_ROOT / ".local_aws"


def resolve_home(home: str | os.PathLike | None) -> Path:
    if home is None:
        home = os.environ.get("LOCAL_AWS_HOME") or DEFAULT_HOME
    return Path(home).expanduser().resolve()


@dataclass
class Home:
    path: Path

    @property
    def endpoint_file(self) -> Path:
        return self.path / "endpoint.json"

    @property
    def lock_file(self) -> Path:
        return self.path / "endpoint.lock"

    @property
    def log_file(self) -> Path:
        return self.path / "logs" / "endpoint.log"

    @property
    def state_dir(self) -> Path:
        return self.path / "state"

    def prepare(self) -> None:
        """Create the directories; fail with one sentence if we cannot write there."""
        try:
            for directory in (self.path, self.log_file.parent, self.state_dir):
                directory.mkdir(parents=True, exist_ok=True)
            probe = self.path / ".write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise LocalAwsError(f"The home directory {self.path} is not usable: {exc.strerror or exc}.") from None

    # -- the endpoint file ---------------------------------------------------

    def read_endpoint(self) -> dict | None:
        try:
            return json.loads(self.endpoint_file.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {"corrupt": True}

    def write_endpoint(self, info: dict) -> None:
        """Atomic: readers see the old file or the new one, never half of one."""
        tmp = self.endpoint_file.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(info, indent=2))
        os.replace(tmp, self.endpoint_file)

    def remove_endpoint(self) -> None:
        self.endpoint_file.unlink(missing_ok=True)

    # -- the lock -----------------------------------------------------------

    def acquire_lock(self) -> int | None:
        """Take the serving lock; return its fd, or None if a live endpoint holds it."""
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                return None
            raise
        return fd

    def is_locked(self) -> bool:
        """True while some process serves this home."""
        if not self.lock_file.exists():
            return False
        fd = self.acquire_lock()
        if fd is None:
            return True
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
        return False

    # -- state --------------------------------------------------------------

    def wipe_state(self) -> None:
        shutil.rmtree(self.state_dir, ignore_errors=True)
        self.state_dir.mkdir(parents=True, exist_ok=True)

    def state_size(self) -> int:
        return sum(p.stat().st_size for p in self.state_dir.rglob("*") if p.is_file()) if self.state_dir.exists() else 0
