"""helpers.setup(): target resolution, credentials safety, naming and tags."""

from __future__ import annotations

import os
import subprocess
import sys

import boto3
import pytest

import helpers
from helpers import config
from helpers.errors import KitError


@pytest.fixture
def env(monkeypatch, endpoint_url):
    """Run setup() with a controlled environment; restore it afterwards."""
    saved = dict(os.environ)
    yield monkeypatch
    os.environ.clear()
    os.environ.update(saved)
    boto3.DEFAULT_SESSION = None


def test_local_setup_prints_one_line_and_configures_boto3(env, endpoint_url, capsys):
    env.setenv("DSCA_PREFIX", "dsca-cfgtest")
    cfg = helpers.setup()
    assert capsys.readouterr().out == (
        f"target=local  region=us-east-1  endpoint={endpoint_url}  prefix=dsca-cfgtest\n"
    )
    assert (cfg.target, cfg.region, cfg.endpoint_url, cfg.prefix) == ("local", "us-east-1", endpoint_url, "dsca-cfgtest")
    # Plain boto3, created after setup(), reaches the local endpoint.
    plain = boto3.client("kinesis")
    plain.create_stream(StreamName="dsca-cfgtest-plain", ShardCount=1)
    assert "dsca-cfgtest-plain" in plain.list_streams()["StreamNames"]
    plain.delete_stream(StreamName="dsca-cfgtest-plain")


def test_real_credentials_are_never_sent_to_the_local_endpoint(env):
    env.setenv("AWS_ACCESS_KEY_ID", "AKIAREALLOOKINGKEY01")
    env.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
    env.setenv("AWS_SESSION_TOKEN", "real-token")
    env.setenv("AWS_PROFILE", "someone")
    helpers.setup(quiet=True)
    sent = []
    client = boto3.client("kinesis")
    client.meta.events.register("before-send", lambda request, **_: sent.append(request.headers["Authorization"]))
    client.list_streams()
    assert config.LOCAL_ACCESS_KEY in sent[0].decode() if isinstance(sent[0], bytes) else sent[0]
    assert "AKIAREALLOOKINGKEY01" not in str(sent)
    assert "AWS_SESSION_TOKEN" not in os.environ and "AWS_PROFILE" not in os.environ


def test_setup_can_run_twice(env, capsys):
    first = helpers.setup()
    second = helpers.setup()
    assert first == second
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[0] == out[1]


def test_setup_honours_the_region(env, endpoint_url):
    env.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    env.delenv("AWS_REGION", raising=False)
    cfg = helpers.setup(quiet=True)
    assert cfg.region == "eu-west-1"
    assert boto3.client("kinesis").meta.region_name == "eu-west-1"


def test_unknown_target_is_one_clear_sentence(env):
    env.setenv("DSCA_TARGET", "cloud")
    with pytest.raises(KitError, match=r"DSCA_TARGET='cloud' is not a target: use 'local' \(the default\) or 'aws'\."):
        helpers.setup()


@pytest.mark.parametrize("prefix", ["A", "Dsca-Upper", "dsca_underscore", "x" * 30, "1starts-with-digit", "ends-"])
def test_bad_prefixes_are_refused(env, prefix):
    env.setenv("DSCA_PREFIX", prefix)
    with pytest.raises(KitError, match="is not a usable prefix"):
        helpers.setup()


def test_default_prefix_comes_from_the_user_name(env, monkeypatch):
    monkeypatch.setattr(config.getpass, "getuser", lambda: "Ana María.O'Neil")
    assert config.default_prefix() == "dsca-ana-mar-a-o-ne"
    monkeypatch.setattr(config.getpass, "getuser", lambda: "")
    assert config.default_prefix() == "dsca-learner"
    assert config._PREFIX_RULE.match(config.default_prefix())


def test_names_and_tags_carry_the_prefix(env):
    env.setenv("DSCA_PREFIX", "dsca-ana")
    cfg = helpers.setup(quiet=True)
    assert cfg.name("sensor-stream") == "dsca-ana-sensor-stream"
    assert cfg.tags == {"project": "data-stream-cloud-analytics", "prefix": "dsca-ana"}
    assert cfg.tag_list() == [
        {"Key": "project", "Value": "data-stream-cloud-analytics"},
        {"Key": "prefix", "Value": "dsca-ana"},
    ]


def test_an_unreachable_endpoint_is_reported(env):
    env.setenv("DSCA_ENDPOINT_URL", "http://127.0.0.1:9")  # discard port: nothing listens
    with pytest.raises(KitError, match=r"No endpoint answers at http://127.0.0.1:9"):
        helpers.setup()


def test_a_non_local_endpoint_is_refused_for_the_local_target(env):
    env.setenv("DSCA_ENDPOINT_URL", "https://kinesis.us-east-1.amazonaws.com")
    with pytest.raises(KitError, match="is not on this machine"):
        helpers.setup()


def test_aws_target_refuses_a_local_endpoint_url(env):
    env.setenv("DSCA_TARGET", "aws")
    env.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4750")
    with pytest.raises(KitError, match="points at a local endpoint"):
        helpers.setup()


def test_aws_target_refuses_the_dummy_credentials(env):
    env.setenv("DSCA_TARGET", "aws")
    env.delenv("AWS_ENDPOINT_URL", raising=False)
    env.setenv("AWS_ACCESS_KEY_ID", config.LOCAL_ACCESS_KEY)
    env.setenv("AWS_SECRET_ACCESS_KEY", config.LOCAL_SECRET_KEY)
    with pytest.raises(KitError, match="dummy credentials"):
        helpers.setup()


def test_aws_target_without_credentials_says_how_to_configure_them(env, tmp_path):
    env.setenv("DSCA_TARGET", "aws")
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        env.delenv(name, raising=False)
    env.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    env.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    env.setenv("AWS_EC2_METADATA_DISABLED", "true")
    env.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    env.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    with pytest.raises(KitError, match="no AWS credentials were found"):
        helpers.setup()


def test_setup_starts_the_endpoint_when_none_is_given(tmp_path):
    """Without DSCA_ENDPOINT_URL, setup() starts `python -m local_aws` itself (in a fresh process)."""
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k != "DSCA_ENDPOINT_URL"}
    env.update(LOCAL_AWS_HOME=str(home), LOCAL_AWS_PORT="0")
    code = "import helpers, boto3; cfg = helpers.setup(); print(boto3.client('kinesis').list_streams()['StreamNames'])"
    try:
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode == 0, result.stderr
        first_line, streams = result.stdout.splitlines()
        assert first_line.startswith("target=local") and "endpoint=http://127.0.0.1:" in first_line
        assert streams == "[]"
        assert (home / "endpoint.json").exists()
    finally:
        subprocess.run([sys.executable, "-m", "local_aws", "stop", "--home", str(home)], capture_output=True)
