"""Crawler runs for real: ``StartCrawler`` crawls the S3 targets in a background thread.

Crawler definitions stay in moto (``CreateCrawler``/``GetCrawler``/``ListCrawlers``
...); this engine answers what moto only stubs:

* ``StartCrawler`` -- starts a crawl (``crawl.crawl``) in a thread; the crawler
  goes READY -> RUNNING -> STOPPING -> READY as on AWS. A running crawler
  refuses another start with ``CrawlerRunningException``.
* ``StopCrawler`` -- the crawl stops at its next check (between objects, and
  between tables while writing), ``LastCrawl.Status`` CANCELLED;
  ``CrawlerNotRunningException`` / ``CrawlerStoppingException`` as AWS answers.
* ``GetCrawler``/``GetCrawlers``/``BatchGetCrawlers`` -- moto's definition with
  the real ``State``, ``LastCrawl`` (status, error message, log group/stream,
  message prefix, start time) and ``CrawlElapsedTime``.
* ``GetCrawlerMetrics`` (last and median runtime, tables created/updated/deleted
  by the last crawl, time left) and ``ListCrawls`` (the crawl history).
* ``CreateCrawler`` and ``UpdateCrawler`` (moto lacks the latter) with AWS's
  checks of ``Configuration`` and the policies; ``UpdateCrawler`` and
  ``DeleteCrawler`` refuse a running crawler (``CrawlerRunningException``).

The crawl's messages go to CloudWatch Logs, group ``/aws-glue/crawlers``,
stream = crawler name, each line prefixed with ``[<crawl id>]`` (the
``LastCrawl.MessagePrefix``), as AWS writes them.

Durability: what a crawl writes to the catalog goes through the endpoint's
own API (see ``catalog.ApiWriter``), so it is journaled with every other
change. The crawls themselves (history, status, metrics) are kept in
``<state>/glue_crawls.json``, rewritten atomically on every change; a crawl
in flight when the endpoint stopped comes back FAILED, saying so. ``StartCrawler``
and ``StopCrawler`` are therefore not journaled (a replay must not crawl again).

A local-only knob: the crawler tag ``local-aws:crawl-delay-seconds`` makes each
crawl wait that long (interruptible by ``StopCrawler``) before it lists its
targets -- for demonstrating and testing ``StopCrawler``. AWS ignores the tag.
"""

from __future__ import annotations

import json
import logging
import os
import re
import statistics
import threading
import time
import uuid
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ...dispatch import AwsError, KitRequest, Registry
from .._moto import account_id, backend, epoch, moto_errors
from .catalog import ApiWriter, BackendWriter, WriteError
from .crawl import (CrawlFailed, CrawlLog, CrawlStopped, InvalidConfiguration, Outcome, SchemaCache, check_policies,
                    crawl, parse_configuration, spec_of)
from .s3view import ReadStats

log = logging.getLogger("local_aws.glue_crawler")

LOG_GROUP = "/aws-glue/crawlers"
DELAY_TAG = "local-aws:crawl-delay-seconds"
ACTIVE = ("RUNNING", "STOPPING")
HISTORY_PER_CRAWLER = 50
_ACCESS_KEY = re.compile(r"Credential=([^/]+)/")


