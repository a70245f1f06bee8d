"""moment.js format strings (as in KDG's ``{{date.now("…")}}``), compiled to fast Python.

KDG formats dates with moment.js 2.17.1 (``producer.html`` loads it from a CDN):
``date.now(fmt)`` is ``moment().format(fmt)`` and ``date.utc(fmt)`` is
``moment().utc().format(fmt)``. This module reproduces that function for the
English locale, which is the only one KDG uses:

* every format token moment 2.17.1 knows: ``YYYY YY Y YYYYY YYYYYY Q Qo M MM Mo
  MMM MMMM D DD Do DDD DDDD DDDo d do dd ddd dddd e E w ww wo W WW Wo gg gggg
  ggggg GG GGGG GGGGG A a H HH h hh k kk hmm hmmss Hmm Hmmss m mm s ss S … SSSSSSSSS
  z zz Z ZZ X x``;
* the localised shortcuts ``LT LTS L LL LLL LLLL l ll lll llll``;
* ``[escaped text]`` and ``\\X`` escapes, tokenised the way moment does it, so
  that odd formats (``"YYY"`` is ``YY`` followed by ``Y``) give moment's output;
* the default formats: ``YYYY-MM-DDTHH:mm:ssZ`` (e.g. ``2014-09-08T08:02:17-05:00``)
  and, for UTC, ``YYYY-MM-DDTHH:mm:ss[Z]`` (e.g. ``2014-09-08T13:02:17Z``).

A format is tokenised once and turned into a single Python f-string function
(``compile_format`` caches it), so formatting a date costs about as much as a
hand-written f-string.

Differences: JavaScript dates have millisecond resolution, so ``SSSS`` and
longer are the milliseconds followed by zeros, as in moment; the time-zone
name in ``js_date_string`` (what ``String(new Date())`` gives) is the long
name only for UTC ("Coordinated Universal Time") and the zone's abbreviation
otherwise (browsers write e.g. "Central European Standard Time").
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Callable

__all__ = ["DEFAULT_FORMAT", "DEFAULT_FORMAT_UTC", "compile_format", "format_date", "js_date_string"]

DEFAULT_FORMAT = "YYYY-MM-DDTHH:mm:ssZ"
DEFAULT_FORMAT_UTC = "YYYY-MM-DDTHH:mm:ss[Z]"

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
MONTHS_SHORT = tuple(name[:3] for name in MONTHS)
# Indexed by Python's weekday(): Monday is 0.
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAYS_SHORT = tuple(name[:3] for name in WEEKDAYS)
WEEKDAYS_MIN = tuple(name[:2] for name in WEEKDAYS)

# moment's English long date formats; the lowercase ones drop one letter of MMMM/MM/DD/dddd.
_LONG_FORMATS = {
    "LTS": "h:mm:ss A",
    "LT": "h:mm A",
    "L": "MM/DD/YYYY",
    "LL": "MMMM D, YYYY",
    "LLL": "MMMM D, YYYY h:mm A",
    "LLLL": "dddd, MMMM D, YYYY h:mm A",
    "l": "M/D/YYYY",
    "ll": "MMM D, YYYY",
    "lll": "MMM D, YYYY h:mm A",
    "llll": "ddd, MMM D, YYYY h:mm A",
}
_LOCAL_TOKENS = re.compile(r"(\[[^\[]*\])|(\\)?(LTS|LT|LL?L?L?|l{1,4})")

# The same alternatives, in the same order, as moment 2.17.1's tokeniser: the
# first alternative that matches wins (not the longest), and a character that
# is no token is kept as text. JavaScript's "." does not match line breaks, so
# moment silently drops them from a format; so do we.
_TOKENS = re.compile(
    r"(\[[^\[]*\])|(\\)?("
    r"[Hh]mm(?:ss)?|Mo|MM?M?M?|Do|DDDo|DD?D?D?|ddd?d?|do?|w[o|w]?|W[o|W]?|Qo?"
    r"|YYYYYY|YYYYY|YYYY|YY|gg(?:ggg?)?|GG(?:GGG?)?|e|E|a|A|hh?|HH?|kk?|mm?|ss?|S{1,9}|x|X|zz?|ZZ?"
    r"|[^\n\r\u2028\u2029])"
)

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SECOND = timedelta(seconds=1)
_MILLISECOND = timedelta(milliseconds=1)


def ordinal(number: int) -> str:
    """moment's English ordinal: 1st 2nd 3rd 4th … 11th 12th 13th … 21st."""
    if number % 100 // 10 == 1:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


def _day_of_year(d: datetime) -> int:
    return d.toordinal() - date(d.year, 1, 1).toordinal() + 1


@lru_cache(maxsize=256)
def _first_week_offset(year: int, dow: int, doy: int) -> int:
    """Days from 1 January to the start of week 1 (moment's firstWeekOffset)."""
    fwd = 7 + dow - doy  # the January day that is always in week 1
    fwd_weekday = (date(year, 1, fwd).weekday() + 1) % 7  # JS getDay(): Sunday is 0
    return -((7 + fwd_weekday - dow) % 7) + fwd - 1


