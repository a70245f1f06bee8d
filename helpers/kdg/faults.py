"""Bad records on purpose, so the pipeline's quarantine and de-duplication have work to do.

``Generator(..., faults=FaultRates(malformed_json=0.01, duplicate=0.02, ...))``
turns a share of records into one of five kinds of bad record. Each record
gets at most one fault; which one is drawn from a random stream of its own,
seeded from the generator's seed, so the same seed gives the same faults at
the same positions -- and the clean records are the very records the
generator makes without faults.

=================  ============================================================
fault              what the record becomes (fields: ``SENSOR_FAULT_TARGETS``)
=================  ============================================================
``malformed_json``  cut short at a random point -- not valid JSON any more, as
                    when a producer dies mid-write
``out_of_range``    ``reading`` or ``battery_pct`` set outside 0-100 (below or
                    above; whole numbers stay whole)
``wrong_type``      ``reading`` or ``battery_pct`` written as a string: ``"42.5"``
``missing_field``   one of ``device_id``, ``event_time``, ``reading``, ``status``
                    left out
``duplicate``       an exact copy of one of the last 256 clean records, same
                    ``event_id`` -- what a producer retrying a send produces
=================  ============================================================

``event_id`` is never faulted, so every record can be traced. Duplicates copy
clean records only, so a pipeline that quarantines invalid records and drops
repeated ``event_id`` s accounts for every record sent::

    curated (= clean) + quarantined (malformed + out_of_range + wrong_type + missing_field)
        + duplicates dropped = sent

``Generator.fault_counts`` holds these counts. (The very first record cannot
be a duplicate -- there is nothing to repeat yet -- and counts as clean.)

Faults need records that are JSON objects holding the target fields; pass
``fault_targets=FaultTargets(...)`` for a template other than ``sensor_fleet``.
"""

from __future__ import annotations

import json
import math
import random
from collections import deque
from dataclasses import dataclass, fields
from typing import Any

from ..errors import KitError

__all__ = ["FAULT_KINDS", "FaultRates", "FaultTargets", "SENSOR_FAULT_TARGETS", "FaultInjector"]

FAULT_KINDS = ("malformed_json", "out_of_range", "wrong_type", "missing_field", "duplicate")
_RECENT = 256  # how far back a duplicate may reach


@dataclass(frozen=True)
class FaultRates:
    """The share (0 to 1) of records to turn into each kind of bad record; together at most 1."""

    malformed_json: float = 0.0
    out_of_range: float = 0.0
    wrong_type: float = 0.0
    missing_field: float = 0.0
    duplicate: float = 0.0

    def __post_init__(self) -> None:
        for spec in fields(self):
            rate = getattr(self, spec.name)
            if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not math.isfinite(rate):
                raise KitError(f"FaultRates {spec.name}={rate!r} is not a number: give a share between 0 and 1.")
            if not 0.0 <= rate <= 1.0:
                raise KitError(f"FaultRates {spec.name}={rate!r} is not valid: give a share between 0 and 1 (0.01 is 1%).")
        if self.total > 1.0 + 1e-9:
            raise KitError(f"FaultRates add up to {self.total:g}: each record gets at most one fault, so the total must be at most 1.")

    @property
    def total(self) -> float:
        return sum(getattr(self, kind) for kind in FAULT_KINDS)

    def as_dict(self) -> dict[str, float]:
        return {kind: getattr(self, kind) for kind in FAULT_KINDS}


@dataclass(frozen=True)
class FaultTargets:
    """Which fields of a JSON record the faults touch (defaults: the sensor_fleet template)."""

    id_field: str = "event_id"  # never faulted; duplicates repeat it
    ranges: tuple[tuple[str, float, float], ...] = (("reading", 0, 100), ("battery_pct", 0, 100))  # valid ranges
    wrong_type: tuple[str, ...] = ("reading", "battery_pct")
    required: tuple[str, ...] = ("device_id", "event_time", "reading", "status")


SENSOR_FAULT_TARGETS = FaultTargets()


