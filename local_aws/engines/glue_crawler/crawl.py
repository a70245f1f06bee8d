"""One crawl: list the targets, classify the objects, group them into tables, write the catalog.

``crawl(spec, ...)`` is what the background thread of ``StartCrawler`` runs.
It follows AWS's three steps (knowledge-center glue-crawler-detect-schema):
classify the data, group it into tables or partitions, write the metadata --
with the crawler's policies:

* ``SchemaChangePolicy.UpdateBehavior``: ``UPDATE_IN_DATABASE`` (default)
  replaces a changed table's definition; ``LOG`` only logs the change. New
  tables and partitions are created under both (AWS: "the policy does not
  affect creating new tables or partitions").
* ``SchemaChangePolicy.DeleteBehavior`` for tables (and partitions) whose data
  is gone: ``DEPRECATE_IN_DATABASE`` (default) marks the table with the
  parameter ``DEPRECATED_BY_CRAWLER`` (the time, in epoch milliseconds, as AWS sets it), ``DELETE_FROM_DATABASE`` deletes it,
  ``LOG`` only logs.
* ``RecrawlPolicy.RecrawlBehavior = CRAWL_NEW_FOLDERS_ONLY``: only folders no
  partition or table of this crawler covers yet are read; they become new
  partitions of the existing tables (or new tables); nothing is updated or
  deleted.
* ``Configuration``: ``Grouping.TableGroupingPolicy`` (``CombineCompatibleSchemas``),
  ``Grouping.TableLevelConfiguration``, ``CrawlerOutput.Tables.AddOrUpdateBehavior``
  (``MergeNewColumns``: add new columns, never drop or retype), ``CrawlerOutput.Tables.TableThreshold``
  (more tables detected than that: the crawl fails and writes nothing),
  ``CrawlerOutput.Partitions.AddOrUpdateBehavior`` (``InheritFromTable``).
* ``S3Target.Exclusions`` and ``S3Target.SampleSize`` (files read per leaf folder).

Failures that stop the crawl before anything is written -- a database that
does not exist, a target bucket that does not exist, a path that is not an
S3 path, the table threshold -- raise ``CrawlFailed`` with the message that
becomes ``LastCrawl.ErrorMessage``. An object that cannot be classified is
skipped and logged; the crawl goes on.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable

from . import catalog as cat
from .classify import FileSchema, Unclassifiable, classify
from .layout import (DataFile, TablePlan, checkpoint_roots, excluded, merged_columns, not_data, partitions_under,
                     plan_tables, split_path)
from .s3view import BucketMissing, ObjectGone, ObjectReader, ReadStats, S3Object, list_objects

UPDATE_BEHAVIORS = ("UPDATE_IN_DATABASE", "LOG")
DELETE_BEHAVIORS = ("DEPRECATE_IN_DATABASE", "DELETE_FROM_DATABASE", "LOG")
RECRAWL_BEHAVIORS = ("CRAWL_EVERYTHING", "CRAWL_NEW_FOLDERS_ONLY", "CRAWL_EVENT_MODE")
DETAIL_LINES = 50  # per kind of message; further ones are counted in a summary line
STOP_CHECK_EVERY = 64


class CrawlFailed(Exception):
    """The crawl cannot go on; the message becomes ``LastCrawl.ErrorMessage``."""


class CrawlStopped(Exception):
    """``StopCrawler`` was called."""


class InvalidConfiguration(ValueError):
    """The crawler's ``Configuration`` or policies are not valid (``InvalidInputException``)."""


@dataclass(frozen=True)
class CrawlerSpec:
    """What a crawl needs of the crawler's definition, checked."""

    name: str
    database: str | None
    targets: tuple[dict[str, Any], ...]
    other_targets: tuple[str, ...]
    table_prefix: str
    update_behavior: str
    delete_behavior: str
    recrawl: str
    combine: bool
    table_level: int | None
    merge_new_columns: bool
    inherit_partitions: bool
    table_threshold: int | None
    account: str
    region: str

    @property
    def new_folders_only(self) -> bool:
        return self.recrawl == "CRAWL_NEW_FOLDERS_ONLY"