def _weeks_in_year(year: int, dow: int, doy: int) -> int:
    days = 366 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 365
    return (days - _first_week_offset(year, dow, doy) + _first_week_offset(year + 1, dow, doy)) // 7


def _week_and_year(d: datetime, dow: int = 0, doy: int = 6) -> tuple[int, int]:
    """Locale week number and week year; English weeks start on Sunday and week 1 holds 1 January."""
    year = d.year
    week = (_day_of_year(d) - _first_week_offset(year, dow, doy) - 1) // 7 + 1
    if week < 1:
        year -= 1
        week += _weeks_in_year(year, dow, doy)
    elif week > _weeks_in_year(year, dow, doy):
        week -= _weeks_in_year(year, dow, doy)
        year += 1
    return week, year


def _week(d: datetime) -> int:
    return _week_and_year(d)[0]


def _week_year(d: datetime) -> int:
    return _week_and_year(d)[1]


def _offset(d: datetime, separator: str) -> str:
    """moment's Z/ZZ for a local moment: the UTC offset as +HH:mm / +HHmm."""
    offset = d.utcoffset()
    minutes = offset / timedelta(minutes=1) if offset is not None else 0.0
    # moment rounds a local offset to a multiple of 15 minutes (historic zones have odd ones).
    minutes = int((minutes / 15 + 0.5) // 1) * 15
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}{separator}{minutes % 60:02d}"


def _zero_fill(number: int, width: int, force_sign: bool = False) -> str:
    sign = "-" if number < 0 else ("+" if force_sign else "")
    return f"{sign}{abs(number):0{width}d}"


def _year_y(year: int) -> str:
    return str(year) if year <= 9999 else f"+{year}"


_MS = "d.microsecond // 1000"
_H12 = "(d.hour % 12 or 12)"
_JSDAY = "(d.weekday() + 1) % 7"

# Token -> f-string field(s), evaluated with ``d`` bound to the datetime.
# Entries for z/zz/Z/ZZ depend on whether the moment is in UTC mode (see _field).
_FIELDS: dict[str, str] = {
    "M": "{d.month}", "MM": "{d.month:02d}", "Mo": "{_ordinal(d.month)}",
    "MMM": "{_MONTHS_SHORT[d.month - 1]}", "MMMM": "{_MONTHS[d.month - 1]}",
    "Q": "{(d.month + 2) // 3}", "Qo": "{_ordinal((d.month + 2) // 3)}",
    "D": "{d.day}", "DD": "{d.day:02d}", "Do": "{_ordinal(d.day)}",
    "DDD": "{_day_of_year(d)}", "DDDD": "{_day_of_year(d):03d}", "DDDo": "{_ordinal(_day_of_year(d))}",
    "d": "{" + _JSDAY + "}", "do": "{_ordinal(" + _JSDAY + ")}",
    "dd": "{_WEEKDAYS_MIN[d.weekday()]}", "ddd": "{_WEEKDAYS_SHORT[d.weekday()]}", "dddd": "{_WEEKDAYS[d.weekday()]}",
    "e": "{" + _JSDAY + "}", "E": "{d.isoweekday()}",
    "w": "{_week(d)}", "ww": "{_week(d):02d}", "wo": "{_ordinal(_week(d))}",
    "W": "{d.isocalendar()[1]}", "WW": "{d.isocalendar()[1]:02d}", "Wo": "{_ordinal(d.isocalendar()[1])}",
    "gg": "{_zero_fill(_week_year(d) % 100, 2)}", "gggg": "{_zero_fill(_week_year(d), 4)}",
    "ggggg": "{_zero_fill(_week_year(d), 5)}",
    "GG": "{_zero_fill(d.isocalendar()[0] % 100, 2)}", "GGGG": "{_zero_fill(d.isocalendar()[0], 4)}",
    "GGGGG": "{_zero_fill(d.isocalendar()[0], 5)}",
    # Python years are 1-9999, so moment's zeroFill is plain zero padding (and a '+' for YYYYYY).
    "Y": "{_year_y(d.year)}", "YY": "{d.year % 100:02d}", "YYYY": "{d.year:04d}",
    "YYYYY": "{d.year:05d}", "YYYYYY": "+{d.year:06d}",
    "a": "{_AM_PM_LOWER[d.hour > 11]}", "A": "{_AM_PM[d.hour > 11]}",
    "H": "{d.hour}", "HH": "{d.hour:02d}", "h": "{" + _H12 + "}", "hh": "{" + _H12 + ":02d}",
    "k": "{(d.hour or 24)}", "kk": "{(d.hour or 24):02d}",
    "hmm": "{" + _H12 + "}{d.minute:02d}", "hmmss": "{" + _H12 + "}{d.minute:02d}{d.second:02d}",
    "Hmm": "{d.hour}{d.minute:02d}", "Hmmss": "{d.hour}{d.minute:02d}{d.second:02d}",
    "m": "{d.minute}", "mm": "{d.minute:02d}", "s": "{d.second}", "ss": "{d.second:02d}",
    "S": "{d.microsecond // 100000}", "SS": "{d.microsecond // 10000:02d}", "SSS": "{" + _MS + ":03d}",
    **{"S" * n: "{" + _MS + f" * {10 ** (n - 3)}:0{n}d" + "}" for n in range(4, 10)},
    "X": "{(d - _EPOCH) // _SECOND}", "x": "{(d - _EPOCH) // _MILLISECOND}",
}

