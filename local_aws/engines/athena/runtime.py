"""The Athena query API: executions, their states, statistics and results.

``StartQueryExecution`` answers at once with an id; the statement then runs on
a worker thread, ``QUEUED`` -> ``RUNNING`` -> ``SUCCEEDED`` | ``FAILED`` |
``CANCELLED``, at most ``MAX_RUNNING`` at a time (more wait ``QUEUED``).

Output location: the client's ``ResultConfiguration.OutputLocation``, or the
work group's; with ``EnforceWorkGroupConfiguration`` the work group's wins.
Neither: ``InvalidRequestException`` ("No output location provided ...") as
on AWS. The work group's ``BytesScannedCutoffPerQuery`` cancels a query that
scans more.

Durability: executions are kept in ``<state>/athena_queries.jsonl`` (appended
and fsync'ed at submission and at the end of each execution, so an id handed
out is never lost; the last record of an id wins). Their results are S3
objects written through the endpoint, and catalog changes are Glue API calls
through it, so the endpoint's journal keeps those. ``StartQueryExecution`` is
therefore not journaled itself (a replay would run the query again). An
execution left ``QUEUED``/``RUNNING`` by a stop or crash comes back ``FAILED``.

Work groups are moto's; this engine adds ``UpdateWorkGroup`` (moto lacks it)
and ``GetWorkGroup``'s not-found error.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ...dispatch import AwsError, KitRequest
from .._moto import account_id
from . import catalog as cat
from . import engine, results, storage
from .errors import QueryError

log = logging.getLogger("local_aws.athena")

MAX_RUNNING = 8
ACTIVE = ("QUEUED", "RUNNING")
_ACCESS_KEY = re.compile(r"Credential=([^/]+)/")
ENGINE_VERSION = {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"}


@dataclass
class Execution:
    QueryExecutionId: str
    Query: str
    account: str
    region: str
    WorkGroup: str
    Database: str
    Catalog: str
    output_dir: str  # s3://bucket/prefix/
    kind: str  # csv | txt | manifest
    StatementType: str
    SubstatementType: str | None = None
    State: str = "QUEUED"
    StateChangeReason: str | None = None
    AthenaError: dict | None = None
    SubmissionDateTime: float = field(default_factory=time.time)
    started: float | None = None
    CompletionDateTime: float | None = None
    scanned: int = 0
    planning_ms: int = 0
    processing_ms: int = 0
    columns: list = field(default_factory=list)
    header: bool = True
    UpdateCount: int | None = None
    manifest: bool = False
    ExecutionParameters: list | None = None
    client_token: str | None = None
    access_key: str = "local"
    account_header: str | None = None
    bytes_cutoff: int | None = None

    @property
    def output_location(self) -> str:
        suffix = {"csv": ".csv", "txt": ".txt", "manifest": ""}[self.kind]
        return f"{self.output_dir}{self.QueryExecutionId}{suffix}"

    @property
    def result_key(self) -> tuple[str, str]:
        return storage.split_uri(self.output_location)

    def as_api(self) -> dict[str, Any]:
        status: dict[str, Any] = {"State": self.State, "SubmissionDateTime": self.SubmissionDateTime}
        if self.CompletionDateTime is not None:
            status["CompletionDateTime"] = self.CompletionDateTime
        if self.StateChangeReason:
            status["StateChangeReason"] = self.StateChangeReason
        if self.AthenaError:
            status["AthenaError"] = self.AthenaError
        end = self.CompletionDateTime or time.time()
        started = self.started or end
        total = int((end - self.SubmissionDateTime) * 1000)
        engine_ms = int((end - started) * 1000) if self.State not in ACTIVE else int((time.time() - started) * 1000)
        stats: dict[str, Any] = {
            "EngineExecutionTimeInMillis": max(0, engine_ms - self.processing_ms),
            "DataScannedInBytes": self.scanned,
            "TotalExecutionTimeInMillis": max(0, total),
            "QueryQueueTimeInMillis": max(0, int((started - self.SubmissionDateTime) * 1000)),
            "ServicePreProcessingTimeInMillis": 0,
            "QueryPlanningTimeInMillis": self.planning_ms,
            "ServiceProcessingTimeInMillis": self.processing_ms,
            "ResultReuseInformation": {"ReusedPreviousResult": False},
        }
        if self.manifest and self.State == "SUCCEEDED":
            stats["DataManifestLocation"] = f"{self.output_dir}{self.QueryExecutionId}-manifest.csv"
        api = {
            "QueryExecutionId": self.QueryExecutionId,
            "Query": self.Query,
            "StatementType": self.StatementType,
            "ResultConfiguration": {"OutputLocation": self.output_location},
            "ResultReuseConfiguration": {"ResultReuseByAgeConfiguration": {"Enabled": False}},
            "QueryExecutionContext": {"Database": self.Database, "Catalog": self.Catalog},
            "Status": status,
            "Statistics": stats,
            "WorkGroup": self.WorkGroup,
            "EngineVersion": dict(ENGINE_VERSION),
        }
        if self.SubstatementType:
            api["SubstatementType"] = self.SubstatementType
        if self.ExecutionParameters:
            api["ExecutionParameters"] = list(self.ExecutionParameters)
        return api


def classify(sql: str) -> tuple[str, str]:
    """(StatementType, result kind) from the statement's first words, before it is parsed."""
    text = re.sub(r"(?s)/\*.*?\*/|--[^\n]*", " ", sql).strip().lstrip("(").upper()
    words = text.split()
    first = words[0] if words else ""
    if first == "CREATE" and re.match(r"(?s)CREATE\s+(OR\s+REPLACE\s+)?TABLE\b.*\bAS\b\s*(\(?\s*(SELECT|WITH|VALUES)\b)", text) \
            and "EXTERNAL" not in words[:3]:
        return "DDL", "manifest"
    if first in ("INSERT", "UNLOAD"):
        return "DML", "manifest"
    if first in ("SELECT", "WITH", "VALUES", "TABLE"):
        return "DML", "csv"
    if first in ("SHOW", "DESCRIBE", "DESC", "EXPLAIN"):
        return "UTILITY", "txt"
    return "DDL", "txt"


