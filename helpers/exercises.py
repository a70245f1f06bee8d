"""Checks for the notebooks' exercises: each prints what is right and what is not.

A check never raises for a wrong answer: it explains, returns False, and the
learner tries again.
"""

from __future__ import annotations

from .config import Config
from .kinesis import list_shards, list_stream_tags, read_records, stream_summary


def _report(title: str, results: list[tuple[bool, str]]) -> bool:
    print(title)
    for ok, message in results:
        print(f"  {'✓' if ok else '✗'} {message}")
    passed = all(ok for ok, _ in results)
    print("Well done: exercise complete." if passed else "Not yet: fix the ✗ items and run the check again.")
    return passed


def check_exercise_01(cfg: Config, kinesis=None) -> bool:
    """Notebook 01: a 2-shard stream, tagged, with records on both shards."""
    kinesis = kinesis or cfg.client("kinesis")
    name = cfg.name("exercise-stream")
    title = f"Exercise 01: stream {name}"
    summary = stream_summary(name, kinesis)
    if summary is None:
        return _report(title, [(False, f"stream {name} exists (create it with ensure_stream)")])
    results = [(True, f"stream {name} exists")]
    results.append((summary["StreamStatus"] == "ACTIVE", f"it is ACTIVE (status: {summary['StreamStatus']})"))
    mode = summary["StreamModeDetails"]["StreamMode"]
    results.append((mode == "PROVISIONED", f"it is provisioned (mode: {mode})"))
    open_shards = [s for s in list_shards(name, kinesis) if "EndingSequenceNumber" not in s["SequenceNumberRange"]]
    results.append((len(open_shards) == 2, f"it has 2 open shards (found {len(open_shards)})"))
    tags = list_stream_tags(name, kinesis)
    missing = {k: v for k, v in cfg.tags.items() if tags.get(k) != v}
    results.append((not missing, "it carries the kit's tags" + (f" (missing {missing})" if missing else "")))
    records = read_records(name, limit=1000, kinesis=kinesis)
    results.append((len(records) >= 3, f"it holds at least 3 records (found {len(records)})"))
    used = sorted({r["shard_id"] for r in records})
    results.append(
        (len(used) >= 2, f"records landed on both shards (shards used: {', '.join(used) or 'none'})" + ("" if len(used) >= 2 else "; try other partition keys"))
    )
    return _report(title, results)


def check_exercise_02(template_text: str, samples: int = 200) -> bool:
    """Notebook 02: the sensor template with a new ``firmware`` field ("major.minor.patch")."""
    import json
    import re

    from .kdg import Generator, SimClock, TemplateError, compile_template, load_template

    title = "Exercise 02: a sensor template with a firmware field"
    try:
        template = compile_template(template_text)
    except TemplateError as exc:
        return _report(title, [(False, f"the template compiles ({exc})")])
    results = [(True, "the template compiles")]
    generator = Generator(template, seed=2, clock=SimClock(start="2026-01-01T00:00:00Z", rate=100), tz="UTC")
    try:
        records = [json.loads(line) for line in generator.records(samples)]
    except ValueError as exc:
        return _report(title, results + [(False, f"every record is valid JSON ({exc})")])
    results.append((all(isinstance(r, dict) for r in records), "every record is a JSON object"))
    if not all(isinstance(r, dict) for r in records):
        return _report(title, results)
    reference = json.loads(Generator(compile_template(load_template("sensor_fleet")), seed=1).render())
    missing = sorted(set(reference) - set().union(*(r.keys() for r in records)))
    results.append((not missing, "the sensor fields are all still there" + (f" (missing {missing})" if missing else "")))
    versions = [r.get("firmware") for r in records]
    results.append((all(v is not None for v in versions), "every record has a firmware field"))
    shaped = all(isinstance(v, str) and re.fullmatch(r"\d+\.\d+\.\d+", v) for v in versions)
    results.append((shaped, 'firmware looks like "major.minor.patch", e.g. "1.4.2"'))
    distinct = len({v for v in versions if isinstance(v, str)})
    results.append((distinct >= 2, f"the fleet runs more than one firmware version (found {distinct})"))
    return _report(title, results)
