"""Render records from a compiled template: reproducible with a seed and a SimClock, fast either way.

``Generator`` binds every placeholder of a ``CompiledTemplate`` to its own
random stream and clock, then generates one small Python function that
renders a record as a single f-string of literal text and those bound
functions. Nothing is parsed or looked up per record, which is how it keeps
up with (and close to) a hand-written f-string -- see
``bench/bench_kdg_render.py``.

Reproducibility: the random stream is ``random.Random(seed)`` (seeded from the
operating system without a seed, like KDG); faults and Python Faker (used for
``internet.userAgent`` only) get streams of their own derived from the same
seed. Nothing depends on ``PYTHONHASHSEED``. With a ``SimClock`` and an
explicit ``tz`` the output is byte-identical on any machine, at any time.
"""

from __future__ import annotations

import random
from datetime import timezone, tzinfo
from typing import Callable, Iterator

from ..errors import KitError
from .clock import RealClock, SimClock, resolve_tz
from .faults import FAULT_KINDS, SENSOR_FAULT_TARGETS, FaultInjector, FaultRates, FaultTargets
from .providers import Context, lookup
from .template import CompiledTemplate, compile_template

__all__ = ["Generator", "preview"]

_SEED_TYPES = (int, str, bytes)


def _derived_seed(seed: int | str | bytes | None, stream: str) -> int | None:
    """A seed for a secondary stream, so that e.g. turning faults on leaves the records' values alone."""
    if seed is None:
        return None
    return random.Random(f"kdg/{stream}/{seed!r}").getrandbits(64)


def build_renderer(template: CompiledTemplate, ctx: Context, clock, tz: tzinfo | None,
                   counter: list[int]) -> Callable[[], str]:
    """One function rendering a record: reads the clock once, then evaluates one f-string.

    The source is generated from the template's parts (each literal and each
    bound function becomes a name in the function's namespace, never text in
    the source), so a record costs one clock read plus one call per placeholder.
    """
    namespace: dict[str, object] = {"tick": clock.tick, "counter": counter}
    fields, uses_local = [], False
    for i, part in enumerate(template.parts):
        if isinstance(part, str):
            namespace[f"t{i}"] = part
            fields.append(f"{{t{i}}}")
            continue
        method = lookup(part.module, part.method)
        namespace[f"f{i}"] = method.bind(ctx, part.arg)
        instant = {"utc": "utc", "local": "local"}.get(method.clock or "", "")
        uses_local |= instant == "local"
        fields.append(f"{{f{i}({instant})}}")
    if tz is timezone.utc:
        namespace["to_local"] = lambda moment: moment
    elif tz is None:
        namespace["to_local"] = lambda moment: moment.astimezone()  # this machine's zone, as a browser
    else:
        namespace["to_local"] = lambda moment: moment.astimezone(tz)
    lines = ["def render():", "    utc = tick()", "    counter[0] += 1"]
    if uses_local:
        lines.append("    local = to_local(utc)")
    lines.append(f"    return f'{''.join(fields)}'")
    exec(compile("\n".join(lines) + "\n", "<kdg template>", "exec"), namespace)  # noqa: S102 - names only
    return namespace["render"]  # type: ignore[return-value]


