"""Fault injection for the sensor stream: rates, accounting, determinism, and what each fault looks like."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from helpers.errors import KitError
from helpers.kdg import (FAULT_KINDS, FaultRates, FaultTargets, Generator, SimClock, compile_template,
                         load_template)

SENSOR = compile_template(load_template("sensor_fleet"))
FIELDS = ("event_id", "event_time", "device_id", "site", "sensor_type", "unit", "reading", "battery_pct", "status")
ALL = FaultRates(malformed_json=0.02, out_of_range=0.03, wrong_type=0.02, missing_field=0.02, duplicate=0.04)


def generator(faults: FaultRates | None = ALL, seed: int = 42, template=SENSOR, **kwargs) -> Generator:
    return Generator(template, seed=seed, clock=SimClock("2026-01-01T00:00:00Z", 100), tz="UTC", faults=faults,
                     **kwargs)


def is_valid_sensor_record(record: str) -> bool:
    """What the pipeline's validation would accept: JSON, every field, right types, in range."""
    try:
        data = json.loads(record)
    except ValueError:
        return False
    return (isinstance(data, dict) and all(name in data for name in FIELDS)
            and isinstance(data["reading"], (int, float)) and not isinstance(data["reading"], bool)
            and 0 <= data["reading"] <= 100
            and isinstance(data["battery_pct"], int) and 0 <= data["battery_pct"] <= 100)


# --- rates ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, words", [
    ({"malformed_json": -0.1}, "between 0 and 1"),
    ({"duplicate": 1.5}, "between 0 and 1"),
    ({"wrong_type": float("nan")}, "not a number"),
    ({"out_of_range": "5%"}, "not a number"),
    ({"missing_field": True}, "not a number"),
    ({"malformed_json": 0.6, "duplicate": 0.5}, "add up to 1.1"),
])
def test_invalid_rates_are_one_sentence_errors(kwargs, words):
    with pytest.raises(KitError) as caught:
        FaultRates(**kwargs)
    assert words in str(caught.value) and "\n" not in str(caught.value) and str(caught.value).endswith(".")


def test_rates_are_respected_and_counts_add_up():
    gen = generator()
    n = 20_000
    records = list(gen.records(n))
    counts = gen.fault_counts
    assert set(counts) == {"clean", *FAULT_KINDS}
    assert sum(counts.values()) == n == gen.count == len(records)
    for kind, rate in ALL.as_dict().items():
        expected, sigma = n * rate, (n * rate * (1 - rate)) ** 0.5
        assert abs(counts[kind] - expected) <= 5 * sigma, (kind, counts[kind], expected)  # seeded: a fixed check
    assert counts["clean"] == n - sum(counts[k] for k in FAULT_KINDS)


def test_no_faults_or_zero_rates_mean_all_clean():
    for faults in (None, FaultRates()):
        gen = generator(faults)
        assert all(is_valid_sensor_record(r) for r in gen.records(500))
        assert gen.fault_counts["clean"] == 500


def test_everything_can_be_a_fault():
    gen = generator(FaultRates(malformed_json=1.0))
    assert not any(is_valid_sensor_record(r) for r in gen.records(200))


# --- what each fault looks like ------------------------------------------------------------------

def labelled(n: int = 6000, faults: FaultRates = ALL, seed: int = 42) -> list[tuple[str, str]]:
    gen = generator(faults, seed)
    return [gen.render_labelled() for _ in range(n)]


def test_each_record_has_at_most_one_fault_of_the_kind_reported():
    seen_ids: set[str] = set()
    for record, kind in labelled():
        if kind == "malformed_json":
            with pytest.raises(ValueError):
                json.loads(record)
            continue
        data = json.loads(record)
        assert isinstance(data.get("event_id"), str), "event_id is never faulted"
        if kind == "clean":
            assert is_valid_sensor_record(record)
        elif kind == "out_of_range":
            bad = [n for n in ("reading", "battery_pct") if not 0 <= data[n] <= 100]
            assert len(bad) == 1 and set(data) == set(FIELDS)
            if bad == ["battery_pct"]:
                assert isinstance(data["battery_pct"], int), "whole numbers stay whole"
        elif kind == "wrong_type":
            strings = [n for n in ("reading", "battery_pct") if isinstance(data[n], str)]
            assert len(strings) == 1 and float(data[strings[0]]) >= 0 and set(data) == set(FIELDS)
        elif kind == "missing_field":
            missing = set(FIELDS) - set(data)
            assert len(missing) == 1 and missing <= {"device_id", "event_time", "reading", "status"}
            assert 0 <= data.get("reading", 0) <= 100 and 0 <= data["battery_pct"] <= 100
        elif kind == "duplicate":
            assert data["event_id"] in seen_ids, "a duplicate repeats an earlier event_id"
        seen_ids.add(data["event_id"])


