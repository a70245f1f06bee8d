"""``GlueContext`` for the local runtime: Spark session, logger, Kinesis source, forEachBatch, S3 writer.

* ``GlueContext(sc)`` takes a SparkContext or SparkSession (or nothing) as Glue 5's does.
* ``create_data_frame.from_options(connection_type="kinesis", connection_options=...)``
  returns a DataFrame with the source's schema, bound to the local stream (see
  ``_local/kinesis.py``); hand that very DataFrame to ``forEachBatch``.
* ``forEachBatch(frame, batch_function, options)`` -- ``windowSize`` and
  ``checkpointLocation`` are required (Glue raises the same errors); the loop is
  described in ``_local/microbatch.py``. Unlike on AWS it returns when the job
  is stopped (SIGTERM) or idle (``LOCAL_GLUE_MAX_IDLE_SECONDS``).
* ``write_dynamic_frame.from_options(frame, connection_type="s3",
  connection_options={"path": ..., "partitionKeys": [...]}, format=...,
  format_options=...)`` -- formats ``parquet``/``glueparquet`` (compression
  snappy by default, or ``format_options={"compression": ...}``), ``json`` and
  ``csv`` (``writeHeader``, ``separator``, ``quoteChar``). Spark writes into the
  job's temporary directory; the files are then uploaded under the path, in
  Hive-style partition folders, named ``run-<millis>-part-r-<n>...`` like
  Glue's. Writes append, as Glue's S3 sink does.
* ``create_dynamic_frame.from_options(connection_type="s3", ...)`` reads
  parquet/json/csv back (objects are downloaded first).
* ``purge_s3_path(path, {"retentionPeriod": hours})`` deletes objects older
  than the retention period (168 hours by default; 0 deletes everything).
* ``add_ingestion_time_columns(frame, "hour")`` adds Glue's ``ingest_*`` columns.
"""

from __future__ import annotations

import atexit
import itertools
import shutil
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from pyspark.context import SparkContext
from pyspark.sql import DataFrame, SparkSession

from ._local import s3 as _s3
from ._local.kinesis import RAW_COLUMN, TIMESTAMP_COLUMN, KinesisOptions
from ._local.logger import GlueLogger
from ._local.microbatch import run_micro_batches
from .dynamicframe import DynamicFrame

__all__ = ["GlueContext"]

_SOURCE_ATTRIBUTE = "_local_glue_kinesis_source"
_PARQUET_FORMATS = {"parquet", "glueparquet"}
_counter = itertools.count()


def _as_dataframe(frame: Any) -> DataFrame:
    if isinstance(frame, DynamicFrame):
        return frame.toDF()
    if isinstance(frame, DataFrame):
        return frame
    raise TypeError(f"expected a DynamicFrame or DataFrame, got {type(frame).__name__}")


class _DataFrameReader:
    def __init__(self, glue_context: "GlueContext"):
        self._glue_context = glue_context

    def from_options(self, connection_type: str, connection_options: dict | None = None, format: str | None = None,
                     format_options: dict | None = None, transformation_ctx: str = "", push_down_predicate: str = "",
                     **kwargs: Any) -> DataFrame:
        return self._glue_context.create_data_frame_from_options(connection_type, connection_options or {}, format,
                                                                 format_options or {}, transformation_ctx, **kwargs)

    def from_catalog(self, *args: Any, **kwargs: Any) -> DataFrame:
        raise NotImplementedError("create_data_frame.from_catalog is not supported by the local Glue runtime; "
                                  "read the stream with create_data_frame.from_options(connection_type=\"kinesis\")")


class _DynamicFrameReader:
    def __init__(self, glue_context: "GlueContext"):
        self._glue_context = glue_context

    def from_options(self, connection_type: str, connection_options: dict | None = None, format: str | None = None,
                     format_options: dict | None = None, transformation_ctx: str = "", **kwargs: Any) -> DynamicFrame:
        return self._glue_context.create_dynamic_frame_from_options(connection_type, connection_options or {}, format,
                                                                    format_options or {}, transformation_ctx)

    def from_catalog(self, *args: Any, **kwargs: Any) -> DynamicFrame:
        raise NotImplementedError("create_dynamic_frame.from_catalog is not supported by the local Glue runtime")


