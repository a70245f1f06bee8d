"""``random.*`` and ``helpers.*``: the methods most KDG templates are made of.

Semantics follow KDG's bundled faker.js (``web/js/faker.js``):

* ``random.number(N)`` is in [0, N], max included; ``random.number({"min":a,
  "max":b,"precision":p})`` is a multiple of ``p`` in [a, b], both included;
  the defaults are min 0, max 99999, precision 1.
* ``random.arrayElement([...])`` picks uniformly (default ``["a","b","c"]``).
* ``random.weightedArrayElement({"weights":[...],"data":[...]})`` picks with
  probability proportional to the weights, which need not sum to 1 (default
  ``{"weights":[0.5,0.5],"data":["dog","cat"]}``).
* ``random.uuid`` is an RFC 4122 version 4 UUID; ``random.boolean`` is
  ``true``/``false``.

Deviations, each because KDG's output there is a bug, not a feature:

* ``random.number`` with a precision such as 0.01 gives clean decimals
  (``0.57``); faker.js multiplies floats and can print ``0.5700000000000001``.
  A negative ``max`` is included too (faker.js then excludes it), and
  ``min``/``max`` off the precision grid are rounded inwards (faker.js can
  return a value below ``min``).
* ``weightedArrayElement`` uses the weights exactly; KDG rounds the running
  sum of weights to 2 decimals, which skews weights below ~0.01 and can yield
  ``undefined`` when they do not add up.
* Arguments KDG would turn into ``NaN``, ``undefined`` or one random character
  (``random.number(abc)``, ``random.arrayElement(OK,FAIL)``) are refused when the
  template is compiled, with a message saying what to write instead.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from decimal import Decimal
from itertools import accumulate
from typing import Any, Callable

from .jsfaker import slugify
from .jsvalue import js_number, js_string
from .providers import (Arg, ArgumentError, Context, check_braces, ignore, is_number, number_arg, picker,
                        register, string_arg)
from .wordlists import LOCALES

_UUID_AND = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID_OR = (0x4000 << 64) | (0x8000 << 48)  # version 4, RFC 4122 variant


# --- random.number ---------------------------------------------------------------------------

def _decimals(precision: float) -> int:
    """Decimal places of a precision: 0.01 -> 2, 0.25 -> 2, 1 -> 0, 5 -> 0."""
    return max(0, -int(Decimal(repr(precision)).normalize().as_tuple().exponent))


def _is_power_of_ten(precision: float) -> bool:
    """0.1, 0.01, 0.001 … (one significant digit, a 1)."""
    return Decimal(repr(precision)).normalize().as_tuple().digits == (1,)


def number_options(arg: Arg, name: str = "random.number") -> tuple[float, float, float]:
    """(min, max, precision) from KDG's two argument forms; ArgumentError for anything else."""
    if not arg.given:
        return 0, 99999, 1
    value = arg.value
    if is_number(value):
        low, high, precision = 0, value, 1
    elif isinstance(value, dict):
        unknown = sorted(set(value) - {"min", "max", "precision"})
        if unknown:
            raise ArgumentError(f"{name} knows the keys min, max and precision, not {', '.join(map(repr, unknown))}")
        for key in ("min", "max", "precision"):
            if key in value and not is_number(value[key]):
                raise ArgumentError(f"{name}'s {key} must be a number, not {value[key]!r}")
        low, high, precision = value.get("min", 0), value.get("max", 99999), value.get("precision", 1)
    else:
        raise ArgumentError(
            f"{name} takes a number (the maximum) or {{\"min\":…,\"max\":…,\"precision\":…}}, not "
            f"{arg.describe()} (KDG would render NaN)"
        )
    if precision <= 0:
        raise ArgumentError(f"{name}'s precision must be greater than 0, not {precision:g}")
    if low > high:
        raise ArgumentError(f"{name}'s min {low:g} is greater than its max {high:g}")
    return low, high, precision


def number_renderer(rnd: Callable[[], float], low: float, high: float, precision: float,
                    name: str = "random.number") -> Callable[[], str]:
    """A function rendering a uniform multiple of ``precision`` in [low, high] as JavaScript prints it."""
    first = math.ceil(low / precision - 1e-9)  # tolerance: 0.3 / 0.1 is 2.9999999999999996
    last = math.floor(high / precision + 1e-9)
    if first > last:
        raise ArgumentError(f"{name} has no multiple of {precision:g} between {low:g} and {high:g}")
    count = last - first + 1
    if precision == 1 and abs(first) < 2**53 and abs(last) < 2**53:
        return lambda: str(first + int(rnd() * count))  # the common case, kept lean
    if precision == int(precision):
        step = int(precision)
        return lambda: js_number((first + int(rnd() * count)) * step)
    places = _decimals(precision)
    if precision >= 1e-4 and max(abs(low), abs(high)) < 1e15:
        # Every value is 0 or has 1e-4 <= |value| < 1e16, where repr() writes JavaScript's digits in
        # fixed notation; only a trailing ".0" must go ("3.0" -> "3"). Inlined: this is the hot path
        # of templates like sensor_fleet.
        if _is_power_of_ten(precision):
            scale = 10**places  # k / 100 is exactly the double nearest to k hundredths: no float noise

            def render() -> str:
                text = repr((first + int(rnd() * count)) / scale)
                return text[:-2] if text[-2:] == ".0" else text
        else:

            def render() -> str:
                text = repr(round((first + int(rnd() * count)) * precision, places))
                return text[:-2] if text[-2:] == ".0" else text

        return render
    # round() removes the float noise of k * 0.01 (faker.js would print 0.5700000000000001).
    return lambda: js_number(round((first + int(rnd() * count)) * precision, places))