def parse_configuration(text: str | None) -> dict[str, Any]:
    """The crawler's ``Configuration`` JSON, checked as AWS checks it; raises ``InvalidConfiguration``."""
    if not text:
        return {}
    try:
        config = json.loads(text)
    except ValueError as exc:
        raise InvalidConfiguration(f"Crawler configuration not valid: it is not JSON ({exc}).") from None
    if not isinstance(config, dict):
        raise InvalidConfiguration("Crawler configuration not valid: it must be a JSON object.")
    grouping = config.get("Grouping") or {}
    output = config.get("CrawlerOutput") or {}
    if not isinstance(grouping, dict) or not isinstance(output, dict):
        raise InvalidConfiguration("Crawler configuration not valid: Grouping and CrawlerOutput must be objects.")
    policy = grouping.get("TableGroupingPolicy")
    if policy is not None and policy != "CombineCompatibleSchemas":
        raise InvalidConfiguration(f"Crawler configuration not valid: TableGroupingPolicy {policy!r} is not "
                                   "CombineCompatibleSchemas.")
    level = grouping.get("TableLevelConfiguration")
    if level is not None and (not isinstance(level, int) or isinstance(level, bool) or level < 1):
        raise InvalidConfiguration("Crawler configuration not valid: TableLevelConfiguration must be a positive integer.")
    tables = output.get("Tables") or {}
    partitions = output.get("Partitions") or {}
    if tables.get("AddOrUpdateBehavior") not in (None, "MergeNewColumns"):
        raise InvalidConfiguration("Crawler configuration not valid: CrawlerOutput.Tables.AddOrUpdateBehavior must be "
                                   "MergeNewColumns.")
    threshold = tables.get("TableThreshold")
    if threshold is not None and (not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 1):
        raise InvalidConfiguration("Crawler configuration not valid: TableThreshold must be an integer greater than 0.")
    if partitions.get("AddOrUpdateBehavior") not in (None, "InheritFromTable"):
        raise InvalidConfiguration("Crawler configuration not valid: CrawlerOutput.Partitions.AddOrUpdateBehavior must be "
                                   "InheritFromTable.")
    return config


def check_policies(schema_change: dict[str, Any] | None, recrawl: dict[str, Any] | None) -> None:
    """AWS's rules for the policies (``InvalidInputException`` on create/update)."""
    schema_change, recrawl = schema_change or {}, recrawl or {}
    update = schema_change.get("UpdateBehavior")
    delete = schema_change.get("DeleteBehavior")
    behavior = recrawl.get("RecrawlBehavior")
    if update is not None and update not in UPDATE_BEHAVIORS:
        raise InvalidConfiguration(f"UpdateBehavior {update!r} is not one of {', '.join(UPDATE_BEHAVIORS)}.")
    if delete is not None and delete not in DELETE_BEHAVIORS:
        raise InvalidConfiguration(f"DeleteBehavior {delete!r} is not one of {', '.join(DELETE_BEHAVIORS)}.")
    if behavior is not None and behavior not in RECRAWL_BEHAVIORS:
        raise InvalidConfiguration(f"RecrawlBehavior {behavior!r} is not one of {', '.join(RECRAWL_BEHAVIORS)}.")
    if behavior == "CRAWL_NEW_FOLDERS_ONLY" and (update != "LOG" or delete != "LOG"):
        raise InvalidConfiguration("The SchemaChangePolicy for a crawler that crawls new folders only must have "
                                   "UpdateBehavior LOG and DeleteBehavior LOG.")


def spec_of(crawler: Any, account: str, region: str) -> CrawlerSpec:
    """The spec of moto's crawler object; raises ``CrawlFailed`` for a definition that cannot run."""
    try:
        config = parse_configuration(crawler.configuration)
    except InvalidConfiguration as exc:
        raise CrawlFailed(str(exc)) from None
    targets = crawler.targets or {}
    s3_targets = tuple(t for t in targets.get("S3Targets") or [] if isinstance(t, dict))
    others = tuple(kind for kind, items in targets.items() if kind != "S3Targets" and items)
    policy = crawler.schema_change_policy or {}
    recrawl = (crawler.recrawl_policy or {}).get("RecrawlBehavior") or "CRAWL_EVERYTHING"
    grouping = config.get("Grouping") or {}
    output = config.get("CrawlerOutput") or {}
    return CrawlerSpec(
        name=crawler.name,
        database=crawler.database_name,
        targets=s3_targets,
        other_targets=others,
        table_prefix=crawler.table_prefix or "",
        update_behavior=policy.get("UpdateBehavior") or "UPDATE_IN_DATABASE",
        delete_behavior=policy.get("DeleteBehavior") or "DEPRECATE_IN_DATABASE",
        recrawl=recrawl,
        combine=grouping.get("TableGroupingPolicy") == "CombineCompatibleSchemas",
        table_level=grouping.get("TableLevelConfiguration"),
        merge_new_columns=(output.get("Tables") or {}).get("AddOrUpdateBehavior") == "MergeNewColumns",
        inherit_partitions=(output.get("Partitions") or {}).get("AddOrUpdateBehavior") == "InheritFromTable",
        table_threshold=(output.get("Tables") or {}).get("TableThreshold"),
        account=account,
        region=region,
    )