class FaultInjector:
    """Decides, per record, clean or one fault; applies it; counts what it did."""

    def __init__(self, rates: FaultRates, targets: FaultTargets, rng: random.Random, sample_record: str):
        self.rates = rates
        self.targets = targets
        self.rnd = rng.random
        self._check_sample(sample_record)
        self._separators = ("," if '", "' not in sample_record and ', "' not in sample_record else ", ",
                            ":" if '": ' not in sample_record else ": ")
        cumulative, self._thresholds = 0.0, []
        for kind in FAULT_KINDS:
            if getattr(rates, kind) > 0:
                cumulative += getattr(rates, kind)
                self._thresholds.append((cumulative, kind))
        self._total = cumulative
        self.counts = dict.fromkeys(("clean", *FAULT_KINDS), 0)
        self._recent: deque[str] = deque(maxlen=_RECENT)

    def _check_sample(self, record: str) -> None:
        """Refuse, before any record is made, a template the enabled faults cannot work on."""
        try:
            sample = json.loads(record)
        except ValueError:
            sample = None
        if not isinstance(sample, dict):
            raise KitError(f"Fault injection needs a template whose records are JSON objects (like sensor_fleet); "
                           f"this one renders {record[:60]!r}.")
        needs = {
            "out_of_range": [name for name, _, _ in self.targets.ranges],
            "wrong_type": list(self.targets.wrong_type),
            "missing_field": list(self.targets.required),
            "duplicate": [self.targets.id_field],
        }
        for kind, names in needs.items():
            if getattr(self.rates, kind) > 0 and not any(name in sample for name in names):
                raise KitError(f"Fault {kind} needs one of the fields {', '.join(names)} in the records; "
                               f"pass fault_targets=FaultTargets(...) naming fields of this template.")

    def apply(self, record: str) -> tuple[str, str]:
        """(record to send, kind): the record unchanged ("clean") or with one fault."""
        draw = self.rnd()
        if draw >= self._total:  # the common case first: most records are clean
            self._recent.append(record)
            self.counts["clean"] += 1
            return record, "clean"
        kind = "clean"
        for threshold, candidate in self._thresholds:
            if draw < threshold:
                kind = candidate
                break
        if kind == "duplicate" and not self._recent:
            kind = "clean"  # nothing sent yet that could be repeated
        if kind == "clean":
            out = record
            self._recent.append(record)
        elif kind == "duplicate":
            out = self._recent[int(self.rnd() * len(self._recent))]
        elif kind == "malformed_json":
            out = record[: 1 + int(self.rnd() * (len(record) - 1))]  # a proper prefix of an object is never JSON
        else:
            out = self._edit(record, kind)
            if out is None:
                kind, out = "clean", record  # this record lacks every target field
                self._recent.append(record)
        self.counts[kind] += 1
        return out, kind

    def _edit(self, record: str, kind: str) -> str | None:
        data = json.loads(record)
        if kind == "out_of_range":
            candidates = [(n, lo, hi) for n, lo, hi in self.targets.ranges if _is_number(data.get(n))]
            if not candidates:
                return None
            name, low, high = candidates[int(self.rnd() * len(candidates))]
            data[name] = self._outside(data[name], low, high)
        elif kind == "wrong_type":
            candidates = [n for n in self.targets.wrong_type if n in data]
            if not candidates:
                return None
            name = candidates[int(self.rnd() * len(candidates))]
            value = data[name]
            data[name] = 0 if isinstance(value, str) else json.dumps(value)  # 42.5 -> "42.5"
        else:  # missing_field
            candidates = [n for n in self.targets.required if n in data and n != self.targets.id_field]
            if not candidates:
                return None
            del data[candidates[int(self.rnd() * len(candidates))]]
        return json.dumps(data, ensure_ascii=False, separators=self._separators)

    def _outside(self, value: float, low: float, high: float) -> float:
        """A value clearly outside [low, high], below or above, whole if ``value`` was whole."""
        span = (high - low) or 1.0
        distance = span * (0.05 + self.rnd())
        new = high + distance if self.rnd() < 0.5 else low - distance
        if isinstance(value, int):
            return math.ceil(new) if new > high else math.floor(new)
        return round(new, 2)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
