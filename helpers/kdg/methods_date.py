"""``date.*``: KDG's clock helpers (now, utc, simTime) and faker.js's date methods.

All of them read the instant of the record being made, which the generator
takes from its clock once per record: with a ``SimClock`` that is simulated
time (reproducible), with a ``RealClock`` the current time, as in KDG.

* ``date.now("fmt")`` -- the instant in the generator's time zone, formatted by
  moment.js rules; default ``YYYY-MM-DDTHH:mm:ssZ`` (``2014-09-08T08:02:17-05:00``).
* ``date.utc("fmt")`` -- the instant in UTC; default ``YYYY-MM-DDTHH:mm:ss[Z]``.
* ``date.simTime("fmt")`` -- like ``date.now``. In KDG it is the simulated time
  of "Periodic" mode while ``date.now`` stays on the wall clock; here both
  follow the generator's clock, which is simulated when you give a SimClock.
* ``date.past(years)`` / ``date.future(years)`` / ``date.recent(days)`` -- a
  random instant up to that far before/after the record's instant (faker.js
  counts from the wall clock), written as JavaScript's ``String(date)``:
  ``Tue Sep 09 2014 08:02:17 GMT-0500 (CDT)``.
* ``date.month`` / ``date.weekday`` -- an English month or weekday name;
  ``({"abbr":true})`` gives ``Jan`` / ``Sun``.

``date.between`` cannot work in KDG: faker.js needs two dates and KDG passes
one argument, so KDG renders ``Invalid Date``. We accept
``{"from":"2024-01-01","to":"2024-12-31"}`` or ``["2024-01-01","2024-12-31"]``
(a kit extension) and refuse anything else with that explanation.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from typing import Callable

from .moment import compile_format, js_date_string
from .providers import Arg, ArgumentError, Context, number_arg, picker, register, string_arg
from .wordlists import MONTHS, WEEKDAYS

_MS_PER_DAY = 24 * 3600 * 1000
_DATE_STRING = (r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{2} \d{4} "
                r"\d{2}:\d{2}:\d{2} GMT[+-]\d{4} \(.+\)")


def _format_arg(arg: Arg, name: str) -> str | None:
    return string_arg(arg, name, "a moment.js format like \"YYYY-MM-DD HH:mm:ss\"") or None


@register("date", "now", sample=r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}", clock="local")
def date_now(ctx: Context, arg: Arg) -> Callable[[datetime], str]:
    """The record's time in the generator's zone; ("moment format") formats it, default YYYY-MM-DDTHH:mm:ssZ."""
    return compile_format(_format_arg(arg, "date.now"), False)


@register("date", "utc", sample=r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", clock="utc")
def date_utc(ctx: Context, arg: Arg) -> Callable[[datetime], str]:
    """The record's time in UTC; ("moment format") formats it, default YYYY-MM-DDTHH:mm:ss[Z]."""
    return compile_format(_format_arg(arg, "date.utc"), True)


@register("date", "simTime", sample=r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}", clock="local")
def date_sim_time(ctx: Context, arg: Arg) -> Callable[[datetime], str]:
    """The simulated time of the record (the generator's clock), formatted like date.now."""
    return compile_format(_format_arg(arg, "date.simTime"), False)


def _shifted(ctx: Context, span_ms: int, direction: int) -> Callable[[datetime], str]:
    """A random instant 1 s to ``span_ms`` ms before (-1) or after (+1) the record's instant, as String(date)."""
    rnd = ctx.rng.random
    tz = ctx.tz
    low = 1000
    count = max(span_ms - low + 1, 1)

    def render(utc: datetime) -> str:
        moment = utc + timedelta(milliseconds=direction * (low + int(rnd() * count)))
        return js_date_string(moment.astimezone(tz) if tz is not None else moment.astimezone())

    return render


@register("date", "past", sample=_DATE_STRING, clock="utc")
def date_past(ctx: Context, arg: Arg) -> Callable[[datetime], str]:
    """A time up to 1 year before the record's; (N) years; written like String(new Date())."""
    years = number_arg(arg, "date.past", "the number of years", 1, minimum=0) or 1
    return _shifted(ctx, int(years * 365 * _MS_PER_DAY), -1)