@dataclass
class Outcome:
    tables_created: int = 0
    tables_updated: int = 0
    tables_deleted: int = 0
    partitions_created: int = 0
    partitions_updated: int = 0
    partitions_deleted: int = 0
    objects_listed: int = 0
    objects_classified: int = 0
    objects_skipped: int = 0
    bytes_total: int = 0

    def summary(self) -> str:
        """``CrawlerHistory.Summary``: what the crawl changed, as JSON."""
        def counts(add: int, update: int, delete: int) -> dict[str, dict[str, int]]:
            return {k: {"Count": v} for k, v in (("ADD", add), ("UPDATE", update), ("DELETE", delete)) if v}

        summary = {}
        tables = counts(self.tables_created, self.tables_updated, self.tables_deleted)
        partitions = counts(self.partitions_created, self.partitions_updated, self.partitions_deleted)
        if tables:
            summary["TABLE"] = tables
        if partitions:
            summary["PARTITION"] = partitions
        return json.dumps(summary, separators=(",", ":"))


class CrawlLog:
    """The crawl's log lines, AWS-style (``[<crawl id>] LEVEL : message``), shipped by ``sink``."""

    FLUSH_SECONDS = 2.0

    def __init__(self, prefix: str, sink: Callable[[list[tuple[int, str]]], None] | None = None):
        self.prefix = prefix
        self.sink = sink
        self.pending: list[tuple[int, str]] = []
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()
        self.last_flush = time.monotonic()

    def line(self, level: str, message: str) -> None:
        text = f"[{self.prefix}] {level} : {message}"
        with self.lock:
            self.pending.append((int(time.time() * 1000), text))
            if len(self.pending) >= 500 or time.monotonic() - self.last_flush > self.FLUSH_SECONDS:
                self._flush()

    def info(self, message: str) -> None:
        self.line("INFO", message)

    def warn(self, message: str) -> None:
        self.line("WARN", message)

    def error(self, message: str) -> None:
        self.line("ERROR", message)

    def benchmark(self, message: str) -> None:
        self.line("BENCHMARK", message)

    def capped(self, kind: str, level: str, message: str) -> None:
        """A per-object message: the first ``DETAIL_LINES`` of a kind in full, then only counted."""
        n = self.counts[kind] = self.counts.get(kind, 0) + 1
        if n <= DETAIL_LINES:
            self.line(level, message)

    def close_capped(self, kind: str, level: str, what: str) -> None:
        n = self.counts.get(kind, 0)
        if n > DETAIL_LINES:
            self.line(level, f"... and {n - DETAIL_LINES} more {what} (not listed one by one)")

    def flush(self) -> None:
        with self.lock:
            self._flush()

    def _flush(self) -> None:
        self.last_flush = time.monotonic()
        batch, self.pending = self.pending, []
        if batch and self.sink is not None:
            try:
                self.sink(batch)
            except Exception:  # logs are best effort: the crawl's result must not depend on them
                pass


class SchemaCache:
    """File schemas by (bucket, key, ETag, size): a re-crawl reads only changed objects."""

    def __init__(self, capacity: int = 500_000):
        self.capacity = capacity
        self.items: OrderedDict[tuple, FileSchema | str] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, obj: S3Object) -> FileSchema | str | None:
        with self.lock:
            return self.items.get((obj.bucket, obj.key, obj.etag, obj.size))

    def put(self, obj: S3Object, value: FileSchema | str) -> None:
        with self.lock:
            self.items[(obj.bucket, obj.key, obj.etag, obj.size)] = value
            while len(self.items) > self.capacity:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


