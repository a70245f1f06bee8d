"""The Athena API on the local endpoint: states, result files, statistics, errors, work groups."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid

import pandas as pd
import pytest
from botocore.exceptions import ClientError
from athena_support import clients, lake, run, scanned_parquet_bytes, wait  # noqa: F401  (lake is a fixture)


def test_a_select_goes_through_its_states_and_writes_csv_and_metadata_at_the_output_location(lake):
    query_id = lake.athena.start_query_execution(
        QueryString="SELECT site, count(*) AS n FROM sensor_readings GROUP BY site ORDER BY site",
        QueryExecutionContext={"Database": lake.db}, ResultConfiguration={"OutputLocation": lake.output})["QueryExecutionId"]
    first = lake.athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
    assert first["Status"]["State"] in ("QUEUED", "RUNNING", "SUCCEEDED")
    execution = wait(lake.athena, query_id)
    assert execution["Status"]["State"] == "SUCCEEDED"
    assert execution["StatementType"] == "DML"
    assert execution["ResultConfiguration"]["OutputLocation"] == f"{lake.output}{query_id}.csv"
    assert execution["QueryExecutionContext"]["Database"] == lake.db
    assert execution["WorkGroup"] == "primary"
    assert execution["EngineVersion"]["EffectiveEngineVersion"] == "Athena engine version 3"
    stats = execution["Statistics"]
    assert stats["TotalExecutionTimeInMillis"] >= stats["EngineExecutionTimeInMillis"] >= 0
    assert execution["Status"]["CompletionDateTime"] >= execution["Status"]["SubmissionDateTime"]

    body = lake.s3.get_object(Bucket=lake.bucket, Key=f"athena-results/{query_id}.csv")["Body"].read().decode()
    assert body.splitlines()[0] == '"site","n"'  # every field quoted, header first
    frame = pd.read_csv(io.StringIO(body), quoting=csv.QUOTE_ALL)
    want = lake.curated.groupby("site").size()
    assert list(frame.site) == list(want.index) and list(frame.n) == list(want)
    metadata = lake.s3.get_object(Bucket=lake.bucket, Key=f"athena-results/{query_id}.csv.metadata")["Body"].read()
    assert [c["Name"] for c in json.loads(metadata)["ColumnInfo"]] == ["site", "n"]

    results = lake.athena.get_query_results(QueryExecutionId=query_id)
    info = results["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    assert [(c["Name"], c["Type"], c["Label"]) for c in info] == [("site", "varchar", "site"), ("n", "bigint", "n")]
    assert all(set(c) >= {"CatalogName", "SchemaName", "TableName", "Precision", "Scale", "Nullable", "CaseSensitive"}
               for c in info)
    rows = [[d["VarCharValue"] for d in r["Data"]] for r in results["ResultSet"]["Rows"]]
    assert rows == [["site", "n"]] + [[s, str(n)] for s, n in want.items()]


def test_nulls_and_empty_strings_are_told_apart_in_the_csv_and_the_api(lake):
    answer = lake.ok("SELECT CAST(NULL AS varchar) AS a, '' AS b, 'say \"hi\"' AS c")
    body = lake.s3.get_object(Bucket=lake.bucket, Key=f"athena-results/{answer.query_id}.csv")["Body"].read().decode()
    assert body.splitlines()[1] == ',"","say ""hi"""'
    raw = lake.athena.get_query_results(QueryExecutionId=answer.query_id)["ResultSet"]["Rows"][1]["Data"]
    assert raw == [{}, {"VarCharValue": ""}, {"VarCharValue": 'say "hi"'}]


def test_ddl_results_are_text_without_a_header(lake):
    answer = lake.ok("SHOW TABLES")
    assert answer.execution["ResultConfiguration"]["OutputLocation"].endswith(f"{answer.query_id}.txt")
    assert answer.execution["StatementType"] in ("DDL", "UTILITY")
    body = lake.s3.get_object(Bucket=lake.bucket, Key=f"athena-results/{answer.query_id}.txt")["Body"].read().decode()
    tables = sorted(t["Name"] for t in lake.glue.get_tables(DatabaseName=lake.db)["TableList"])
    assert body.split() == tables
    assert [r[0] for r in answer.rows] == tables  # no header row


