"""The crawler's classifiers and grouping, without an endpoint: bytes in, schemas and tables out.

The end-to-end behaviour through the API is in test_glue_crawler.py; here each
rule is pinned on a small input: Arrow -> Hive types, Parquet footers read
alone, JSON and CSV inference (header heuristics), bad objects, and how
folders become tables and partitions.
"""

from __future__ import annotations

import bz2
import decimal
import gzip
import io
import json
from datetime import date, datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from local_aws.engines.glue_crawler import hivetypes as ht
from local_aws.engines.glue_crawler.classify import Unclassifiable, classify
from local_aws.engines.glue_crawler.layout import (DataFile, checkpoint_roots, excluded, not_data, plan_tables,
                                                   split_path, table_name)
from local_aws.engines.glue_crawler.s3view import S3Object


class FakeReader:
    """An ObjectReader over bytes in memory, counting what is read."""

    def __init__(self, key: str, data: bytes):
        self.obj = S3Object("bucket", key, len(data), "etag", None)
        self.data = data
        self.bytes_read = 0

    def read_range(self, start: int, length: int) -> bytes:
        if start < 0:
            start = max(0, len(self.data) + start)
        chunk = self.data[start:start + length]
        self.bytes_read += len(chunk)
        return chunk

    def head(self, length: int) -> bytes:
        return self.read_range(0, length)

    def tail(self, length: int) -> bytes:
        return self.read_range(-length, length)


def parquet_bytes(table: pa.Table, **kwargs) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, **kwargs)
    return buffer.getvalue()


def columns_of(schema) -> dict[str, str]:
    return {name: ht.render(t) for name, t in schema.columns}


# --- Parquet -----------------------------------------------------------------------------


def test_parquet_types_map_to_the_hive_types_glue_writes():
    table = pa.table({
        "s": pa.array(["a"], pa.string()),
        "big": pa.array([1], pa.int64()),
        "i": pa.array([1], pa.int32()),
        "small": pa.array([1], pa.int16()),
        "tiny": pa.array([1], pa.int8()),
        "d": pa.array([1.5], pa.float64()),
        "f": pa.array([1.5], pa.float32()),
        "ok": pa.array([True], pa.bool_()),
        "ts": pa.array([datetime(2024, 5, 1, tzinfo=timezone.utc)], pa.timestamp("us", tz="UTC")),
        "day": pa.array([date(2024, 5, 1)], pa.date32()),
        "amount": pa.array([decimal.Decimal("12.34")], pa.decimal128(10, 2)),
        "bin": pa.array([b"x"], pa.binary()),
        "tags": pa.array([["a", "b"]], pa.list_(pa.string())),
        "point": pa.array([{"x": 1.0, "Label": "p"}], pa.struct([("x", pa.float64()), ("Label", pa.string())])),
        "attrs": pa.array([[("k", 1)]], pa.map_(pa.string(), pa.int64())),
        "cat": pa.array(["u"], pa.string()).dictionary_encode(),
        "CamelCase": pa.array([1], pa.int64()),
    })
    schema = classify(FakeReader("t/part-0.snappy.parquet", parquet_bytes(table, compression="snappy")))
    assert schema.classification == "parquet" and schema.compression == "none" and schema.records == 1
    assert columns_of(schema) == {
        "s": "string", "big": "bigint", "i": "int", "small": "smallint", "tiny": "tinyint", "d": "double",
        "f": "float", "ok": "boolean", "ts": "timestamp", "day": "date", "amount": "decimal(10,2)", "bin": "binary",
        "tags": "array<string>", "point": "struct<x:double,label:string>", "attrs": "map<string,bigint>",
        "cat": "string", "camelcase": "bigint",
    }


def test_a_parquet_schema_comes_from_the_footer_only():
    rows = 200_000
    table = pa.table({"n": pa.array(range(rows), pa.int64()), "text": pa.array([f"row {i} " * 3 for i in range(rows)])})
    data = parquet_bytes(table, compression="none")
    reader = FakeReader("big.parquet", data)
    schema = classify(reader)
    assert schema.records == rows and columns_of(schema) == {"n": "bigint", "text": "string"}
    assert len(data) > 5_000_000
    footer = int.from_bytes(data[-8:-4], "little")
    assert reader.bytes_read == footer + 8, f"read {reader.bytes_read} bytes of {len(data)}"