def _hash(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()[:8]


def _folder_of(uri: str) -> str:
    return uri.rsplit("/", 1)[0] + "/"


def crawl(spec: CrawlerSpec, log: CrawlLog, writer: Any, stop: threading.Event, stats: ReadStats,
          cache: SchemaCache | None = None, out: Outcome | None = None) -> Outcome:
    """Run one crawl to its end; raises ``CrawlFailed`` or ``CrawlStopped``.

    ``out`` (filled as the crawl goes) keeps the counts of what was done even when the crawl stops or fails midway.
    """
    out = out if out is not None else Outcome()
    log.info(f"Crawler configured with SchemaChangePolicy {{\"UpdateBehavior\":\"{spec.update_behavior}\","
             f"\"DeleteBehavior\":\"{spec.delete_behavior}\"}} and RecrawlPolicy {spec.recrawl}.")
    if spec.other_targets:
        log.warn(f"Only S3 targets are crawled on the local endpoint; ignored: {', '.join(spec.other_targets)}.")
    if not spec.database:
        raise CrawlFailed("The crawler has no DatabaseName: there is no database to write tables to.")
    existing = cat.read_database(spec.account, spec.region, spec.database)
    if existing is None:
        raise CrawlFailed(f"Database {spec.database} not found: create it (glue create-database) before running "
                          f"crawler {spec.name}.")
    if not spec.targets:
        raise CrawlFailed("The crawler has no S3 targets: nothing to crawl.")

    # 1. list every target first: a missing bucket fails the crawl before anything is written
    listed: list[tuple[dict[str, Any], str, str, list[S3Object]]] = []
    for target in spec.targets:
        path = target.get("Path") or ""
        try:
            bucket, prefix = split_path(path)
        except ValueError:
            raise CrawlFailed(f"The S3 target {path!r} is not an s3://bucket/prefix path.") from None
        try:
            objects = list_objects(spec.account, spec.region, bucket, prefix)
        except BucketMissing:
            raise CrawlFailed(f"The S3 target {path} cannot be crawled: the bucket {bucket} does not exist.") from None
        listed.append((target, bucket, prefix, objects))
        out.objects_listed += len(objects)

    ours = {name: t for name, t in existing.items()
            if (t.get("Parameters") or {}).get("UPDATED_BY_CRAWLER") == spec.name}
    seen_locations: set[str] = set()
    if spec.new_folders_only:
        for t in ours.values():
            partitions = t.get("_partitions") or {}
            if partitions:
                seen_locations |= {(p.get("StorageDescriptor") or {}).get("Location", "") for p in partitions.values()}
            else:
                seen_locations.add((t.get("StorageDescriptor") or {}).get("Location", ""))

    # 2. classify the data objects
    plans: list[TablePlan] = []
    new_only_tables: dict[str, TablePlan] = {}
    for target, bucket, prefix, objects in listed:
        base = f"s3://{bucket}/{prefix}"
        files = _classify_target(spec, target, bucket, prefix, objects, seen_locations, log, stop, stats, cache, out)
        if not files:
            if spec.new_folders_only:
                log.info(f"No new folders to crawl under {base}.")
            else:
                log.warn(f"No data found to crawl under {base}.")
        notes: list[str] = []
        if spec.new_folders_only and files:
            files = _attach_to_existing(files, bucket, prefix, ours, new_only_tables, notes)
        target_plans, grouping_notes = plan_tables(bucket, prefix, files, spec.combine, spec.table_level)
        notes += grouping_notes
        for note in notes:
            log.capped("grouping", "INFO", note)
        plans += target_plans
    log.close_capped("grouping", "INFO", "grouping notes")

    # 3. names, threshold, then the writes
    detected = len(plans) + len(new_only_tables)
    if spec.table_threshold is not None and detected > spec.table_threshold:
        raise CrawlFailed(f"The number of tables detected by crawler {spec.name} ({detected}) is greater than its "
                          f"TableThreshold ({spec.table_threshold}); nothing was written to the Data Catalog.")
    _check_stop(stop)
    log.benchmark(f"Classification complete, writing results to database {spec.database}")
    names = _assign_names(spec, plans, existing, ours)
    for plan in sorted(plans, key=lambda p: names[id(p)]):
        _check_stop(stop)
        _write_table(spec, plan, names[id(plan)], ours.get(names[id(plan)]), writer, log, out, new_only=False)
    for name, plan in sorted(new_only_tables.items()):
        _check_stop(stop)
        _write_table(spec, plan, name, ours[name], writer, log, out, new_only=True)
    if not spec.new_folders_only:
        _retire_tables(spec, listed, plans, names, ours, writer, log, out)
    log.benchmark("Finished writing to Catalog")
    return out


def _check_stop(stop: threading.Event) -> None:
    if stop.is_set():
        raise CrawlStopped()


def _classify_target(spec: CrawlerSpec, target: dict[str, Any], bucket: str, prefix: str, objects: list[S3Object],
                     seen_locations: set[str], log: CrawlLog, stop: threading.Event, stats: ReadStats,
                     cache: SchemaCache | None, out: Outcome) -> list[DataFile]:
    exclusions = [p for p in target.get("Exclusions") or [] if isinstance(p, str) and p.strip()]
    sample_size = target.get("SampleSize")
    relative = [o.key[len(prefix):] for o in objects]
    checkpoints = checkpoint_roots(relative)
    excluded_count = 0
    not_data_by_reason: dict[str, list[str]] = {}
    candidates: list[tuple[S3Object, str]] = []
    for obj, rel in zip(objects, relative):
        out.bytes_total += obj.size
        if excluded(rel, exclusions):
            excluded_count += 1
            continue
        reason = not_data(rel, obj.size)
        if reason is None and checkpoints:
            folder = rel.rsplit("/", 1)[0] if "/" in rel else ""
            if any(folder == c or folder.startswith(c + "/") for c in checkpoints):
                reason = "part of a Spark streaming checkpoint"
        if reason is not None:
            out.objects_skipped += 1
            not_data_by_reason.setdefault(reason, []).append(obj.uri)
            continue
        if seen_locations and (_folder_of(obj.uri) in seen_locations or obj.uri in seen_locations):
            continue  # CRAWL_NEW_FOLDERS_ONLY: this folder was crawled before
        candidates.append((obj, rel))
    for reason, uris in sorted(not_data_by_reason.items()):
        if reason != "a folder marker":
            log.info(f"Skipped {len(uris)} object(s) that are not data ({reason}), e.g. {uris[0]}.")
    if excluded_count:
        log.info(f"{excluded_count} object(s) under s3://{bucket}/{prefix} match the exclude patterns and were not crawled.")

    sampled_per_folder: dict[str, list[FileSchema]] = {}
    files: list[DataFile] = []
    for n, (obj, rel) in enumerate(candidates):
        if n % STOP_CHECK_EVERY == 0:
            _check_stop(stop)
        folder = _folder_of(obj.uri)
        if isinstance(sample_size, int) and sample_size > 0 and len(sampled_per_folder.get(folder, [])) >= sample_size:
            first = sampled_per_folder[folder][0]
            per_byte = sum(s.records for s in sampled_per_folder[folder]) / max(1, _sampled_bytes(files, folder))
            schema: FileSchema | str | None = dataclasses.replace(first, records=round(per_byte * obj.size), warnings=())
        else:
            schema = cache.get(obj) if cache is not None else None
            if schema is None:
                try:
                    schema = classify(ObjectReader(spec.account, spec.region, obj, stats))
                except Unclassifiable as exc:
                    schema = str(exc)
                except ObjectGone:
                    log.capped("skipped", "WARN", f"Skipped {obj.uri}: it was deleted while the crawler read it.")
                    out.objects_skipped += 1
                    continue
                if cache is not None:
                    cache.put(obj, schema)
            if isinstance(schema, FileSchema):
                sampled_per_folder.setdefault(folder, []).append(schema)
        if isinstance(schema, str):
            out.objects_skipped += 1
            log.capped("skipped", "WARN", f"Skipped {obj.uri}: {schema}.")
            continue
        for warning in schema.warnings:
            log.capped("warnings", "WARN", f"{obj.uri}: {warning}.")
        out.objects_classified += 1
        folders = tuple(rel.split("/")[:-1])
        files.append(DataFile(obj, folders, schema))
    log.close_capped("skipped", "WARN", "objects skipped")
    log.close_capped("warnings", "WARN", "warnings")
    return files


def _sampled_bytes(files: list[DataFile], folder: str) -> int:
    return sum(f.obj.size for f in files if _folder_of(f.obj.uri) == folder)


def _attach_to_existing(files: list[DataFile], bucket: str, prefix: str, ours: dict[str, dict],
                        new_only_tables: dict[str, TablePlan], notes: list[str]) -> list[DataFile]:
    """New folders below an existing table of this crawler become its new partitions; the rest is returned."""
    roots = sorted(((t["StorageDescriptor"]["Location"], name) for name, t in ours.items()
                    if (t.get("StorageDescriptor") or {}).get("Location", "").endswith("/")), key=lambda r: -len(r[0]))
    rest: list[DataFile] = []
    claimed: dict[str, list[tuple[DataFile, tuple[str, ...]]]] = {}
    for f in files:
        uri = f.obj.uri
        for location, name in roots:
            if uri.startswith(location):
                below = uri[len(location):].split("/")[:-1]
                claimed.setdefault(name, []).append((f, tuple(below)))
                break
        else:
            rest.append(f)
    for name, members in claimed.items():
        table = ours[name]
        keys = [k["Name"] for k in table.get("PartitionKeys") or []]
        location = table["StorageDescriptor"]["Location"]
        partitions = partitions_under(location, keys, members, notes)
        if not partitions:
            continue
        data = [f for p in partitions for f in p.files]
        plan = TablePlan(name, location, data, data[0].schema.signature, merged_columns(data), keys, partitions)
        if name in new_only_tables:
            new_only_tables[name].partitions += partitions
            new_only_tables[name].files += data
        else:
            new_only_tables[name] = plan
    return rest


def _assign_names(spec: CrawlerSpec, plans: list[TablePlan], existing: dict[str, dict], ours: dict[str, dict]
                  ) -> dict[int, str]:
    """Table names: an existing table of this crawler at the same location keeps its name; a clash gets a hash suffix."""
    by_location = {(t.get("StorageDescriptor") or {}).get("Location"): name for name, t in ours.items()}
    names: dict[int, str] = {}
    used: set[str] = set()
    for plan in plans:
        if plan.location in by_location:
            names[id(plan)] = by_location[plan.location]
            used.add(by_location[plan.location])
    for plan in sorted(plans, key=lambda p: p.location):
        if id(plan) in names:
            continue
        name = (spec.table_prefix + plan.base_name)[:255]
        if name in existing or name in used:
            name = f"{name[:246]}_{_hash(plan.location)}"
        names[id(plan)] = name
        used.add(name)
    return names


def _write_table(spec: CrawlerSpec, plan: TablePlan, name: str, current: dict[str, Any] | None, writer: Any,
                 log: CrawlLog, out: Outcome, new_only: bool) -> None:
    db = spec.database
    wanted = cat.table_input(name, plan, spec.name, log.prefix)
    for warning in plan.warnings:
        log.warn(f"Table {name}: {warning}.")
    if current is None:
        writer.create_table(db, wanted)
        out.tables_created += 1
        log.info(f"Created table {name} in database {db} ({plan.classification}, {len(plan.columns)} columns"
                 + (f", partition keys {', '.join(plan.partition_keys)}" if plan.partition_keys else "") + ").")
        table_columns = wanted["StorageDescriptor"]["Columns"]
        current_partitions: dict[tuple, dict] = {}
    else:
        table_columns = (current.get("StorageDescriptor") or {}).get("Columns") or []
        current_partitions = current.get("_partitions") or {}
        if not new_only:
            if spec.merge_new_columns:
                wanted = _merge_new_columns(current, wanted)
            changes = cat.differences(current, wanted)
            schema_changes = [c for c in changes if c != "statistics"]
            if changes and spec.update_behavior == "UPDATE_IN_DATABASE":
                writer.update_table(db, wanted)
                out.tables_updated += 1
                table_columns = wanted["StorageDescriptor"]["Columns"]
                if schema_changes:
                    log.info(f"Table {name} in database {db} updated: {'; '.join(schema_changes)}.")
            elif schema_changes:
                log.warn(f"Table {name} in database {db} has a changed schema ({'; '.join(schema_changes)}); "
                         "not updated because the crawler's SchemaChangePolicy.UpdateBehavior is LOG.")
        else:
            wanted_columns = {c["Name"] for c in wanted["StorageDescriptor"]["Columns"]}
            new_columns = sorted(wanted_columns - {c["Name"] for c in table_columns})
            if new_columns:
                log.warn(f"New folders of table {name} have columns the table lacks ({', '.join(new_columns)}); "
                         "the table is not updated when the crawler crawls new folders only.")

    inherit = table_columns if spec.inherit_partitions else None
    creates, updates = [], []
    for partition in plan.partitions:
        wanted_partition = cat.partition_input(plan, partition, spec.name, inherit)
        have = current_partitions.get(partition.values)
        if have is None:
            creates.append(wanted_partition)
        elif not new_only and (spec.update_behavior == "UPDATE_IN_DATABASE" or spec.inherit_partitions):
            if cat.differences(have, wanted_partition):
                updates.append({"PartitionValueList": list(partition.values), "PartitionInput": wanted_partition})
    if creates:
        errors = writer.create_partitions(db, name, creates)
        out.partitions_created += len(creates) - len(errors)
        shown = ", ".join("[" + ", ".join(c["Values"]) + "]" for c in creates[:5])
        more = f" and {len(creates) - 5} more" if len(creates) > 5 else ""
        log.info(f"Created {len(creates) - len(errors)} partition(s) of table {name}: {shown}{more}.")
        for error in errors[:DETAIL_LINES]:
            log.error(f"Partition {error.get('PartitionValues')} of table {name} not created: "
                      f"{(error.get('ErrorDetail') or {}).get('ErrorMessage')}")
    if updates:
        errors = writer.update_partitions(db, name, updates)
        out.partitions_updated += len(updates) - len(errors)
        log.info(f"Updated {len(updates) - len(errors)} partition(s) of table {name}.")
    if not new_only and current is not None:
        planned = {p.values for p in plan.partitions}
        gone = [list(values) for values in current_partitions if values not in planned]
        if gone:
            if spec.delete_behavior == "DELETE_FROM_DATABASE":
                errors = writer.delete_partitions(db, name, gone)
                out.partitions_deleted += len(gone) - len(errors)
                log.info(f"Deleted {len(gone) - len(errors)} partition(s) of table {name} whose data is gone.")
            else:
                log.warn(f"{len(gone)} partition(s) of table {name} have no data any more; kept because the "
                         f"DeleteBehavior is {spec.delete_behavior}.")


def _merge_new_columns(current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """``MergeNewColumns``: the current definition, plus new columns and fresh statistics; nothing removed or retyped."""
    merged = cat.as_input(current)
    merged = copy.deepcopy(merged)
    columns = list((merged.get("StorageDescriptor") or {}).get("Columns") or [])
    have = {c["Name"] for c in columns}
    columns += [c for c in wanted["StorageDescriptor"]["Columns"] if c["Name"] not in have]
    merged.setdefault("StorageDescriptor", {})["Columns"] = columns
    params = dict(merged.get("Parameters") or {})
    params.update({k: v for k, v in wanted["Parameters"].items() if k in cat.STATISTICS or k == "UPDATED_BY_CRAWLER"})
    params = {k: v for k, v in params.items() if not k.startswith("DEPRECATED")}
    merged["Parameters"] = params
    return merged


def _retire_tables(spec: CrawlerSpec, listed: list, plans: list[TablePlan], names: dict[int, str],
                   ours: dict[str, dict], writer: Any, log: CrawlLog, out: Outcome) -> None:
    """Tables of this crawler under its targets whose data is gone: DeleteBehavior."""
    kept = {names[id(p)] for p in plans}
    bases = [f"s3://{bucket}/{prefix}" for _, bucket, prefix, _ in listed]
    for name, table in sorted(ours.items()):
        location = (table.get("StorageDescriptor") or {}).get("Location") or ""
        if name in kept or not any(location.startswith(base) for base in bases):
            continue
        if spec.delete_behavior == "DELETE_FROM_DATABASE":
            writer.delete_table(spec.database, name)
            out.tables_deleted += 1
            log.info(f"Deleted table {name} from database {spec.database}: no data is left at {location}.")
        elif spec.delete_behavior == "DEPRECATE_IN_DATABASE":
            params = table.get("Parameters") or {}
            if "DEPRECATED_BY_CRAWLER" in params:
                continue
            update = cat.as_input(table)
            update["Parameters"] = {**params, "DEPRECATED_BY_CRAWLER": str(int(time.time() * 1000))}
            writer.update_table(spec.database, update)
            log.warn(f"Table {name} in database {spec.database} marked deprecated (DEPRECATED_BY_CRAWLER): no data is "
                     f"left at {location}.")
        else:
            log.warn(f"Table {name} has no data left at {location}; kept because the DeleteBehavior is LOG.")
