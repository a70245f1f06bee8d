"""How JavaScript turns values into text, for values the KDG inserts into records.

KDG's parser replaces ``{{…}}`` with whatever the faker.js method returned,
which JavaScript converts with ``String(value)``. Getting this right matters
for records that learners compare with the real KDG: ``true`` not ``True``,
``3`` not ``3.0``, ``1e-7`` not ``1e-07``, arrays joined with commas.

One deliberate difference: JavaScript renders a plain object as
``[object Object]``; we render compact JSON instead (see ``js_string``).
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from datetime import datetime, timezone
from typing import Any

__all__ = ["js_number", "js_string", "js_json"]


def js_number(value: int | float) -> str:
    """``String(number)`` as JavaScript writes it (shortest round-trip digits)."""
    if isinstance(value, int):
        # JS numbers are doubles: integers from 1e21 on are written in exponent form.
        return str(value) if abs(value) < 10**21 else _js_float(float(value))
    return _js_float(value)


def _js_float(value: float) -> str:
    if value != value:
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"  # also -0, which JS writes as "0"
    magnitude = abs(value)
    if 1e-4 <= magnitude < 1e16:
        # Python's repr uses fixed notation here, with the same shortest digits as JS.
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return _js_float_general(value)


def _js_float_general(value: float) -> str:
    """ECMAScript's Number::toString rules, applied to Python's shortest round-trip digits."""
    _, digit_tuple, exponent = Decimal(repr(abs(value))).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    point = len(digit_tuple) + exponent  # the value is 0.<digits> * 10**point
    sign = "-" if value < 0 else ""
    k = len(digits)
    if k <= point <= 21:
        return sign + digits + "0" * (point - k)
    if 0 < point <= 21:
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * -point + digits
    exp = point - 1
    head = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{head}e{'+' if exp >= 0 else '-'}{abs(exp)}"


def js_string(value: Any) -> str:
    """``String(value)`` for JSON-like values, except objects, which become compact JSON.

    KDG would insert ``[object Object]`` for an object (e.g. ``helpers.userCard``);
    JSON is what anyone using such a helper in a record actually wants.
    """
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return js_number(value)
    if isinstance(value, (list, tuple)):
        # Array.prototype.toString: elements joined by ",", null/undefined as "".
        return ",".join("" if item is None else js_string(item) for item in value)
    if isinstance(value, datetime):
        return js_iso(value)
    if isinstance(value, dict):
        return js_json(value)
    return str(value)


def js_iso(value: datetime) -> str:
    """``Date.prototype.toISOString``: UTC with milliseconds and a ``Z``."""
    utc = value.astimezone(timezone.utc)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def js_json(value: Any) -> str:
    """``JSON.stringify(value)``: compact, non-ASCII kept, dates as ISO strings."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return js_iso(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