@dataclass
class Crawl:
    """One run of a crawler (``CrawlerHistory`` on the API)."""

    Id: str
    Crawler: str
    account: str
    region: str
    created: float  # the crawler's CreationTime: tells a re-created crawler of the same name apart
    State: str = "RUNNING"  # RUNNING | STOPPING | DONE
    Status: str | None = None  # SUCCEEDED | FAILED | CANCELLED once DONE
    StartTime: float = 0.0
    EndTime: float | None = None
    ErrorMessage: str | None = None
    Summary: str | None = None
    TablesCreated: int = 0
    TablesUpdated: int = 0
    TablesDeleted: int = 0
    PartitionsCreated: int = 0
    PartitionsUpdated: int = 0
    PartitionsDeleted: int = 0
    ObjectsListed: int = 0
    ObjectsClassified: int = 0
    ObjectsSkipped: int = 0
    BytesRead: int = 0
    BytesTotal: int = 0
    stop_requested: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.account, self.region, self.Crawler)

    def runtime(self) -> float:
        return max(0.0, (self.EndTime or time.time()) - self.StartTime)

    def history(self) -> dict[str, Any]:
        state = {"SUCCEEDED": "COMPLETED", "FAILED": "FAILED", "CANCELLED": "STOPPED"}.get(self.Status or "", "RUNNING")
        item: dict[str, Any] = {"CrawlId": self.Id, "State": state, "StartTime": self.StartTime, "LogGroup": LOG_GROUP,
                                "LogStream": self.Crawler, "MessagePrefix": self.Id}
        if self.EndTime is not None:
            item["EndTime"] = self.EndTime
        if self.Summary:
            item["Summary"] = self.Summary[:255]
        if self.ErrorMessage:
            item["ErrorMessage"] = self.ErrorMessage[:2048]
        return item