def test_a_wide_schema_with_a_large_footer():
    table = pa.table({f"column_{i:04d}": pa.array([i], pa.int32()) for i in range(1500)})
    data = parquet_bytes(table)
    reader = FakeReader("wide.parquet", data)
    schema = classify(reader)
    assert len(schema.columns) == 1500
    assert reader.bytes_read < len(data)


def test_corrupt_parquet_is_unclassifiable_with_a_reason():
    good = parquet_bytes(pa.table({"a": [1, 2, 3]}))
    footer_length = int.from_bytes(good[-8:-4], "little")
    footer_damaged = good[:-8 - footer_length] + b"\xff" * footer_length + good[-8:]
    with pytest.raises(Unclassifiable, match="corrupt Parquet"):
        classify(FakeReader("bad.parquet", footer_damaged))
    with pytest.raises(Unclassifiable, match="does not end with the Parquet magic"):
        classify(FakeReader("truncated.snappy.parquet", good[:-10]))
    with pytest.raises(Unclassifiable, match="corrupt Parquet file: its footer claims"):
        classify(FakeReader("lying.parquet", b"PAR1" + b"x" * 20 + (10_000).to_bytes(4, "little") + b"PAR1"))


# --- JSON ----------------------------------------------------------------------------------


def test_json_lines_types_and_nested_values():
    lines = [
        {"id": 1, "big": 2 ** 40, "ratio": 0.5, "ok": True, "name": "a", "tags": ["x"], "geo": {"Lat": 1.5, "lon": 2},
         "maybe": None},
        {"id": 2, "big": 3, "ratio": 1, "ok": False, "name": "b", "tags": [], "geo": {"Lat": 2, "alt": 10},
         "extra": "late"},
    ]
    data = "\n".join(json.dumps(line) for line in lines).encode()
    schema = classify(FakeReader("events/part-0.json", data))
    assert schema.classification == "json" and schema.records == 2
    assert columns_of(schema) == {
        "id": "int", "big": "bigint", "ratio": "double", "ok": "boolean", "name": "string", "tags": "array<string>",
        "geo": "struct<lat:double,lon:int,alt:int>", "maybe": "string", "extra": "string",
    }
    assert schema.json_paths == ("id", "big", "ratio", "ok", "name", "tags", "geo", "maybe", "extra")


def test_a_json_array_and_pretty_printed_objects_are_json_too():
    array = json.dumps([{"a": 1}, {"a": 2, "b": "x"}], indent=2).encode()
    assert columns_of(classify(FakeReader("a.json", array))) == {"a": "int", "b": "string"}
    pretty = (json.dumps({"a": 1}, indent=2) + "\n" + json.dumps({"a": 2}, indent=2)).encode()
    schema = classify(FakeReader("p.json", pretty))
    assert schema.records == 2 and columns_of(schema) == {"a": "int"}


def test_malformed_json_lines_after_good_ones_are_skipped_with_a_warning():
    data = b'{"a": 1}\n{"a": \n{"a": 3}\n'
    schema = classify(FakeReader("x.json", data))
    assert schema.records == 2 and any("1 line(s) that are not JSON" in w for w in schema.warnings)


def test_json_that_is_not_json_is_unclassifiable():
    with pytest.raises(Unclassifiable, match="JSON that does not parse: Expecting"):
        classify(FakeReader("broken.json", b'{not json at all}\n{still not}\n'))
    with pytest.raises(Unclassifiable, match="not UTF-8"):
        classify(FakeReader("blob.bin", bytes(range(256)) * 4))


def test_gzip_and_bzip2_json_are_classified_with_their_compression():
    data = "\n".join(json.dumps({"n": i, "s": "v" * 50}) for i in range(20_000)).encode()
    schema = classify(FakeReader("z/part.json.gz", gzip.compress(data)))
    assert schema.compression == "gzip" and columns_of(schema) == {"n": "int", "s": "string"}
    assert 15_000 <= schema.records <= 25_000  # estimated beyond the sampled megabyte
    assert classify(FakeReader("z/part.json.bz2", bz2.compress(data[:5000].rsplit(b"\n", 1)[0]))).compression == "bzip2"


