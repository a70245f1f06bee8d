"""Clocks for the generator: wall-clock time like KDG, or simulated time for reproducible data.

A clock answers one question for the generator: *at what instant is the next
record made?* ``Generator`` asks once per record (``tick()``), so every date
placeholder in one record sees the same instant, and hands that instant to
``date.now`` / ``date.utc`` / ``date.simTime`` / ``date.past`` ….

* ``RealClock`` -- the current time, as KDG's ``date.now`` and ``date.utc``.
* ``SimClock(start, rate)`` -- record *n* (counting from 0) is made at
  ``start + n / rate`` seconds: ``rate`` records per simulated second, like KDG's
  "Periodic" mode with "Lock to Real Time" off, but exact. Same start and rate,
  same timestamps, on any machine.

Instants are timezone-aware ``datetime`` objects in UTC; ``resolve_tz`` turns
a ``tz`` argument ("UTC", "Europe/Berlin", "+02:00", None = this machine's
zone) into what ``datetime.astimezone`` needs.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import KitError

__all__ = ["RealClock", "SimClock", "resolve_tz"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


def resolve_tz(tz: str | tzinfo | None) -> tzinfo | None:
    """A tzinfo for ``tz``; None means this machine's local zone (what a browser running KDG uses)."""
    if tz is None or isinstance(tz, tzinfo):
        return tz
    if not isinstance(tz, str):
        raise KitError(f"tz={tz!r} is not a time zone: use 'UTC', a name like 'Europe/Berlin', or an offset like '+02:00'.")
    name = tz.strip()
    if name.lower() == "local":
        return None
    if name.upper() in ("UTC", "Z", "GMT", "ETC/UTC"):
        return timezone.utc
    match = _OFFSET.match(name)
    if match:
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        return timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise KitError(
            f"Unknown time zone {tz!r}: use 'UTC', a name like 'Europe/Berlin', or an offset like '+02:00'."
        ) from None


def _parse_start(start: str | datetime | float | int) -> datetime:
    """The start instant, in UTC; naive times are taken as UTC so that results never depend on the machine."""
    if isinstance(start, datetime):
        moment = start
    elif isinstance(start, (int, float)) and not isinstance(start, bool):
        if not math.isfinite(start):
            raise KitError(f"SimClock start={start!r} is not a time: give an ISO 8601 string like '2026-01-01T00:00:00Z'.")
        return _EPOCH + timedelta(seconds=start)
    elif isinstance(start, str):
        try:
            moment = datetime.fromisoformat(start.strip().replace("z", "Z"))
        except ValueError:
            raise KitError(
                f"SimClock start={start!r} is not an ISO 8601 time: write it like '2026-01-01T00:00:00Z'."
            ) from None
    else:
        raise KitError(f"SimClock start={start!r} is not a time: give an ISO 8601 string like '2026-01-01T00:00:00Z'.")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


class RealClock:
    """The current time, read once per record: KDG's behaviour."""

    def now(self, tz: str | tzinfo | None = None) -> datetime:
        """The current instant (in ``tz`` if given, else UTC)."""
        moment = datetime.now(timezone.utc)
        return moment.astimezone(resolve_tz(tz)) if tz is not None else moment

    def advance(self, records: int = 1) -> None:
        """Nothing to do: real time advances by itself."""

    def tick(self) -> datetime:
        """The instant of the next record (now)."""
        return datetime.now(timezone.utc)

    def __repr__(self) -> str:
        return "RealClock()"


class SimClock:
    """Simulated time: record ``n`` (from 0) is made at ``start + n / rate`` seconds.

    ``start`` is an ISO 8601 string (``"2026-01-01T00:00:00Z"``; without an
    offset it is taken as UTC), a ``datetime``, or epoch seconds. ``rate`` is
    records per simulated second. ``now()`` is the instant of the next record,
    ``advance()`` moves on by one record (``Generator`` does both, through
    ``tick()``), ``reset()`` goes back to the start. A clock keeps its
    position: give each run a new SimClock (or ``reset()`` it) to repeat it.
    """

    def __init__(self, start: str | datetime | float = "2026-01-01T00:00:00Z", rate: float = 100.0):
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not math.isfinite(rate) or rate <= 0:
            raise KitError(f"SimClock rate={rate!r} is not valid: give records per second greater than 0.")
        self.start = _parse_start(start)
        self.rate = rate
        self.index = 0  # records made so far
        self._start_us = (self.start - _EPOCH) // timedelta(microseconds=1)

    def _at(self, index: int) -> datetime:
        # Integer microseconds from the epoch: no float drift however many records.
        return _EPOCH + timedelta(microseconds=self._start_us + round(index * 1_000_000 / self.rate))

    def now(self, tz: str | tzinfo | None = None) -> datetime:
        """The instant of the next record (in ``tz`` if given, else UTC)."""
        moment = self._at(self.index)
        return moment.astimezone(resolve_tz(tz)) if tz is not None else moment

    def advance(self, records: int = 1) -> None:
        """Move on by ``records`` records (1/rate seconds each)."""
        self.index += records

    def tick(self) -> datetime:
        """The instant of the next record, then advance by one record."""
        index = self.index
        self.index = index + 1
        return _EPOCH + timedelta(microseconds=self._start_us + round(index * 1_000_000 / self.rate))

    def reset(self) -> None:
        """Back to ``start``."""
        self.index = 0

    def __repr__(self) -> str:
        return f"SimClock(start={self.start.isoformat().replace('+00:00', 'Z')!r}, rate={self.rate!r}, index={self.index})"