def _jsonable(value: Any) -> Any:
    """Datetimes as epoch seconds (JSON protocol), Nones dropped."""
    if isinstance(value, datetime):
        return epoch(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


class Runtime:
    """Every crawl of this endpoint, and the threads that run them."""

    def __init__(self) -> None:
        self.crawls: dict[str, Crawl] = {}
        self.live: dict[tuple[str, str, str], tuple[str, threading.Event, threading.Thread]] = {}
        self.lock = threading.RLock()
        self.state_file: Path | None = None
        self.url: str | None = None
        self.cache = SchemaCache()
        self.clients: dict[tuple, Any] = {}
        self.stopping_endpoint = False

    # -- durability ------------------------------------------------------------------

    def configure(self, state_dir: Path | None = None, url: str | None = None) -> None:
        if state_dir is not None:
            self.state_file = Path(state_dir) / "glue_crawls.json"
            self._load()
        if url is not None:
            self.url = url

    def _load(self) -> None:
        if self.state_file is None or not self.state_file.exists():
            return
        try:
            data = json.loads(self.state_file.read_text())
            names = {f.name for f in fields(Crawl)}
            crawls = {c["Id"]: Crawl(**{k: v for k, v in c.items() if k in names}) for c in data["crawls"]}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            from ...persistence import StateError

            raise StateError(f"The Glue crawls file {self.state_file} is damaged ({exc})") from None
        with self.lock:
            self.crawls = crawls

    def save(self) -> None:
        if self.state_file is None:
            return
        with self.lock:
            self._prune()
            payload = json.dumps({"format": 1, "crawls": [asdict(c) for c in self.crawls.values()]})
            tmp = self.state_file.with_suffix(".tmp")
            with open(tmp, "w") as f:
                f.write(payload)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.state_file)

    def _prune(self) -> None:
        by_crawler: dict[tuple, list[Crawl]] = {}
        for c in self.crawls.values():
            by_crawler.setdefault((*c.key, c.created), []).append(c)
        for crawls in by_crawler.values():
            crawls.sort(key=lambda c: c.StartTime)
            for old in crawls[:-HISTORY_PER_CRAWLER]:
                if old.State == "DONE":
                    self.crawls.pop(old.Id, None)

    def recover(self) -> None:
        """Crawls left RUNNING by a previous endpoint process end FAILED; crawls of deleted crawlers are forgotten."""
        from moto.glue.models import glue_backends

        with self.lock:
            for c in list(self.crawls.values()):
                try:
                    crawler = glue_backends[c.account][c.region].crawlers.get(c.Crawler)
                except Exception:
                    crawler = None
                if crawler is None or abs(epoch(crawler.creation_time) - c.created) > 1e-3:
                    del self.crawls[c.Id]
                    continue
                if c.State in ACTIVE and c.key not in self.live:
                    c.State, c.Status = "DONE", "FAILED"
                    was = "stopping" if c.stop_requested else "running"
                    c.ErrorMessage = f"The local endpoint stopped while this crawl was {was}; start the crawler again."
                    c.EndTime = time.time()
        self.save()

    def reset(self) -> None:
        with self.lock:
            for _, event, _ in self.live.values():
                event.set()
            self.live.clear()
            self.crawls.clear()
            self.cache.clear()
        self.save()

    def shutdown(self) -> None:
        """The endpoint is stopping: stop the crawls it runs and wait for them briefly."""
        self.stopping_endpoint = True
        with self.lock:
            running = list(self.live.values())
        for _, event, _ in running:
            event.set()
        deadline = time.monotonic() + 20
        for _, _, thread in running:
            thread.join(timeout=max(0.1, deadline - time.monotonic()))
        self.save()

    # -- look-ups ------------------------------------------------------------------------

    @staticmethod
    def _glue(request: KitRequest):
        from moto.glue.models import glue_backends

        return backend(glue_backends, request)

    def _crawler(self, request: KitRequest, name: Any):
        if not isinstance(name, str) or not name:
            raise AwsError("InvalidInputException", "The crawler Name is required.")
        crawler = self._glue(request).crawlers.get(name)
        if crawler is None:
            raise AwsError("EntityNotFoundException", f"Crawler entry with name {name} does not exist")
        return crawler

    def _crawls_of(self, crawler: Any, account: str, region: str) -> list[Crawl]:
        created = epoch(crawler.creation_time)
        with self.lock:
            found = [c for c in self.crawls.values() if c.key == (account, region, crawler.name)
                     and abs(c.created - created) <= 1e-3]
        return sorted(found, key=lambda c: c.StartTime)

    def _is_live(self, account: str, region: str, name: str) -> bool:
        return (account, region, name) in self.live

    def describe(self, crawler: Any, account: str, region: str) -> dict[str, Any]:
        """``Crawler`` as ``GetCrawler`` gives it: moto's definition with the real state and last crawl."""
        data = dict(crawler.as_dict())
        data.pop("LastCrawl", None)
        crawls = self._crawls_of(crawler, account, region)
        current = crawls[-1] if crawls and crawls[-1].State in ACTIVE else None
        data["State"] = current.State if current else "READY"
        data["CrawlElapsedTime"] = int(current.runtime() * 1000) if current else 0
        finished = [c for c in crawls if c.State == "DONE"]
        if finished:
            last = finished[-1]
            data["LastCrawl"] = {"Status": last.Status, "LogGroup": LOG_GROUP, "LogStream": crawler.name,
                                 "MessagePrefix": last.Id, "StartTime": last.StartTime}
            if last.ErrorMessage:
                data["LastCrawl"]["ErrorMessage"] = last.ErrorMessage[:2048]
        data["Version"] = getattr(crawler, "version", 1)
        return _jsonable(data)

    def metrics(self, crawler: Any, account: str, region: str) -> dict[str, Any]:
        crawls = self._crawls_of(crawler, account, region)
        finished = [c for c in crawls if c.State == "DONE"]
        runtimes = [c.runtime() for c in finished]
        current = crawls[-1] if crawls and crawls[-1].State in ACTIVE else None
        last = finished[-1] if finished else None
        item: dict[str, Any] = {
            "CrawlerName": crawler.name,
            "LastRuntimeSeconds": round(runtimes[-1], 3) if runtimes else 0.0,
            "MedianRuntimeSeconds": round(statistics.median(runtimes), 3) if runtimes else 0.0,
            "StillEstimating": bool(current) and not runtimes,
            "TimeLeftSeconds": (round(max(0.0, statistics.median(runtimes) - current.runtime()), 3)
                                if current and runtimes else 0.0),
            "TablesCreated": last.TablesCreated if last else 0,
            "TablesUpdated": last.TablesUpdated if last else 0,
            "TablesDeleted": last.TablesDeleted if last else 0,
        }
        return item

    # -- the API ---------------------------------------------------------------------------

    def create_crawler(self, request: KitRequest) -> dict[str, Any]:
        params = request.json()
        _check_definition(params)
        glue = self._glue(request)
        with moto_errors():
            glue.create_crawler(
                name=params.get("Name"), role=params.get("Role"), database_name=params.get("DatabaseName"),
                description=params.get("Description"), targets=params.get("Targets"), schedule=params.get("Schedule"),
                classifiers=params.get("Classifiers"), table_prefix=params.get("TablePrefix"),
                schema_change_policy=params.get("SchemaChangePolicy"), recrawl_policy=params.get("RecrawlPolicy"),
                lineage_configuration=params.get("LineageConfiguration"), configuration=params.get("Configuration"),
                crawler_security_configuration=params.get("CrawlerSecurityConfiguration"), tags=params.get("Tags"),
            )
        return {}

    def update_crawler(self, request: KitRequest) -> dict[str, Any]:
        """``UpdateCrawler`` (moto lacks it): the fields given replace the crawler's, as on AWS."""
        from moto.core.utils import utcnow

        params = request.json()
        crawler = self._crawler(request, params.get("Name"))
        if self._is_live(account_id(request), request.region, crawler.name):
            raise AwsError("CrawlerRunningException", "Cannot update Crawler while running. Please stop crawl or wait "
                                                      "until it completes to update.")
        merged = {
            "SchemaChangePolicy": params.get("SchemaChangePolicy", crawler.schema_change_policy),
            "RecrawlPolicy": params.get("RecrawlPolicy", crawler.recrawl_policy),
            "Configuration": params.get("Configuration", crawler.configuration),
            "Targets": params.get("Targets", crawler.targets),
        }
        _check_definition(merged)
        for key, attribute in (("Role", "role"), ("DatabaseName", "database_name"), ("Description", "description"),
                               ("Targets", "targets"), ("Schedule", "schedule"), ("Classifiers", "classifiers"),
                               ("TablePrefix", "table_prefix"), ("SchemaChangePolicy", "schema_change_policy"),
                               ("RecrawlPolicy", "recrawl_policy"), ("LineageConfiguration", "lineage_configuration"),
                               ("Configuration", "configuration"),
                               ("CrawlerSecurityConfiguration", "crawler_security_configuration")):
            if key in params:
                setattr(crawler, attribute, params[key])
        crawler.version = getattr(crawler, "version", 1) + 1
        crawler.last_updated = utcnow()
        return {}

    def delete_crawler(self, request: KitRequest) -> dict[str, Any]:
        params = request.json()
        crawler = self._crawler(request, params.get("Name"))
        if self._is_live(account_id(request), request.region, crawler.name):
            raise AwsError("CrawlerRunningException", f"Crawler with name {crawler.name} is running; stop it before "
                                                      "deleting it.")
        with moto_errors():
            self._glue(request).delete_crawler(crawler.name)
        return {}

    def start_crawler(self, request: KitRequest) -> dict[str, Any]:
        request.journal = False  # the crawl's writes are journaled themselves; a replay must not crawl again
        params = request.json()
        crawler = self._crawler(request, params.get("Name"))
        account, region = account_id(request), request.region
        tags = self._glue(request).get_tags(crawler.arn) or {}
        with self.lock:
            if self._is_live(account, region, crawler.name):
                raise AwsError("CrawlerRunningException", f"Crawler with name {crawler.name} has already started")
            c = Crawl(Id=str(uuid.uuid4()), Crawler=crawler.name, account=account, region=region,
                      created=epoch(crawler.creation_time), StartTime=time.time())
            event = threading.Event()
            thread = threading.Thread(target=self._drive, args=(c, crawler, event, _caller(request), _delay(tags)),
                                      daemon=True, name=f"crawl-{crawler.name[:20]}")
            self.crawls[c.Id] = c
            self.live[c.key] = (c.Id, event, thread)
        self.save()
        thread.start()
        return {}

    def stop_crawler(self, request: KitRequest) -> dict[str, Any]:
        request.journal = False
        params = request.json()
        crawler = self._crawler(request, params.get("Name"))
        key = (account_id(request), request.region, crawler.name)
        with self.lock:
            entry = self.live.get(key)
            c = self.crawls.get(entry[0]) if entry else None
            if entry is None or c is None:
                raise AwsError("CrawlerNotRunningException", f"Crawler with name {crawler.name} isn't running")
            if c.State == "STOPPING":
                raise AwsError("CrawlerStoppingException", f"Crawler with name {crawler.name} is stopping")
            c.stop_requested = True
            c.State = "STOPPING"
            entry[1].set()
        self.save()
        return {}

    def get_crawler(self, request: KitRequest) -> dict[str, Any]:
        crawler = self._crawler(request, request.json().get("Name"))
        return {"Crawler": self.describe(crawler, account_id(request), request.region)}

    def get_crawlers(self, request: KitRequest) -> dict[str, Any]:
        params = request.json()
        crawlers = sorted(self._glue(request).crawlers.values(), key=lambda c: c.name)
        page, token = _page(crawlers, params.get("MaxResults") or 100, params.get("NextToken"))
        result: dict[str, Any] = {"Crawlers": [self.describe(c, account_id(request), request.region) for c in page]}
        if token:
            result["NextToken"] = token
        return result

    def batch_get_crawlers(self, request: KitRequest) -> dict[str, Any]:
        names = request.json().get("CrawlerNames") or []
        crawlers = self._glue(request).crawlers
        found = [self.describe(crawlers[n], account_id(request), request.region) for n in names if n in crawlers]
        return {"Crawlers": found, "CrawlersNotFound": [n for n in names if n not in crawlers]}

    def get_crawler_metrics(self, request: KitRequest) -> dict[str, Any]:
        params = request.json()
        crawlers = self._glue(request).crawlers
        names = params.get("CrawlerNameList")
        chosen = [crawlers[n] for n in names if n in crawlers] if names else sorted(crawlers.values(), key=lambda c: c.name)
        page, token = _page(chosen, params.get("MaxResults") or 100, params.get("NextToken"))
        result: dict[str, Any] = {"CrawlerMetricsList": [self.metrics(c, account_id(request), request.region) for c in page]}
        if token:
            result["NextToken"] = token
        return result

    def list_crawls(self, request: KitRequest) -> dict[str, Any]:
        params = request.json()
        crawler = self._crawler(request, params.get("CrawlerName"))
        crawls = [c.history() for c in reversed(self._crawls_of(crawler, account_id(request), request.region))]
        for flt in params.get("Filters") or []:
            crawls = [c for c in crawls if _matches(c, flt)]
        page, token = _page(crawls, params.get("MaxResults") or 20, params.get("NextToken"))
        result: dict[str, Any] = {"Crawls": page}
        if token:
            result["NextToken"] = token
        return result

    # -- a crawl ---------------------------------------------------------------------------------

    def _drive(self, c: Crawl, crawler: Any, stop: threading.Event, caller: tuple[str, str | None], delay: float) -> None:
        access_key, account_header = caller
        logs = CrawlLog(c.Id, self._log_sink(c, access_key, account_header))
        logs.benchmark(f"Running Start Crawl for Crawler {c.Crawler}")
        stats = ReadStats()
        outcome = Outcome()
        status, message = "FAILED", None
        try:
            if delay > 0:
                logs.info(f"Waiting {delay:g} s before crawling (tag {DELAY_TAG}, a local endpoint knob).")
                logs.flush()
                if stop.wait(delay):
                    raise CrawlStopped()
            spec = spec_of(crawler, c.account, c.region)
            writer = self._writer(c, access_key, account_header)
            crawl(spec, logs, writer, stop, stats, self.cache, outcome)
            status = "SUCCEEDED"
        except CrawlStopped:
            status = "CANCELLED"
            message = "Stopped because the local endpoint stopped." if self.stopping_endpoint else None
            logs.info("Crawler was stopped (StopCrawler)." if not self.stopping_endpoint else message)
        except CrawlFailed as exc:
            message = str(exc)
            logs.error(message)
        except WriteError as exc:
            message = f"Writing to the Data Catalog failed: {exc}"
            logs.error(message)
        except Exception as exc:  # never leave a crawler RUNNING
            log.exception("crawl %s of %s failed", c.Id, c.Crawler)
            message = (f"Internal Service Exception: the local crawler failed ({type(exc).__name__}: {exc}); "
                       "see the endpoint's log.")
            logs.error(message)
        with self.lock:
            c.State = "STOPPING"  # as on AWS, a crawler passes through STOPPING after every crawl
            c.TablesCreated, c.TablesUpdated = outcome.tables_created, outcome.tables_updated
            c.TablesDeleted = outcome.tables_deleted
            c.PartitionsCreated, c.PartitionsUpdated = outcome.partitions_created, outcome.partitions_updated
            c.PartitionsDeleted = outcome.partitions_deleted
            c.ObjectsListed, c.ObjectsClassified = outcome.objects_listed, outcome.objects_classified
            c.ObjectsSkipped, c.BytesTotal = outcome.objects_skipped, outcome.bytes_total
            c.Summary = outcome.summary() if outcome.summary() != "{}" else None
            c.BytesRead = stats.bytes_read
        self.save()
        if outcome.objects_listed:
            share = f" ({100 * stats.bytes_read / outcome.bytes_total:.2f} %)" if outcome.bytes_total else ""
            logs.benchmark(f"Classified {outcome.objects_classified} object(s), skipped {outcome.objects_skipped}; "
                           f"read {stats.bytes_read:,} of {outcome.bytes_total:,} bytes{share} in {stats.reads:,} ranged reads")
            logs.benchmark(f"Tables: {outcome.tables_created} created, {outcome.tables_updated} updated, "
                           f"{outcome.tables_deleted} deleted; partitions: {outcome.partitions_created} created, "
                           f"{outcome.partitions_updated} updated, {outcome.partitions_deleted} deleted")
        logs.benchmark("Crawler has finished running and is in state READY")
        logs.flush()
        with self.lock:
            c.State, c.Status, c.ErrorMessage, c.EndTime = "DONE", status, message, time.time()
            if self.live.get(c.key, ("",))[0] == c.Id:
                self.live.pop(c.key, None)
        self.save()

    def _writer(self, c: Crawl, access_key: str, account_header: str | None):
        """The catalog writer of a crawl; API clients are kept (making one costs a good part of a small crawl)."""
        if not self.url:
            return BackendWriter(c.account, c.region)
        key = ("glue", self.url, c.region, access_key, account_header)
        with self.lock:
            writer = self.clients.get(key)
            if writer is None:
                writer = self.clients[key] = ApiWriter(self.url, c.region, access_key, account_header)
        return writer

    def _logs_client(self, c: Crawl, access_key: str, account_header: str | None):
        import boto3

        key = ("logs", self.url, c.region, access_key, account_header)
        with self.lock:
            client = self.clients.get(key)
            if client is None:
                client = boto3.client("logs", endpoint_url=self.url, region_name=c.region, aws_access_key_id=access_key,
                                      aws_secret_access_key="local-crawler")
                if account_header:
                    client.meta.events.register("before-sign.logs.*", lambda request, **kw: request.headers.__setitem__(
                        "X-Moto-Account-Id", account_header))
                self.clients[key] = client
        return client

    def _log_sink(self, c: Crawl, access_key: str, account_header: str | None):
        if not self.url:
            return None
        state: dict[str, Any] = {}

        def sink(lines: list[tuple[int, str]]) -> None:
            if "client" not in state:
                client = self._logs_client(c, access_key, account_header)
                for call, kwargs in ((client.create_log_group, {"logGroupName": LOG_GROUP}),
                                     (client.create_log_stream, {"logGroupName": LOG_GROUP, "logStreamName": c.Crawler})):
                    try:
                        call(**kwargs)
                    except client.exceptions.ResourceAlreadyExistsException:
                        pass
                state["client"] = client
            events = [{"timestamp": ts, "message": text} for ts, text in lines]
            for start in range(0, len(events), 5000):
                state["client"].put_log_events(logGroupName=LOG_GROUP, logStreamName=c.Crawler,
                                               logEvents=events[start:start + 5000])

        return sink