# --- CSV -------------------------------------------------------------------------------------


def test_csv_with_a_header_row():
    data = b"id,reading,ok,site\n1,2.5,true,plant-a\n2,3,false,plant-b\n"
    schema = classify(FakeReader("c/readings.csv", data))
    assert schema.classification == "csv" and schema.header and schema.delimiter == ","
    assert columns_of(schema) == {"id": "bigint", "reading": "double", "ok": "boolean", "site": "string"}
    assert schema.records == 2 and not schema.quoted


def test_csv_whose_columns_are_all_strings_has_no_header_by_aws_rules():
    data = b"name,city\nana,porto\nbo,lyon\n"
    schema = classify(FakeReader("c/people.csv", data))
    assert not schema.header and columns_of(schema) == {"col0": "string", "col1": "string"} and schema.records == 3


def test_csv_header_heuristics_reject_a_numeric_first_row():
    schema = classify(FakeReader("c/n.csv", b"1,2\n3,4\n5,6\n"))
    assert not schema.header and columns_of(schema) == {"col0": "bigint", "col1": "bigint"}


@pytest.mark.parametrize("delimiter", ["|", "\t", ";", "\x01"])
def test_csv_delimiters_aws_checks(delimiter):
    data = delimiter.join(["a", "b", "c"]) + "\n" + delimiter.join(["1", "x", "2.5"]) + "\n"
    schema = classify(FakeReader("c/d.txt", data.encode()))
    assert schema.delimiter == delimiter and columns_of(schema) == {"a": "bigint", "b": "string", "c": "double"}


def test_quoted_csv_is_flagged():
    schema = classify(FakeReader("c/q.csv", b'id,comment\n1,"hello, world"\n2,"x"\n'))
    assert schema.quoted and columns_of(schema) == {"id": "bigint", "comment": "string"}


def test_ragged_csv_and_single_column_text_are_unclassifiable():
    with pytest.raises(Unclassifiable, match="different numbers of fields"):
        classify(FakeReader("c/ragged.csv", b"a,b,c\n1,2,3\n4,5\n6,7,8,9\n"))
    with pytest.raises(Unclassifiable, match="not a format the crawler recognises"):
        classify(FakeReader("notes.txt", b"just one line of prose without delimiters\n"))


# --- types -------------------------------------------------------------------------------------


def test_types_merge_as_a_crawler_widens_them():
    p = ht.Prim
    assert ht.merge(p("int"), p("bigint")) == p("bigint")
    assert ht.merge(p("int"), p("double")) == p("double")
    assert ht.merge(p("bigint"), p("string")) == ht.STRING
    assert ht.merge(p("boolean"), p("int")) == ht.STRING
    assert ht.merge(p("date"), p("timestamp")) == p("timestamp")
    assert ht.merge(ht.NULL, p("int")) == p("int")
    assert ht.merge(ht.Decimal(10, 2), ht.Decimal(6, 4)) == ht.Decimal(12, 4)
    a = ht.Struct((("x", p("int")),))
    b = ht.Struct((("x", p("bigint")), ("y", p("string"))))
    assert ht.render(ht.merge(a, b)) == "struct<x:bigint,y:string>"
    assert ht.render(ht.merge(ht.Array(ht.NULL), ht.Array(p("int")))) == "array<int>"
    assert ht.render(ht.merge(a, p("int"))) == "string"


# --- paths, exclusions, non-data ------------------------------------------------------------


def test_include_paths_are_folders():
    assert split_path("s3://bkt/curated") == ("bkt", "curated/")
    assert split_path("s3://bkt/curated/") == ("bkt", "curated/")
    assert split_path("s3://bkt") == ("bkt", "")
    with pytest.raises(ValueError):
        split_path("/local/folder")


