"""Checks for the notebooks' exercises: each prints what is right and what is not.

A check never raises for a wrong answer: it explains, returns False, and the
learner tries again.
"""

from __future__ import annotations

import json

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


def _read_parquet_rows(bucket: str, prefix: str, columns: list[str], s3=None) -> list[dict]:
    """Every row of the Parquet files under ``s3://bucket/prefix`` (only ``columns``)."""
    import io

    import boto3
    import pyarrow.parquet as pq

    from .config import RETRY_CONFIG
    from .s3 import list_objects

    s3 = s3 or boto3.client("s3", config=RETRY_CONFIG)
    rows: list[dict] = []
    for obj in list_objects(f"s3://{bucket}/{prefix}", s3):
        if obj["Key"].endswith(".parquet"):
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            rows += pq.read_table(io.BytesIO(body), columns=columns).to_pylist()
    return rows


def check_exercise_03(bucket: str, dataset: str = "sensor_readings", s3=None) -> bool:
    """Notebook 03: three records marked "exercise", quarantined for three different reasons."""
    title = "Exercise 03: your bad records reached the quarantine"
    quarantined = [r for r in _read_parquet_rows(bucket, f"quarantine/{dataset}/", ["raw_payload", "reason"], s3)
                   if "exercise" in (r["raw_payload"] or "")]
    curated = [r for r in _read_parquet_rows(bucket, f"curated/{dataset}/", ["event_id", "device_id"], s3)
               if "exercise" in f"{r['event_id']} {r['device_id']}"]
    codes = sorted({(r["reason"] or "").split(":")[0] for r in quarantined})
    results = [
        (len(quarantined) >= 3, f"at least 3 records containing 'exercise' are in the quarantine (found {len(quarantined)})"),
        (len(codes) >= 3, f"they were rejected for 3 different reasons (found: {', '.join(codes) or 'none'})"),
        (not curated, "none of your records was curated" + (f" ({len(curated)} were: make them invalid)" if curated else "")),
    ]
    if not quarantined:
        results.append((False, "did the restarted job read them? Check glue.batch_metrics(METRICS) for a new batch"))
    return _report(title, results)


def check_exercise_04(bucket: str, answer, dataset: str = "sensor_readings", s3=None) -> bool:
    """Notebook 04: the mean reading per sensor type over the curated data, each event_id counted once."""
    import math

    title = "Exercise 04: mean reading per sensor type"
    rows = _read_parquet_rows(bucket, f"curated/{dataset}/", ["event_id", "sensor_type", "reading", "batch_id"], s3)
    first: dict[str, dict] = {}
    for row in sorted(rows, key=lambda r: r["batch_id"]):
        first.setdefault(row["event_id"], row)
    sums: dict[str, list[float]] = {}
    for row in first.values():
        sums.setdefault(row["sensor_type"], []).append(row["reading"])
    expected = {kind: sum(values) / len(values) for kind, values in sums.items()}
    try:
        given = {str(k): float(v) for k, v in dict(answer).items()}
    except (TypeError, ValueError):
        return _report(title, [(False, "the answer is a Series (or dict) of sensor_type -> mean reading")])
    results = [(True, "the answer maps sensor types to numbers")]
    results.append((set(given) == set(expected),
                    f"it has one value per sensor type ({', '.join(sorted(expected))}; got {', '.join(sorted(given)) or 'none'})"))
    wrong = [k for k in expected if k in given and not math.isclose(given[k], expected[k], abs_tol=1e-6)]
    with_dups = {}
    for row in rows:
        with_dups.setdefault(row["sensor_type"], []).append(row["reading"])
    counted_twice = any(k in given and math.isclose(given[k], sum(v) / len(v), abs_tol=1e-9)
                        and not math.isclose(given[k], expected[k], abs_tol=1e-9) for k, v in with_dups.items())
    hint = "; it looks like repeated event_ids were counted twice: drop_duplicates('event_id') first" if counted_twice else ""
    results.append((not wrong and set(given) == set(expected),
                    "the means match the curated data, each event_id once" + (f" (wrong for {', '.join(wrong)}{hint})" if wrong else "")))
    return _report(title, results)


def check_exercise_05(database: str, metrics_uri: str, glue=None) -> bool:
    """Notebook 05: a crawled JSON table over the job's metrics prefix, with the batch counts as columns."""
    import boto3

    from .config import RETRY_CONFIG

    glue = glue or boto3.client("glue", config=RETRY_CONFIG)
    title = "Exercise 05: the job's metrics as a table"
    try:
        found = [t for page in glue.get_paginator("get_tables").paginate(DatabaseName=database) for t in page["TableList"]]
    except glue.exceptions.EntityNotFoundException:
        return _report(title, [(False, f"database {database} exists (run the notebook's set-up cells)")])
    wanted = metrics_uri.rstrip("/")
    over = [t for t in found if (t.get("StorageDescriptor") or {}).get("Location", "").rstrip("/") == wanted]
    if not over:
        return _report(title, [(False, f"a table in {database} has the location {metrics_uri} (did the crawler run?)")])
    table = over[0]
    params = table.get("Parameters") or {}
    names = {c["Name"] for c in table["StorageDescriptor"].get("Columns") or []}
    needed = {"batch_id", "read", "curated", "quarantined", "duplicates"}
    return _report(title, [
        (True, f"table {table['Name']} covers {metrics_uri}"),
        (table["Name"].startswith("metrics_"), f"its name starts with metrics_ (it is {table['Name']})"),
        (params.get("classification") == "json", f"the crawler classified it as json (got {params.get('classification')})"),
        (needed <= names, "it has the batch counts as columns" + (f" (missing {', '.join(sorted(needed - names))})" if not needed <= names else "")),
        (bool(params.get("UPDATED_BY_CRAWLER")), "a crawler wrote it"),
    ])


