"""helpers.costs: the price table, the estimates and the cost guard (no endpoint needed)."""

from __future__ import annotations

import builtins

import pytest

from helpers import costs
from helpers.config import Config
from helpers.errors import KitError

AWS = Config("aws", "us-east-1", None, "dsca-ana", "111122223333")
LOCAL = Config("local", "us-east-1", "http://127.0.0.1:4566", "dsca-ana")
STREAM = costs.kinesis_stream("dsca-ana-sensor-stream", shards=1)


@pytest.fixture(autouse=True)
def fresh_guard(monkeypatch):
    monkeypatch.setattr(costs, "_confirmed", set())
    monkeypatch.delenv(costs.CONFIRM_ENV, raising=False)


def no_input(prompt=""):
    raise AssertionError(f"input() must not be called: {prompt}")


# --- the figures ----------------------------------------------------------------------------------------------


def test_the_existing_figures_keep_their_values():
    assert costs.kinesis_hourly_usd(2) == pytest.approx(0.03)
    assert costs.kinesis_put_usd(1_000_000) == pytest.approx(0.014)
    assert costs.kinesis_put_usd(1_000_000, avg_record_bytes=30_000) == pytest.approx(0.028)  # two 25 KB units
    assert costs.glue_hourly_usd("G.1X", 2) == pytest.approx(0.88)
    assert costs.glue_hourly_usd("G.025X", 2) == pytest.approx(0.22)
    assert costs.glue_crawler_run_usd(0) == pytest.approx(0.44 / 6)  # the 10-minute minimum
    assert costs.glue_crawler_run_usd(1200, dpus=2) == pytest.approx(0.44 * 2 / 3)
    assert costs.s3_monthly_usd(1024**3) == pytest.approx(0.023)
    assert costs.describe_kinesis_cost(1).startswith("1 provisioned shard: $0.015/hour (about $0.36/day, $10.95/month)")
    assert costs.describe_glue_streaming_cost("G.1X", 2).startswith("2 x G.1X (2 DPU): $0.88/hour (about $21.12/day)")
    with pytest.raises(ValueError):
        costs.glue_hourly_usd("X.9", 2)


def test_one_price_table_feeds_every_figure():
    assert costs.KINESIS_SHARD_HOUR_USD == costs.PRICES_USD["kinesis_shard_hour"]
    assert costs.GLUE_DPU_HOUR_USD == costs.PRICES_USD["glue_dpu_hour"]
    assert costs.S3_STANDARD_GB_MONTH_USD == costs.PRICES_USD["s3_standard_gb_month"]
    from helpers import athena

    assert athena.PRICE_PER_TB_USD == costs.PRICES_USD["athena_tb_scanned"]  # the query helper's own copy agrees
    assert costs.athena_query_usd(1) == pytest.approx(athena.query_cost_usd(1))
    assert costs.athena_query_usd(3 * 1024**4) == pytest.approx(athena.query_cost_usd(3 * 1024**4))


def test_each_item_bills_the_way_aws_does():
    assert (STREAM.hourly_usd, STREAM.daily_usd) == (pytest.approx(0.015), pytest.approx(0.36))
    on_demand = costs.kinesis_stream("s", on_demand=True)
    assert on_demand.hourly_usd == pytest.approx(0.04) and "on demand" in on_demand.detail
    job = costs.glue_streaming_job("j", "G.1X", workers=2, timeout_minutes=30)
    assert (job.hourly_usd, job.daily_usd, job.per_use_usd) == (pytest.approx(0.88), pytest.approx(21.12),
                                                                 pytest.approx(0.44))
    small = costs.glue_streaming_job("j", "G.025X", workers=1)  # below Glue's minimum: billed as 2 workers
    assert small.hourly_usd == pytest.approx(0.22) and "minimum of 2 workers" in small.detail
    console_default = costs.glue_streaming_job("j", "G.1X", workers=10)
    assert console_default.daily_usd == pytest.approx(105.6)
    crawler = costs.glue_crawler("c")
    assert (crawler.hourly_usd, crawler.per_use_usd) == (0, pytest.approx(0.44 * 2 / 6))
    assert costs.glue_crawler("c", runs_per_day=24).daily_usd == pytest.approx(24 * 0.44 * 2 / 6)
    queries = costs.athena_queries("wg", bytes_cutoff=10 * 1024**3)
    assert queries.per_use_usd == pytest.approx(10 / 1024**2 * 5) and "at most $0.049" in queries.billing
    users = costs.quicksight_users(authors=1, readers=2)
    assert users.monthly_usd == pytest.approx(30) and users.daily_usd == pytest.approx(30 * 24 / 730)
    assert costs.s3_storage("b", gigabytes=10).monthly_usd == pytest.approx(0.23)
    assert costs.free("IAM role r").line() == "IAM role r: free"
    with pytest.raises(KitError, match="at least 1 shard"):
        costs.kinesis_stream("s", shards=0)
    with pytest.raises(KitError, match="has no price here"):
        costs.glue_streaming_job("j", "Z.2X")