def test_data_scanned_counts_only_the_partitions_and_columns_read(lake):
    def expected(columns, day=None, hour=None):
        return sum(scanned_parquet_bytes(data, columns) for key, data in lake.files.items()
                   if (day is None or f"dt={day}/" in key) and (hour is None or f"hour={hour}/" in key))

    whole = lake.ok("SELECT * FROM sensor_readings")
    one_column = lake.ok("SELECT avg(reading) FROM sensor_readings")
    one_day = lake.ok("SELECT avg(reading) FROM sensor_readings WHERE dt = '2026-01-02'")
    one_hour = lake.ok("SELECT avg(reading) FROM sensor_readings WHERE dt = '2026-01-02' AND hour = '06'")
    counted = lake.ok("SELECT count(*) FROM sensor_readings")
    assert whole.scanned == expected(None)
    assert one_column.scanned == expected(["reading"])
    assert one_day.scanned == expected(["reading"], "2026-01-02")
    assert one_hour.scanned == expected(["reading"], "2026-01-02", "06")
    assert counted.scanned == expected([])  # footers only
    assert whole.scanned > one_column.scanned > one_day.scanned > one_hour.scanned > 0
    # The pruned answers are still right.
    day = lake.curated[lake.curated.dt == "2026-01-02"]
    assert abs(float(one_day.rows[0][0]) - day.reading.mean()) < 1e-9
    assert int(counted.rows[0][0]) == len(lake.curated)


def test_pruning_never_drops_rows_an_or_or_a_function_would_keep(lake):
    answer = lake.ok("SELECT count(*) FROM sensor_readings WHERE dt = '2026-01-01' OR battery_pct > 90")
    want = ((lake.curated.dt == "2026-01-01") | (lake.curated.battery_pct > 90)).sum()
    assert int(answer.rows[0][0]) == int(want)
    answer = lake.ok("SELECT count(*) FROM sensor_readings WHERE date_parse(dt, '%Y-%m-%d') > DATE '2026-01-01' "
                     "AND CAST(hour AS integer) >= 12")
    want = ((lake.curated.dt > "2026-01-01") & (lake.curated.hour.astype(int) >= 12)).sum()
    assert int(answer.rows[0][0]) == int(want)
    left = lake.ok("SELECT count(*) FROM quarantine_sensor_readings q LEFT JOIN sensor_readings c "
                   "ON c.event_id = q.event_id WHERE c.dt IS NULL")
    assert int(left.rows[0][0]) == len(lake.quarantine)  # no quarantined id is curated: all kept by IS NULL


@pytest.mark.parametrize("sql, message", [
    ("SELECT * FROM nowhere", "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.{db}.nowhere' does not exist"),
    ("SELECT *\nFROM   nodb.x", "SCHEMA_NOT_FOUND: line 2:8: Schema 'nodb' does not exist"),
    ("SELECT missing FROM sensor_readings",
     "COLUMN_NOT_FOUND: line 1:8: Column 'missing' cannot be resolved or requester is not authorized to access "
     "requested resources"),
    ("SELECT no_such_function(1)", "FUNCTION_NOT_FOUND: line 1:8: Function 'no_such_function' not registered"),
])
def test_failures_are_worded_as_athena_words_them(lake, sql, message):
    answer = lake.query(sql)
    assert answer.state == "FAILED"
    expected = message.format(db=lake.db)
    assert answer.reason == expected
    error = answer.execution["Status"]["AthenaError"]
    assert error["ErrorMessage"] == expected and error["ErrorCategory"] == 2 and error["Retryable"] is False
    assert isinstance(error["ErrorType"], int)


def test_syntax_type_and_cast_errors_fail_with_a_category_and_the_endpoint_keeps_serving(lake):
    failures = {sql: lake.query(sql) for sql in ("SELEC 1", "SELECT 1 +", "SELECT CAST('abc' AS integer)",
                                                 "SELECT 1; SELECT 2", "SELECT sensor_type, count(*) FROM sensor_readings")}
    assert all(a.state == "FAILED" for a in failures.values())
    assert failures["SELEC 1"].reason.startswith("SYNTAX_ERROR: line 1:")
    assert failures["SELECT CAST('abc' AS integer)"].reason.startswith("INVALID_CAST_ARGUMENT: Cannot cast 'abc'")
    assert failures["SELECT 1; SELECT 2"].reason.startswith("Only one sql statement is allowed")
    assert failures["SELECT sensor_type, count(*) FROM sensor_readings"].reason.startswith("EXPRESSION_NOT_AGGREGATE")
    assert lake.ok("SELECT 40 + 2").rows == [["42"]]