class QueryStore:
    """Executions by id, durable in an append-only JSON-lines file."""

    def __init__(self) -> None:
        self.executions: dict[str, Execution] = {}
        self.tokens: dict[tuple[str, str, str], str] = {}
        self.lock = threading.RLock()
        self.path: Path | None = None
        self._file = None

    def configure(self, state_dir: Path) -> None:
        with self.lock:
            self.path = state_dir / "athena_queries.jsonl"
            self._load()

    def _load(self) -> None:
        assert self.path is not None
        loaded: dict[str, Execution] = {}
        lines = 0
        if self.path.exists():
            with open(self.path, "rb") as f:
                for raw in f:
                    lines += 1
                    try:
                        record = json.loads(raw)
                        loaded[record["QueryExecutionId"]] = Execution(**record)
                    except (ValueError, KeyError, TypeError):
                        log.warning("%s: skipping a damaged line (a write cut short by a crash?)", self.path)
        self.executions = loaded
        self.tokens = {(e.account, e.region, e.client_token): e.QueryExecutionId for e in loaded.values() if e.client_token}
        if self._file is not None:
            self._file.close()
        if lines > 2 * len(loaded) + 100:
            self._rewrite()
        self._file = open(self.path, "ab", buffering=0)

    def _rewrite(self) -> None:
        assert self.path is not None
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            for execution in self.executions.values():
                f.write(json.dumps(asdict(execution)).encode() + b"\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def save(self, execution: Execution) -> None:
        with self.lock:
            self.executions[execution.QueryExecutionId] = execution
            if execution.client_token:
                self.tokens[(execution.account, execution.region, execution.client_token)] = execution.QueryExecutionId
            if self._file is not None:
                self._file.write(json.dumps(asdict(execution)).encode() + b"\n")
                os.fsync(self._file.fileno())

    def get(self, query_id: str, account: str, region: str) -> Execution | None:
        execution = self.executions.get(query_id)
        if execution is None or (execution.account, execution.region) != (account, region):
            return None
        return execution

    def reset(self) -> None:
        with self.lock:
            self.executions.clear()
            self.tokens.clear()
            if self.path is not None:
                if self._file is not None:
                    self._file.close()
                self.path.write_bytes(b"")
                self._file = open(self.path, "ab", buffering=0)


class Runtime:
    def __init__(self) -> None:
        self.store = QueryStore()
        self.cache = results.ResultCache()
        self.url: str | None = None
        self.pool = ThreadPoolExecutor(max_workers=MAX_RUNNING, thread_name_prefix="athena-query")
        self.cancel_flags: dict[str, threading.Event] = {}
        self.cursors: dict[str, Any] = {}
        self.lock = threading.RLock()

    # -- lifecycle -----------------------------------------------------------------------

    def configure(self, state_dir: Path | None = None, url: str | None = None) -> None:
        if state_dir is not None:
            self.store.configure(state_dir)
        if url is not None:
            self.url = url

    def recover(self) -> None:
        for execution in list(self.store.executions.values()):
            if execution.State in ACTIVE and execution.QueryExecutionId not in self.cancel_flags:
                was = execution.State
                self._fail(execution, QueryError("GENERIC_INTERNAL_ERROR", f"The local endpoint stopped while this "
                                                                           f"query was {was}; run it again."))

    def reset(self) -> None:
        with self.lock:
            for query_id, flag in list(self.cancel_flags.items()):
                flag.set()
                self._interrupt(query_id)
        self.store.reset()
        self.cache.clear()

    def shutdown(self) -> None:
        with self.lock:
            running = list(self.cancel_flags)
        for query_id in running:
            execution = self.store.executions.get(query_id)
            self.cancel_flags[query_id].set()
            self._interrupt(query_id)
            if execution is not None and execution.State in ACTIVE:
                self._fail(execution, QueryError("GENERIC_INTERNAL_ERROR", "The local endpoint stopped while this "
                                                                           "query ran; run it again."))

    # -- helpers -------------------------------------------------------------------------------

    @staticmethod
    def _athena(request: KitRequest):
        from moto.athena.models import athena_backends

        return athena_backends[account_id(request)][request.region]

    def _get(self, request: KitRequest, query_id: Any) -> Execution:
        execution = self.store.get(str(query_id or ""), account_id(request), request.region)
        if execution is None:
            raise AwsError("InvalidRequestException", f"QueryExecution {query_id} was not found")
        return execution

    def _interrupt(self, query_id: str) -> None:
        cursor = self.cursors.get(query_id)
        if cursor is not None:
            try:
                cursor.interrupt()
            except Exception:
                pass

    def _fail(self, execution: Execution, error: QueryError) -> None:
        execution.State = "FAILED"
        execution.StateChangeReason = error.message
        execution.AthenaError = error.athena_error()
        execution.CompletionDateTime = time.time()
        self.store.save(execution)

    # -- the API -------------------------------------------------------------------------------------

    def start_query_execution(self, request: KitRequest) -> dict[str, Any]:
        params = request.json()
        request.journal = False  # executions are kept in athena_queries.jsonl; a replay must not run them again
        sql = params.get("QueryString")
        if not isinstance(sql, str) or not sql.strip():
            raise AwsError("InvalidRequestException", "QueryString must not be empty.")
        if len(sql) > 262144:
            raise AwsError("InvalidRequestException", "Query string is longer than 262144 characters.")
        account, region = account_id(request), request.region
        token = params.get("ClientRequestToken")
        if token:
            known = self.store.tokens.get((account, region, token))
            if known:
                return {"QueryExecutionId": known}
        wg_name = params.get("WorkGroup") or "primary"
        wg = self._athena(request).work_groups.get(wg_name)
        if wg is None:
            raise AwsError("InvalidRequestException", f"WorkGroup {wg_name} is not found.")
        if getattr(wg, "state", "ENABLED") == "DISABLED":
            raise AwsError("InvalidRequestException", f"WorkGroup {wg_name} is disabled.")
        config = wg.configuration or {}
        wg_output = (config.get("ResultConfiguration") or {}).get("OutputLocation")
        client_output = (params.get("ResultConfiguration") or {}).get("OutputLocation")
        enforce = config.get("EnforceWorkGroupConfiguration", True)
        output = wg_output if (enforce and wg_output) else (client_output or wg_output)
        if not output:
            raise AwsError("InvalidRequestException", "No output location provided. An output location is required "
                                                      "either through the Workgroup result configuration setting or "
                                                      "as an API input.")
        try:
            bucket, prefix = storage.split_uri(output)
        except ValueError:
            raise AwsError("InvalidRequestException", f"Invalid S3 output location: {output}") from None
        context = params.get("QueryExecutionContext") or {}
        statement_type, kind = classify(sql)
        match = _ACCESS_KEY.search(request.headers.get("Authorization", ""))
        cutoff = config.get("BytesScannedCutoffPerQuery")
        execution = Execution(
            QueryExecutionId=engine.new_query_id(), Query=sql, account=account, region=region, WorkGroup=wg_name,
            Database=(context.get("Database") or "default"), Catalog=context.get("Catalog") or "AwsDataCatalog",
            output_dir=f"s3://{bucket}/{storage.folder(prefix)}", kind=kind, StatementType=statement_type,
            ExecutionParameters=params.get("ExecutionParameters") or None, client_token=token,
            access_key=match.group(1) if match else "local", account_header=request.headers.get("X-Moto-Account-Id"),
            bytes_cutoff=int(cutoff) if cutoff else None,
        )
        flag = threading.Event()
        with self.lock:
            self.cancel_flags[execution.QueryExecutionId] = flag
        self.store.save(execution)
        self.pool.submit(self._run, execution, flag)
        return {"QueryExecutionId": execution.QueryExecutionId}

    def get_query_execution(self, request: KitRequest) -> dict[str, Any]:
        return {"QueryExecution": self._get(request, request.json().get("QueryExecutionId")).as_api()}

    def batch_get_query_execution(self, request: KitRequest) -> dict[str, Any]:
        ids = request.json().get("QueryExecutionIds") or []
        if not 1 <= len(ids) <= 50:
            raise AwsError("InvalidRequestException", "QueryExecutionIds must hold between 1 and 50 ids.")
        found, missing = [], []
        for query_id in ids:
            execution = self.store.get(query_id, account_id(request), request.region)
            if execution is None:
                missing.append({"QueryExecutionId": query_id, "ErrorCode": "INVALID_INPUT",
                                "ErrorMessage": f"QueryExecution {query_id} was not found"})
            else:
                found.append(execution.as_api())
        return {"QueryExecutions": found, "UnprocessedQueryExecutionIds": missing}

    def list_query_executions(self, request: KitRequest) -> dict[str, Any]:
        params = request.json()
        wg_name = params.get("WorkGroup") or "primary"
        if self._athena(request).work_groups.get(wg_name) is None:
            raise AwsError("InvalidRequestException", f"WorkGroup {wg_name} is not found.")
        limit = params.get("MaxResults") or 50
        if not 0 < int(limit) <= 50:
            raise AwsError("InvalidRequestException", "MaxResults must be between 1 and 50.")
        account, region = account_id(request), request.region
        with self.store.lock:
            mine = [e for e in self.store.executions.values()
                    if (e.account, e.region, e.WorkGroup) == (account, region, wg_name)]
        mine.sort(key=lambda e: e.SubmissionDateTime, reverse=True)
        start = 0
        if params.get("NextToken"):
            try:
                start = int(params["NextToken"])
            except ValueError:
                raise AwsError("InvalidRequestException", "Invalid NextToken.") from None
        page = mine[start:start + int(limit)]
        answer: dict[str, Any] = {"QueryExecutionIds": [e.QueryExecutionId for e in page]}
        if start + int(limit) < len(mine):
            answer["NextToken"] = str(start + int(limit))
        return answer

    def stop_query_execution(self, request: KitRequest) -> dict[str, Any]:
        request.journal = False
        execution = self._get(request, request.json().get("QueryExecutionId"))
        with self.lock:
            flag = self.cancel_flags.get(execution.QueryExecutionId)
            if execution.State in ACTIVE:
                if flag is not None:
                    flag.set()
                self._interrupt(execution.QueryExecutionId)
                execution.State = "CANCELLED"
                execution.StateChangeReason = "Query cancelled by user"
                execution.CompletionDateTime = time.time()
                self.store.save(execution)
        return {}

    def get_query_results(self, request: KitRequest) -> dict[str, Any]:
        params = request.json()
        execution = self._get(request, params.get("QueryExecutionId"))
        if execution.State in ACTIVE:
            raise AwsError("InvalidRequestException", f"Query has not yet finished. Current state: {execution.State}")
        if execution.State != "SUCCEEDED":
            reason = f". {execution.StateChangeReason}" if execution.StateChangeReason else ""
            raise AwsError("InvalidRequestException",
                           f"Query did not finish successfully. Final query state: {execution.State}{reason}")
        limit = params.get("MaxResults") or 1000
        if not 0 < int(limit) <= 1000:
            raise AwsError("InvalidRequestException", f"1 validation error detected: Value '{limit}' at 'maxResults' "
                                                      "failed to satisfy constraint: Member must have value less than "
                                                      "or equal to 1000")
        rows = self._rows(execution)
        start = results.read_token(execution.QueryExecutionId, params.get("NextToken"))
        page = rows[start:start + int(limit)]
        answer: dict[str, Any] = {
            "UpdateCount": execution.UpdateCount or 0,
            "ResultSet": {"Rows": [results.row(r) for r in page],
                          "ResultSetMetadata": {"ColumnInfo": execution.columns}},
        }
        if start + int(limit) < len(rows):
            answer["NextToken"] = results.page_token(execution.QueryExecutionId, start + int(limit))
        return answer

    def _rows(self, execution: Execution) -> list[list[str | None]]:
        if execution.kind == "manifest":
            return []
        cached = self.cache.get(execution.QueryExecutionId)
        if cached is not None:
            return cached
        bucket, key = execution.result_key
        data = storage.read_text_object(execution.account, execution.region, bucket, key)
        if data is None:
            raise AwsError("InvalidRequestException", f"Unable to read the query results: {execution.output_location} "
                                                      "does not exist (was it deleted?)")
        rows = results.parse_csv(data) if execution.kind == "csv" else results.parse_txt(data)
        if execution.kind == "csv" and not execution.header and rows:
            rows = rows[1:]
        self.cache.put(execution.QueryExecutionId, rows)
        return rows

    def get_query_runtime_statistics(self, request: KitRequest) -> dict[str, Any]:
        execution = self._get(request, request.json().get("QueryExecutionId"))
        stats = execution.as_api()["Statistics"]
        rows = len(self._rows(execution)) - (1 if execution.kind == "csv" else 0) if execution.State == "SUCCEEDED" else 0
        return {"QueryRuntimeStatistics": {
            "Timeline": {k: stats[k] for k in ("QueryQueueTimeInMillis", "ServicePreProcessingTimeInMillis",
                                               "QueryPlanningTimeInMillis", "EngineExecutionTimeInMillis",
                                               "ServiceProcessingTimeInMillis", "TotalExecutionTimeInMillis")},
            "Rows": {"InputRows": 0, "InputBytes": execution.scanned, "OutputBytes": 0, "OutputRows": max(0, rows)},
        }}

    # -- work groups -----------------------------------------------------------------------------------------

    def get_work_group(self, request: KitRequest) -> dict[str, Any]:
        name = request.json().get("WorkGroup")
        wg = self._athena(request).work_groups.get(name)
        if wg is None:
            raise AwsError("InvalidRequestException", f"WorkGroup {name} is not found.")
        return {"WorkGroup": {"Name": wg.name, "State": wg.state, "Configuration": wg.configuration,
                              "Description": wg.description or "", "CreationTime": getattr(wg, "creation_time", None)
                              or time.time()}}

    def update_work_group(self, request: KitRequest) -> dict[str, Any]:
        params = request.json()
        name = params.get("WorkGroup")
        wg = self._athena(request).work_groups.get(name)
        if wg is None:
            raise AwsError("InvalidRequestException", f"WorkGroup {name} is not found.")
        if "Description" in params:
            wg.description = params["Description"]
        if params.get("State") in ("ENABLED", "DISABLED"):
            wg.state = params["State"]
        updates = params.get("ConfigurationUpdates") or {}
        config = wg.configuration
        result = dict(config.get("ResultConfiguration") or {})
        result_updates = updates.get("ResultConfigurationUpdates") or {}
        for key in ("OutputLocation", "EncryptionConfiguration", "ExpectedBucketOwner", "AclConfiguration"):
            if result_updates.get(f"Remove{key}"):
                result.pop(key, None)
            if key in result_updates:
                result[key] = result_updates[key]
        config["ResultConfiguration"] = result
        for key in ("EnforceWorkGroupConfiguration", "PublishCloudWatchMetricsEnabled", "RequesterPaysEnabled",
                    "EngineVersion", "EnableMinimumEncryptionConfiguration"):
            if key in updates:
                config[key] = updates[key]
        if updates.get("RemoveBytesScannedCutoffPerQuery"):
            config.pop("BytesScannedCutoffPerQuery", None)
        if "BytesScannedCutoffPerQuery" in updates:
            config["BytesScannedCutoffPerQuery"] = updates["BytesScannedCutoffPerQuery"]
        return {}

    # -- running -------------------------------------------------------------------------------------------------

    def _run(self, execution: Execution, flag: threading.Event) -> None:
        query_id = execution.QueryExecutionId
        try:
            if flag.is_set() or execution.State != "QUEUED":
                return
            execution.State = "RUNNING"
            execution.started = time.time()
            self._execute(execution, flag)
        except Exception:  # never leave an execution RUNNING
            log.error("query %s failed inside the engine:\n%s", query_id, traceback.format_exc())
            if execution.State in ACTIVE:
                self._fail(execution, QueryError("GENERIC_INTERNAL_ERROR", "The local Athena engine failed on this "
                                                                           "query; see the endpoint's log."))
        finally:
            with self.lock:
                self.cancel_flags.pop(query_id, None)
                self.cursors.pop(query_id, None)

    def _execute(self, execution: Execution, flag: threading.Event) -> None:
        query_id = execution.QueryExecutionId
        bucket, _ = storage.split_uri(execution.output_dir)
        writers = dict(url=self.url, account=execution.account, region=execution.region,
                       access_key=execution.access_key, account_header=execution.account_header)

        def on_cursor(cursor: Any) -> None:
            with self.lock:
                self.cursors[query_id] = cursor
            if flag.is_set():
                cursor.interrupt()

        ctx = engine.Context(
            query_id=query_id, sql=execution.Query, account=execution.account, region=execution.region,
            database=execution.Database.lower(), output_location=execution.output_dir,
            catalog_writer=cat.CatalogWriter(**writers), s3_writer=storage.S3Writer(**writers),
            parameters=list(execution.ExecutionParameters or []), cancelled=flag.is_set, on_cursor=on_cursor,
            bytes_cutoff=execution.bytes_cutoff,
        )
        started = time.time()
        try:
            storage.require_bucket(execution.account, execution.region, bucket)
            outcome = engine.execute(ctx)
        except engine.BytesLimitExceeded:
            with self.lock:
                if execution.State in ACTIVE:
                    execution.State = "CANCELLED"
                    execution.StateChangeReason = "Query cancelled! : Bytes scanned limit was exceeded"
                    execution.CompletionDateTime = time.time()
                    self.store.save(execution)
            return
        except QueryError as error:
            if not flag.is_set():
                self._fail(execution, error)
            return
        except Exception as exc:
            if flag.is_set():
                return
            error = engine.translate_error(exc, execution.Query)
            if isinstance(error, QueryError):
                self._fail(execution, error)
                return
            raise
        if flag.is_set():
            return
        planned = time.time()
        execution.planning_ms = int(ctx.planning_seconds * 1000)
        try:
            self._write_results(execution, outcome, ctx)
        except storage.WriteFailed as exc:
            self._fail(execution, QueryError("RESULTS_NOT_WRITTEN", f"Unable to write the query results to "
                                                                    f"{execution.output_dir}: {exc}", plain=True))
            return
        with self.lock:
            if execution.State not in ACTIVE:  # cancelled while its results were written
                return
            execution.processing_ms = int((time.time() - planned) * 1000)
            execution.scanned = outcome.scanned
            execution.StatementType = outcome.statement_type
            execution.SubstatementType = outcome.substatement
            execution.columns = outcome.columns
            execution.header = outcome.header
            execution.UpdateCount = outcome.update_count
            execution.manifest = outcome.manifest is not None
            execution.State = "SUCCEEDED"
            execution.CompletionDateTime = time.time()
            self.store.save(execution)
        log.info("query %s %s in %.0f ms, %d bytes scanned", query_id, outcome.substatement,
                 (time.time() - started) * 1000, outcome.scanned)

    def _write_results(self, execution: Execution, outcome: engine.Outcome, ctx: engine.Context) -> None:
        bucket, prefix = storage.split_uri(execution.output_dir)
        base = f"{prefix}{execution.QueryExecutionId}"
        metadata = json.dumps({"ColumnInfo": outcome.columns}).encode()
        if outcome.manifest is not None:
            execution.kind = "manifest"
            ctx.s3_writer.put(bucket, f"{base}-manifest.csv", "".join(f + "\n" for f in outcome.manifest).encode(), "text/csv")
            ctx.s3_writer.put(bucket, f"{base}.metadata", metadata)
            return
        if outcome.table is not None:
            execution.kind = "csv"
            columns = results.render_columns(outcome.table, [None] * outcome.table.num_columns)
            names = outcome.table.column_names
            ctx.s3_writer.put(bucket, f"{base}.csv", results.csv_text(names, columns), "text/csv")
            ctx.s3_writer.put(bucket, f"{base}.csv.metadata", metadata)
            rows = [list(names)] + [list(r) for r in zip(*columns)] if columns else [list(names)]
            self.cache.put(execution.QueryExecutionId, rows)
            return
        execution.kind = "txt"
        lines = outcome.lines or []
        ctx.s3_writer.put(bucket, f"{base}.txt", results.txt_text(lines), "text/plain")
        ctx.s3_writer.put(bucket, f"{base}.txt.metadata", metadata)
        self.cache.put(execution.QueryExecutionId, [[line] for line in lines])


RUNTIME = Runtime()