class _DynamicFrameWriter:
    def __init__(self, glue_context: "GlueContext"):
        self._glue_context = glue_context

    def from_options(self, frame: Any, connection_type: str, connection_options: dict | None = None,
                     format: str | None = None, format_options: dict | None = None,
                     transformation_ctx: str = "") -> Any:
        return self._glue_context.write_dynamic_frame_from_options(frame, connection_type, connection_options or {},
                                                                   format, format_options or {}, transformation_ctx)

    def from_catalog(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("write_dynamic_frame.from_catalog is not supported by the local Glue runtime")


class GlueContext:
    def __init__(self, sparkContext: SparkContext | SparkSession | None = None, **options: Any):  # noqa: N803
        if isinstance(sparkContext, SparkSession):
            session = sparkContext
        else:
            session = SparkSession.builder.getOrCreate()
        self.spark_session = session
        self.sparkSession = session  # noqa: N815 - Glue's name
        self._sc = session.sparkContext
        self._glue_logger = GlueLogger()
        self._tmp = Path(tempfile.mkdtemp(prefix="local-glue-"))
        atexit.register(shutil.rmtree, self._tmp, True)
        self.create_data_frame = _DataFrameReader(self)
        self.create_dynamic_frame = _DynamicFrameReader(self)
        self.write_dynamic_frame = _DynamicFrameWriter(self)
        self._s3_client = None
        try:
            self._sc.setLogLevel("WARN")
        except Exception:  # noqa: BLE001 - a stopped context; Spark will say so on first use
            pass

    # -- basics -----------------------------------------------------------------------------------
    def get_logger(self) -> GlueLogger:
        return self._glue_logger

    def currentTimeMillis(self) -> int:  # noqa: N802 - Glue's name
        return int(round(time.time() * 1000))

    @property
    def _s3(self):
        if self._s3_client is None:
            self._s3_client = _s3.client("s3")
        return self._s3_client

    # -- streaming source -------------------------------------------------------------------------
    def create_data_frame_from_options(self, connection_type: str, connection_options: dict | None = None,
                                       format: str | None = None, format_options: dict | None = None,
                                       transformation_ctx: str = "", **kwargs: Any) -> DataFrame:
        if str(connection_type).lower() != "kinesis":
            raise NotImplementedError(f"connection_type {connection_type!r} is not supported by the local Glue "
                                      "runtime's create_data_frame.from_options; use \"kinesis\"")
        options = KinesisOptions.parse(connection_options or {})
        from pyspark.sql.types import StringType, StructField, StructType, TimestampType, _parse_datatype_string

        if options.infer_schema:
            schema = StructType([StructField(RAW_COLUMN, StringType(), True)])
        else:
            parsed = _parse_datatype_string(options.schema)
            schema = parsed if isinstance(parsed, StructType) else StructType([StructField("value", parsed, True)])
        if options.add_record_timestamp:
            schema = StructType([*schema.fields, StructField(TIMESTAMP_COLUMN, TimestampType(), True)])
        frame = self.spark_session.createDataFrame([], schema)
        setattr(frame, _SOURCE_ATTRIBUTE, options)
        return frame

    def forEachBatch(self, frame: DataFrame, batch_function, options: dict | None = None) -> None:  # noqa: N802
        options = dict(options or {})
        if "windowSize" not in options:
            raise Exception("Missing windowSize argument")
        if "checkpointLocation" not in options:
            raise Exception("Missing checkpointLocation argument")
        source = getattr(frame, _SOURCE_ATTRIBUTE, None)
        if source is None:
            raise NotImplementedError(
                "the local Glue runtime runs forEachBatch on the DataFrame returned by "
                "create_data_frame.from_options(connection_type=\"kinesis\") itself; do transformations inside the "
                "batch function")
        run_micro_batches(self, source, batch_function, options)

    # -- S3 sink ------------------------------------------------------------------------------------
    def write_dynamic_frame_from_options(self, frame: Any, connection_type: str,
                                         connection_options: dict | None = None, format: str | None = None,
                                         format_options: dict | None = None, transformation_ctx: str = "") -> Any:
        if str(connection_type).lower() != "s3":
            raise NotImplementedError(f"connection_type {connection_type!r} is not supported by the local Glue "
                                      "runtime's write_dynamic_frame.from_options; use \"s3\"")
        connection_options = connection_options or {}
        format_options = format_options or {}
        if "path" not in connection_options:
            raise ValueError('write_dynamic_frame.from_options(connection_type="s3") needs connection_options["path"]')
        target = _s3.S3Path(connection_options["path"])
        keys = list(connection_options.get("partitionKeys") or [])
        fmt = (format or "json").lower()
        df = _as_dataframe(frame)
        missing = [k for k in keys if k not in df.columns]
        if missing:
            raise ValueError(f"partitionKeys {missing} are not columns of the frame ({', '.join(df.columns)})")
        if df.isEmpty():
            return frame
        local = self._tmp / f"write-{next(_counter)}"
        writer = df.write.mode("overwrite")
        if keys:
            writer = writer.partitionBy(*keys)
        if fmt in _PARQUET_FORMATS:
            compression = str(format_options.get("compression", "snappy")).lower()
            writer.option("compression", "none" if compression in ("uncompressed", "none") else compression) \
                .parquet(str(local))
            suffix = ".parquet" if compression in ("uncompressed", "none") else f".{compression}.parquet"
        elif fmt == "json":
            compression = str(format_options.get("compression", "none")).lower()
            writer.option("compression", compression).json(str(local))
            suffix = ".json" + ({"gzip": ".gz", "bzip2": ".bz2"}.get(compression, ""))
        elif fmt == "csv":
            header = str(format_options.get("writeHeader", "true")).lower() != "false"
            writer.option("header", header).option("sep", format_options.get("separator", ",")) \
                .option("quote", format_options.get("quoteChar", '"')).csv(str(local))
            suffix = ".csv"
        else:
            raise NotImplementedError(f"format {format!r} is not supported by the local Glue runtime's S3 writer; "
                                      "use parquet, glueparquet, json or csv")
        try:
            stamp = int(time.time() * 1000)
            files = sorted(p for p in local.rglob("*") if p.is_file() and not p.name.startswith(("_", ".")))
            for n, path in enumerate(files):
                folder = path.parent.relative_to(local).as_posix()
                name = f"run-{stamp}-part-r-{n:05d}{suffix}"
                key = "/".join(part for part in (target.key, "" if folder == "." else folder, name) if part)
                _s3.upload_file(self._s3, path, target.bucket, key)
        finally:
            shutil.rmtree(local, ignore_errors=True)
        return frame

    # -- S3 source (batch) ------------------------------------------------------------------------------
    def create_dynamic_frame_from_options(self, connection_type: str, connection_options: dict | None = None,
                                          format: str | None = None, format_options: dict | None = None,
                                          transformation_ctx: str = "") -> DynamicFrame:
        if str(connection_type).lower() != "s3":
            raise NotImplementedError(f"connection_type {connection_type!r} is not supported by the local Glue "
                                      "runtime's create_dynamic_frame.from_options; use \"s3\"")
        connection_options = connection_options or {}
        paths = connection_options.get("paths") or [connection_options.get("path")]
        fmt = (format or "json").lower()
        local = self._tmp / f"read-{next(_counter)}"
        for n, path in enumerate(p for p in paths if p):
            _s3.download_prefix(self._s3, _s3.S3Path(path), local / str(n))
        reader = self.spark_session.read.option("recursiveFileLookup", "false")
        folders = [str(p) for p in sorted(local.iterdir())] if local.exists() else []
        if not folders:
            raise FileNotFoundError(f"no objects under {', '.join(map(str, paths))}")
        if fmt in _PARQUET_FORMATS:
            df = reader.parquet(*folders)
        elif fmt == "json":
            df = reader.json(folders)
        elif fmt == "csv":
            header = str((format_options or {}).get("withHeader", "true")).lower() != "false"
            df = reader.option("header", header).csv(folders)
        else:
            raise NotImplementedError(f"format {format!r} is not supported by the local Glue runtime's S3 reader")
        return DynamicFrame.fromDF(df, self, transformation_ctx or "s3_source")

    # -- housekeeping -------------------------------------------------------------------------------------
    def purge_s3_path(self, s3_path: str, options: dict | None = None, transformation_ctx: str = "") -> None:
        options = options or {}
        hours = float(options.get("retentionPeriod", 168))
        cutoff = datetime.now(timezone.utc) - timedelta(hours=hours)
        location = _s3.S3Path(s3_path)
        doomed = [obj["Key"] for obj in _s3.list_objects(self._s3, location.bucket, location.prefix)
                  if hours <= 0 or obj["LastModified"] < cutoff]
        _s3.delete_keys(self._s3, location.bucket, doomed)
        self._glue_logger.info(f"purge_s3_path {s3_path}: {len(doomed)} object(s) deleted")

    def add_ingestion_time_columns(self, frame: DataFrame, time_granularity: str) -> DataFrame:
        from pyspark.sql import functions as F

        now = F.current_timestamp()
        columns = {"ingest_year": "yyyy", "ingest_month": "MM", "ingest_day": "dd", "ingest_hour": "HH",
                   "ingest_minute": "mm"}
        levels = {"day": 3, "hour": 4, "minute": 5}
        if time_granularity not in levels:
            raise ValueError('time_granularity must be "day", "hour" or "minute"')
        for name, pattern in list(columns.items())[:levels[time_granularity]]:
            frame = frame.withColumn(name, F.date_format(now, pattern))
        return frame