@register("random", "number", sample=r"\d{1,5}")
def random_number(ctx: Context, arg: Arg) -> Callable[[], str]:
    """Number in [0, N] for (N), or in [min, max] on a precision grid for ({"min","max","precision"}); default max 99999."""
    low, high, precision = number_options(arg)
    return number_renderer(ctx.rng.random, low, high, precision)


# --- random.arrayElement and friends -------------------------------------------------------

def array_arg(arg: Arg, name: str, default: list) -> list:
    """The argument as a non-empty JSON array (``default`` when none is given)."""
    if not arg.given:
        return default
    value = arg.value
    if isinstance(value, list):
        if not value:
            raise ArgumentError(f"{name} needs at least one element, not an empty array")
        return value
    if not arg.is_json:
        raise ArgumentError(
            f"{name} takes a JSON array like [\"OK\",\"FAIL\"], not the text {arg.text!r} "
            f"(KDG would pick a single character of it); quote each element"
        )
    raise ArgumentError(f"{name} takes a JSON array like [\"OK\",\"FAIL\"], not {arg.describe()}")


def _stringified(name: str, items: list) -> list[str]:
    texts = [js_string(item) for item in items]
    check_braces(name, texts)
    return texts


@register("random", "arrayElement", sample=r"[abc]")
def random_array_element(ctx: Context, arg: Arg) -> Callable[[], str]:
    """One element of the JSON array, chosen uniformly; default ["a","b","c"]."""
    items = array_arg(arg, "random.arrayElement", ["a", "b", "c"])
    return picker(ctx.rng, _stringified("random.arrayElement", items))


def weighted_options(arg: Arg, name: str = "random.weightedArrayElement") -> tuple[list[float], list[Any]]:
    """(weights, data) from {"weights":[...],"data":[...]}; ArgumentError when they cannot be used."""
    if not arg.given:
        return [0.5, 0.5], ["dog", "cat"]
    value = arg.value
    if not isinstance(value, dict) or not isinstance(value.get("weights"), list) or not isinstance(value.get("data"), list):
        raise ArgumentError(
            f"{name} takes {{\"weights\":[0.3,0.7],\"data\":[\"a\",\"b\"]}}, not {arg.describe()}"
        )
    weights, data = value["weights"], value["data"]
    if not data or not weights:
        raise ArgumentError(f"{name} needs at least one weight and one data element, not an empty array")
    if len(weights) != len(data):
        raise ArgumentError(f"{name} has {len(weights)} weights for {len(data)} data elements; give one weight per element")
    bad = [w for w in weights if not is_number(w) or w < 0]
    if bad:
        raise ArgumentError(f"{name}'s weights must be numbers of 0 or more, not {bad[0]!r}")
    if sum(weights) <= 0:
        raise ArgumentError(f"{name}'s weights add up to 0, so nothing could be chosen")
    return weights, data


@register("random", "weightedArrayElement", sample=r"dog|cat")
def random_weighted_array_element(ctx: Context, arg: Arg) -> Callable[[], str]:
    """One data element, chosen with probability weight / sum of weights (weights need not sum to 1)."""
    weights, data = weighted_options(arg)
    texts = _stringified("random.weightedArrayElement", data)
    cumulative = list(accumulate(weights))
    total = cumulative[-1]
    rnd = ctx.rng.random
    # bisect_right skips zero weights: an element with weight 0 is never chosen.
    return lambda: texts[bisect_right(cumulative, rnd() * total)]


@register("random", "objectElement", sample=r"bar|car")
def random_object_element(ctx: Context, arg: Arg) -> Callable[[], str]:
    """A value of the JSON object, chosen uniformly; default {"foo":"bar","too":"car"}."""
    value = arg.value if arg.given else {"foo": "bar", "too": "car"}
    if not isinstance(value, dict) or not value:
        raise ArgumentError(f"random.objectElement takes a non-empty JSON object like {{\"a\":1,\"b\":2}}, not {arg.describe()}")
    return picker(ctx.rng, _stringified("random.objectElement", list(value.values())))


