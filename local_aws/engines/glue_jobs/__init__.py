"""The Glue job runtime: ``StartJobRun`` runs the job's script with local PySpark.

``runtime`` drives runs (processes, states, logs, stop, timeout); the
``awsglue`` package next to it is the local implementation of the Glue API
subset scripts use, put on the job process's ``PYTHONPATH`` only; ``java``
finds a Java for Spark.
"""

from __future__ import annotations

from pathlib import Path

from ...dispatch import Registry
from .runtime import RUNTIME
from .runtime import install as _install


def install(registry: Registry) -> None:
    _install(registry)


def configure(state_dir: Path | None = None, url: str | None = None) -> None:
    RUNTIME.configure(state_dir=state_dir, url=url)


def recover() -> None:
    RUNTIME.recover()


def reset() -> None:
    RUNTIME.reset()


def shutdown() -> None:
    RUNTIME.shutdown()
