"""Glue Data Catalog helpers: the database, the crawler, a crawl and what it found.

Plain boto3, identical on AWS and on the local endpoint (where ``StartCrawler``
really crawls S3). Copy any function as it is: each takes an optional boto3
client and otherwise makes one from the environment with the kit's retries.

* ``ensure_database`` / ``ensure_crawler`` -- create, or bring to exactly this
  definition; safe to run again.
* ``run_crawler`` -- start a crawl (or join the one running), wait for it, and
  return what it did (``GetCrawlerMetrics`` plus the last crawl's status).
* ``tables`` / ``columns`` / ``partitions`` -- the catalog as pandas DataFrames,
  every page read.
* ``crawler_log`` -- the crawl's lines from CloudWatch Logs (``/aws-glue/crawlers``).
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import boto3
from botocore.exceptions import ClientError

from .config import RETRY_CONFIG
from .errors import KitError

LOG_GROUP = "/aws-glue/crawlers"
UPDATE_BEHAVIORS = ("UPDATE_IN_DATABASE", "LOG")
DELETE_BEHAVIORS = ("DEPRECATE_IN_DATABASE", "DELETE_FROM_DATABASE", "LOG")
RECRAWL_BEHAVIORS = ("CRAWL_EVERYTHING", "CRAWL_NEW_FOLDERS_ONLY")
_NAME = re.compile(r"^[a-z0-9_]{1,255}$")


def _glue(glue=None):
    return glue or boto3.client("glue", config=RETRY_CONFIG)


def _code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


# --- the database ----------------------------------------------------------------------------


def ensure_database(name: str, description: str = "", tags: dict[str, str] | None = None, glue=None,
                    verbose: bool = True) -> dict[str, Any]:
    """Create the catalog database unless it exists; return it. Idempotent.

    ``tags`` are set when it is created (a teardown finds the database by them).

    Athena and the crawler want lowercase names of letters, digits and ``_``
    (a hyphen in a database name needs quoting in every query), so other
    names are refused here with a suggestion.
    """
    if not _NAME.match(name or ""):
        suggestion = re.sub(r"[^a-z0-9_]", "_", (name or "").lower())
        raise KitError(f"{name!r} is not a good catalog database name: use lowercase letters, digits and '_' "
                       f"(for example {suggestion!r}).")
    glue = _glue(glue)
    try:
        database = glue.get_database(Name=name)["Database"]
        if verbose:
            print(f"Database {name} already exists")
        return database
    except ClientError as exc:
        if _code(exc) != "EntityNotFoundException":
            raise
    try:
        glue.create_database(DatabaseInput={"Name": name, "Description": description},
                             **({"Tags": dict(tags)} if tags else {}))
    except ClientError as exc:
        if _code(exc) != "AlreadyExistsException":  # created meanwhile by someone else: fine
            raise
    if verbose:
        print(f"Created database {name}")
    return glue.get_database(Name=name)["Database"]


# --- the crawler ----------------------------------------------------------------------------


def crawler_policy(bucket: str, prefixes: list[str], database: str, account: str, region: str) -> dict[str, Any]:
    """The least-privilege inline policy of a crawler's role: read the crawled prefixes, write one database, log.

    Use it with ``helpers.iam.ensure_role(name, helpers.iam.GLUE_TRUST_POLICY, crawler_policy(...))``
    (AWS's managed ``AWSGlueServiceRole`` policy would also do, but grants far more).
    """
    catalog = f"arn:aws:glue:{region}:{account}"
    prefixes = [p.strip("/") + "/" for p in prefixes]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ListTheCrawledPrefixes", "Effect": "Allow", "Action": "s3:ListBucket",
             "Resource": f"arn:aws:s3:::{bucket}",
             "Condition": {"StringLike": {"s3:prefix": [p + "*" for p in prefixes] + [p.rstrip("/") for p in prefixes]}}},
            {"Sid": "ReadTheCrawledObjects", "Effect": "Allow", "Action": "s3:GetObject",
             "Resource": [f"arn:aws:s3:::{bucket}/{p}*" for p in prefixes]},
            {"Sid": "WriteTheCatalogDatabase", "Effect": "Allow",
             "Action": ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:CreateTable", "glue:UpdateTable",
                        "glue:DeleteTable", "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition",
                        "glue:CreatePartition", "glue:BatchCreatePartition", "glue:UpdatePartition",
                        "glue:BatchUpdatePartition", "glue:DeletePartition", "glue:BatchDeletePartition"],
             "Resource": [f"{catalog}:catalog", f"{catalog}:database/{database}", f"{catalog}:table/{database}/*"]},
            {"Sid": "WriteCrawlerLogs", "Effect": "Allow",
             "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": f"arn:aws:logs:{region}:{account}:log-group:/aws-glue/crawlers*"},
        ],
    }


def s3_targets(paths: list[str | dict[str, Any]], exclusions: list[str] | None = None) -> list[dict[str, Any]]:
    """``S3Targets`` from ``s3://`` paths (or ready target dicts); ``exclusions`` apply to every path."""
    targets = []
    for path in paths:
        target = dict(path) if isinstance(path, dict) else {"Path": path}
        if not str(target.get("Path", "")).startswith("s3://"):
            raise KitError(f"Crawler target {target.get('Path')!r} is not an s3:// path.")
        if exclusions and "Exclusions" not in target:
            target["Exclusions"] = list(exclusions)
        targets.append(target)
    if not targets:
        raise KitError("A crawler needs at least one S3 path to crawl.")
    return targets


def ensure_crawler(
    name: str,
    role_arn: str,
    database: str,
    paths: list[str | dict[str, Any]],
    exclusions: list[str] | None = None,
    table_prefix: str = "",
    update_behavior: str = "UPDATE_IN_DATABASE",
    delete_behavior: str = "DEPRECATE_IN_DATABASE",
    recrawl_behavior: str = "CRAWL_EVERYTHING",
    configuration: dict[str, Any] | None = None,
    schedule: str | None = None,
    description: str = "",
    tags: dict[str, str] | None = None,
    glue=None,
    verbose: bool = True,
    wait_timeout: float = 900,
) -> dict[str, Any]:
    """Create the crawler, or update it to exactly this definition. Idempotent.

    ``paths`` are the include paths (``s3://bucket/prefix/``); ``exclusions``
    glob patterns relative to each (``**/_SUCCESS``, ``metrics/**``).
    ``update_behavior`` / ``delete_behavior`` are the ``SchemaChangePolicy``;
    ``recrawl_behavior="CRAWL_NEW_FOLDERS_ONLY"`` needs both set to ``"LOG"``
    (AWS's rule). ``configuration`` is the crawler's ``Configuration`` as a
    dict (e.g. ``{"Version": 1.0, "Grouping": {"TableGroupingPolicy":
    "CombineCompatibleSchemas"}}``). ``schedule`` is a cron expression such as
    ``"cron(0 * * * ? *)"`` -- on AWS each scheduled run is billed.

    A crawler cannot be updated while it runs: this waits (up to
    ``wait_timeout`` seconds) for a running crawl to finish first.
    """
    if update_behavior not in UPDATE_BEHAVIORS:
        raise KitError(f"update_behavior={update_behavior!r}: use one of {', '.join(UPDATE_BEHAVIORS)}.")
    if delete_behavior not in DELETE_BEHAVIORS:
        raise KitError(f"delete_behavior={delete_behavior!r}: use one of {', '.join(DELETE_BEHAVIORS)}.")
    if recrawl_behavior not in RECRAWL_BEHAVIORS:
        raise KitError(f"recrawl_behavior={recrawl_behavior!r}: use one of {', '.join(RECRAWL_BEHAVIORS)}.")
    if recrawl_behavior == "CRAWL_NEW_FOLDERS_ONLY" and (update_behavior, delete_behavior) != ("LOG", "LOG"):
        raise KitError("A crawler that crawls new folders only must log schema changes and deletions: "
                       "pass update_behavior='LOG' and delete_behavior='LOG'.")
    glue = _glue(glue)
    definition: dict[str, Any] = {
        "Role": role_arn,
        "DatabaseName": database,
        "Description": description,
        "Targets": {"S3Targets": s3_targets(paths, exclusions)},
        "TablePrefix": table_prefix,
        "SchemaChangePolicy": {"UpdateBehavior": update_behavior, "DeleteBehavior": delete_behavior},
        "RecrawlPolicy": {"RecrawlBehavior": recrawl_behavior},
        "Configuration": json.dumps(configuration or {"Version": 1.0}, sort_keys=True),
    }
    if schedule:
        definition["Schedule"] = schedule
    existing = crawler_info(name, glue)
    if existing is None:
        try:
            glue.create_crawler(Name=name, Tags=dict(tags or {}), **definition)
            action = "Created"
        except ClientError as exc:
            if _code(exc) == "InvalidInputException":
                raise KitError(f"Crawler {name} was refused: {exc.response['Error'].get('Message')}") from None
            if _code(exc) != "AlreadyExistsException":
                raise
            existing = crawler_info(name, glue)
    if existing is not None:
        if _same_definition(existing, definition):
            action = "Crawler already up to date:"
        else:
            if existing.get("State") != "READY":
                if verbose:
                    print(f"Crawler {name} is {existing.get('State')}; waiting for it before updating it")
                wait_for_crawler(name, timeout=wait_timeout, glue=glue, since=None)
            if not schedule and existing.get("Schedule"):
                definition["Schedule"] = ""  # an empty expression removes the schedule
            try:
                glue.update_crawler(Name=name, **definition)
            except ClientError as exc:
                if _code(exc) == "InvalidInputException":
                    raise KitError(f"Crawler {name} could not be updated: {exc.response['Error'].get('Message')}") from None
                raise
            action = "Updated"
    if verbose:
        targets = ", ".join(t["Path"] for t in definition["Targets"]["S3Targets"])
        print(f"{action} crawler {name} -> database {database} ({targets})")
    return crawler_info(name, glue) or {}


def _same_definition(current: dict[str, Any], wanted: dict[str, Any]) -> bool:
    def norm_targets(targets: dict[str, Any]) -> list:
        return sorted(json.dumps({k: v for k, v in t.items() if v not in (None, [], "")}, sort_keys=True)
                      for t in (targets or {}).get("S3Targets") or [])

    def norm_config(text: str | None) -> Any:
        try:
            return json.loads(text or "{}")
        except ValueError:
            return text

    schedule = (current.get("Schedule") or {}).get("ScheduleExpression") or ""
    return (
        current.get("Role") == wanted["Role"]
        and current.get("DatabaseName") == wanted["DatabaseName"]
        and (current.get("Description") or "") == wanted["Description"]
        and (current.get("TablePrefix") or "") == wanted["TablePrefix"]
        and norm_targets(current.get("Targets")) == norm_targets(wanted["Targets"])
        and current.get("SchemaChangePolicy") == wanted["SchemaChangePolicy"]
        and (current.get("RecrawlPolicy") or {"RecrawlBehavior": "CRAWL_EVERYTHING"}) == wanted["RecrawlPolicy"]
        and norm_config(current.get("Configuration")) == norm_config(wanted["Configuration"])
        and schedule == (wanted.get("Schedule") or "")
    )


def crawler_info(name: str, glue=None) -> dict[str, Any] | None:
    """``GetCrawler`` of the crawler, or None if it does not exist."""
    try:
        return _glue(glue).get_crawler(Name=name)["Crawler"]
    except ClientError as exc:
        if _code(exc) == "EntityNotFoundException":
            return None
        raise


def start_crawler(name: str, glue=None) -> str | None:
    """Start a crawl; if one is already running, join it instead of failing.

    Returns the ``MessagePrefix`` of the crawl that was last *finished* before
    this one (None if there was none): ``wait_for_crawler(since=...)`` uses it
    to tell this crawl's result from the previous one's.
    """
    glue = _glue(glue)
    crawler = crawler_info(name, glue)
    if crawler is None:
        raise KitError(f"Crawler {name} does not exist; create it with ensure_crawler().")
    previous = (crawler.get("LastCrawl") or {}).get("MessagePrefix")
    try:
        glue.start_crawler(Name=name)
    except ClientError as exc:
        if _code(exc) != "CrawlerRunningException":
            raise
        print(f"Crawler {name} is already running; waiting for that crawl")
    return previous


def wait_for_crawler(name: str, timeout: float = 900, poll: float = 2.0, glue=None,
                     since: str | None = "", raise_on_failure: bool = True) -> dict[str, Any]:
    """Poll ``GetCrawler`` until the crawler is READY with a finished crawl; return the crawler.

    ``since`` is what ``start_crawler`` returned: a crawl other than that one
    must have finished (pass None to wait only for READY). A FAILED crawl
    raises ``KitError`` with its error message unless ``raise_on_failure`` is False.
    """
    glue = _glue(glue)
    deadline = time.monotonic() + timeout
    while True:
        crawler = crawler_info(name, glue)
        if crawler is None:
            raise KitError(f"Crawler {name} does not exist.")
        last = crawler.get("LastCrawl") or {}
        finished = crawler.get("State") == "READY" and (since is None or (last and last.get("MessagePrefix") != since))
        if finished:
            if raise_on_failure and last.get("Status") == "FAILED":
                raise KitError(f"Crawler {name} failed: {last.get('ErrorMessage') or 'no error message'} "
                               f"(log: {LOG_GROUP}, stream {name})")
            return crawler
        if time.monotonic() > deadline:
            raise KitError(f"Crawler {name} is still {crawler.get('State')} after {timeout:.0f} s.")
        time.sleep(poll)


def crawler_metrics(name: str, glue=None) -> dict[str, Any]:
    """``GetCrawlerMetrics`` of one crawler (runtimes, tables created/updated/deleted)."""
    found = _glue(glue).get_crawler_metrics(CrawlerNameList=[name])["CrawlerMetricsList"]
    if not found:
        raise KitError(f"Crawler {name} does not exist.")
    return found[0]


def run_crawler(name: str, timeout: float = 900, poll: float = 2.0, glue=None, verbose: bool = True) -> dict[str, Any]:
    """Run the crawler and wait for it; return its metrics plus the crawl's status.

    The result holds ``TablesCreated``, ``TablesUpdated``, ``TablesDeleted``,
    ``LastRuntimeSeconds``, ``Status`` (SUCCEEDED / CANCELLED) and ``CrawlId``.
    A FAILED crawl raises ``KitError`` with AWS's error message.
    """
    glue = _glue(glue)
    since = start_crawler(name, glue)
    crawler = wait_for_crawler(name, timeout=timeout, poll=poll, glue=glue, since=since)
    last = crawler.get("LastCrawl") or {}
    result = dict(crawler_metrics(name, glue))
    result.update({"Status": last.get("Status"), "CrawlId": last.get("MessagePrefix")})
    if verbose:
        print(f"Crawler {name}: {result['Status']} in {result['LastRuntimeSeconds']:.1f} s -- tables created "
              f"{result['TablesCreated']}, updated {result['TablesUpdated']}, deleted {result['TablesDeleted']}")
    return result


def crawler_log(name: str, crawl_id: str | None = None, limit: int = 10_000, logs=None) -> list[str]:
    """The crawler's lines from CloudWatch Logs, oldest first; only one crawl's with ``crawl_id``."""
    logs = logs or boto3.client("logs", config=RETRY_CONFIG)
    lines: list[str] = []
    params: dict[str, Any] = {"logGroupName": LOG_GROUP, "logStreamName": name, "startFromHead": True}
    try:
        while len(lines) < limit:
            page = logs.get_log_events(**params)
            lines += [e["message"] for e in page["events"]]
            if not page["events"] or page.get("nextForwardToken") in (None, params.get("nextToken")):
                break
            params["nextToken"] = page["nextForwardToken"]
    except ClientError as exc:
        if _code(exc) == "ResourceNotFoundException":
            return []
        raise
    if crawl_id:
        lines = [line for line in lines if line.startswith(f"[{crawl_id}]")]
    return lines[:limit]


def delete_crawler(name: str, glue=None, verbose: bool = True) -> bool:
    """Delete the crawler (stopping a running crawl first); False if it did not exist. The tables stay."""
    glue = _glue(glue)
    crawler = crawler_info(name, glue)
    if crawler is None:
        return False
    if crawler.get("State") == "RUNNING":
        try:
            glue.stop_crawler(Name=name)
        except ClientError as exc:
            if _code(exc) not in ("CrawlerNotRunningException", "CrawlerStoppingException"):
                raise
    if crawler.get("State") != "READY":
        wait_for_crawler(name, glue=glue, since=None, raise_on_failure=False)
    glue.delete_crawler(Name=name)
    if verbose:
        print(f"Deleted crawler {name}")
    return True


# --- what the catalog holds, as DataFrames -----------------------------------------------------


def _all_tables(database: str, glue) -> list[dict[str, Any]]:
    try:
        return [t for page in glue.get_paginator("get_tables").paginate(DatabaseName=database) for t in page["TableList"]]
    except ClientError as exc:
        if _code(exc) == "EntityNotFoundException":
            raise KitError(f"Database {database} does not exist; create it with ensure_database().") from None
        raise


def tables(database: str, glue=None):
    """One row per table: location, classification, partition keys, counts, who wrote it, when."""
    import pandas as pd

    rows = []
    for t in _all_tables(database, _glue(glue)):
        params = t.get("Parameters") or {}
        sd = t.get("StorageDescriptor") or {}
        rows.append({
            "table": t["Name"],
            "location": sd.get("Location"),
            "classification": params.get("classification"),
            "columns": len(sd.get("Columns") or []),
            "partition_keys": ", ".join(k["Name"] for k in t.get("PartitionKeys") or []),
            "record_count": _int(params.get("recordCount")),
            "object_count": _int(params.get("objectCount")),
            "size_bytes": _int(params.get("sizeKey")),
            "updated_by_crawler": params.get("UPDATED_BY_CRAWLER"),
            "deprecated": "DEPRECATED_BY_CRAWLER" in params,
            "created": t.get("CreateTime"),
            "updated": t.get("UpdateTime"),
        })
    columns = ["table", "location", "classification", "columns", "partition_keys", "record_count", "object_count",
               "size_bytes", "updated_by_crawler", "deprecated", "created", "updated"]
    return pd.DataFrame(rows, columns=columns).sort_values("table", ignore_index=True)


def columns(database: str, table: str, glue=None):
    """One row per column of the table, data columns first, then partition keys."""
    import pandas as pd

    glue = _glue(glue)
    try:
        t = glue.get_table(DatabaseName=database, Name=table)["Table"]
    except ClientError as exc:
        if _code(exc) == "EntityNotFoundException":
            raise KitError(f"Table {database}.{table} does not exist (has the crawler run?).") from None
        raise
    rows = [{"column": c["Name"], "type": c["Type"], "partition_key": False, "comment": c.get("Comment", "")}
            for c in (t.get("StorageDescriptor") or {}).get("Columns") or []]
    rows += [{"column": c["Name"], "type": c["Type"], "partition_key": True, "comment": c.get("Comment", "")}
             for c in t.get("PartitionKeys") or []]
    return pd.DataFrame(rows, columns=["column", "type", "partition_key", "comment"])


def partitions(database: str, table: str, expression: str | None = None, glue=None):
    """One row per partition: a column per partition key, then location and counts; sorted by the keys.

    ``expression`` filters as ``GetPartitions`` does, e.g. ``"dt >= '2024-05-01'"``.
    """
    import pandas as pd

    glue = _glue(glue)
    try:
        keys = [k["Name"] for k in glue.get_table(DatabaseName=database, Name=table)["Table"].get("PartitionKeys") or []]
        params: dict[str, Any] = {"DatabaseName": database, "TableName": table}
        if expression:
            params["Expression"] = expression
        found = [p for page in glue.get_paginator("get_partitions").paginate(**params) for p in page["Partitions"]]
    except ClientError as exc:
        if _code(exc) == "EntityNotFoundException":
            raise KitError(f"Table {database}.{table} does not exist (has the crawler run?).") from None
        raise
    rows = []
    for p in found:
        row: dict[str, Any] = dict(zip(keys, p["Values"]))
        p_params = p.get("Parameters") or {}
        row.update({
            "location": (p.get("StorageDescriptor") or {}).get("Location"),
            "record_count": _int(p_params.get("recordCount")),
            "object_count": _int(p_params.get("objectCount")),
            "size_bytes": _int(p_params.get("sizeKey")),
            "created": p.get("CreationTime"),
        })
        rows.append(row)
    frame = pd.DataFrame(rows, columns=keys + ["location", "record_count", "object_count", "size_bytes", "created"])
    return frame.sort_values(keys, ignore_index=True) if keys and len(frame) else frame


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
