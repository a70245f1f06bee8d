"""helpers.catalog against the session's local endpoint: database, crawler, a crawl, the catalog as DataFrames."""

from __future__ import annotations

import io
import json

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers import catalog
from helpers import iam as iam_helpers
from helpers.errors import KitError

READINGS = pa.table({"device_id": ["d1", "d2"], "reading": [20.5, 21.0]})


@pytest.fixture
def lake(cfg):
    """A bucket with two days of readings and a database name, under the test's prefix."""
    s3 = boto3.client("s3")
    bucket = cfg.name("lake")
    s3.create_bucket(Bucket=bucket)
    for day in ("2026-01-01", "2026-01-02"):
        put_day(bucket, day)
    s3.put_object(Bucket=bucket, Key="metrics/sensor_readings/batch=0.json", Body=b'{"read": 2}')
    return bucket, cfg.prefix.replace("-", "_") + "_db"


def put_day(bucket: str, day: str) -> None:
    buffer = io.BytesIO()
    pq.write_table(READINGS, buffer)
    boto3.client("s3").put_object(Bucket=bucket, Key=f"curated/readings/dt={day}/part-0.parquet", Body=buffer.getvalue())


ROLE = "arn:aws:iam::123456789012:role/crawler"


def test_ensure_database_is_idempotent_and_refuses_names_athena_dislikes(cfg, capsys):
    name = cfg.prefix.replace("-", "_") + "_catalog"
    assert catalog.ensure_database(name, "the kit's tables")["Name"] == name
    assert catalog.ensure_database(name)["Name"] == name
    assert capsys.readouterr().out.splitlines() == [f"Created database {name}", f"Database {name} already exists"]
    with pytest.raises(KitError, match="'dsca_db'"):
        catalog.ensure_database("dsca-db")


def test_ensure_crawler_creates_updates_and_leaves_alone(cfg, lake, capsys):
    bucket, db = lake
    catalog.ensure_database(db, verbose=False)
    name = cfg.name("crawler")
    created = catalog.ensure_crawler(name, ROLE, db, [f"s3://{bucket}/curated/"], exclusions=["**/_SUCCESS"],
                                     tags=cfg.tags)
    assert created["Targets"]["S3Targets"] == [{"Path": f"s3://{bucket}/curated/", "Exclusions": ["**/_SUCCESS"]}]
    assert created["SchemaChangePolicy"] == {"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "DEPRECATE_IN_DATABASE"}
    catalog.ensure_crawler(name, ROLE, db, [f"s3://{bucket}/curated/"], exclusions=["**/_SUCCESS"])
    updated = catalog.ensure_crawler(name, ROLE, db, [f"s3://{bucket}/curated/"], table_prefix="raw_",
                                     update_behavior="LOG", delete_behavior="LOG", recrawl_behavior="CRAWL_NEW_FOLDERS_ONLY",
                                     schedule="cron(0 * * * ? *)")
    assert updated["TablePrefix"] == "raw_" and updated["RecrawlPolicy"] == {"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"}
    assert updated["Schedule"]["ScheduleExpression"] == "cron(0 * * * ? *)"
    unscheduled = catalog.ensure_crawler(name, ROLE, db, [f"s3://{bucket}/curated/"], table_prefix="raw_",
                                         update_behavior="LOG", delete_behavior="LOG",
                                         recrawl_behavior="CRAWL_NEW_FOLDERS_ONLY")
    assert "Schedule" not in unscheduled
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"Created crawler {name}") and out[1].startswith("Crawler already up to date:")
    assert out[2].startswith(f"Updated crawler {name}") and out[3].startswith(f"Updated crawler {name}")
    with pytest.raises(KitError, match="must log schema changes and deletions"):
        catalog.ensure_crawler(name, ROLE, db, [f"s3://{bucket}/curated/"], recrawl_behavior="CRAWL_NEW_FOLDERS_ONLY")
    with pytest.raises(KitError, match="is not an s3:// path"):
        catalog.ensure_crawler(name, ROLE, db, ["curated/"])