def _check_definition(params: dict[str, Any]) -> None:
    try:
        parse_configuration(params.get("Configuration"))
        check_policies(params.get("SchemaChangePolicy"), params.get("RecrawlPolicy"))
    except InvalidConfiguration as exc:
        raise AwsError("InvalidInputException", str(exc)) from None
    for target in ((params.get("Targets") or {}).get("S3Targets") or []):
        path = (target or {}).get("Path") or ""
        if not path.lower().startswith("s3://") or len(path) <= 5:
            raise AwsError("InvalidInputException", f"The S3 target path {path!r} is not valid: use s3://bucket/prefix.")


def _caller(request: KitRequest) -> tuple[str, str | None]:
    """The caller's access key (so the crawl's own requests land in the same account) and account header."""
    match = _ACCESS_KEY.search(request.headers.get("Authorization", ""))
    return (match.group(1) if match else "local-crawler"), request.headers.get("X-Moto-Account-Id")


def _delay(tags: dict[str, str]) -> float:
    try:
        return max(0.0, min(3600.0, float(tags.get(DELAY_TAG, 0))))
    except (TypeError, ValueError):
        return 0.0


def _page(items: list, limit: Any, token: Any) -> tuple[list, str | None]:
    try:
        start = int(token) if token else 0
        limit = int(limit)
    except (TypeError, ValueError):
        raise AwsError("InvalidInputException", "The NextToken or MaxResults is not valid.") from None
    if limit < 1:
        raise AwsError("InvalidInputException", "MaxResults must be at least 1.")
    page = items[start:start + limit]
    return page, (str(start + limit) if start + limit < len(items) else None)