@pytest.mark.parametrize("key, patterns, hit", [
    ("metrics/batch=1.json", ["metrics/**"], True),
    ("a/b/_SUCCESS", ["**/_SUCCESS"], True),
    ("_SUCCESS", ["**/_SUCCESS"], True),
    ("dt=1/x.csv", ["*.csv"], False),  # * stays within one folder level
    ("x.csv", ["*.csv"], True),
    ("dt=1/x.csv", ["**.csv"], True),
    ("dt=2024-01-01/part.json", ["dt=2024-01-0[1-3]/**"], True),
    ("dt=2024-01-09/part.json", ["dt=2024-01-0[1-3]/**"], False),
    ("logs/a.txt", ["{logs,tmp}/**"], True),
    ("checkpoints/job/offsets/0", ["checkpoints"], True),  # a matching folder excludes all below it
    ("data/part.json", ["metrics/**", "checkpoints/**"], False),
])
def test_exclude_patterns(key, patterns, hit):
    assert bool(excluded(key, patterns)) is hit


def test_objects_that_are_not_data():
    assert not_data("dt=1/_SUCCESS", 0)
    assert not_data("dt=1/.part-0.parquet.crc", 12)
    assert not_data("dt=1/part-0.parquet.crc", 12)
    assert not_data("_temporary/0/part-0.parquet", 100)
    assert not_data("_spark_metadata/0", 100)
    assert not_data("folder/", 0)
    assert not_data("dt=1/empty.json", 0)
    assert not_data("dt=1/part-0.parquet", 100) is None
    keys = ["job/stream/metadata", "job/stream/offsets/0", "job/stream/commits/0", "job/stream/sources/0/0", "data/x.json"]
    assert checkpoint_roots(keys) == {"job/stream"}


def test_table_names_from_folders():
    assert table_name("year=2017") == "year_2017"
    assert table_name("g-drive") == "g_drive"
    assert table_name("Sensor.Readings") == "sensor_readings"


# --- grouping into tables ---------------------------------------------------------------------


def data_file(key: str, columns: dict[str, str], classification: str = "parquet", prefix: str = "") -> DataFile:
    types = {"int": ht.Prim("int"), "bigint": ht.Prim("bigint"), "string": ht.STRING, "double": ht.Prim("double")}
    from local_aws.engines.glue_crawler.classify import FileSchema

    schema = FileSchema(classification, "none", tuple((n, types[t]) for n, t in columns.items()), 10)
    rel = key[len(prefix):]
    return DataFile(S3Object("bkt", key, 100, "e", None), tuple(rel.split("/")[:-1]), schema)


def plan(prefix: str, files: dict[str, dict[str, str]], **kwargs):
    tables, notes = plan_tables("bkt", prefix, [data_file(k, c, prefix=prefix) for k, c in files.items()], **kwargs)
    return {t.base_name: t for t in tables}, notes


A = {"a": "int", "b": "string", "c": "double"}


def test_hive_folders_become_partition_keys_of_the_include_path_table():
    tables, _ = plan("sales/", {f"sales/year=2019/month={m}/day={d}/part.parquet": A for m in ("Jan", "Feb") for d in (1, 2)})
    (t,) = tables.values()
    assert t.base_name == "sales" and t.location == "s3://bkt/sales/"
    assert t.partition_keys == ["year", "month", "day"]
    assert sorted(p.values for p in t.partitions) == [("2019", "Feb", "1"), ("2019", "Feb", "2"), ("2019", "Jan", "1"),
                                                      ("2019", "Jan", "2")]
    assert t.partitions[0].location == "s3://bkt/sales/year=2019/month=Feb/day=1/"


def test_plain_folders_become_partition_0_1_and_mix_with_hive_keys():
    tables, _ = plan("logs/", {"logs/2024/01/part.parquet": A, "logs/2024/02/part.parquet": A})
    assert tables["logs"].partition_keys == ["partition_0", "partition_1"]
    tables, _ = plan("curated/", {"curated/sensor_readings/dt=2024-01-01/hour=00/p.parquet": A,
                                  "curated/sensor_readings/dt=2024-01-01/hour=01/p.parquet": A})
    assert tables["curated"].partition_keys == ["partition_0", "dt", "hour"]
    assert {p.values for p in tables["curated"].partitions} == {("sensor_readings", "2024-01-01", "00"),
                                                               ("sensor_readings", "2024-01-01", "01")}