def check_exercise_06(bucket: str, answer, dataset: str = "sensor_readings", s3=None) -> bool:
    """Notebook 06: per site, the readings (each event_id once) and the share of them with status FAIL."""
    import math

    title = "Exercise 06: the share of failures per site"
    rows = _read_parquet_rows(bucket, f"curated/{dataset}/", ["event_id", "site", "status", "batch_id"], s3)
    first: dict[str, dict] = {}
    for row in sorted(rows, key=lambda r: r["batch_id"]):
        first.setdefault(row["event_id"], row)
    expected: dict[str, list[int]] = {}
    for row in first.values():
        counts = expected.setdefault(row["site"], [0, 0])
        counts[0] += 1
        counts[1] += row["status"] == "FAIL"
    try:
        given = {str(r["site"]): (int(r["readings"]), float(r["fail_share"])) for r in answer.to_dict("records")}
    except (AttributeError, KeyError, TypeError, ValueError):
        return _report(title, [(False, "the answer is a DataFrame with the columns site, readings and fail_share")])
    results = [(True, "the answer has the columns site, readings and fail_share")]
    results.append((set(given) == set(expected), f"one row per site ({', '.join(sorted(expected))})"))
    wrong_counts = [s for s in expected if s in given and given[s][0] != expected[s][0]]
    results.append((not wrong_counts and set(given) == set(expected),
                    "readings count each event_id once" + (f" (wrong for {', '.join(wrong_counts)}: use the readings view)" if wrong_counts else "")))
    wrong_share = [s for s in expected if s in given and not math.isclose(given[s][1], expected[s][1] / expected[s][0], abs_tol=1e-9)]
    results.append((not wrong_share and set(given) == set(expected),
                    "fail_share is the fraction of FAIL readings, between 0 and 1" + (f" (wrong for {', '.join(wrong_share)})" if wrong_share else "")))
    return _report(title, results)


def check_exercise_07(dashboard_id: str, quicksight=None) -> bool:
    """Notebook 07: the dashboard has a fifth visual, about battery levels, that renders."""
    import boto3

    from .config import RETRY_CONFIG
    from .quicksight import _account, rendered_visuals

    quicksight = quicksight or boto3.client("quicksight", config=RETRY_CONFIG)
    title = "Exercise 07: a visual of your own on the dashboard"
    try:
        definition = quicksight.describe_dashboard_definition(AwsAccountId=_account(quicksight, None),
                                                              DashboardId=dashboard_id)["Definition"]
    except quicksight.exceptions.ResourceNotFoundException:
        return _report(title, [(False, f"dashboard {dashboard_id} exists (run the notebook's cells above)")])
    visuals = [v for sheet in definition.get("Sheets", []) for v in sheet.get("Visuals", [])]
    extra = [v for v in visuals if next(iter(v.values())).get("VisualId") not in
             ("reading-over-time", "alerts-by-site", "devices-kpi", "low-battery")]
    results = [(len(visuals) >= 5, f"the published definition has at least 5 visuals (found {len(visuals)})")]
    uses_battery = [v for v in extra if "battery_pct" in json.dumps(v)]
    results.append((bool(uses_battery), "a new visual uses the battery_pct column"))
    rendered = {v["id"]: v for v in rendered_visuals(dashboard_id, quicksight)}
    if rendered:
        ids = [next(iter(v.values()))["VisualId"] for v in uses_battery]
        ok = [i for i in ids if rendered.get(i, {}).get("status") == "ok" and rendered[i].get("data")]
        results.append((bool(ok), "the local viewer renders it with data" +
                        ("" if ok else f" (status: {', '.join(rendered.get(i, {}).get('status') or 'missing' for i in ids) or 'no visual'})")))
    return _report(title, results)


def check_exercise_08(cfg: Config, plan) -> bool:
    """Notebook 08: the stream left behind on purpose was in the dry run's plan, and after the teardown
    nothing of the prefix is left in any service."""
    from . import teardown

    name = cfg.name("forgotten-stream")
    title = f"Exercise 08: the stream {name}, found by its tags and deleted"
    planned = [o.resource for o in getattr(plan, "outcomes", [])]
    results = [(getattr(plan, "dry_run", False), "`plan` is the report of a dry run (teardown(cfg, dry_run=True))")]
    results.append((any(r.kind == "stream" and r.name == name for r in planned),
                    f"the dry run listed the stream {name} (create it with the kit's tags before the dry run)"))
    results.append((stream_summary(name, cfg.client("kinesis")) is None, f"the stream {name} is gone now"))
    problems: list[str] = []
    left = teardown.find_kit_resources(cfg, cfg.prefix, problems)
    results.append((not left and not problems, f"nothing of prefix {cfg.prefix} is left in any service"
                    + (f" (found {', '.join(r.kind + ' ' + r.label for r in left[:5])})" if left else "")
                    + (f" (could not check: {'; '.join(problems)})" if problems else "")))
    return _report(title, results)