@register("date", "future", sample=_DATE_STRING, clock="utc")
def date_future(ctx: Context, arg: Arg) -> Callable[[datetime], str]:
    """A time up to 1 year after the record's; (N) years; written like String(new Date())."""
    years = number_arg(arg, "date.future", "the number of years", 1, minimum=0) or 1
    return _shifted(ctx, int(years * 365 * _MS_PER_DAY), +1)


@register("date", "recent", sample=_DATE_STRING, clock="utc")
def date_recent(ctx: Context, arg: Arg) -> Callable[[datetime], str]:
    """A time up to 1 day before the record's; (N) days; written like String(new Date())."""
    days = number_arg(arg, "date.recent", "the number of days", 1, minimum=0) or 1
    return _shifted(ctx, int(days * _MS_PER_DAY), -1)


def _parse_date(text: object, tz: tzinfo | None) -> datetime:
    """An ISO 8601 date as JavaScript's Date.parse reads it: a bare date is UTC, a bare date-time local."""
    if not isinstance(text, str):
        raise ValueError(text)
    moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    if moment.tzinfo is None:
        if len(text.strip()) <= 10:
            moment = moment.replace(tzinfo=timezone.utc)
        else:
            moment = moment.replace(tzinfo=tz) if tz is not None else moment.astimezone()
    return moment.astimezone(timezone.utc)


@register("date", "between", sample=_DATE_STRING)
def date_between(ctx: Context, arg: Arg) -> Callable[[], str]:
    """A time between two dates: ({"from":"2024-01-01","to":"2024-12-31"}) -- a kit extension, see above."""
    value = arg.value
    if isinstance(value, dict) and set(value) == {"from", "to"}:
        ends = [value["from"], value["to"]]
    elif isinstance(value, list) and len(value) == 2:
        ends = value
    else:
        raise ArgumentError(
            "date.between needs two dates and KDG passes only one argument (KDG renders 'Invalid Date'); "
            "write date.between({\"from\":\"2024-01-01\",\"to\":\"2024-12-31\"}) here, or use date.past/date.recent"
        )
    try:
        start, end = (_parse_date(end, ctx.tz) for end in ends)
    except ValueError:
        raise ArgumentError(f"date.between's dates must be ISO 8601 like \"2024-01-01\" or \"2024-01-01T12:00:00Z\", not {ends!r}") from None
    if end < start:
        raise ArgumentError(f"date.between's 'from' ({ends[0]}) is after its 'to' ({ends[1]})")
    span_ms = (end - start) // timedelta(milliseconds=1)
    rnd = ctx.rng.random
    tz = ctx.tz

    def render() -> str:
        moment = start + timedelta(milliseconds=int(rnd() * (span_ms + 1)))
        return js_date_string(moment.astimezone(tz) if tz is not None else moment.astimezone())

    return render


def _names(arg: Arg, name: str, names: tuple[str, ...]) -> tuple[str, ...]:
    if not arg.given:
        return names
    if not isinstance(arg.value, dict):
        raise ArgumentError(f"{name} takes {{\"abbr\":true}} or nothing, not {arg.describe()}")
    return tuple(n[:3] for n in names) if arg.value.get("abbr") else names


@register("date", "month", sample=r"January|February|March|April|May|June|July|August|September|October|November|December")
def date_month(ctx: Context, arg: Arg) -> Callable[[], str]:
    """An English month name; ({"abbr":true}) gives Jan … Dec."""
    return picker(ctx.rng, _names(arg, "date.month", MONTHS))


@register("date", "weekday", sample=r"Sunday|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday")
def date_weekday(ctx: Context, arg: Arg) -> Callable[[], str]:
    """An English weekday name; ({"abbr":true}) gives Sun … Sat."""
    return picker(ctx.rng, _names(arg, "date.weekday", WEEKDAYS))