def test_get_query_results_before_the_end_and_after_a_failure_is_refused(lake):
    failed = lake.query("SELECT * FROM nowhere")
    with pytest.raises(ClientError) as caught:
        lake.athena.get_query_results(QueryExecutionId=failed.query_id)
    assert caught.value.response["Error"]["Code"] == "InvalidRequestException"
    assert "Final query state: FAILED" in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as caught:
        lake.athena.get_query_execution(QueryExecutionId=str(uuid.uuid4()))
    assert caught.value.response["Error"]["Code"] == "InvalidRequestException"


def test_a_running_query_can_be_stopped(lake):
    slow = ("SELECT count(*) FROM UNNEST(sequence(1, 200000)) AS a(x) CROSS JOIN UNNEST(sequence(1, 200000)) AS b(y) "
            "WHERE (x * y) % 7 = 3")
    query_id = lake.athena.start_query_execution(QueryString=slow, ResultConfiguration={"OutputLocation": lake.output})[
        "QueryExecutionId"]
    deadline = time.monotonic() + 30
    while lake.athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]["State"] == "QUEUED":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    lake.athena.stop_query_execution(QueryExecutionId=query_id)
    execution = wait(lake.athena, query_id, timeout=30)
    assert execution["Status"]["State"] == "CANCELLED"
    time.sleep(0.3)  # the worker has let go of it; nothing is written for a cancelled query
    keys = [o["Key"] for o in lake.s3.list_objects_v2(Bucket=lake.bucket, Prefix=f"athena-results/{query_id}")
            .get("Contents", [])]
    assert keys == []
    assert lake.ok("SELECT 1").rows == [["1"]]
    lake.athena.stop_query_execution(QueryExecutionId=query_id)  # stopping a finished query is a no-op
    assert wait(lake.athena, query_id)["Status"]["State"] == "CANCELLED"


def test_list_and_batch_get_query_executions(lake):
    _, = clients(lake.url, "athena")
    wg = f"wg-list-{uuid.uuid4().hex[:8]}"
    lake.athena.create_work_group(Name=wg, Configuration={"ResultConfiguration": {"OutputLocation": lake.output}})
    ids = [run(lake.athena, f"SELECT {i}", None, None, WorkGroup=wg).query_id for i in range(5)]
    listed, token = [], None
    while True:
        page = lake.athena.list_query_executions(WorkGroup=wg, MaxResults=2, **({"NextToken": token} if token else {}))
        listed += page["QueryExecutionIds"]
        token = page.get("NextToken")
        if not token:
            break
    assert listed == ids[::-1]  # newest first
    missing = str(uuid.uuid4())
    batch = lake.athena.batch_get_query_execution(QueryExecutionIds=ids + [missing])
    assert sorted(e["QueryExecutionId"] for e in batch["QueryExecutions"]) == sorted(ids)
    assert all(e["Status"]["State"] == "SUCCEEDED" for e in batch["QueryExecutions"])
    assert [u["QueryExecutionId"] for u in batch["UnprocessedQueryExecutionIds"]] == [missing]


def test_work_group_output_location_and_enforcement(lake):
    loose, strict = f"wg-loose-{uuid.uuid4().hex[:6]}", f"wg-strict-{uuid.uuid4().hex[:6]}"
    lake.athena.create_work_group(Name=loose, Configuration={
        "ResultConfiguration": {"OutputLocation": f"s3://{lake.bucket}/wg-loose/"}, "EnforceWorkGroupConfiguration": False})
    lake.athena.create_work_group(Name=strict, Configuration={
        "ResultConfiguration": {"OutputLocation": f"s3://{lake.bucket}/wg-strict/"}, "EnforceWorkGroupConfiguration": True})
    mine = f"s3://{lake.bucket}/mine/"
    by_group = run(lake.athena, "SELECT 1", None, None, WorkGroup=loose)
    by_client = run(lake.athena, "SELECT 1", None, mine, WorkGroup=loose)
    enforced = run(lake.athena, "SELECT 1", None, mine, WorkGroup=strict)
    assert by_group.execution["ResultConfiguration"]["OutputLocation"].startswith(f"s3://{lake.bucket}/wg-loose/")
    assert by_client.execution["ResultConfiguration"]["OutputLocation"].startswith(mine)
    assert enforced.execution["ResultConfiguration"]["OutputLocation"].startswith(f"s3://{lake.bucket}/wg-strict/")
    lake.athena.update_work_group(WorkGroup=loose, ConfigurationUpdates={
        "ResultConfigurationUpdates": {"OutputLocation": f"s3://{lake.bucket}/wg-moved/"}})
    moved = run(lake.athena, "SELECT 1", None, None, WorkGroup=loose)
    assert moved.execution["ResultConfiguration"]["OutputLocation"].startswith(f"s3://{lake.bucket}/wg-moved/")
    assert lake.athena.get_work_group(WorkGroup=loose)["WorkGroup"]["Configuration"]["ResultConfiguration"] == {
        "OutputLocation": f"s3://{lake.bucket}/wg-moved/"}