def _matches(crawl: dict[str, Any], flt: dict[str, Any]) -> bool:
    field = {"CRAWL_ID": "CrawlId", "STATE": "State", "START_TIME": "StartTime", "END_TIME": "EndTime",
             "DPU_HOUR": "DPUHour"}.get(flt.get("FieldName") or "")
    if field is None:
        raise AwsError("InvalidInputException", f"Unknown crawl filter field {flt.get('FieldName')!r}.")
    have, want = crawl.get(field), flt.get("FieldValue")
    if field in ("StartTime", "EndTime"):
        try:
            want = float(want) if re.fullmatch(r"[\d.]+", str(want)) else datetime.fromisoformat(str(want)).replace(
                tzinfo=timezone.utc).timestamp()
        except ValueError:
            raise AwsError("InvalidInputException", f"The filter value {want!r} is not a time.") from None
    op = flt.get("FilterOperator") or "EQ"
    if have is None:
        return op == "NE"
    compare = {"EQ": lambda a, b: a == b, "NE": lambda a, b: a != b, "GT": lambda a, b: a > b,
               "GE": lambda a, b: a >= b, "LT": lambda a, b: a < b, "LE": lambda a, b: a <= b}.get(op)
    if compare is None:
        raise AwsError("InvalidInputException", f"Unknown filter operator {op!r}.")
    try:
        return compare(have, want)
    except TypeError:
        return False


RUNTIME = Runtime()


def install(registry: Registry) -> None:
    for operation, handler in (
        ("CreateCrawler", RUNTIME.create_crawler),
        ("UpdateCrawler", RUNTIME.update_crawler),
        ("DeleteCrawler", RUNTIME.delete_crawler),
        ("StartCrawler", RUNTIME.start_crawler),
        ("StopCrawler", RUNTIME.stop_crawler),
        ("GetCrawler", RUNTIME.get_crawler),
        ("GetCrawlers", RUNTIME.get_crawlers),
        ("BatchGetCrawlers", RUNTIME.batch_get_crawlers),
        ("GetCrawlerMetrics", RUNTIME.get_crawler_metrics),
        ("ListCrawls", RUNTIME.list_crawls),
    ):
        registry.register("glue", operation, handler)
