"""Kit engines: the operations moto only stubs, answered for real.

Each engine is a sub-package (``athena/``, ``glue_crawler/``, ``glue_jobs/``,
``quicksight/``, ``kinesis_limits/`` ...) exposing ``install(registry)``, which
registers its handlers with ``registry.register(service, operation, handler)``,
and optionally ``reset()``, called when the endpoint's state is wiped.
Engines are listed in ``ENGINES`` below; every operation no engine
registers is answered by moto.
"""

from __future__ import annotations

from types import ModuleType

from ..dispatch import Registry
from . import kinesis

ENGINES: list[ModuleType] = [kinesis]


def install(registry: Registry) -> None:
    for engine in ENGINES:
        engine.install(registry)


def reset() -> None:
    for engine in ENGINES:
        if hasattr(engine, "reset"):
            engine.reset()