class Generator:
    """Records from a KDG template.

    ``Generator(template, seed=None, clock=None, tz=None, faults=None, fault_targets=SENSOR_FAULT_TARGETS)``

    * ``template`` -- a ``CompiledTemplate`` (or template text, compiled here).
    * ``seed`` -- int or str for a reproducible stream; None draws from the OS, like KDG.
    * ``clock`` -- ``SimClock(start, rate)`` for simulated, reproducible time; None is
      ``RealClock()``, the current time, like KDG.
    * ``tz`` -- the zone ``date.now``/``date.simTime``/``date.past`` … are written in:
      "UTC", "Europe/Berlin", "+02:00"; None is this machine's zone, like KDG in a browser.
    * ``faults`` -- ``FaultRates(...)``: a share of records turned into bad records (see
      ``faults.py``); ``fault_counts`` says how many of each were made.

    ``render()`` gives one record (without KDG's trailing newline), ``records(n)``
    an iterator of ``n``; ``render_labelled()`` gives ``(record, kind)`` where kind is
    "clean" or the fault applied.
    """

    def __init__(self, template: CompiledTemplate | str, seed: int | str | bytes | None = None,
                 clock: SimClock | RealClock | None = None, tz: str | tzinfo | None = None,
                 faults: FaultRates | None = None, fault_targets: FaultTargets = SENSOR_FAULT_TARGETS):
        if isinstance(template, str):
            template = compile_template(template)
        if not isinstance(template, CompiledTemplate):
            raise KitError(f"Generator needs a template (compile_template(text)), not {type(template).__name__}.")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, _SEED_TYPES)):
            raise KitError(f"seed={seed!r} is not valid: give a whole number or a string (or None for a random run).")
        if faults is not None and not isinstance(faults, FaultRates):
            raise KitError(f"faults= takes FaultRates(...), not {type(faults).__name__}.")
        self.template = template
        self.seed = seed
        self.clock = clock if clock is not None else RealClock()
        if not callable(getattr(self.clock, "tick", None)):
            raise KitError(f"clock= takes SimClock(...) or RealClock(), not {type(self.clock).__name__}.")
        self.tz = resolve_tz(tz)
        self.faults = faults
        self._counter = [0]
        rng = random.Random(seed)  # seed None: from os.urandom
        ctx = Context(rng, self.tz, faker_seed=_derived_seed(seed, "faker"))
        self._render_clean = build_renderer(template, ctx, self.clock, self.tz, self._counter)
        self._injector: FaultInjector | None = None
        if faults is not None and faults.total > 0:
            fault_rng = random.Random(_derived_seed(seed, "faults"))
            self._injector = FaultInjector(faults, fault_targets, fault_rng, self._sample_record(template))
            self.render = self._render_with_faults  # type: ignore[method-assign]
        else:
            self.render = self._render_clean  # type: ignore[method-assign]

    def _sample_record(self, template: CompiledTemplate) -> str:
        """One record from a throwaway stream and clock, to check that faults can apply (leaves ours alone)."""
        ctx = Context(random.Random(0), self.tz, faker_seed=0)
        return build_renderer(template, ctx, SimClock(), self.tz, [0])()

    def render(self) -> str:
        """One record (without KDG's trailing newline)."""
        # Never runs: __init__ replaces it on the instance by the generated renderer itself (or the fault
        # wrapper), which saves a Python call per record.
        raise NotImplementedError

    def _render_with_faults(self) -> str:
        return self._injector.apply(self._render_clean())[0]  # type: ignore[union-attr]

    def render_labelled(self) -> tuple[str, str]:
        """One record and what it is: "clean" or the fault applied to it."""
        if self._injector is None:
            return self._render_clean(), "clean"
        return self._injector.apply(self._render_clean())

    def records(self, n: int) -> Iterator[str]:
        """An iterator over the next ``n`` records (made one at a time, as they are consumed)."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise KitError(f"records({n!r}): give a whole number of records, 0 or more.")
        render = self.render
        return (render() for _ in range(n))

    @property
    def count(self) -> int:
        """Records rendered so far (duplicates included)."""
        return self._counter[0]

    @property
    def fault_counts(self) -> dict[str, int]:
        """How many records were sent clean and with each fault; the values add up to ``count``."""
        if self._injector is not None:
            return dict(self._injector.counts)
        return {"clean": self._counter[0], **dict.fromkeys(FAULT_KINDS, 0)}

    def __repr__(self) -> str:
        return (f"Generator({self.template!r}, seed={self.seed!r}, clock={self.clock!r}, "
                f"tz={getattr(self.tz, 'key', self.tz)!r}, faults={self.faults!r})")


def preview(template: CompiledTemplate | str, n: int = 5, seed: int | str | None = None,
            tz: str | tzinfo | None = "UTC") -> list[str]:
    """``n`` sample records, like KDG's "Test template" button (a SimClock at 100 records/s)."""
    return list(Generator(template, seed=seed, clock=SimClock(), tz=tz).records(n))