def test_dissimilar_folders_become_separate_tables_named_after_them():
    tables, notes = plan("data/", {"data/year=2017/a.parquet": {"a": "int", "b": "int"},
                                   "data/year=2018/b.parquet": {"c": "int", "d": "int"}})
    assert set(tables) == {"year_2017", "year_2018"}
    assert tables["year_2017"].location == "s3://bkt/data/year=2017/" and tables["year_2017"].partition_keys == []
    assert any("Found schemas don't match at level 2" in n for n in notes)


def test_combine_compatible_schemas_gives_one_table_with_the_union_of_columns():
    tables, _ = plan("data/", {"data/year=2017/a.parquet": {"a": "int", "b": "int"},
                               "data/year=2018/b.parquet": {"c": "int", "d": "int"}}, combine=True)
    (t,) = tables.values()
    assert t.base_name == "data" and [c for c, _ in t.columns] == ["a", "b", "c", "d"] and t.partition_keys == ["year"]


def test_a_new_column_in_later_files_is_schema_evolution_not_a_new_table():
    tables, _ = plan("ev/", {"ev/dt=1/a.parquet": A, "ev/dt=2/b.parquet": {**A, "d": "string"}})
    (t,) = tables.values()
    assert [c for c, _ in t.columns] == ["a", "b", "c", "d"]
    assert {p.values: [c for c, _ in p.columns] for p in t.partitions} == {("1",): ["a", "b", "c"],
                                                                           ("2",): ["a", "b", "c", "d"]}


def test_different_formats_are_never_one_table():
    files = [data_file("mixed/x/a.parquet", A, prefix="mixed/"), data_file("mixed/y/b.json", A, "json", prefix="mixed/")]
    tables, _ = plan_tables("bkt", "mixed/", files)
    assert {t.base_name for t in tables} == {"x", "y"}
    assert {t.classification for t in tables} == {"parquet", "json"}


def test_several_table_roots_under_one_include_path():
    tables, _ = plan("lake/", {"lake/orders/dt=1/a.parquet": {"order_id": "int", "amount": "double", "sku": "string"},
                               "lake/customers/c.parquet": {"customer_id": "int", "name": "string"}})
    assert set(tables) == {"orders", "customers"}
    assert tables["orders"].partition_keys == ["dt"] and tables["customers"].partition_keys == []


def test_table_level_forces_where_tables_are():
    files = {"curated/sensor_readings/dt=1/a.parquet": A, "curated/other/dt=1/b.parquet": A}
    tables, _ = plan("curated/", files)
    assert set(tables) == {"curated"}  # similar schemas: one table by default
    tables, _ = plan("curated/", files, table_level=3)  # bucket = 1, curated = 2
    assert set(tables) == {"sensor_readings", "other"} and tables["other"].partition_keys == ["dt"]


def test_files_at_another_depth_are_left_out_and_noted():
    tables, notes = plan("t/", {"t/dt=1/a.parquet": A, "t/dt=2/b.parquet": A, "t/stray.parquet": A})
    assert len(tables["t"].partitions) == 2
    assert any("stray.parquet" in n for n in notes)


def test_partition_key_columns_in_the_data_are_dropped_from_the_columns():
    tables, notes = plan("t/", {"t/dt=1/a.parquet": {**A, "dt": "string"}})
    assert [c for c, _ in tables["t"].columns] == ["a", "b", "c"] and tables["t"].partition_keys == ["dt"]
    assert any("also partition keys" in n for n in notes)


def test_a_first_json_record_longer_than_a_megabyte_is_read_on_up_to_ten():
    big = json.dumps({"blob": "x" * (2 * 1024 * 1024), "n": 1}) + "\n" + json.dumps({"blob": "y", "n": 2}) + "\n"
    reader = FakeReader("big/one.json", big.encode())
    schema = classify(reader)
    assert columns_of(schema) == {"blob": "string", "n": "int"}
    with pytest.raises(Unclassifiable, match="JSON that does not parse"):  # not JSON: no reading on
        reader = FakeReader("bad/big.json", b"{oops" + b" " * (3 * 1024 * 1024))
        try:
            classify(reader)
        finally:
            assert reader.bytes_read <= 1024 * 1024 + 8


def test_no_files_no_tables_and_no_grouping_notes():
    assert plan_tables("bkt", "empty/", []) == ([], [])