_NAMESPACE = {
    "_ordinal": ordinal, "_MONTHS": MONTHS, "_MONTHS_SHORT": MONTHS_SHORT, "_WEEKDAYS": WEEKDAYS,
    "_WEEKDAYS_SHORT": WEEKDAYS_SHORT, "_WEEKDAYS_MIN": WEEKDAYS_MIN, "_day_of_year": _day_of_year,
    "_week": _week, "_week_year": _week_year, "_zero_fill": _zero_fill, "_year_y": _year_y,
    "_offset_colon": lambda d: _offset(d, ":"), "_offset_plain": lambda d: _offset(d, ""),
    "_AM_PM": ("AM", "PM"), "_AM_PM_LOWER": ("am", "pm"), "_EPOCH": _EPOCH, "_SECOND": _SECOND, "_MILLISECOND": _MILLISECOND,
}


def expand_long_formats(fmt: str) -> str:
    """Replace LT, LTS, L … llll by their English formats (moment's expandFormat)."""
    for _ in range(6):  # moment expands at most 6 times, for formats that contain formats
        if not _LOCAL_TOKENS.search(fmt):
            break
        fmt = _LOCAL_TOKENS.sub(lambda m: _LONG_FORMATS.get(m.group(0), m.group(0)), fmt)
    return fmt


def tokenize(fmt: str) -> list[tuple[str, str]]:
    """``[(kind, text)]`` with kind "token" or "text", as moment splits a format."""
    parts: list[tuple[str, str]] = []
    for match in _TOKENS.finditer(fmt):
        piece = match.group(0)
        if piece in _FIELDS or piece in ("z", "zz", "Z", "ZZ"):
            parts.append(("token", piece))
        elif re.search(r"\[[\s\S]", piece):
            parts.append(("text", re.sub(r"^\[|\]$", "", piece)))  # [escaped text]
        else:
            parts.append(("text", piece.replace("\\", "")))  # \X escapes, or a plain character
    return parts


def _field(token: str, utc_mode: bool) -> str:
    """The f-string source for one token."""
    if token == "z":
        return "UTC" if utc_mode else ""  # moment without moment-timezone knows no zone names
    if token == "zz":
        return "Coordinated Universal Time" if utc_mode else ""
    if token in ("Z", "ZZ"):
        separator = ":" if token == "Z" else ""
        if utc_mode:
            return f"+00{separator}00"
        return "{_offset_colon(d)}" if separator else "{_offset_plain(d)}"
    return _FIELDS[token]


def _escape(text: str) -> str:
    """Text as the literal part of an f-string in single quotes."""
    escaped = text.encode("unicode_escape").decode("ascii").replace("'", "\\'")
    return escaped.replace("{", "{{").replace("}", "}}")


@lru_cache(maxsize=512)
def compile_format(fmt: str | None = None, utc_mode: bool = False) -> Callable[[datetime], str]:
    """A function ``datetime -> str`` equivalent to ``moment(d).format(fmt)``.

    ``utc_mode`` is moment's ``.utc()``: it picks the UTC default format and
    makes ``Z`` print ``+00:00`` and ``z`` print ``UTC``. Give the function a
    timezone-aware datetime already converted to the zone you want printed.
    """
    if not fmt:
        fmt = DEFAULT_FORMAT_UTC if utc_mode else DEFAULT_FORMAT
    body = "".join(
        _field(text, utc_mode) if kind == "token" else _escape(text)
        for kind, text in tokenize(expand_long_formats(fmt))
    )
    source = f"def _format(d):\n    return f'{body}'\n"
    namespace = dict(_NAMESPACE)
    # The source is assembled from the fixed _FIELDS table and escaped text only.
    exec(compile(source, f"<moment format {fmt!r}>", "exec"), namespace)  # noqa: S102
    return namespace["_format"]


def format_date(d: datetime, fmt: str | None = None, utc_mode: bool = False) -> str:
    """``moment(d).format(fmt)`` (``utc_mode``: ``moment(d).utc().format(fmt)``)."""
    if utc_mode:
        d = d.astimezone(timezone.utc)
    return compile_format(fmt, utc_mode)(d)


def js_date_string(d: datetime) -> str:
    """``String(date)`` in JavaScript, e.g. ``Tue Sep 09 2014 08:02:17 GMT-0500 (CDT)``."""
    offset = d.utcoffset() or timedelta(0)
    name = "Coordinated Universal Time" if offset == timedelta(0) and d.tzname() in ("UTC", "Z", None) else d.tzname()
    minutes = int(offset / timedelta(minutes=1))
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return (f"{WEEKDAYS_SHORT[d.weekday()]} {MONTHS_SHORT[d.month - 1]} {d.day:02d} {d.year:04d} "
            f"{d.hour:02d}:{d.minute:02d}:{d.second:02d} GMT{sign}{minutes // 60:02d}{minutes % 60:02d} ({name})")
