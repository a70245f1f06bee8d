"""The crawler on the local endpoint: StartCrawler crawls S3 for real, through the Glue API.

Small hand-made S3 layouts, crawled on the session's endpoint (each test has
its own bucket, database and crawler): the table and partition definitions
AWS's crawler writes, re-crawls under each policy, bad input, the crawler's
states and errors. The Glue job's real output is played by Parquet files
written with pyarrow in the job's layout and with its schemas (taken from
``glue_scripts/sensor_transforms.py``), not by running Spark.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError
from support import client

DELAY_TAG = "local-aws:crawl-delay-seconds"


# --- helpers ----------------------------------------------------------------------------------


class Lake:
    """A bucket, a database and crawlers of one test."""

    def __init__(self, url: str):
        self.url = url
        self.s3 = client("s3", url)
        self.glue = client("glue", url)
        self.logs = client("logs", url)
        self.bucket = f"crawl-{uuid.uuid4().hex[:12]}"
        self.db = f"db_{uuid.uuid4().hex[:10]}"
        self.s3.create_bucket(Bucket=self.bucket)
        self.glue.create_database(DatabaseInput={"Name": self.db})

    def path(self, prefix: str = "") -> str:
        return f"s3://{self.bucket}/{prefix}"

    def put(self, key: str, body: bytes) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)

    def put_parquet(self, key: str, table: pa.Table) -> None:
        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression="snappy")
        self.put(key, buffer.getvalue())

    def put_json(self, key: str, rows: list[dict]) -> None:
        self.put(key, "\n".join(json.dumps(r) for r in rows).encode())

    def crawler(self, paths: list[str], name: str | None = None, **kwargs) -> str:
        name = name or f"crawler-{uuid.uuid4().hex[:8]}"
        targets = [{"Path": self.path(p)} if isinstance(p, str) else {**p, "Path": self.path(p["Path"])} for p in paths]
        self.glue.create_crawler(Name=name, Role="arn:aws:iam::123456789012:role/glue-crawler", DatabaseName=self.db,
                                 Targets={"S3Targets": targets}, **kwargs)
        return name

    def crawl(self, name: str, timeout: float = 120) -> dict:
        """Start the crawler and wait until it is READY again with a new finished crawl; return GetCrawler's Crawler."""
        before = (self.glue.get_crawler(Name=name)["Crawler"].get("LastCrawl") or {}).get("MessagePrefix")
        self.glue.start_crawler(Name=name)
        return self.wait(name, before, timeout)

    def wait(self, name: str, before: str | None, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            crawler = self.glue.get_crawler(Name=name)["Crawler"]
            last = crawler.get("LastCrawl") or {}
            if crawler["State"] == "READY" and last.get("MessagePrefix") not in (None, before):
                return crawler
            assert time.monotonic() < deadline, f"crawler {name} still {crawler['State']} after {timeout} s"
            time.sleep(0.1)

    def tables(self) -> dict[str, dict]:
        return {t["Name"]: t for t in self.glue.get_tables(DatabaseName=self.db)["TableList"]}

    def partitions(self, table: str) -> dict[tuple, dict]:
        found = self.glue.get_partitions(DatabaseName=self.db, TableName=table)["Partitions"]
        return {tuple(p["Values"]): p for p in found}

    def log(self, name: str, crawl_id: str | None = None) -> list[str]:
        events = self.logs.get_log_events(logGroupName="/aws-glue/crawlers", logStreamName=name, startFromHead=True)["events"]
        lines = [e["message"] for e in events]
        return [line for line in lines if crawl_id is None or line.startswith(f"[{crawl_id}]")]


def columns(table: dict) -> dict[str, str]:
    return {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}


def keys(table: dict) -> list[str]:
    return [k["Name"] for k in table.get("PartitionKeys") or []]


@pytest.fixture
def lake(endpoint_url):
    return Lake(endpoint_url)


READINGS = pa.table({"device_id": ["d1", "d2"], "reading": [20.5, 21.0], "battery_pct": pa.array([80, 79], pa.int32())})


# --- the Glue job's output ----------------------------------------------------------------------


def arrow_schema(spark_schema, drop: tuple[str, ...]) -> pa.Schema:
    """The Arrow schema Spark writes for a Spark schema (partition columns are folders, not data)."""
    from pyspark.sql import types as T

    mapping = {T.StringType: pa.string(), T.DoubleType: pa.float64(), T.IntegerType: pa.int32(), T.LongType: pa.int64(),
               T.TimestampType: pa.timestamp("us", tz="UTC")}
    return pa.schema([(f.name, mapping[type(f.dataType)]) for f in spark_schema.fields if f.name not in drop])


def job_output(lake: Lake, days: list[str]) -> tuple[pa.Schema, pa.Schema]:
    """The layout of glue_scripts/sensor_stream_etl.py, with its schemas, plus its metrics and checkpoints."""
    from spark_support import import_transforms

    st = import_transforms()
    curated = arrow_schema(st.CURATED_SCHEMA, st.CURATED_PARTITIONS)
    quarantine = arrow_schema(st.QUARANTINE_SCHEMA, st.QUARANTINE_PARTITIONS)
    now = datetime(2026, 3, 4, 12, tzinfo=timezone.utc)
    for b, day in enumerate(days):
        for hour in ("10", "11"):
            rows = {f.name: [None, None] for f in curated}
            rows.update({"event_id": ["e1", "e2"], "reading": [1.5, 2.5], "battery_pct": [90, 91], "batch_id": [b, b],
                         "event_time": [now, now], "processed_at": [now, now]})
            lake.put_parquet(f"curated/sensor_readings/dt={day}/hour={hour}/part-ab12cd34-b{b:06d}-000.snappy.parquet",
                             pa.Table.from_pydict(rows, schema=curated))
        rows = {f.name: [None] for f in quarantine}
        rows.update({"raw_payload": ["{bad"], "reason": ["NOT_JSON"], "reasons": ["NOT_JSON"], "batch_id": [b],
                     "processed_at": [now]})
        lake.put_parquet(f"quarantine/sensor_readings/dt={day}/part-ab12cd34-b{b:06d}-000.snappy.parquet",
                         pa.Table.from_pydict(rows, schema=quarantine))
        lake.put(f"metrics/sensor_readings/batch={b}.json", json.dumps({"batch_id": b, "read": 3}).encode())
    job = "checkpoints/dsca-sensor-etl"
    lake.put(f"{job}/stream/metadata", b'{"id":"5f1b"}')
    lake.put(f"{job}/stream/offsets/0", b'v1\n{"batchWatermarkMs":0}\n{"shard-0":"0"}')
    lake.put(f"{job}/stream/commits/0", b'v1\n{"nextBatchWatermarkMs":0}')
    lake.put(f"{job}/output/run_token.json", b'{"token": "ab12cd34"}')
    lake.put(f"{job}/output/manifests/batch=0.json", b'{"batch_id": 0, "objects": []}')
    return curated, quarantine


def test_the_glue_jobs_output_becomes_tables_with_the_jobs_columns_types_and_partitions(lake):
    curated_schema, quarantine_schema = job_output(lake, ["2026-03-03", "2026-03-04"])
    name = lake.crawler(["curated/", "quarantine/"])
    crawler = lake.crawl(name)
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED", crawler["LastCrawl"]

    tables = lake.tables()
    # AWS names a table after the include path's folder when everything below it agrees:
    # sensor_readings/ is then a partition level (partition_0), dt and hour are Hive keys.
    assert set(tables) == {"curated", "quarantine"}, "metrics/ and checkpoints/ must not become tables"
    curated = tables["curated"]
    assert columns(curated) == {
        "event_id": "string", "event_time": "timestamp", "device_id": "string", "site": "string",
        "sensor_type": "string", "unit": "string", "reading": "double", "battery_pct": "int", "status": "string",
        "batch_id": "bigint", "processed_at": "timestamp",
    }
    assert list(columns(curated)) == [f.name for f in curated_schema]
    assert keys(curated) == ["partition_0", "dt", "hour"]
    assert curated["StorageDescriptor"]["Location"] == lake.path("curated/")
    assert sorted(lake.partitions("curated")) == [("sensor_readings", d, h) for d in ("2026-03-03", "2026-03-04")
                                                  for h in ("10", "11")]
    partition = lake.partitions("curated")[("sensor_readings", "2026-03-04", "11")]
    assert partition["StorageDescriptor"]["Location"] == lake.path("curated/sensor_readings/dt=2026-03-04/hour=11/")
    assert partition["Parameters"]["recordCount"] == "2" and partition["Parameters"]["objectCount"] == "1"

    quarantine = tables["quarantine"]
    assert list(columns(quarantine)) == [f.name for f in quarantine_schema]
    assert columns(quarantine)["batch_id"] == "bigint" and columns(quarantine)["processed_at"] == "timestamp"
    assert keys(quarantine) == ["partition_0", "dt"]
    assert sorted(lake.partitions("quarantine")) == [("sensor_readings", "2026-03-03"), ("sensor_readings", "2026-03-04")]


def test_crawling_the_whole_bucket_with_exclusions_gives_the_same_tables(lake):
    job_output(lake, ["2026-03-04"])
    name = lake.crawler([{"Path": "", "Exclusions": ["metrics/**", "checkpoints/**"]}])
    crawler = lake.crawl(name)
    tables = lake.tables()
    assert set(tables) == {"curated", "quarantine"}
    assert keys(tables["curated"]) == ["partition_0", "dt", "hour"] and keys(tables["quarantine"]) == ["partition_0", "dt"]
    log = lake.log(name, crawler["LastCrawl"]["MessagePrefix"])
    assert any("match the exclude patterns" in line for line in log)


def test_a_table_per_dataset_with_table_prefixes_as_a_notebook_would_set_it_up(lake):
    job_output(lake, ["2026-03-04"])
    curated = lake.crawler(["curated/sensor_readings/"], TablePrefix="curated_")
    quarantine = lake.crawler(["quarantine/sensor_readings/"], TablePrefix="quarantine_")
    lake.crawl(curated)
    lake.crawl(quarantine)
    tables = lake.tables()
    assert set(tables) == {"curated_sensor_readings", "quarantine_sensor_readings"}
    assert keys(tables["curated_sensor_readings"]) == ["dt", "hour"]
    assert keys(tables["quarantine_sensor_readings"]) == ["dt"]
    assert sorted(lake.partitions("curated_sensor_readings")) == [("2026-03-04", "10"), ("2026-03-04", "11")]


def test_the_table_has_the_parameters_serde_and_formats_of_a_crawled_parquet_table(lake):
    for day in ("2026-01-01", "2026-01-02"):
        lake.put_parquet(f"readings/dt={day}/part-0.snappy.parquet", READINGS)
        lake.put(f"readings/dt={day}/_SUCCESS", b"")
        lake.put(f"readings/dt={day}/.part-0.snappy.parquet.crc", b"crc!")
    name = lake.crawler(["readings/"])
    lake.crawl(name)
    table = lake.tables()["readings"]
    params = table["Parameters"]
    assert table["TableType"] == "EXTERNAL_TABLE"
    assert {k: params[k] for k in ("classification", "compressionType", "typeOfData", "UPDATED_BY_CRAWLER",
                                   "CrawlerSchemaSerializerVersion", "CrawlerSchemaDeserializerVersion",
                                   "recordCount", "objectCount")} == {
        "classification": "parquet", "compressionType": "none", "typeOfData": "file", "UPDATED_BY_CRAWLER": name,
        "CrawlerSchemaSerializerVersion": "1.0", "CrawlerSchemaDeserializerVersion": "1.0", "recordCount": "4",
        "objectCount": "2"}
    assert params["CRAWL_RUN_ID"] == lake.glue.get_crawler(Name=name)["Crawler"]["LastCrawl"]["MessagePrefix"]
    sizes = [o["Size"] for o in lake.s3.list_objects_v2(Bucket=lake.bucket, Prefix="readings/")["Contents"]
             if o["Key"].endswith(".parquet")]
    assert params["sizeKey"] == str(sum(sizes)) and int(params["averageRecordSize"]) == round(sum(sizes) / 4)
    sd = table["StorageDescriptor"]
    assert sd["SerdeInfo"]["SerializationLibrary"] == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    assert sd["InputFormat"] == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    assert sd["OutputFormat"] == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
    assert columns(table) == {"device_id": "string", "reading": "double", "battery_pct": "int"}


def test_json_and_csv_tables(lake):
    lake.put_json("events/2026/01/part-0.json", [{"id": 1, "kind": "a", "value": 1.5, "meta": {"src": "x"}}])
    lake.put_json("events/2026/02/part-0.json", [{"id": 2, "kind": "b", "value": 2, "meta": {"src": "y"}}])
    lake.put("sites/sites.csv", b"site_id,name,capacity\n1,plant-a,10.5\n2,plant-b,7\n")
    lake.put("noheader/data.csv", b"alpha|beta\ngamma|delta\n")
    name = lake.crawler(["events/", "sites/", "noheader/"])
    lake.crawl(name)
    tables = lake.tables()
    events = tables["events"]
    assert keys(events) == ["partition_0", "partition_1"] and sorted(lake.partitions("events")) == [("2026", "01"),
                                                                                                   ("2026", "02")]
    assert columns(events) == {"id": "int", "kind": "string", "value": "double", "meta": "struct<src:string>"}
    assert events["Parameters"]["classification"] == "json"
    assert events["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    assert events["StorageDescriptor"]["SerdeInfo"]["Parameters"]["paths"] == "id,kind,meta,value"
    assert events["StorageDescriptor"]["InputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"

    sites = tables["sites"]
    assert columns(sites) == {"site_id": "bigint", "name": "string", "capacity": "double"}
    assert sites["Parameters"]["classification"] == "csv" and sites["Parameters"]["delimiter"] == ","
    assert sites["Parameters"]["skip.header.line.count"] == "1" and sites["Parameters"]["columnsOrdered"] == "true"
    assert sites["StorageDescriptor"]["SerdeInfo"] == {
        "SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe", "Parameters": {"field.delim": ","}}
    noheader = tables["noheader"]
    assert columns(noheader) == {"col0": "string", "col1": "string"}
    assert noheader["Parameters"]["delimiter"] == "|" and "skip.header.line.count" not in noheader["Parameters"]


def test_schemas_that_do_not_match_give_separate_tables_unless_combined(lake):
    lake.put_json("mixed/year=2017/data1.json", [{"A": 1, "B": 2}])
    lake.put_json("mixed/year=2018/data2.json", [{"C": 3, "D": 4}])
    name = lake.crawler(["mixed/"])
    crawler = lake.crawl(name)
    tables = lake.tables()
    assert set(tables) == {"year_2017", "year_2018"}  # AWS's documented example
    assert columns(tables["year_2017"]) == {"a": "int", "b": "int"}
    assert any("Found schemas don't match" in line for line in lake.log(name, crawler["LastCrawl"]["MessagePrefix"]))

    combined = lake.crawler(["mixed/"], TablePrefix="c_",
                            Configuration=json.dumps({"Version": 1.0, "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"}}))
    lake.crawl(combined)
    table = lake.tables()["c_mixed"]
    assert columns(table) == {"a": "int", "b": "int", "c": "int", "d": "int"} and keys(table) == ["year"]


def test_several_tables_from_one_include_path_and_a_name_clash(lake):
    lake.put_parquet("lake/orders/dt=1/part-0.parquet", pa.table({"order_id": [1], "amount": [2.5], "sku": ["s"]}))
    lake.put_parquet("lake/customers/part-0.parquet", pa.table({"customer_id": [1], "name": ["n"]}))
    lake.put_parquet("other/orders/part-0.parquet", pa.table({"x": [1]}))
    name = lake.crawler(["lake/", "other/orders/"])
    lake.crawl(name)
    tables = lake.tables()
    assert {"orders", "customers"} <= set(tables) and len(tables) == 3
    (clash,) = set(tables) - {"orders", "customers"}
    assert clash.startswith("orders_") and tables[clash]["StorageDescriptor"]["Location"] == lake.path("other/orders/")
    assert tables["orders"]["StorageDescriptor"]["Location"] == lake.path("lake/orders/")


def test_exclusions_and_sample_size(lake):
    for i in range(4):
        lake.put_json(f"data/dt=1/part-{i}.json", [{"n": i}])
    lake.put_json("data/tmp/scratch.json", [{"junk": True}])
    name = lake.crawler([{"Path": "data/", "Exclusions": ["tmp/**"], "SampleSize": 1}])
    crawler = lake.crawl(name)
    table = lake.tables()["data"]
    assert keys(table) == ["dt"] and columns(table) == {"n": "int"}
    assert table["Parameters"]["objectCount"] == "4"
    log = lake.log(name, crawler["LastCrawl"]["MessagePrefix"])
    assert any("match the exclude patterns" in line for line in log)


# --- re-crawls ----------------------------------------------------------------------------------


def test_a_recrawl_adds_the_new_partition_and_updates_the_counts(lake):
    lake.put_parquet("r/dt=2026-01-01/part-0.parquet", READINGS)
    name = lake.crawler(["r/"])
    lake.crawl(name)
    lake.put_parquet("r/dt=2026-01-02/part-0.parquet", READINGS)
    crawler = lake.crawl(name)
    assert sorted(lake.partitions("r")) == [("2026-01-01",), ("2026-01-02",)]
    assert lake.tables()["r"]["Parameters"]["recordCount"] == "4"
    metrics = lake.glue.get_crawler_metrics(CrawlerNameList=[name])["CrawlerMetricsList"][0]
    assert (metrics["TablesCreated"], metrics["TablesUpdated"], metrics["TablesDeleted"]) == (0, 1, 0)
    history = lake.glue.list_crawls(CrawlerName=name)["Crawls"]
    assert [c["State"] for c in history] == ["COMPLETED", "COMPLETED"]
    assert history[0]["CrawlId"] == crawler["LastCrawl"]["MessagePrefix"]
    assert json.loads(history[0]["Summary"]) == {"TABLE": {"UPDATE": {"Count": 1}}, "PARTITION": {"ADD": {"Count": 1}}}


def test_a_new_column_is_merged_under_update_in_database_and_only_logged_under_log(lake):
    lake.put_json("u/dt=1/a.json", [{"a": 1, "b": "x", "c": 1.5}])
    lake.put_json("l/dt=1/a.json", [{"a": 1, "b": "x", "c": 1.5}])
    update = lake.crawler(["u/"])
    logged = lake.crawler(["l/"], SchemaChangePolicy={"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"})
    lake.crawl(update)
    lake.crawl(logged)
    lake.put_json("u/dt=2/b.json", [{"a": 2, "b": "y", "c": 2.5, "d": True}])
    lake.put_json("l/dt=2/b.json", [{"a": 2, "b": "y", "c": 2.5, "d": True}])
    lake.crawl(update)
    crawler = lake.crawl(logged)
    tables = lake.tables()
    assert columns(tables["u"]) == {"a": "int", "b": "string", "c": "double", "d": "boolean"}
    assert columns(tables["l"]) == {"a": "int", "b": "string", "c": "double"}
    assert sorted(lake.partitions("l")) == [("1",), ("2",)], "LOG still adds partitions"
    assert columns(lake.partitions("l")[("2",)]) == {"a": "int", "b": "string", "c": "double", "d": "boolean"}
    log = lake.log(logged, crawler["LastCrawl"]["MessagePrefix"])
    assert any("new columns d boolean" in line and "UpdateBehavior is LOG" in line for line in log)


def test_merge_new_columns_never_drops_or_retypes(lake):
    lake.put_json("m/dt=1/a.json", [{"a": 1, "b": "x"}])
    name = lake.crawler(["m/"], Configuration=json.dumps({"Version": 1.0, "CrawlerOutput": {
        "Tables": {"AddOrUpdateBehavior": "MergeNewColumns"}}}))
    lake.crawl(name)
    lake.s3.delete_object(Bucket=lake.bucket, Key="m/dt=1/a.json")
    lake.put_json("m/dt=1/a.json", [{"a": "now text", "c": 1}])
    lake.crawl(name)
    assert columns(lake.tables()["m"]) == {"a": "int", "b": "string", "c": "int"}


@pytest.mark.parametrize("behavior", ["DELETE_FROM_DATABASE", "DEPRECATE_IN_DATABASE", "LOG"])
def test_delete_behavior_for_tables_and_partitions_whose_data_is_gone(lake, behavior):
    lake.put_parquet("t/one/dt=1/part-0.parquet", READINGS)
    lake.put_parquet("t/one/dt=2/part-0.parquet", READINGS)
    lake.put_parquet("t/two/part-0.parquet", pa.table({"completely": [1], "different": ["x"]}))
    name = lake.crawler(["t/one/", "t/two/"],
                        SchemaChangePolicy={"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": behavior})
    lake.crawl(name)
    assert set(lake.tables()) == {"one", "two"}
    lake.s3.delete_object(Bucket=lake.bucket, Key="t/two/part-0.parquet")
    lake.s3.delete_object(Bucket=lake.bucket, Key="t/one/dt=2/part-0.parquet")
    crawler = lake.crawl(name)
    tables = lake.tables()
    metrics = lake.glue.get_crawler_metrics(CrawlerNameList=[name])["CrawlerMetricsList"][0]
    log = "\n".join(lake.log(name, crawler["LastCrawl"]["MessagePrefix"]))
    if behavior == "DELETE_FROM_DATABASE":
        assert set(tables) == {"one"} and metrics["TablesDeleted"] == 1
        assert sorted(lake.partitions("one")) == [("1",)]
    elif behavior == "DEPRECATE_IN_DATABASE":
        assert tables["two"]["Parameters"]["DEPRECATED_BY_CRAWLER"].isdigit()  # epoch ms, as AWS writes it
        assert metrics["TablesDeleted"] == 0
        assert sorted(lake.partitions("one")) == [("1",), ("2",)]
        assert "Table two in database" in log and "marked deprecated" in log
    else:
        assert "DEPRECATED_BY_CRAWLER" not in tables["two"]["Parameters"]
        assert sorted(lake.partitions("one")) == [("1",), ("2",)]
        assert "kept because the DeleteBehavior is LOG" in log


def test_crawl_new_folders_only_reads_only_new_folders(lake):
    lake.put_json("n/dt=1/a.json", [{"a": 1}])
    policy = {"SchemaChangePolicy": {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"},
              "RecrawlPolicy": {"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"}}
    name = lake.crawler(["n/"], **policy)
    lake.crawl(name)
    # a changed file in an old folder is not read again; a new folder is
    lake.put_json("n/dt=1/a.json", [{"a": 1, "zz": "changed"}])
    lake.put_json("n/dt=2/b.json", [{"a": 2}])
    lake.crawl(name)
    assert sorted(lake.partitions("n")) == [("1",), ("2",)]
    assert columns(lake.partitions("n")[("1",)]) == {"a": "int"}
    assert columns(lake.tables()["n"]) == {"a": "int"}


def test_aws_rules_for_the_crawler_definition_are_checked(lake):
    with pytest.raises(ClientError) as caught:
        lake.crawler(["x/"], RecrawlPolicy={"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"})
    assert caught.value.response["Error"]["Code"] == "InvalidInputException"
    with pytest.raises(ClientError) as caught:
        lake.crawler(["x/"], Configuration="{not json")
    assert caught.value.response["Error"]["Code"] == "InvalidInputException"


def test_table_threshold_fails_the_crawl_and_writes_nothing(lake):
    lake.put_json("th/a/x.json", [{"a": 1}])
    lake.put_json("th/b/y.json", [{"completely": "different", "columns": 1}])
    name = lake.crawler(["th/"], Configuration=json.dumps({"Version": 1.0, "CrawlerOutput": {"Tables": {"TableThreshold": 1}}}))
    crawler = lake.crawl(name)
    assert crawler["LastCrawl"]["Status"] == "FAILED"
    assert "greater than its TableThreshold (1)" in crawler["LastCrawl"]["ErrorMessage"]
    assert lake.tables() == {}


# --- bad input --------------------------------------------------------------------------------------


def test_bad_objects_are_skipped_and_logged_and_the_good_ones_crawled(lake):
    lake.put_parquet("good/part-0.parquet", READINGS)
    lake.put("corrupt/part-0.parquet", b"PAR1" + os.urandom(64) + (40).to_bytes(4, "little") + b"PAR1")
    lake.put("notjson/part-0.json", b"{this is not json}\n")
    lake.put("ragged/part-0.csv", b"a,b,c\n1,2,3\n4,5\n")
    name = lake.crawler(["good/", "corrupt/", "notjson/", "ragged/"])
    crawler = lake.crawl(name)
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED"
    assert set(lake.tables()) == {"good"}
    log = "\n".join(lake.log(name, crawler["LastCrawl"]["MessagePrefix"]))
    assert f"WARN : Skipped {lake.path('corrupt/part-0.parquet')}: corrupt Parquet footer" in log
    assert f"WARN : Skipped {lake.path('notjson/part-0.json')}: JSON that does not parse" in log
    assert f"WARN : Skipped {lake.path('ragged/part-0.csv')}: CSV rows have different numbers of fields" in log
    assert lake.s3.list_buckets()["Buckets"], "the endpoint still serves"


def test_a_target_bucket_that_does_not_exist_fails_the_crawl_with_a_clear_message(lake):
    lake.put_parquet("good/part-0.parquet", READINGS)
    name = lake.crawler(["good/"])
    lake.glue.update_crawler(Name=name, Targets={"S3Targets": [{"Path": lake.path("good/")},
                                                               {"Path": "s3://no-such-bucket-for-crawl/x/"}]})
    crawler = lake.crawl(name)
    assert crawler["LastCrawl"]["Status"] == "FAILED"
    assert crawler["LastCrawl"]["ErrorMessage"] == ("The S3 target s3://no-such-bucket-for-crawl/x/ cannot be crawled: "
                                                     "the bucket no-such-bucket-for-crawl does not exist.")
    assert lake.tables() == {}, "a failed crawl writes nothing"
    assert any(" ERROR : The S3 target" in line for line in lake.log(name))


def test_an_empty_prefix_crawls_to_no_tables_and_says_so(lake):
    name = lake.crawler(["nothing-here/"])
    crawler = lake.crawl(name)
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED" and lake.tables() == {}
    assert any("No data found to crawl under" in line for line in lake.log(name, crawler["LastCrawl"]["MessagePrefix"]))


def test_a_database_that_does_not_exist_fails_the_crawl(lake):
    lake.put_parquet("good/part-0.parquet", READINGS)
    name = f"crawler-{uuid.uuid4().hex[:8]}"
    lake.glue.create_crawler(Name=name, Role="r", DatabaseName="no_such_database",
                             Targets={"S3Targets": [{"Path": lake.path("good/")}]})
    crawler = lake.crawl(name)
    assert crawler["LastCrawl"]["Status"] == "FAILED"
    assert "Database no_such_database not found" in crawler["LastCrawl"]["ErrorMessage"]
    assert lake.glue.get_crawler(Name=name)["Crawler"]["State"] == "READY"


# --- states, stop, errors -----------------------------------------------------------------------


def test_states_stop_and_the_errors_aws_gives(lake):
    lake.put_parquet("s/part-0.parquet", READINGS)
    name = lake.crawler(["s/"], Tags={DELAY_TAG: "600"})
    with pytest.raises(ClientError) as caught:
        lake.glue.stop_crawler(Name=name)
    assert caught.value.response["Error"]["Code"] == "CrawlerNotRunningException"

    lake.glue.start_crawler(Name=name)
    crawler = lake.glue.get_crawler(Name=name)["Crawler"]
    assert crawler["State"] == "RUNNING" and "LastCrawl" not in crawler
    for call in (lambda: lake.glue.start_crawler(Name=name),
                 lambda: lake.glue.update_crawler(Name=name, Description="changed"),
                 lambda: lake.glue.delete_crawler(Name=name)):
        with pytest.raises(ClientError) as caught:
            call()
        assert caught.value.response["Error"]["Code"] == "CrawlerRunningException"
    metrics = lake.glue.get_crawler_metrics(CrawlerNameList=[name])["CrawlerMetricsList"][0]
    assert metrics["StillEstimating"] is True
    assert lake.glue.list_crawls(CrawlerName=name)["Crawls"][0]["State"] == "RUNNING"

    lake.glue.stop_crawler(Name=name)
    crawler = lake.wait(name, None)
    assert crawler["LastCrawl"]["Status"] == "CANCELLED"
    assert lake.tables() == {}
    assert lake.glue.list_crawls(CrawlerName=name)["Crawls"][0]["State"] == "STOPPED"
    with pytest.raises(ClientError) as caught:
        lake.glue.start_crawler(Name="no-such-crawler")
    assert caught.value.response["Error"]["Code"] == "EntityNotFoundException"


def test_a_crawler_goes_through_running_and_stopping_back_to_ready(lake):
    for i in range(300):
        lake.put_json(f"many/dt={i:03d}/part-0.json", [{"n": i}])
    name = lake.crawler(["many/"])
    lake.glue.start_crawler(Name=name)
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        crawler = lake.glue.get_crawler(Name=name)["Crawler"]
        if not seen or seen[-1] != crawler["State"]:
            seen.append(crawler["State"])
        if crawler["State"] == "READY" and crawler.get("LastCrawl"):
            break
        time.sleep(0.005)
    assert seen[0] == "RUNNING" and seen[-1] == "READY"
    assert set(seen) <= {"RUNNING", "STOPPING", "READY"} and seen == sorted(seen, key=["RUNNING", "STOPPING", "READY"].index)
    assert len(lake.partitions("many")) == 300


def test_get_crawler_and_the_log_of_a_crawl(lake):
    lake.put_parquet("g/part-0.parquet", READINGS)
    name = lake.crawler(["g/"])
    crawler = lake.crawl(name)
    last = crawler["LastCrawl"]
    assert last["LogGroup"] == "/aws-glue/crawlers" and last["LogStream"] == name and last["Status"] == "SUCCEEDED"
    assert "ErrorMessage" not in last and crawler["CrawlElapsedTime"] == 0
    log = lake.log(name, last["MessagePrefix"])
    assert log[0] == f"[{last['MessagePrefix']}] BENCHMARK : Running Start Crawl for Crawler {name}"
    assert f"[{last['MessagePrefix']}] INFO : Created table g in database {lake.db} (parquet, 3 columns)." in log
    assert log[-1].endswith("Crawler has finished running and is in state READY")
    found = lake.glue.batch_get_crawlers(CrawlerNames=[name, "nope"])
    assert found["Crawlers"][0]["LastCrawl"]["Status"] == "SUCCEEDED" and found["CrawlersNotFound"] == ["nope"]
    assert any(c["Name"] == name for c in lake.glue.get_crawlers()["Crawlers"])


def test_update_crawler_changes_only_what_is_given(lake):
    name = lake.crawler(["a/"], TablePrefix="p_", Description="first")
    version = lake.glue.get_crawler(Name=name)["Crawler"]["Version"]
    lake.glue.update_crawler(Name=name, Targets={"S3Targets": [{"Path": lake.path("b/")}]})
    crawler = lake.glue.get_crawler(Name=name)["Crawler"]
    assert crawler["Targets"]["S3Targets"] == [{"Path": lake.path("b/")}]
    assert crawler["TablePrefix"] == "p_" and crawler["Description"] == "first" and crawler["Version"] == version + 1


def test_the_aws_cli_lists_the_crawled_tables(lake):
    lake.put_parquet("cli/dt=1/part-0.parquet", READINGS)
    lake.crawl(lake.crawler(["cli/"]))
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_REGION": "us-east-1"}
    aws = os.path.join(os.path.dirname(sys.executable), "aws")
    done = subprocess.run([aws, "--endpoint-url", lake.url, "glue", "get-tables", "--database-name", lake.db, "--output",
                           "json"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    (table,) = json.loads(done.stdout)["TableList"]
    assert table["Name"] == "cli" and table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    done = subprocess.run([aws, "--endpoint-url", lake.url, "glue", "get-partitions", "--database-name", lake.db,
                           "--table-name", "cli", "--output", "json"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [p["Values"] for p in json.loads(done.stdout)["Partitions"]] == [["1"]]


def test_an_engine_without_a_served_url_writes_into_moto_directly():
    """build_app in-process (as test_dispatch does): no endpoint URL, so the crawl writes the backend itself."""
    import threading

    from werkzeug.serving import make_server

    from local_aws.dispatch import Registry
    from local_aws.engines.glue_crawler.runtime import RUNTIME
    from local_aws.server import build_app

    assert RUNTIME.url is None
    app = build_app(Registry(), {"service": "local_aws", "started_at": time.time()})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        lake = Lake(f"http://127.0.0.1:{server.server_address[1]}")
        lake.put_parquet("inproc/dt=1/part-0.parquet", READINGS)
        crawler = lake.crawl(lake.crawler(["inproc/"]))
        assert crawler["LastCrawl"]["Status"] == "SUCCEEDED"
        assert keys(lake.tables()["inproc"]) == ["dt"] and sorted(lake.partitions("inproc")) == [("1",)]
    finally:
        server.shutdown()
        thread.join()