def test_small_amounts_are_shown_with_digits_never_an_exponent():
    assert [costs.money(x) for x in (0, 21.12, 1234.5, 0.015, 0.00031, 0.0000476837, 1e-9)] == [
        "$0", "$21.12", "$1,234.50", "$0.015", "$0.00031", "$0.000048", "less than $0.000001"]


def test_the_estimate_has_a_line_per_item_and_a_total():
    lines = costs.estimate_lines([STREAM, costs.glue_streaming_job("j", timeout_minutes=30), costs.free("role r"),
                                  costs.glue_crawler("a"), costs.glue_crawler("b")])
    assert lines[0].startswith("  Kinesis stream dsca-ana-sensor-stream (1 provisioned shard): $0.015/hour, $0.360/day")
    assert lines[2] == "  role r: free"
    assert lines[-1].startswith("  total: $0.895/hour, $21.48/day while it exists or runs, plus ")
    assert "$0.293 per crawl (all 2)" in lines[-1]
    assert costs.estimate_lines([costs.glue_crawler("a")])[-1] == "  total: nothing while idle, plus $0.147 per crawl"


# --- the guard ------------------------------------------------------------------------------------------------


def test_on_the_local_target_it_prints_what_aws_would_charge_and_never_asks(capsys, monkeypatch):
    monkeypatch.setattr(builtins, "input", no_input)
    monkeypatch.setenv(costs.CONFIRM_ENV, "no")  # not even a refusal matters locally
    assert costs.confirm_cost(LOCAL, STREAM, "the stream") is None
    out = capsys.readouterr().out
    assert out.startswith("On AWS this would cost (us-east-1 list prices; nothing bills on the local target): the stream")
    assert "$0.015/hour, $0.360/day" in out


@pytest.mark.parametrize("value", ["yes", "YES", "y", "true", "1", " yes "])
def test_on_aws_the_environment_variable_confirms_unattended_runs(value, capsys, monkeypatch):
    monkeypatch.setattr(builtins, "input", no_input)
    monkeypatch.setenv(costs.CONFIRM_ENV, value)
    costs.confirm_cost(AWS, [STREAM], "the Kinesis stream dsca-ana-sensor-stream")
    out = capsys.readouterr().out
    assert out.startswith("Estimated cost on AWS of the Kinesis stream dsca-ana-sensor-stream (us-east-1 list prices):")
    assert f"Confirmed by {costs.CONFIRM_ENV}=" in out


@pytest.mark.parametrize("value", ["no", "false", "0", "later"])
def test_on_aws_any_other_value_refuses_without_asking(value, monkeypatch):
    monkeypatch.setattr(builtins, "input", no_input)
    monkeypatch.setenv(costs.CONFIRM_ENV, value)
    with pytest.raises(KitError, match=rf"^Nothing was created: {costs.CONFIRM_ENV}='{value}' does not confirm the cost "
                                       r"of the stream \(\$0\.015/hour, \$0\.360/day .*set DSCA_CONFIRM_COSTS=yes"):
        costs.confirm_cost(AWS, STREAM, "the stream")


@pytest.mark.parametrize("answer", ["yes", "Yes", "y", " YES\n"])
def test_on_aws_a_typed_yes_confirms(answer, capsys, monkeypatch):
    prompts = []
    monkeypatch.setattr(costs, "_interactive", lambda: True)
    monkeypatch.setattr(builtins, "input", lambda prompt="": prompts.append(prompt) or answer)
    costs.confirm_cost(AWS, STREAM, "the stream")
    assert prompts == [("Create the stream at about $0.015/hour, $0.360/day while it exists or runs, plus $0.014 per "
                        "million records written? Type yes to go on: ")]
    assert capsys.readouterr().out.rstrip().endswith("Confirmed.")


