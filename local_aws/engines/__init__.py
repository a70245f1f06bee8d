"""Kit engines: the operations moto only stubs, answered for real.

Each engine is a sub-package (``athena/``, ``glue_crawler/``, ``glue_jobs/``,
``quicksight/``, ``kinesis_limits/`` ...) exposing ``install(registry)``, which
registers its handlers with ``registry.register(service, operation, handler)``,
and optionally ``reset()`` (state wiped), ``snapshot_state()`` /
``restore_state(state)`` (its own durable state, when it keeps any outside
moto) and ``recover()`` (after a restart: settle work that was in flight).
Engines are listed in ``ENGINES`` below; every operation no engine
registers is answered by moto.
"""

from __future__ import annotations

from types import ModuleType

from ..dispatch import Registry
from . import athena, glue_crawler, glue_jobs, glue_tags, kinesis, quicksight, s3_policies

ENGINES: list[ModuleType] = [kinesis, glue_jobs, glue_crawler, glue_tags, s3_policies, athena, quicksight]


def install(registry: Registry) -> None:
    for engine in ENGINES:
        engine.install(registry)


def reset() -> None:
    for engine in ENGINES:
        if hasattr(engine, "reset"):
            engine.reset()


def snapshot_state() -> dict[str, object]:
    """Each engine's own durable state (picklable), by engine name."""
    return {engine.__name__: engine.snapshot_state() for engine in ENGINES if hasattr(engine, "snapshot_state")}


def restore_state(states: dict[str, object]) -> None:
    for engine in ENGINES:
        if engine.__name__ in states and hasattr(engine, "restore_state"):
            engine.restore_state(states[engine.__name__])


def configure(**settings: object) -> None:
    """Tell engines where durable state lives (``state_dir``) and the endpoint's ``url``."""
    for engine in ENGINES:
        if hasattr(engine, "configure"):
            engine.configure(**settings)


def shutdown() -> None:
    """The endpoint is stopping: engines end the work they drive."""
    for engine in ENGINES:
        if hasattr(engine, "shutdown"):
            engine.shutdown()


def recover() -> None:
    """After a restart: engines settle work that was in flight (e.g. runs left RUNNING)."""
    for engine in ENGINES:
        if hasattr(engine, "recover"):
            engine.recover()
