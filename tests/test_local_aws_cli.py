"""The endpoint's command line: start, serve, status, stop, reset and their bad inputs.

Each test gets its own home directory and a free port, so tests never touch the
session endpoint or a developer's running one.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import boto3
import pytest
from support import ROOT, cli, client, pid_alive, wait_gone


def kinesis(url: str):
    return client("kinesis", url)


@pytest.fixture
def home(tmp_path: Path):
    home = tmp_path / "home"
    yield home
    info_file = home / "endpoint.json"
    if info_file.exists():  # never leave a server behind, whatever the test did
        pid = json.loads(info_file.read_text()).get("pid")
        cli("stop", home=home)
        if pid and pid_alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def running(home: Path):
    started = cli("start", "--port", "0", home=home)
    assert started.returncode == 0, started.stderr
    url = started.stdout.strip()
    info = json.loads((home / "endpoint.json").read_text())
    return url, info


def test_start_prints_only_the_url_and_serves_aws_apis(running):
    url, info = running
    assert url.startswith("http://127.0.0.1:") and url == info["url"]
    client = kinesis(url)
    client.create_stream(StreamName="cli-test", ShardCount=1)
    assert client.list_streams()["StreamNames"] == ["cli-test"]
    # STS, S3 and IAM answer too (moto behind the dispatch layer).
    session = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    assert boto3.client("sts", **session).get_caller_identity()["Account"].isdigit()
    boto3.client("s3", **session).create_bucket(Bucket="cli-test-bucket")
    assert [b["Name"] for b in boto3.client("s3", **session).list_buckets()["Buckets"]] == ["cli-test-bucket"]


def test_second_start_is_a_no_op_printing_the_same_url(running, home):
    url, info = running
    again = cli("start", "--port", "0", home=home)
    assert again.returncode == 0
    assert again.stdout.strip() == url
    assert "already running" in again.stderr
    assert json.loads((home / "endpoint.json").read_text())["pid"] == info["pid"]


def test_status_reports_endpoint_pid_uptime_and_state(running, home):
    url, info = running
    status = cli("status", home=home)
    assert status.returncode == 0
    assert f"endpoint: {url}" in status.stdout
    assert f"pid:      {info['pid']}" in status.stdout
    assert "uptime:" in status.stdout and str(home) in status.stdout


def test_stop_stops_the_process_and_frees_the_port(running, home):
    url, info = running
    stopped = cli("stop", home=home)
    assert stopped.returncode == 0 and f"pid {info['pid']}" in stopped.stderr
    assert wait_gone(info["pid"])
    assert not (home / "endpoint.json").exists()
    with pytest.raises(OSError):
        urllib.request.urlopen(url + "/_local_aws/health", timeout=2)
    status = cli("status", home=home)
    assert status.returncode == 1 and "not running" in status.stderr


def test_stop_when_nothing_runs_says_so(home):
    result = cli("stop", home=home)
    assert result.returncode == 1
    assert result.stderr.strip() == f"local_aws is not running (home {home.resolve()}); nothing to stop."
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "::", "example.com"])
def test_non_loopback_addresses_are_refused(home, host):
    result = cli("start", "--host", host, "--port", "0", home=home)
    assert result.returncode == 1
    assert "loopback" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not (home / "endpoint.json").exists()


def test_serve_also_refuses_non_loopback(home):
    result = cli("serve", "--host", "0.0.0.0", "--port", "0", home=home)
    assert result.returncode == 1 and "loopback" in result.stderr


def test_a_port_in_use_is_reported_and_nothing_is_left_running(home):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli("start", "--port", str(port), home=home)
    assert result.returncode == 1
    assert f"Port {port}" in result.stderr and "in use" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (home / "endpoint.json").exists()
    assert cli("status", home=home).returncode == 1


def test_an_invalid_port_is_refused(home):
    result = cli("start", "--port", "70000", home=home)
    assert result.returncode == 1 and "not a valid TCP port" in result.stderr


def test_a_stale_pid_file_is_cleaned_up(home):
    home.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (home / "endpoint.json").write_text(json.dumps({"pid": dead.pid, "url": "http://127.0.0.1:1", "port": 1}))
    status = cli("status", home=home)
    assert status.returncode == 1 and "stale pid file" in status.stderr
    (home / "endpoint.json").write_text(json.dumps({"pid": dead.pid, "url": "http://127.0.0.1:1", "port": 1}))
    started = cli("start", "--port", "0", home=home)
    assert started.returncode == 0, started.stderr
    assert "stale pid file" in started.stderr
    assert started.stdout.strip() != "http://127.0.0.1:1"


def test_after_kill_9_start_recovers(running, home):
    url, info = running
    os.kill(info["pid"], signal.SIGKILL)
    assert wait_gone(info["pid"])
    started = cli("start", "--port", "0", home=home)
    assert started.returncode == 0, started.stderr
    assert json.loads((home / "endpoint.json").read_text())["pid"] != info["pid"]


def test_reset_wipes_the_state_of_a_running_endpoint(running, home):
    url, _ = running
    client = kinesis(url)
    client.create_stream(StreamName="to-be-wiped", ShardCount=1)
    (home / "state" / "leftover").write_text("x")
    result = cli("reset", home=home)
    assert result.returncode == 0 and "wiped" in result.stderr
    assert client.list_streams()["StreamNames"] == []
    assert list((home / "state").iterdir()) == []
    client.create_stream(StreamName="after-reset", ShardCount=1)  # still serving
    assert client.list_streams()["StreamNames"] == ["after-reset"]


def test_reset_without_a_running_endpoint_wipes_the_state_dir(home):
    (home / "state").mkdir(parents=True)
    (home / "state" / "leftover").write_text("x")
    result = cli("reset", home=home)
    assert result.returncode == 0
    assert list((home / "state").iterdir()) == []


def test_unusable_home_is_a_one_sentence_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = cli("start", "--port", "0", home=blocker / "home")
    assert result.returncode == 1
    assert "is not usable" in result.stderr and "Traceback" not in result.stderr


def test_serve_runs_in_the_foreground_until_sigterm(home):
    proc = subprocess.Popen(
        [sys.executable, "-m", "local_aws", "serve", "--port", "0", "--home", str(home)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert kinesis(url).list_streams()["StreamNames"] == []
        # A second endpoint on the same home is refused: it would share its state.
        second = cli("serve", "--port", "0", home=home)
        assert second.returncode == 1 and "already serves the home" in second.stderr
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert not (home / "endpoint.json").exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_aws_cli_works_with_only_the_endpoint_url_and_dummy_credentials(running):
    url, _ = running
    kinesis(url).create_stream(StreamName="seen-by-the-cli", ShardCount=1)
    env = dict(os.environ, AWS_ACCESS_KEY_ID="anything", AWS_SECRET_ACCESS_KEY="anything", AWS_DEFAULT_REGION="us-east-1")
    env.pop("AWS_ENDPOINT_URL", None)
    aws = Path(sys.executable).parent / "aws"
    result = subprocess.run(
        [str(aws), "--endpoint-url", url, "kinesis", "list-streams", "--output", "json"],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["StreamNames"] == ["seen-by-the-cli"]


def test_config_shows_and_changes_settings(running, home):
    assert cli("config", home=home).stdout == "kinesis_limits = on\n"
    assert cli("config", "kinesis_limits=off", home=home).stdout == "kinesis_limits = off\n"
    assert "setting:  kinesis_limits = off" in cli("status", home=home).stdout
    bad = cli("config", "kinesis_limits=maybe", home=home)
    assert bad.returncode == 1 and "is not on/off" in bad.stderr
    unknown = cli("config", "colour=blue", home=home)
    assert unknown.returncode == 1 and "Unknown setting 'colour'" in unknown.stderr
    assert cli("config", "no-equals-sign", home=home).returncode == 1
    assert cli("config", home=home).stdout == "kinesis_limits = off\n"  # bad input changed nothing


def test_config_when_nothing_runs(home):
    result = cli("config", home=home)
    assert result.returncode == 1 and "not running" in result.stderr


def test_start_can_switch_kinesis_limits_off(home):
    started = cli("start", "--port", "0", "--kinesis-limits", "off", home=home)
    assert started.returncode == 0, started.stderr
    assert cli("config", home=home).stdout == "kinesis_limits = off\n"
    client = kinesis(started.stdout.strip())
    client.create_stream(StreamName="unlimited", ShardCount=1)
    records = [{"Data": b"x", "PartitionKey": str(i)} for i in range(500)]
    assert [client.put_records(StreamName="unlimited", Records=records)["FailedRecordCount"] for _ in range(4)] == [0] * 4