def test_duplicates_are_exact_copies_of_earlier_clean_records():
    clean_so_far: list[str] = []
    duplicates = 0
    for record, kind in labelled():
        if kind == "duplicate":
            duplicates += 1
            assert record in clean_so_far[-256:]
        elif kind == "clean":
            clean_so_far.append(record)
    assert duplicates > 100


def test_the_first_record_is_never_a_duplicate():
    record, kind = generator(FaultRates(duplicate=1.0)).render_labelled()
    assert kind == "clean" and is_valid_sensor_record(record)


def test_pipeline_accounting_balances():
    """curated + quarantined + duplicates dropped = sent, for a pipeline that validates then de-duplicates."""
    gen = generator()
    curated, quarantined, dropped, ids = 0, 0, 0, set()
    for record in gen.records(10_000):
        if not is_valid_sensor_record(record):
            quarantined += 1
            continue
        event_id = json.loads(record)["event_id"]
        if event_id in ids:
            dropped += 1
        else:
            ids.add(event_id)
            curated += 1
    counts = gen.fault_counts
    assert curated == counts["clean"]
    assert quarantined == sum(counts[k] for k in ("malformed_json", "out_of_range", "wrong_type", "missing_field"))
    assert dropped == counts["duplicate"]
    assert curated + quarantined + dropped == 10_000


# --- determinism ---------------------------------------------------------------------------------

def test_faults_are_deterministic_with_the_seed():
    first, second = generator(), generator()
    assert list(first.records(3000)) == list(second.records(3000))
    assert first.fault_counts == second.fault_counts
    assert list(generator(seed=1).records(300)) != list(generator(seed=2).records(300))


def test_faults_leave_the_clean_records_alone():
    plain = list(generator(None).records(3000))
    for i, (record, kind) in enumerate(labelled(3000)):
        if kind == "clean":
            assert record == plain[i]


# --- which templates faults apply to ---------------------------------------------------------------

def test_faults_need_json_object_records():
    with pytest.raises(KitError, match="JSON objects"):
        generator(template=compile_template(load_template("kdg_help_csv")))


def test_faults_need_the_target_fields():
    with pytest.raises(KitError, match="needs one of the fields reading, battery_pct"):
        generator(FaultRates(out_of_range=0.1), template=compile_template(load_template("stock_ticks")))
    # Malformed records need no particular field.
    generator(FaultRates(malformed_json=0.1), template=compile_template(load_template("stock_ticks"))).render()


def test_custom_fault_targets_for_another_template():
    targets = FaultTargets(ranges=(("duration_ms", 20, 30000),), wrong_type=("duration_ms",), required=("user_id",))
    gen = generator(FaultRates(out_of_range=0.2, wrong_type=0.2, missing_field=0.2),
                    template=compile_template(load_template("clickstream")), fault_targets=targets)
    kinds = Counter()
    for _ in range(1000):
        record, kind = gen.render_labelled()
        kinds[kind] += 1
        data = json.loads(record)
        if kind == "out_of_range":
            assert not 20 <= data["duration_ms"] <= 30000
        elif kind == "wrong_type":
            assert isinstance(data["duration_ms"], str)
        elif kind == "missing_field":
            assert "user_id" not in data
    assert all(kinds[k] > 100 for k in ("out_of_range", "wrong_type", "missing_field"))


def test_faults_argument_must_be_fault_rates():
    with pytest.raises(KitError, match="FaultRates"):
        generator({"duplicate": 0.1})
