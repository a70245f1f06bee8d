"""The ``module.method`` registry: every helper a KDG template can call.

KDG's template engine is faker.js's ``fake()``: ``{{module.method}}`` or
``{{module.method(ARG)}}`` calls ``faker[module][method](ARG)``. This registry
holds one entry per method KDG's bundled faker.js registers (``address`` …
``system``, with KDG's additions ``random.weightedArrayElement``,
``date.now/utc/simTime`` and ``internet.session``).

An entry is a *binder*: ``bind(ctx, arg)`` checks the argument once, when the
template is compiled, and returns a zero-argument function that renders one
value as text (date methods take the record's instant instead). Rendering a
record is then a row of plain function calls, which is what makes the
generator fast.

The implementations live in ``methods_random`` (random, helpers' text
tools), ``methods_date`` (date) and ``methods_faker`` (name, address, phone,
company, commerce, finance, hacker, lorem, internet, image, system, helpers'
cards, built on ``jsfaker``); importing this module registers them all.
"""

from __future__ import annotations

import inspect
import json
import math
import random
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any, Callable

from .jsfaker import JsFaker

__all__ = ["Arg", "ArgumentError", "Context", "Method", "REGISTRY", "lookup", "register"]


class ArgumentError(Exception):
    """A placeholder's argument does not suit its method; the template compiler adds where it is."""


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN/Infinity; JavaScript's JSON.parse does not, so neither do we.
    raise ValueError(f"{name} is not JSON")


@dataclass(frozen=True)
class Arg:
    """The argument of ``{{module.method(ARG)}}``, parsed the way KDG does it.

    ``text`` is what stands between the parentheses; ``value`` is that text
    parsed as JSON, or the text itself if it is not JSON (``is_json`` False).
    Like KDG, an empty argument -- no parentheses, or ``("")`` -- means "no
    argument" (``given`` is False).
    """

    text: str = ""
    value: Any = ""
    is_json: bool = False

    @classmethod
    def parse(cls, text: str) -> "Arg":
        try:
            return cls(text, json.loads(text, parse_constant=_reject_constant), True)
        except ValueError:
            return cls(text, text, False)

    @property
    def given(self) -> bool:
        return not (isinstance(self.value, str) and self.value == "")

    def describe(self) -> str:
        """How the argument was read, for error messages."""
        return f"JSON {json.dumps(self.value)}" if self.is_json else f"the text {self.text!r}"


NO_ARG = Arg()


class Context:
    """What a binder may use: the generator's random stream, time zone and a warning sink."""

    def __init__(self, rng: random.Random, tz: tzinfo | None = None, faker_seed: int | None = None,
                 warn: Callable[[str], None] | None = None):
        self.rng = rng
        self.tz = tz  # None: this machine's local zone
        self._faker_seed = faker_seed
        self._faker = None
        self._js = None
        self.warn = warn or (lambda message: None)

    @property
    def js(self) -> JsFaker:
        """faker.js's compositions (names, addresses, lorem …) drawing from this context's random stream."""
        if self._js is None:
            self._js = JsFaker(self.rng, self.tz, lambda: self.faker)
        return self._js

    @property
    def faker(self):
        """A Python Faker (en_US) with its own seed, created on first use (it takes ~50 ms)."""
        if self._faker is None:
            from faker import Faker

            self._faker = Faker("en_US")
            self._faker.seed_instance(self._faker_seed if self._faker_seed is not None else random.getrandbits(64))
        return self._faker


Binder = Callable[[Context, Arg], Callable[..., str]]


@dataclass(frozen=True)
class Method:
    """One ``module.method``: how to bind it, what it renders, and whether it needs the clock."""

    module: str
    name: str
    bind: Binder
    summary: str  # first line of the binder's docstring
    sample: str  # a regular expression that the method's output, without an argument, matches in full
    clock: str | None = None  # None, or "utc"/"local": the rendering function takes the record's instant

    @property
    def qualified_name(self) -> str:
        return f"{self.module}.{self.name}"


REGISTRY: dict[str, dict[str, Method]] = {}


def register(module: str, name: str, *, sample: str, clock: str | None = None) -> Callable[[Binder], Binder]:
    """Decorator: register ``bind`` as ``{{module.name}}``; its docstring's first line documents it."""

    def decorate(bind: Binder) -> Binder:
        summary = (inspect.getdoc(bind) or "").split("\n", 1)[0]
        REGISTRY.setdefault(module, {})[name] = Method(module, name, bind, summary, sample, clock)
        return bind

    return decorate


def register_pick(module: str, name: str, items: tuple[str, ...], summary: str, sample: str | None = None) -> None:
    """Register a method that picks uniformly from ``items`` (faker.js's arrayElement over a word list)."""

    def bind(ctx: Context, arg: Arg) -> Callable[[], str]:
        ignore(ctx, arg, f"{module}.{name}")
        return picker(ctx.rng, items)

    bind.__doc__ = summary
    register(module, name, sample=sample or r".+")(bind)


def lookup(module: str, name: str) -> Method | None:
    """The registered method, or None."""
    return REGISTRY.get(module, {}).get(name)


def all_methods() -> list[Method]:
    """Every registered method, by module then name."""
    return [REGISTRY[module][name] for module in sorted(REGISTRY) for name in sorted(REGISTRY[module])]


# --- small tools for binders ---------------------------------------------------------------


def picker(rng: random.Random, items) -> Callable[[], Any]:
    """A function returning a uniformly chosen item (one random() call: cheaper than rng.choice)."""
    items = tuple(items)
    count = len(items)
    rnd = rng.random
    if count == 1:
        only = items[0]
        return lambda: only
    return lambda: items[int(rnd() * count)]


def ignore(ctx: Context, arg: Arg, name: str) -> None:
    """KDG passes an argument to a method that takes none, which ignores it; we do too, with a warning."""
    if arg.given:
        ctx.warn(f"{name} takes no argument; {arg.describe()} is ignored (as in KDG).")


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def number_arg(arg: Arg, name: str, meaning: str, default: float | None, *, integer: bool = False,
               minimum: float | None = None, maximum: float | None = None) -> Any:
    """The argument as a number (``default`` when none is given); ArgumentError if it is anything else."""
    if not arg.given:
        return default
    value = arg.value
    if not is_number(value) or (integer and value != int(value)):
        kind = "a whole number" if integer else "a number"
        raise ArgumentError(f"{name} takes {kind} ({meaning}), not {arg.describe()}")
    if minimum is not None and value < minimum:
        raise ArgumentError(f"{name} takes {meaning} of at least {minimum:g}, not {value:g}")
    if maximum is not None and value > maximum:
        raise ArgumentError(f"{name} takes {meaning} of at most {maximum:g}, not {value:g}")
    return int(value) if integer else value


def string_arg(arg: Arg, name: str, meaning: str, default: str | None = None) -> str | None:
    """The argument as text: a JSON string, or raw text that is not JSON (numbers are refused)."""
    if not arg.given:
        return default
    if isinstance(arg.value, str):
        return arg.value
    raise ArgumentError(f"{name} takes text ({meaning}), not {arg.describe()}; quote it: (\"…\")")


def check_braces(name: str, texts) -> None:
    """Refuse data that contains "{{" or "}}": KDG would expand it again as a placeholder (see template.py)."""
    for text in texts:
        if isinstance(text, str) and ("{{" in text or "}}" in text):
            raise ArgumentError(
                f"{name} data {text!r} contains '{{{{' or '}}}}', which KDG would re-read as a placeholder"
            )


# Importing the implementations registers them (they import the tools above).
from . import methods_date, methods_faker, methods_random  # noqa: E402,F401