def test_no_output_location_anywhere_is_refused_at_start(lake):
    wg = f"wg-none-{uuid.uuid4().hex[:6]}"
    lake.athena.create_work_group(Name=wg, Configuration={})
    with pytest.raises(ClientError) as caught:
        lake.athena.start_query_execution(QueryString="SELECT 1", WorkGroup=wg)
    assert caught.value.response["Error"]["Code"] == "InvalidRequestException"
    assert caught.value.response["Error"]["Message"].startswith("No output location provided.")
    with pytest.raises(ClientError) as caught:
        lake.athena.start_query_execution(QueryString="SELECT 1", WorkGroup="no-such-group")
    assert "is not found" in caught.value.response["Error"]["Message"]


def test_an_output_bucket_that_does_not_exist_fails_the_query(lake):
    answer = run(lake.athena, "SELECT 1", None, "s3://no-such-bucket-for-athena/results/")
    assert answer.state == "FAILED"
    assert answer.reason == "Unable to verify/create output bucket no-such-bucket-for-athena"


def test_bytes_scanned_cutoff_cancels_a_query_that_scans_more(lake):
    import os

    import pyarrow as pa
    from athena_support import PARQUET_SD, parquet_bytes

    rows = 1500
    blobs = [os.urandom(4096).hex() for _ in range(rows)]  # 12 MB that no codec can shrink
    data = parquet_bytes(pa.table({"id": pa.array(range(rows), pa.int64()), "blob": pa.array(blobs)}))
    lake.s3.put_object(Bucket=lake.bucket, Key="blobs/part-0.parquet", Body=data)
    lake.glue.create_table(DatabaseName=lake.db, TableInput={
        "Name": "blobs", "TableType": "EXTERNAL_TABLE", "Parameters": {"classification": "parquet"},
        "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "bigint"}, {"Name": "blob", "Type": "string"}],
                              "Location": f"s3://{lake.bucket}/blobs/", **PARQUET_SD}})
    wg = f"wg-cutoff-{uuid.uuid4().hex[:6]}"
    lake.athena.create_work_group(Name=wg, Configuration={
        "ResultConfiguration": {"OutputLocation": lake.output}, "BytesScannedCutoffPerQuery": 10 * 1024 * 1024})
    big = run(lake.athena, "SELECT max(blob) FROM blobs", lake.db, None, WorkGroup=wg)
    assert big.state == "CANCELLED"
    assert "Bytes scanned limit was exceeded" in big.reason
    small = run(lake.athena, "SELECT sum(id) FROM blobs", lake.db, None, WorkGroup=wg)
    assert small.state == "SUCCEEDED" and small.scanned < 10 * 1024 * 1024
    assert small.rows == [[str(sum(range(rows)))]]
    lake.athena.update_work_group(WorkGroup=wg, ConfigurationUpdates={"RemoveBytesScannedCutoffPerQuery": True})
    now = run(lake.athena, "SELECT max(blob) FROM blobs", lake.db, None, WorkGroup=wg)
    assert now.state == "SUCCEEDED" and now.rows == [[max(blobs)]] and now.scanned > 10 * 1024 * 1024


def test_execution_parameters_fill_placeholders(lake):
    answer = lake.ok("SELECT count(*) FROM sensor_readings WHERE site = ? AND battery_pct > ?",
                     ExecutionParameters=["'oslo'", "50"])
    want = ((lake.curated.site == "oslo") & (lake.curated.battery_pct > 50)).sum()
    assert int(answer.rows[0][0]) == int(want)
    assert answer.execution["ExecutionParameters"] == ["'oslo'", "50"]


