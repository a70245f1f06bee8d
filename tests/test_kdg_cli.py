"""`python -m helpers.kdg`: render and send, and every bad input ending in one sentence with nothing sent."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from support import ROOT

from helpers import kinesis

SEEDED = ["--seed", "42", "--start", "2026-01-01T00:00:00Z", "--tz", "UTC"]


def kdg(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "helpers.kdg", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env or dict(os.environ), timeout=timeout, stdin=subprocess.DEVNULL)




def test_render_prints_records_one_per_line_reproducibly():
    first, second = kdg("render", "sensor_fleet", "--count", "50", *SEEDED), kdg("render", "sensor_fleet", "--count", "50", *SEEDED)
    assert first.returncode == 0 and first.stdout == second.stdout
    lines = first.stdout.splitlines()
    assert len(lines) == 50 and first.stdout.endswith("}\n")
    records = [json.loads(line) for line in lines]
    assert records[0]["event_time"] == "2026-01-01T00:00:00.000Z"
    assert records[1]["event_time"] == "2026-01-01T00:00:00.010Z"  # 100 records per simulated second
    assert len({r["event_id"] for r in records}) == 50


def test_render_without_a_seed_is_random_like_the_kdg():
    a, b = kdg("render", "sensor_fleet", "--count", "3"), kdg("render", "sensor_fleet", "--count", "3")
    assert a.returncode == b.returncode == 0 and a.stdout != b.stdout


def test_list_names_the_templates():
    listed = kdg("list").stdout.split()
    assert {"sensor_fleet", "clickstream", "stock_ticks"} <= set(listed)


@pytest.mark.parametrize(
    "template, message",
    [
        ("{{random.number(5)", "column 1"),
        ('{"a": "{{nosuch.thing}}"}', "nosuch"),
        ("", "empty"),
    ],
)
def test_broken_templates_are_one_sentence_naming_the_position(tmp_path, template, message):
    path = tmp_path / "t.txt"
    path.write_text(template)
    result = kdg("render", str(path), "--count", "1")
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and message in result.stderr.lower() and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_an_unknown_template_lists_the_known_ones():
    result = kdg("render", "no_such_template")
    assert result.returncode == 1 and "sensor_fleet" in result.stderr


def test_send_delivers_exactly_what_render_prints(cfg):
    name = cfg.name("cli")
    kinesis.ensure_stream(name, shard_count=2, verbose=False)
    sent = kdg("send", "sensor_fleet", "--stream", name, "--count", "1500", "--no-progress", *SEEDED)
    assert sent.returncode == 0, sent.stderr
    assert f"{name}: sent 1,500 records" in sent.stdout and "0 failed" in sent.stdout
    rendered = kdg("render", "sensor_fleet", "--count", "1500", *SEEDED).stdout.splitlines()
    in_stream = [json.dumps(r["data"], separators=(",", ":")) for r in kinesis.read_records(name, limit=10_000)]
    assert sorted(in_stream) == sorted(json.dumps(json.loads(line), separators=(",", ":")) for line in rendered)


def test_send_reports_the_faults_it_injected(cfg):
    name = cfg.name("faults")
    kinesis.ensure_stream(name, verbose=False)
    sent = kdg("send", "sensor_fleet", "--stream", name, "--count", "400", "--no-progress",
               "--malformed-json", "0.05", "--duplicate", "0.05", *SEEDED)
    assert sent.returncode == 0, sent.stderr
    assert "injected faults:" in sent.stderr and "malformed_json=" in sent.stderr and "duplicate=" in sent.stderr
    assert len(kinesis.read_records(name, limit=10_000)) == 400  # faulty records are sent too: step 3 cleans them


def test_send_to_a_missing_stream_sends_nothing(cfg):
    result = kdg("send", "sensor_fleet", "--stream", cfg.name("absent"), "--count", "5")
    assert result.returncode == 1
    assert f"Stream {cfg.name('absent')} does not exist" in result.stderr and "Traceback" not in result.stderr
    assert kinesis.stream_summary(cfg.name("absent")) is None


def test_an_oversized_record_is_refused_before_anything_is_sent(cfg, tmp_path):
    name = cfg.name("big")
    kinesis.ensure_stream(name, verbose=False)
    template = tmp_path / "big.txt"
    template.write_text("x" * (1024 * 1024 + 10))
    result = kdg("send", str(template), "--stream", name, "--count", "3")
    assert result.returncode == 1 and "at most 1 MiB per record" in result.stderr and "Nothing was sent" in result.stderr
    assert kinesis.read_records(name) == []


@pytest.mark.parametrize(
    "args, message",
    [
        (["--stream", "s"], "--count N or --duration SECONDS"),
        (["--stream", "s", "--count", "0"], "is not valid"),
        (["--stream", "s", "--count", "5", "--rate", "0"], "is not valid"),
        (["--stream", "s", "--duration", "-1"], "is not valid"),
    ],
)
def test_bad_send_options_are_one_sentence(args, message):
    result = kdg("send", "sensor_fleet", *args)
    assert result.returncode == 1 and message in result.stderr and "Traceback" not in result.stderr


def test_a_fault_rate_outside_0_1_is_refused_by_the_parser():
    result = kdg("render", "sensor_fleet", "--duplicate", "1.5")
    assert result.returncode == 2 and "between 0 and 1" in result.stderr