@pytest.mark.parametrize("answer", ["no", "", "ok", "sure", "yes please"])
def test_on_aws_any_other_typed_answer_refuses(answer, monkeypatch):
    monkeypatch.setattr(costs, "_interactive", lambda: True)
    monkeypatch.setattr(builtins, "input", lambda prompt="": answer)
    with pytest.raises(KitError, match=rf"^Nothing was created: you answered '{answer}', not yes, to the cost of the "
                                       r"stream .*type yes, or set DSCA_CONFIRM_COSTS=yes, to go on\.$"):
        costs.confirm_cost(AWS, STREAM, "the stream")


def test_on_aws_with_nobody_to_ask_it_refuses_and_says_how_to_confirm(monkeypatch):
    monkeypatch.setattr(costs, "_interactive", lambda: False)
    monkeypatch.setattr(builtins, "input", no_input)
    with pytest.raises(KitError) as refused:
        costs.confirm_cost(AWS, [STREAM, costs.glue_streaming_job("j")], "the pipeline")
    message = str(refused.value)
    assert message.startswith("Nothing was created: the pipeline would cost about $0.895/hour, $21.48/day")
    assert message.endswith("run the notebook interactively and type yes, or set DSCA_CONFIRM_COSTS=yes.")
    assert message.count(". ") == 0  # one sentence


def test_under_pytest_stdin_is_not_a_person():
    assert costs._interactive() is False


@pytest.mark.parametrize("error", [EOFError(), OSError("reading from stdin while output is captured"),
                                   NotImplementedError("raw_input was called, but this frontend does not support "
                                                       "input requests.")])
def test_a_front_end_that_cannot_take_input_is_a_refusal(error, monkeypatch):
    """EOF on stdin, pytest's capture, or a headless Jupyter run (IPython's StdinNotImplementedError)."""
    monkeypatch.setattr(costs, "_interactive", lambda: True)

    def fails(prompt=""):
        raise error

    monkeypatch.setattr(builtins, "input", fails)
    with pytest.raises(KitError, match="nobody is here to confirm it"):
        costs.confirm_cost(AWS, STREAM, "the stream")


def test_stdin_not_implemented_from_ipython_is_a_refusal(monkeypatch):
    error = pytest.importorskip("IPython.core.error")
    monkeypatch.setattr(costs, "_interactive", lambda: True)

    def headless(prompt=""):
        raise error.StdinNotImplementedError("raw_input was called, but this frontend does not support input requests.")

    with pytest.raises(KitError, match="nobody is here to confirm it"):
        costs.confirm_cost(AWS, STREAM, "the stream", ask=headless)


def test_a_confirmed_estimate_is_not_asked_again_in_the_same_session(capsys, monkeypatch):
    answers = iter(["yes"])
    monkeypatch.setattr(costs, "_interactive", lambda: True)
    monkeypatch.setattr(builtins, "input", lambda prompt="": next(answers))
    costs.confirm_cost(AWS, STREAM, "the stream")
    costs.confirm_cost(AWS, STREAM, "the stream")  # the cell run again: no second prompt
    assert capsys.readouterr().out.rstrip().endswith("Already confirmed in this session.")
    bigger = costs.kinesis_stream("dsca-ana-sensor-stream", shards=4)
    with pytest.raises(StopIteration):  # a different estimate is asked again
        costs.confirm_cost(AWS, bigger, "the stream")


def test_a_custom_ask_function_replaces_input(monkeypatch):
    monkeypatch.setattr(builtins, "input", no_input)
    costs.confirm_cost(AWS, STREAM, "the stream", ask=lambda prompt: "yes")
    with pytest.raises(KitError, match="you answered 'n'"):
        costs.confirm_cost(AWS, costs.glue_crawler("c"), "the crawler", ask=lambda prompt: "n")


def test_another_region_is_labelled(capsys, monkeypatch):
    monkeypatch.setenv(costs.CONFIRM_ENV, "yes")
    costs.confirm_cost(Config("aws", "eu-west-1", None, "dsca-ana", "111122223333"), STREAM, "the stream")
    assert "(us-east-1 list prices; eu-west-1 may differ)" in capsys.readouterr().out