def test_a_client_request_token_makes_start_idempotent(lake):
    token = uuid.uuid4().hex * 2
    first = lake.athena.start_query_execution(QueryString="SELECT 1", ClientRequestToken=token,
                                              ResultConfiguration={"OutputLocation": lake.output})
    again = lake.athena.start_query_execution(QueryString="SELECT 1", ClientRequestToken=token,
                                              ResultConfiguration={"OutputLocation": lake.output})
    assert first["QueryExecutionId"] == again["QueryExecutionId"]


def test_eight_concurrent_queries_all_complete_with_right_answers(lake):
    import concurrent.futures

    sqls = [f"SELECT count(*), sum(battery_pct) FROM sensor_readings WHERE dt = '{d}' AND hour = '{h}'"
            for d in ("2026-01-01", "2026-01-03") for h in ("00", "06", "12", "18")]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda sql: run(clients(lake.url, "athena")[0], sql, lake.db, lake.output), sqls))
    for sql, answer in zip(sqls, answers):
        day, hour = sql.split("'")[1], sql.split("'")[3]
        part = lake.curated[(lake.curated.dt == day) & (lake.curated.hour == hour)]
        assert answer.rows == [[str(len(part)), str(int(part.battery_pct.sum()))]]


def test_type_errors_fail_and_write_nothing(lake):
    for sql in ("SELECT 'a' + 1", "SELECT count(*) FROM sensor_readings WHERE battery_pct = 'lots'",
                "SELECT sum(site) FROM sensor_readings"):
        answer = lake.query(sql)
        assert answer.state == "FAILED", sql
        assert answer.reason.split(":")[0] in ("TYPE_MISMATCH", "INVALID_CAST_ARGUMENT", "FUNCTION_NOT_FOUND"), answer.reason
        assert answer.execution["Status"]["AthenaError"]["ErrorCategory"] == 2
        assert keys_under(lake, f"athena-results/{answer.query_id}") == []


def keys_under(lake, prefix: str) -> list[str]:
    return [o["Key"] for o in lake.s3.list_objects_v2(Bucket=lake.bucket, Prefix=prefix).get("Contents", [])]


def test_a_table_whose_files_are_gone_reads_as_empty_and_a_missing_bucket_fails(lake):
    name = f"gone_{uuid.uuid4().hex[:6]}"
    lake.ok(f"CREATE TABLE {name} WITH (external_location = 's3://{lake.bucket}/tables/{name}/') AS SELECT 1 AS x")
    assert lake.ok(f"SELECT count(*) FROM {name}").rows == [["1"]]
    for key in keys_under(lake, f"tables/{name}/"):
        lake.s3.delete_object(Bucket=lake.bucket, Key=key)
    assert lake.ok(f"SELECT count(*) FROM {name}").rows == [["0"]]  # as on Athena: no files, no rows
    lake.glue.create_table(DatabaseName=lake.db, TableInput={
        "Name": f"{name}_nobucket", "StorageDescriptor": {
            "Columns": [{"Name": "x", "Type": "int"}], "Location": "s3://no-such-bucket-athena-data/x/",
            "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}}})
    answer = lake.query(f"SELECT * FROM {name}_nobucket")
    assert answer.state == "FAILED" and "bucket does not exist" in answer.reason


def test_ctas_over_the_partition_limit_fails_and_writes_nothing(lake):
    name = f"toomany_{uuid.uuid4().hex[:6]}"
    answer = lake.query(f"CREATE TABLE {name} WITH (partitioned_by = ARRAY['event_id']) AS "
                        "SELECT reading, event_id FROM sensor_readings")
    assert answer.state == "FAILED" and answer.reason.startswith("HIVE_TOO_MANY_OPEN_PARTITIONS")
    assert name not in [t["Name"] for t in lake.glue.get_tables(DatabaseName=lake.db)["TableList"]]
    assert keys_under(lake, f"athena-results/tables/{answer.query_id}") == []


def test_athenas_catalog_api_reads_the_glue_catalog(lake):
    databases = lake.athena.list_databases(CatalogName="AwsDataCatalog")["DatabaseList"]
    assert lake.db in [d["Name"] for d in databases]
    listed = lake.athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName=lake.db, Expression="sensor*")
    assert [t["Name"] for t in listed["TableMetadataList"]] == ["sensor_readings"]
    table = lake.athena.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName=lake.db,
                                           TableName="sensor_readings")["TableMetadata"]
    glue_table = lake.glue.get_table(DatabaseName=lake.db, Name="sensor_readings")["Table"]
    assert [(c["Name"], c["Type"]) for c in table["Columns"]] == [
        (c["Name"], c["Type"]) for c in glue_table["StorageDescriptor"]["Columns"]]
    assert [c["Name"] for c in table["PartitionKeys"]] == ["dt", "hour"]
    assert table["Parameters"]["location"] == glue_table["StorageDescriptor"]["Location"]
    with pytest.raises(ClientError) as caught:
        lake.athena.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName=lake.db, TableName="nope")
    assert caught.value.response["Error"]["Code"] == "MetadataException"


