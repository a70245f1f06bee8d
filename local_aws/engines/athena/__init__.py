"""Athena on the local endpoint: Athena (Trino) SQL run by DuckDB over the Glue Data Catalog's tables in local S3.

moto answers Athena's API with no rows; this engine answers the query
operations for real, in Athena's shapes and words:

* ``runtime`` -- ``StartQueryExecution`` (asynchronous states), ``GetQueryExecution``
  (statistics with the bytes actually scanned), ``GetQueryResults`` (pages, header
  row), ``StopQueryExecution``, ``ListQueryExecutions``, ``BatchGetQueryExecution``,
  ``GetQueryRuntimeStatistics``; work groups' output location, enforcement and
  bytes-scanned cutoff; ``UpdateWorkGroup`` (moto lacks it);
* ``engine`` -- one statement: SELECT, CTAS, INSERT INTO, UNLOAD, EXPLAIN, and the DDL
  (CREATE DATABASE / EXTERNAL TABLE / VIEW, DROP, SHOW, DESCRIBE, MSCK REPAIR
  TABLE, ALTER TABLE ADD/DROP PARTITION);
* ``plan`` -- Trino SQL to DuckDB (sqlglot), catalog resolution, view expansion,
  column projection and partition pruning (through views and subqueries too);
* ``scan`` -- reading Parquet/ORC/JSON/delimited text from moto's S3, counting bytes;
* ``catalog`` / ``storage`` -- moto's Glue and S3 read in-process, written through
  the endpoint's own API (journaled);
* ``results`` / ``types`` -- result files, ``GetQueryResults`` pages, Athena's types
  and value text; ``errors`` -- Athena's error names and ``AthenaError`` codes.
"""

from __future__ import annotations

from pathlib import Path

from ...dispatch import Registry
from . import metadata
from .runtime import RUNTIME


def install(registry: Registry) -> None:
    routes = {
        "StartQueryExecution": RUNTIME.start_query_execution,
        "GetQueryExecution": RUNTIME.get_query_execution,
        "GetQueryResults": RUNTIME.get_query_results,
        "StopQueryExecution": RUNTIME.stop_query_execution,
        "ListQueryExecutions": RUNTIME.list_query_executions,
        "BatchGetQueryExecution": RUNTIME.batch_get_query_execution,
        "GetQueryRuntimeStatistics": RUNTIME.get_query_runtime_statistics,
        "GetWorkGroup": RUNTIME.get_work_group,
        "UpdateWorkGroup": RUNTIME.update_work_group,
        "GetDatabase": metadata.get_database,
        "ListDatabases": metadata.list_databases,
        "GetTableMetadata": metadata.get_table_metadata,
        "ListTableMetadata": metadata.list_table_metadata,
    }
    for operation, handler in routes.items():
        registry.register("athena", operation, handler)
    _untagged_resources_have_no_tags()


def _untagged_resources_have_no_tags() -> None:
    """moto answers ListTagsForResource for a work group created without tags with "Does Not Exist";
    Athena answers an empty tag list."""
    from moto.athena.models import AthenaBackend

    original = AthenaBackend.list_tags_for_resource
    if getattr(original, "_local_aws", False):
        return

    def list_tags_for_resource(self, resource_arn: str):
        found = original(self, resource_arn)
        if found is None and any(getattr(r, "arn", None) == resource_arn for r in
                                 (*self.work_groups.values(), *self.data_catalogs.values())):
            return {"Tags": []}
        return found

    list_tags_for_resource._local_aws = True
    AthenaBackend.list_tags_for_resource = list_tags_for_resource


def configure(state_dir: Path | None = None, url: str | None = None) -> None:
    RUNTIME.configure(state_dir=state_dir, url=url)


def recover() -> None:
    RUNTIME.recover()


def reset() -> None:
    RUNTIME.reset()


def shutdown() -> None:
    RUNTIME.shutdown()