def test_run_crawler_then_the_catalog_as_dataframes(cfg, lake):
    bucket, db = lake
    catalog.ensure_database(db, verbose=False)
    name = cfg.name("crawler")
    catalog.ensure_crawler(name, ROLE, db, [f"s3://{bucket}/curated/readings/"], verbose=False)
    result = catalog.run_crawler(name, poll=0.2, verbose=False)
    assert result["Status"] == "SUCCEEDED" and result["TablesCreated"] == 1 and result["CrawlerName"] == name

    tables = catalog.tables(db)
    assert tables["table"].tolist() == ["readings"]
    row = tables.iloc[0]
    assert row["location"] == f"s3://{bucket}/curated/readings/" and row["classification"] == "parquet"
    assert row["partition_keys"] == "dt" and row["record_count"] == 4 and row["object_count"] == 2
    assert row["updated_by_crawler"] == name and not row["deprecated"]

    cols = catalog.columns(db, "readings")
    assert cols.to_dict("records") == [
        {"column": "device_id", "type": "string", "partition_key": False, "comment": ""},
        {"column": "reading", "type": "double", "partition_key": False, "comment": ""},
        {"column": "dt", "type": "string", "partition_key": True, "comment": ""},
    ]
    parts = catalog.partitions(db, "readings")
    assert parts["dt"].tolist() == ["2026-01-01", "2026-01-02"] and parts["record_count"].tolist() == [2, 2]
    assert parts["location"].iloc[1] == f"s3://{bucket}/curated/readings/dt=2026-01-02/"

    put_day(bucket, "2026-01-03")  # a new day, a new partition
    again = catalog.run_crawler(name, poll=0.2, verbose=False)
    assert again["CrawlId"] != result["CrawlId"] and again["TablesCreated"] == 0
    assert catalog.partitions(db, "readings")["dt"].tolist() == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert catalog.partitions(db, "readings", expression="dt > '2026-01-01'")["dt"].tolist() == ["2026-01-02", "2026-01-03"]

    log = catalog.crawler_log(name, crawl_id=again["CrawlId"])
    assert log and all(line.startswith(f"[{again['CrawlId']}]") for line in log)
    assert any("Created 1 partition(s) of table readings" in line for line in log)


def test_a_failed_crawl_raises_a_kit_error_with_aws_s_message(cfg, lake):
    bucket, _ = lake
    name = cfg.name("crawler")
    catalog.ensure_crawler(name, ROLE, "db_that_is_missing", [f"s3://{bucket}/curated/"], verbose=False)
    with pytest.raises(KitError, match="Database db_that_is_missing not found"):
        catalog.run_crawler(name, poll=0.2, verbose=False)
    with pytest.raises(KitError, match="does not exist"):
        catalog.run_crawler(cfg.name("no-such-crawler"), verbose=False)
    with pytest.raises(KitError, match="does not exist"):
        catalog.tables("no_such_db_here")


def test_delete_crawler_is_idempotent_and_keeps_the_tables(cfg, lake):
    bucket, db = lake
    catalog.ensure_database(db, verbose=False)
    name = cfg.name("crawler")
    catalog.ensure_crawler(name, ROLE, db, [f"s3://{bucket}/curated/readings/"], verbose=False)
    catalog.run_crawler(name, poll=0.2, verbose=False)
    assert catalog.delete_crawler(name, verbose=False) is True
    assert catalog.delete_crawler(name, verbose=False) is False
    assert catalog.crawler_info(name) is None
    assert catalog.tables(db)["table"].tolist() == ["readings"]


def test_the_crawler_policy_is_least_privilege(cfg):
    policy = catalog.crawler_policy("the-bucket", ["curated/", "quarantine"], "the_db", "123456789012", "us-east-1")
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["ReadTheCrawledObjects"]["Resource"] == ["arn:aws:s3:::the-bucket/curated/*",
                                                               "arn:aws:s3:::the-bucket/quarantine/*"]
    assert "arn:aws:glue:us-east-1:123456789012:table/the_db/*" in statements["WriteTheCatalogDatabase"]["Resource"]
    assert not any(s.get("Resource") == "*" for s in policy["Statement"])
    arn = iam_helpers.ensure_role(cfg.name("crawler-role"), iam_helpers.GLUE_TRUST_POLICY, policy, verbose=False)
    assert arn.endswith(f":role/{cfg.name('crawler-role')}")
    assert json.dumps(policy)  # serialisable as IAM wants it
