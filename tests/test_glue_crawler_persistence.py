"""A crawl's effect on the catalog, and the crawler's history, survive a restart and a crash.

Real endpoint processes in their own homes, stopped or killed for real. The
crawl's catalog writes go through the endpoint's own API, so the journal holds
them; the crawls themselves are in ``glue_crawls.json``. A replay must not
crawl again, and a crawl cut off by a crash must come back FAILED.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from support import cli, client, kill_9, start, stop_quietly

BUCKET = "crawl-durable"


@pytest.fixture
def home(tmp_path: Path):
    home = tmp_path / "home"
    yield home
    stop_quietly(home)


def put_day(url: str, day: str) -> None:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"device_id": ["d1"], "reading": [1.5]}), buffer)
    client("s3", url).put_object(Bucket=BUCKET, Key=f"curated/readings/dt={day}/part-0.parquet", Body=buffer.getvalue())


def setup_lake(url: str, **crawler) -> None:
    client("s3", url).create_bucket(Bucket=BUCKET)
    glue = client("glue", url)
    glue.create_database(DatabaseInput={"Name": "lake"})
    glue.create_crawler(Name="durable", Role="arn:aws:iam::123456789012:role/c", DatabaseName="lake",
                        Targets={"S3Targets": [{"Path": f"s3://{BUCKET}/curated/readings/"}]}, **crawler)


def wait_ready(url: str, before: str | None = None, timeout: float = 120) -> dict:
    glue = client("glue", url)
    deadline = time.monotonic() + timeout
    while True:
        crawler = glue.get_crawler(Name="durable")["Crawler"]
        last = crawler.get("LastCrawl") or {}
        if crawler["State"] == "READY" and last.get("MessagePrefix") not in (None, before):
            return crawler
        assert time.monotonic() < deadline, f"crawler still {crawler['State']}"
        time.sleep(0.1)


def crawl(url: str) -> dict:
    glue = client("glue", url)
    before = (glue.get_crawler(Name="durable")["Crawler"].get("LastCrawl") or {}).get("MessagePrefix")
    glue.start_crawler(Name="durable")
    return wait_ready(url, before)


def partitions(url: str) -> list[str]:
    found = client("glue", url).get_partitions(DatabaseName="lake", TableName="readings")["Partitions"]
    return sorted(p["Values"][0] for p in found)


@pytest.mark.parametrize("how", ["stop", "kill -9"])
def test_the_crawled_catalog_and_the_crawl_history_survive_a_restart(home, how):
    url = start(home)
    setup_lake(url)
    put_day(url, "2026-01-01")
    put_day(url, "2026-01-02")
    first = crawl(url)
    assert first["LastCrawl"]["Status"] == "SUCCEEDED"
    # data added after the crawl: a replay that crawled again would catalogue it
    put_day(url, "2026-01-03")
    if how == "stop":
        assert cli("stop", home=home).returncode == 0
    else:
        kill_9(home)
    url = start(home)

    glue = client("glue", url)
    table = glue.get_table(DatabaseName="lake", Name="readings")["Table"]
    assert table["Parameters"]["UPDATED_BY_CRAWLER"] == "durable"
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["device_id", "reading"]
    assert partitions(url) == ["2026-01-01", "2026-01-02"]
    crawler = glue.get_crawler(Name="durable")["Crawler"]
    assert crawler["State"] == "READY" and crawler["LastCrawl"] == first["LastCrawl"]
    metrics = glue.get_crawler_metrics(CrawlerNameList=["durable"])["CrawlerMetricsList"][0]
    assert metrics["TablesCreated"] == 1
    assert len(glue.list_crawls(CrawlerName="durable")["Crawls"]) == 1

    second = crawl(url)
    assert second["LastCrawl"]["Status"] == "SUCCEEDED"
    assert partitions(url) == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert [c["State"] for c in glue.list_crawls(CrawlerName="durable")["Crawls"]] == ["COMPLETED", "COMPLETED"]
    kill_9(home)
    url = start(home)
    assert partitions(url) == ["2026-01-01", "2026-01-02", "2026-01-03"]


def test_a_crawl_cut_off_by_a_crash_comes_back_failed_and_the_crawler_runs_again(home):
    url = start(home)
    setup_lake(url, Tags={"local-aws:crawl-delay-seconds": "600"})
    put_day(url, "2026-01-01")
    glue = client("glue", url)
    glue.start_crawler(Name="durable")
    assert glue.get_crawler(Name="durable")["Crawler"]["State"] == "RUNNING"
    kill_9(home)
    url = start(home)
    glue = client("glue", url)
    crawler = glue.get_crawler(Name="durable")["Crawler"]
    assert crawler["State"] == "READY"
    assert crawler["LastCrawl"]["Status"] == "FAILED"
    assert "The local endpoint stopped while this crawl was running" in crawler["LastCrawl"]["ErrorMessage"]
    assert glue.get_tables(DatabaseName="lake")["TableList"] == []

    glue.untag_resource(ResourceArn="arn:aws:glue:us-east-1:123456789012:crawler/durable",
                        TagsToRemove=["local-aws:crawl-delay-seconds"])
    assert crawl(url)["LastCrawl"]["Status"] == "SUCCEEDED"
    assert partitions(url) == ["2026-01-01"]


def test_a_stopping_endpoint_cancels_its_crawls(home):
    url = start(home)
    setup_lake(url, Tags={"local-aws:crawl-delay-seconds": "600"})
    client("glue", url).start_crawler(Name="durable")
    assert cli("stop", home=home).returncode == 0
    url = start(home)
    crawler = client("glue", url).get_crawler(Name="durable")["Crawler"]
    assert crawler["State"] == "READY"
    assert crawler["LastCrawl"]["Status"] == "CANCELLED"
    runs = json.loads((home / "state" / "glue_crawls.json").read_text())["crawls"]
    assert [r["ErrorMessage"] for r in runs] == ["Stopped because the local endpoint stopped."]