def test_partition_filters_reach_through_views_and_subqueries(lake):
    name = f"by_hour_{uuid.uuid4().hex[:6]}"
    lake.ok(f"CREATE VIEW {name} AS SELECT dt, hour, sensor_type, count(*) AS n, avg(reading) AS mean "
            "FROM sensor_readings GROUP BY dt, hour, sensor_type")
    whole = lake.ok(f"SELECT sum(n) FROM {name}")
    one_day = lake.ok(f"SELECT sensor_type, sum(n) FROM {name} WHERE dt = '2026-01-02' GROUP BY sensor_type "
                      "ORDER BY sensor_type")
    direct = lake.ok("SELECT sensor_type, count(*), avg(reading) FROM sensor_readings WHERE dt = '2026-01-02' "
                     "GROUP BY sensor_type ORDER BY sensor_type")  # the columns the view reads, one day of them
    assert one_day.rows == [r[:2] for r in direct.rows]
    assert one_day.scanned == direct.scanned < whole.scanned  # the view read one day only
    day = lake.curated[lake.curated.dt == "2026-01-02"].groupby("sensor_type").size()
    assert one_day.rows == [[s, str(n)] for s, n in day.items()]
    nested = lake.ok("SELECT count(*) FROM (SELECT event_id, dt AS day FROM sensor_readings) AS x WHERE x.day = '2026-01-03'")
    assert int(nested.rows[0][0]) == int((lake.curated.dt == "2026-01-03").sum())
    assert nested.scanned < whole.scanned
    # Not through a LIMIT, nor a window, nor an aggregate over everything: those would change the answer.
    limited = lake.ok("SELECT count(*) FROM (SELECT dt FROM sensor_readings ORDER BY event_id LIMIT 100) WHERE dt = '2026-01-01'")
    first = lake.curated.sort_values("event_id").head(100)
    assert int(limited.rows[0][0]) == int((first.dt == "2026-01-01").sum())
    ranked = lake.ok("SELECT count(*) FROM (SELECT dt, row_number() OVER (ORDER BY event_id) AS r FROM sensor_readings) "
                     "WHERE dt = '2026-01-03' AND r <= 800")
    first = lake.curated.sort_values("event_id").head(800)
    assert int(ranked.rows[0][0]) == int((first.dt == "2026-01-03").sum())


def test_explain_shows_the_plan_without_reading_data_and_explain_analyze_reads_it(lake):
    plan = lake.ok("EXPLAIN SELECT site, count(*) FROM sensor_readings WHERE dt = '2026-01-01' GROUP BY site")
    text = "\n".join(r[0] for r in plan.rows)
    assert plan.names == ["Query Plan"] and "GROUP" in text.upper() and plan.scanned == 0
    analyzed = lake.ok("EXPLAIN ANALYZE SELECT count(*) FROM sensor_readings WHERE dt = '2026-01-01'")
    counted = lake.ok("SELECT count(*) FROM sensor_readings WHERE dt = '2026-01-01'")
    assert analyzed.scanned == counted.scanned > 0


def test_a_work_group_created_without_tags_lists_no_tags(cfg):
    athena = cfg.client("athena")
    name = cfg.name("untagged-wg")
    athena.create_work_group(Name=name, Configuration={})
    arn = f"arn:aws:athena:{cfg.region}:{cfg.account_id()}:workgroup/{name}"
    assert athena.list_tags_for_resource(ResourceARN=arn)["Tags"] == []
    with pytest.raises(ClientError) as missing:
        athena.list_tags_for_resource(ResourceARN=arn + "-nope")
    assert missing.value.response["Error"]["Code"] == "InvalidRequestException"