@register("random", "uuid", sample=r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
def random_uuid(ctx: Context, arg: Arg) -> Callable[[], str]:
    """A random RFC 4122 version 4 UUID, e.g. 1b4e28ba-2fa1-41d2-883f-0016d3cca427."""
    ignore(ctx, arg, "random.uuid")
    getrandbits = ctx.rng.getrandbits

    def uuid4() -> str:
        hexa = "%032x" % (getrandbits(128) & _UUID_AND | _UUID_OR)
        return f"{hexa[:8]}-{hexa[8:12]}-{hexa[12:16]}-{hexa[16:20]}-{hexa[20:]}"

    return uuid4


@register("random", "boolean", sample=r"true|false")
def random_boolean(ctx: Context, arg: Arg) -> Callable[[], str]:
    """true or false, as JavaScript writes them, with equal chance."""
    ignore(ctx, arg, "random.boolean")
    rnd = ctx.rng.random
    return lambda: "true" if rnd() < 0.5 else "false"


@register("random", "word", sample=r".+")
def random_word(ctx: Context, arg: Arg) -> Callable[[], str]:
    """A word or short phrase from a random word-like method (department, hacker noun, state …), as faker.js."""
    ignore(ctx, arg, "random.word")
    return ctx.js.random_word


@register("random", "words", sample=r".+")
def random_words(ctx: Context, arg: Arg) -> Callable[[], str]:
    """(N) random.word results joined by spaces; default 1 to 3 of them."""
    count = number_arg(arg, "random.words", "the number of words", None, integer=True, minimum=0)
    js = ctx.js
    return lambda: js.random_words(count)


@register("random", "image", sample=r"http://lorempixel\.com/640/480/\w+")
def random_image(ctx: Context, arg: Arg) -> Callable[[], str]:
    """Same as image.image: a lorempixel.com URL of a random category."""
    ignore(ctx, arg, "random.image")
    return ctx.js.image


@register("random", "locale", sample=r"[a-zA-Z_]+")
def random_locale(ctx: Context, arg: Arg) -> Callable[[], str]:
    """One of faker.js's 35 locale codes, e.g. de_AT."""
    ignore(ctx, arg, "random.locale")
    return picker(ctx.rng, LOCALES)


@register("random", "alphaNumeric", sample=r"[0-9a-z]")
def random_alpha_numeric(ctx: Context, arg: Arg) -> Callable[[], str]:
    """One character from 0-9 and a-z."""
    ignore(ctx, arg, "random.alphaNumeric")
    return picker(ctx.rng, "0123456789abcdefghijklmnopqrstuvwxyz")


# --- helpers.* (the text tools; the card generators are in methods_faker) ------------------

@register("helpers", "randomize", sample=r"[abc]")
def helpers_randomize(ctx: Context, arg: Arg) -> Callable[[], str]:
    """Same as random.arrayElement: one element of the JSON array; default ["a","b","c"]."""
    items = array_arg(arg, "helpers.randomize", ["a", "b", "c"])
    return picker(ctx.rng, _stringified("helpers.randomize", items))


@register("helpers", "slugify", sample=r"")
def helpers_slugify(ctx: Context, arg: Arg) -> Callable[[], str]:
    """("Some Text") -> Some-Text: spaces become '-', other non-word characters are dropped."""
    text = slugify(string_arg(arg, "helpers.slugify", "the text to slugify", ""))
    return lambda: text


@register("helpers", "replaceSymbolWithNumber", sample=r"")
def helpers_replace_symbol_with_number(ctx: Context, arg: Arg) -> Callable[[], str]:
    """("###-##") -> e.g. 381-07: every '#' becomes a random digit."""
    pattern = string_arg(arg, "helpers.replaceSymbolWithNumber", "a pattern like \"###-##\"", "")
    check_braces("helpers.replaceSymbolWithNumber", [pattern])
    js = ctx.js
    return lambda: js.digits(pattern)


@register("helpers", "replaceSymbols", sample=r"")
def helpers_replace_symbols(ctx: Context, arg: Arg) -> Callable[[], str]:
    """("??-###") -> e.g. KX-204: '#' becomes a digit, '?' a capital letter."""
    pattern = string_arg(arg, "helpers.replaceSymbols", "a pattern like \"??-###\"", "")
    check_braces("helpers.replaceSymbols", [pattern])
    js = ctx.js
    return lambda: js.symbols(pattern)


@register("helpers", "shuffle", sample=r"[abc],[abc],[abc]")
def helpers_shuffle(ctx: Context, arg: Arg) -> Callable[[], str]:
    """The JSON array in random order, written as JavaScript writes arrays (a,b,c); default ["a","b","c"]."""
    items = _stringified("helpers.shuffle", array_arg(arg, "helpers.shuffle", ["a", "b", "c"]))
    shuffle = ctx.rng.shuffle

    def render() -> str:
        order = list(items)
        shuffle(order)
        return ",".join(order)

    return render


@register("helpers", "mustache", sample=r"")
def helpers_mustache(ctx: Context, arg: Arg) -> Callable[[], str]:
    """The text unchanged: KDG passes no data to fill in, so faker.js's mustache has nothing to replace."""
    text = string_arg(arg, "helpers.mustache", "the text", "")
    return lambda: text
