"""Runtime switches of the endpoint, shared by the server and its engines.

Set at start-up from the environment (``LOCAL_AWS_<NAME>``, e.g.
``LOCAL_AWS_KINESIS_LIMITS=off``) and changed while running with
``python -m local_aws config NAME=VALUE`` (``POST /_local_aws/config``).
"""

from __future__ import annotations

import os
import threading
from dataclasses import asdict, dataclass, fields

from . import LocalAwsError

_TRUE, _FALSE = {"1", "on", "true", "yes"}, {"0", "off", "false", "no"}


@dataclass
class Settings:
    # Enforce Kinesis per-shard write limits (1,000 records/s or 1 MiB/s) on
    # provisioned streams, as AWS does, so learners meet throttling locally.
    kinesis_limits: bool = True

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


SETTINGS = Settings()
_lock = threading.Lock()


def parse_bool(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise LocalAwsError(f"{name}={value!r} is not on/off (use on, off, true, false, 1 or 0).")


def update(values: dict[str, object]) -> dict[str, object]:
    """Change settings by name; unknown names or bad values change nothing."""
    known = {f.name: f for f in fields(Settings)}
    parsed = {}
    for name, value in values.items():
        if name not in known:
            raise LocalAwsError(f"Unknown setting {name!r}; known settings: {', '.join(sorted(known))}.")
        parsed[name] = parse_bool(name, value)
    with _lock:
        for name, value in parsed.items():
            setattr(SETTINGS, name, value)
    return SETTINGS.as_dict()


def load_from_environment() -> None:
    values = {f.name: os.environ[f"LOCAL_AWS_{f.name.upper()}"] for f in fields(Settings) if f"LOCAL_AWS_{f.name.upper()}" in os.environ}
    if values:
        update(values)
