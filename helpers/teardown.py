"""Teardown: find everything the kit made for a prefix -- by tag first, by name second -- and delete it.

In a notebook::

    import helpers
    from helpers import teardown
    cfg = helpers.setup()
    teardown.find_kit_resources(cfg)             # what exists for cfg.prefix: a list of Resource
    print(teardown.teardown(cfg, dry_run=True))  # what would go; changes nothing
    report = teardown.teardown(cfg)              # delete it; report.ok is True when nothing is left
    teardown.still_billing(cfg)                  # what of the prefix still runs and bills, per hour

From a shell (``--all-prefixes`` is the teacher's: every learner's prefix in the account and region)::

    python -m helpers.teardown [--list | --dry-run] [--prefix P | --all-prefixes] [--yes]

How resources are found, in the current account and region (IAM roles and policies are global):

* **by tag** -- everything the kit creates with ``cfg.tags`` carries ``project=data-stream-cloud-analytics``
  and ``prefix=<prefix>``; a resource belongs to the prefix whose tag it carries, matched exactly;
* **by name**, for what carries no kit tag (the Glue database, QuickSight assets, Glue's log streams, a
  stream, job, crawler or work group whose tag was lost): ``<prefix>-...`` (``<prefix_with_underscores>_...``
  in the Glue catalog), and never a name that a longer known prefix claims -- ``dsca-a`` does not take
  ``dsca-ab-...``, nor ``dsca-a-b-...`` while ``dsca-a-b`` is a prefix in use (known from its tags, or from
  two or more names of the kit's own shape such as ``dsca-a-b-dashboard``). IAM roles and policies are
  never taken by name, and buckets only when named as ``s3.data_bucket_name`` names them
  (``<prefix>-<purpose>-<account>-<region>``): those may hold someone's permissions or data. A managed
  policy attached to a user or group is never detached from them;
* **by dependency** -- the tables of a kit database, the runs of a kit job and their log streams
  (``/aws-glue/jobs/...``, named by run id), a crawler's log stream (``/aws-glue/crawlers``, named after
  the crawler), a QuickSight analysis or dashboard of no other prefix built on a kit data set.

Shared log groups (``/aws-glue/...``, ``/aws/...``) are never deleted, only this prefix's streams in them.
Deletion goes in dependency order, keeps going after a failure, and is safe to repeat: what a first
run could not delete, a second run finds again.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    WaiterError,
)

from .config import _PREFIX_RULE, PROJECT_TAG, Config
from .errors import KitError

MY_PREFIX = "<cfg.prefix>"  # the default of every prefix= argument: the configured learner's own prefix
ALL_PREFIXES = None  # prefix=None: every kit prefix found in the account and region (the teacher's view)

# The names the kit gives things, after "<prefix>-" (the Glue database is "<prefix_>_analytics", the
# bucket "<prefix>-data-<account>-<region>"). Two or more such names make a prefix known without tags.
KIT_SUFFIXES = ("sensor-stream", "throttle-demo", "exercise-stream", "glue-etl-role", "glue-crawler-role", "sensor-etl",
                "curated-crawler", "quarantine-crawler", "metrics-crawler", "workgroup", "athena", "readings",
                "low-battery", "dashboard")
SHARED_LOG_GROUPS = ("/aws-glue/", "/aws/")  # log groups of many users: only streams are ever deleted in them
CRAWLER_LOG_GROUP = "/aws-glue/crawlers"
ACTIVE_RUN_STATES = ("STARTING", "RUNNING", "STOPPING", "WAITING")

# Outcomes of one resource in a Report.
DELETED, STOPPED, GONE, FAILED = "deleted", "stopped", "already gone", "could not"
WOULD_DELETE, WOULD_STOP = "would delete", "would stop"

# Deletion order: what uses something goes before it.
ORDER = ("job run", "job log stream", "job", "crawler", "crawler log stream", "table", "database", "workgroup",
         "dashboard", "analysis", "data set", "data source", "stream", "bucket", "role", "policy", "log group")


@dataclass(frozen=True)
class Resource:
    """One thing the kit created: ``service`` and ``kind`` (see ``ORDER``), its name or id, its ARN when it has
    one, the prefix it belongs to, and how it was found (``note``). ``parent`` is the database of a table, the
    job of a run, the log group of a log stream; ``via`` the job whose runs lead to a job log stream (it is only
    found through that job, so the job stays until the stream is gone)."""

    service: str
    kind: str
    name: str
    arn: str | None
    prefix: str
    note: str = ""
    parent: str | None = None
    via: str | None = None

    @property
    def label(self) -> str:
        if self.kind == "table":
            return f"{self.parent}.{self.name}"
        return f"{self.parent}:{self.name}" if self.parent else self.name


@dataclass(frozen=True)
class Outcome:
    resource: Resource
    result: str  # DELETED, STOPPED, GONE, FAILED, WOULD_DELETE or WOULD_STOP
    detail: str = ""


@dataclass(repr=False)
class Report:
    """What ``teardown`` did (or, with ``dry_run``, would do) to each resource, and what it could not check."""

    prefix: str | None
    dry_run: bool
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # services that could not be listed: their resources may remain

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.result == FAILED]

    @property
    def ok(self) -> bool:
        """True when everything asked for is gone (dry run: when everything could be listed)."""
        return not self.failures and not self.problems

    def count(self, result: str) -> int:
        return sum(o.result == result for o in self.outcomes)

    def summary(self) -> str:
        who = "every kit prefix" if self.prefix is None else f"prefix {self.prefix}"
        if not self.outcomes and not self.problems:
            return f"Nothing was found for {'any kit prefix' if self.prefix is None else who}: nothing to delete."
        if self.dry_run:
            line = f"Dry run for {who}: {self.count(WOULD_DELETE) + self.count(WOULD_STOP)} resource(s) would be deleted"
            if self.count(WOULD_STOP):
                line += f" (including {self.count(WOULD_STOP)} run(s) stopped first)"
            line += "; nothing was changed."
        else:
            parts = [f"{self.count(r)} {r}" for r in (DELETED, STOPPED, GONE, FAILED) if self.count(r)]
            line = f"Teardown of {who}: " + (", ".join(parts) or "nothing to do") + "."
        if self.problems:
            line += f" {len(self.problems)} service(s) could not be checked."
        return line

    def __str__(self) -> str:
        rows = [(o.resource.prefix, o.resource.service, o.resource.kind, o.resource.label, o.result, o.detail)
                for o in self.outcomes]
        lines = [format_table(rows, ("prefix", "service", "kind", "name", "result", "detail"))] if rows else []
        lines += [f"could not check: {p}" for p in self.problems]
        lines.append(self.summary())
        return "\n".join(lines)

    __repr__ = __str__

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([{"prefix": o.resource.prefix, "service": o.resource.service, "kind": o.resource.kind,
                              "name": o.resource.label, "result": o.result, "detail": o.detail} for o in self.outcomes],
                            columns=["prefix", "service", "kind", "name", "result", "detail"])


def format_table(rows: Iterable[tuple], headers: tuple[str, ...]) -> str:
    """Rows as plain aligned text columns (the last column is not padded)."""
    rows = [tuple("" if v is None else str(v) for v in row) for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(values: tuple[str, ...]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values[:-1], widths[:-1])) + "  " + values[-1]

    return "\n".join([line(headers), line(tuple("-" * w for w in widths))] + [line(r) for r in rows]).rstrip()


def describe_error(exc: BaseException) -> str:
    """An AWS error (or any other) as one sentence: ``Code: message``."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code, message = error.get("Code", "Error"), (error.get("Message") or "").strip()
        text = f"{code}: {message}" if message else code
    elif isinstance(exc, WaiterError):
        text = f"gave up waiting ({exc.kwargs.get('reason') or exc})"
    else:
        text = str(exc).strip() or type(exc).__name__
    text = " ".join(text.split())
    first = text.split(". ")[0]
    return first if first.endswith(".") else first + "."


def _code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


# --- discovery ------------------------------------------------------------------------------------------------


@dataclass
class _Candidate:
    """A resource as listed, before it is known whose it is."""

    service: str
    kind: str
    name: str
    arn: str | None
    tags: dict[str, str]
    sep: str = "-"  # what follows the prefix in the name: "-", or "_" in the Glue catalog
    info: dict[str, Any] = field(default_factory=dict)
    by_name: bool = True  # False: only its kit tags make it the kit's (IAM, a bucket not named the kit's way)


def _tag_prefix(tags: dict[str, str]) -> str | None:
    """The prefix a resource's kit tags give it (both tags must be there), or None."""
    if tags.get("project") == PROJECT_TAG and tags.get("prefix"):
        return tags["prefix"]
    return None


def _stem(prefix: str, sep: str) -> str:
    return (prefix.replace("-", "_") if sep == "_" else prefix) + sep


def _name_owner(name: str, sep: str, known: Iterable[str]) -> str | None:
    """The longest known prefix ``name`` starts with, on a ``-`` (or ``_``) boundary."""
    matches = [p for p in known if name.startswith(_stem(p, sep))]
    return max(matches, key=len) if matches else None


def _kit_shaped_prefix(candidate: _Candidate, account: str, region: str) -> str | None:
    """The prefix a name of the kit's own shape implies (``dsca-ana-dashboard`` -> ``dsca-ana``), or None."""
    name = candidate.name
    if candidate.kind == "database":
        found = name[: -len("_analytics")].replace("_", "-") if name.endswith("_analytics") else None
    elif candidate.kind == "bucket":
        suffix = f"-data-{account}-{region}"
        found = name[: -len(suffix)] if name.endswith(suffix) else None
    else:
        found = next((name[: -len(s) - 1] for s in KIT_SUFFIXES if name.endswith("-" + s)), None)
    return found if found and _PREFIX_RULE.match(found) else None


class _Scan:
    """Clients, account and region of one discovery; services that could not be listed go to ``problems``."""

    def __init__(self, cfg: Config, problems: list[str]):
        self.cfg = cfg
        self.region = cfg.region
        self.account = cfg.account_id()
        self.partition = "aws-cn" if self.region.startswith("cn-") else (
            "aws-us-gov" if self.region.startswith("us-gov-") else "aws")
        self.problems = problems
        self._clients: dict[str, Any] = {}

    def client(self, service: str):
        if service not in self._clients:
            self._clients[service] = self.cfg.client(service)
        return self._clients[service]

    def arn(self, service: str, resource: str, global_: bool = False) -> str:
        return f"arn:{self.partition}:{service}:{'' if global_ else self.region}:{self.account}:{resource}"

    def listing(self, what: str, lister: Callable[[], list[_Candidate]]) -> list[_Candidate]:
        try:
            return lister()
        except (ClientError, BotoCoreError, KitError) as exc:
            self.problems.append(f"{what}: {describe_error(exc)}")
            return []


def _pages(client, operation: str, key: str, **params) -> list[Any]:
    return [item for page in client.get_paginator(operation).paginate(**params) for item in page.get(key, [])]


def _tags_or_empty(fetch: Callable[..., dict[str, str]], *args: Any) -> dict[str, str]:
    """``fetch(*args)``: a resource's tags; {} when they cannot be read (it is then matched by name only)."""
    try:
        return fetch(*args)
    except (ClientError, BotoCoreError):
        return {}


def _list_streams(scan: _Scan) -> list[_Candidate]:
    from .kinesis import list_stream_tags

    kinesis = scan.client("kinesis")
    found = []
    for summary in _pages(kinesis, "list_streams", "StreamSummaries"):
        name = summary["StreamName"]
        tags = _tags_or_empty(list_stream_tags, name, kinesis)
        found.append(_Candidate("kinesis", "stream", name, summary.get("StreamARN"), tags,
                                info={"status": summary.get("StreamStatus")}))
    return found


def _bucket_region(s3, bucket: dict[str, Any]) -> str:
    if bucket.get("BucketRegion"):
        return bucket["BucketRegion"]
    location = s3.get_bucket_location(Bucket=bucket["Name"]).get("LocationConstraint")
    return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(location, location)


def _list_buckets(scan: _Scan) -> list[_Candidate]:
    from .s3 import bucket_tags

    s3 = scan.client("s3")
    found = []
    for bucket in _pages(s3, "list_buckets", "Buckets"):
        name = bucket["Name"]
        try:
            if _bucket_region(s3, bucket) != scan.region:
                continue  # the kit's buckets live in the region they serve
        except ClientError as exc:
            if _code(exc) in ("NoSuchBucket", "404"):
                continue  # deleted meanwhile
            raise
        tags = _tags_or_empty(bucket_tags, name, s3)
        # Untagged, only a bucket named as data_bucket_name() names them counts: others may hold someone's data.
        found.append(_Candidate("s3", "bucket", name, f"arn:{scan.partition}:s3:::{name}", tags,
                                by_name=name.endswith(f"-{scan.account}-{scan.region}")))
    return found


def _tag_dict(tags: list[dict[str, str]]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tags}


def _role_tags(iam, name: str) -> dict[str, str]:
    return _tag_dict(_pages(iam, "list_role_tags", "Tags", RoleName=name))


def _policy_tags(iam, arn: str) -> dict[str, str]:
    tags, params = [], {"PolicyArn": arn}
    while True:  # ListPolicyTags has no paginator in boto3
        page = iam.list_policy_tags(**params)
        tags += page.get("Tags", [])
        if not page.get("IsTruncated"):
            return _tag_dict(tags)
        params["Marker"] = page["Marker"]


def _list_roles(scan: _Scan) -> list[_Candidate]:
    iam = scan.client("iam")
    found = []
    for role in _pages(iam, "list_roles", "Roles"):
        if role.get("Path", "/").startswith("/aws-service-role/"):
            continue  # service-linked roles belong to AWS services
        tags = _tags_or_empty(_role_tags, iam, role["RoleName"])
        found.append(_Candidate("iam", "role", role["RoleName"], role["Arn"], tags, by_name=False))
    return found


def _list_policies(scan: _Scan) -> list[_Candidate]:
    iam = scan.client("iam")
    found = []
    for policy in _pages(iam, "list_policies", "Policies", Scope="Local"):
        tags = _tags_or_empty(_policy_tags, iam, policy["Arn"])
        found.append(_Candidate("iam", "policy", policy["PolicyName"], policy["Arn"], tags, by_name=False))
    return found


def _glue_tags(scan: _Scan, resource: str) -> dict[str, str]:
    def fetch(arn: str) -> dict[str, str]:
        return scan.client("glue").get_tags(ResourceArn=arn)["Tags"]

    return _tags_or_empty(fetch, scan.arn("glue", resource))


def _list_jobs(scan: _Scan) -> list[_Candidate]:
    glue = scan.client("glue")
    return [_Candidate("glue", "job", job["Name"], scan.arn("glue", f"job/{job['Name']}"),
                       _glue_tags(scan, f"job/{job['Name']}")) for job in _pages(glue, "get_jobs", "Jobs")]


def _list_crawlers(scan: _Scan) -> list[_Candidate]:
    glue = scan.client("glue")
    return [_Candidate("glue", "crawler", c["Name"], scan.arn("glue", f"crawler/{c['Name']}"),
                       _glue_tags(scan, f"crawler/{c['Name']}"),
                       info={"state": c.get("State"), "schedule": (c.get("Schedule") or {}).get("ScheduleExpression")})
            for c in _pages(glue, "get_crawlers", "Crawlers")]


def _list_databases(scan: _Scan) -> list[_Candidate]:
    glue = scan.client("glue")
    return [_Candidate("glue", "database", db["Name"], scan.arn("glue", f"database/{db['Name']}"),
                       _glue_tags(scan, f"database/{db['Name']}"), sep="_")
            for db in _pages(glue, "get_databases", "DatabaseList")
            if db.get("CatalogId", scan.account) == scan.account and "TargetDatabase" not in db]


def _athena_tags(athena, arn: str) -> dict[str, str]:
    return _tag_dict(_pages(athena, "list_tags_for_resource", "Tags", ResourceARN=arn))


def _quicksight_tags(quicksight, arn: str) -> dict[str, str]:
    return _tag_dict(quicksight.list_tags_for_resource(ResourceArn=arn).get("Tags", []))


def _log_group_tags(logs, arn: str) -> dict[str, str]:
    return logs.list_tags_for_resource(resourceArn=arn).get("tags", {})


def _list_workgroups(scan: _Scan) -> list[_Candidate]:
    athena = scan.client("athena")
    found = []
    groups, params = [], {}
    while True:  # ListWorkGroups has no paginator in boto3
        page = athena.list_work_groups(**params)
        groups += page.get("WorkGroups", [])
        if not page.get("NextToken"):
            break
        params["NextToken"] = page["NextToken"]
    for group in groups:
        name = group["Name"]
        if name == "primary":
            continue  # every account's default work group; never the kit's
        arn = scan.arn("athena", f"workgroup/{name}")
        tags = _tags_or_empty(_athena_tags, athena, arn)
        found.append(_Candidate("athena", "workgroup", name, arn, tags))
    return found


_QUICKSIGHT = (  # kind, list operation, result key, id key
    ("dashboard", "list_dashboards", "DashboardSummaryList", "DashboardId"),
    ("analysis", "list_analyses", "AnalysisSummaryList", "AnalysisId"),
    ("data set", "list_data_sets", "DataSetSummaries", "DataSetId"),
    ("data source", "list_data_sources", "DataSources", "DataSourceId"),
)
_NO_QUICKSIGHT = ("ResourceNotFoundException", "UnsupportedUserEditionException")


def _list_quicksight(scan: _Scan) -> list[_Candidate]:
    quicksight = scan.client("quicksight")
    found = []
    for kind, operation, key, id_key in _QUICKSIGHT:
        try:
            items = _pages(quicksight, operation, key, AwsAccountId=scan.account)
        except ClientError as exc:
            if _code(exc) in _NO_QUICKSIGHT:
                return []  # no QuickSight subscription in this account: nothing of the kit's there
            raise
        except EndpointConnectionError:
            return []  # no QuickSight in this region
        for item in items:
            arn = item["Arn"]
            tags = _tags_or_empty(_quicksight_tags, quicksight, arn)
            found.append(_Candidate("quicksight", kind, item[id_key], arn, tags, info={"status": item.get("Status")}))
    return found


def _list_log_groups(scan: _Scan) -> list[_Candidate]:
    logs = scan.client("logs")
    found = []
    for group in _pages(logs, "describe_log_groups", "logGroups"):
        name = group["logGroupName"]
        if name.startswith(SHARED_LOG_GROUPS):
            continue
        arn = group.get("logGroupArn") or scan.arn("logs", f"log-group:{name}")
        tags = _tags_or_empty(_log_group_tags, logs, arn)
        found.append(_Candidate("logs", "log group", name, arn, tags))
    return found


def _list_crawler_log_streams(scan: _Scan) -> list[_Candidate]:
    logs = scan.client("logs")
    try:
        streams = _pages(logs, "describe_log_streams", "logStreams", logGroupName=CRAWLER_LOG_GROUP)
    except ClientError as exc:
        if _code(exc) == "ResourceNotFoundException":
            return []  # no crawler has run in this region yet
        raise
    return [_Candidate("logs", "crawler log stream", s["logStreamName"], s.get("arn"), {},
                       info={"group": CRAWLER_LOG_GROUP}) for s in streams]


_LISTERS = (
    ("Kinesis streams", _list_streams), ("S3 buckets", _list_buckets), ("IAM roles", _list_roles),
    ("IAM policies", _list_policies), ("Glue jobs", _list_jobs), ("Glue crawlers", _list_crawlers),
    ("Glue databases", _list_databases), ("Athena work groups", _list_workgroups),
    ("QuickSight assets", _list_quicksight), ("CloudWatch log groups", _list_log_groups),
    ("Glue crawler log streams", _list_crawler_log_streams),
)


def _check_prefix(prefix: str) -> str:
    if not isinstance(prefix, str) or not _PREFIX_RULE.match(prefix):
        raise KitError(f"{prefix!r} is not a kit prefix: 3-20 lowercase letters, digits or single hyphens, "
                       "starting with a letter.")
    return prefix


def find_kit_resources(cfg: Config, prefix: str | None = MY_PREFIX, problems: list[str] | None = None) -> list[Resource]:
    """Everything of ``prefix`` (default: ``cfg.prefix``; None: every kit prefix) in the account and region.

    Found by tag first, then by name, then by dependency (see the module's docstring); sorted in deletion
    order. A service that cannot be listed (e.g. no permission) is skipped and named in ``problems``.
    """
    wanted = cfg.prefix if prefix == MY_PREFIX else prefix
    if wanted is not None:
        _check_prefix(wanted)
    problems = [] if problems is None else problems
    scan = _Scan(cfg, problems)
    candidates = [c for what, lister in _LISTERS for c in scan.listing(what, lambda lister=lister: lister(scan))]

    # Which prefixes are in use: from the kit's tags, and from names of the kit's own shape.
    known = {p for c in candidates if (p := _tag_prefix(c.tags))}
    shaped: dict[str, set[str]] = {}
    for c in candidates:
        if _tag_prefix(c.tags) is None and (p := _kit_shaped_prefix(c, scan.account, scan.region)):
            shaped.setdefault(p, set()).add(f"{c.kind}:{c.name}")
    known |= {p for p, names in shaped.items() if len(names) >= 2}
    if wanted is not None:
        known.add(wanted)

    crawler_owner = {}
    owners: dict[int, str] = {}
    for c in candidates:
        owner = _tag_prefix(c.tags)
        how = "tag"
        if owner is None:
            owner = crawler_owner.get(c.name) if c.kind == "crawler log stream" else None
            how = "its crawler's tag" if owner else "name"
            owner = owner or (_name_owner(c.name, c.sep, known) if c.by_name else None)
        if owner is not None and (wanted is None or owner == wanted):
            owners[id(c)] = owner
            c.info["how"] = how
        if c.kind == "crawler" and owner is not None:
            crawler_owner[c.name] = owner  # crawlers are listed before their log streams

    resources = []
    for c in candidates:
        if id(c) in owners:
            resources.append(_resource(c, owners[id(c)]))
    resources += _quicksight_dependents(scan, candidates, owners, known, wanted)
    resources += scan.listing("Glue tables, job runs and their logs", lambda: _dependents(scan, resources))
    return sorted(resources, key=lambda r: (ORDER.index(r.kind), r.prefix, r.parent or "", r.name))


def _resource(c: _Candidate, owner: str) -> Resource:
    how = c.info.get("how", "tag")
    note = "tagged" if how == "tag" else f"untagged, matched by {how}"
    if c.kind == "stream" and c.info.get("status") not in (None, "ACTIVE"):
        note += f", {c.info['status']}"
    if c.kind == "crawler" and c.info.get("state") not in (None, "READY"):
        note += f", {c.info['state']}"
    if c.kind == "crawler" and c.info.get("schedule"):
        note += f", scheduled {c.info['schedule']}"
    if c.kind == "analysis" and c.info.get("status") == "DELETED":
        note += ", deleted with a recovery window"
    return Resource(c.service, c.kind, c.name, c.arn, owner, note, c.info.get("group"))


def _quicksight_dependents(scan: _Scan, candidates: list[_Candidate], owners: dict[int, str], known: set[str],
                           wanted: str | None) -> list[Resource]:
    """Dashboards and analyses of no known prefix (e.g. made in the console) built on a data set of the prefix."""
    set_owner = {c.arn: owners[id(c)] for c in candidates if c.kind == "data set" and id(c) in owners}
    if not set_owner:
        return []
    quicksight = scan.client("quicksight")
    found = []
    for c in candidates:
        if c.kind not in ("dashboard", "analysis") or _tag_prefix(c.tags) or _name_owner(c.name, c.sep, known):
            continue
        try:
            if c.kind == "dashboard":
                arns = quicksight.describe_dashboard(AwsAccountId=scan.account, DashboardId=c.name
                                                     )["Dashboard"].get("Version", {}).get("DataSetArns", [])
            else:
                arns = quicksight.describe_analysis(AwsAccountId=scan.account, AnalysisId=c.name
                                                    )["Analysis"].get("DataSetArns", [])
        except (ClientError, BotoCoreError):
            continue
        used = [set_owner[a] for a in arns if a in set_owner]
        if used and (wanted is None or used[0] == wanted):
            data_set = next(a for a in arns if a in set_owner).rsplit("/", 1)[1]
            found.append(Resource("quicksight", c.kind, c.name, c.arn, used[0], f"untagged, built on data set {data_set}"))
    return found


def _dependents(scan: _Scan, resources: list[Resource]) -> list[Resource]:
    """Tables of the kit's databases; active runs of its jobs; the log streams of all their runs."""
    glue, logs = scan.client("glue"), scan.client("logs")
    found = []
    for r in resources:
        if r.kind == "database":
            try:
                tables = _pages(glue, "get_tables", "TableList", DatabaseName=r.name)
            except ClientError as exc:
                if _code(exc) == "EntityNotFoundException":
                    continue
                raise
            found += [Resource("glue", "table", t["Name"], scan.arn("glue", f"table/{r.name}/{t['Name']}"), r.prefix,
                               "in a kit database", r.name) for t in tables]
        elif r.kind == "job":
            try:
                runs = _pages(glue, "get_job_runs", "JobRuns", JobName=r.name)
            except ClientError as exc:
                if _code(exc) == "EntityNotFoundException":
                    continue
                raise
            for run in runs:
                if run["JobRunState"] in ACTIVE_RUN_STATES:
                    found.append(Resource("glue", "job run", run["Id"], None, r.prefix, run["JobRunState"], r.name))
                base = run.get("LogGroupName") or "/aws-glue/jobs"
                for group in (f"{base}/output", f"{base}/error", "/aws-glue/jobs/logs-v2"):
                    try:
                        streams = _pages(logs, "describe_log_streams", "logStreams", logGroupName=group,
                                         logStreamNamePrefix=run["Id"])
                    except ClientError as exc:
                        if _code(exc) == "ResourceNotFoundException":
                            continue
                        raise
                    found += [Resource("logs", "job log stream", s["logStreamName"], s.get("arn"), r.prefix,
                                       f"run of job {r.name}", group, via=r.name) for s in streams]
    return found


# --- deletion ---------------------------------------------------------------------------------------------------


class _Gone(Exception):
    """The resource was not there any more."""


def _not_found(exc: ClientError, *codes: str) -> bool:
    return _code(exc) in codes + ("ResourceNotFoundException", "EntityNotFoundException", "NoSuchEntity",
                                  "NoSuchBucket")


def _wait(check: Callable[[], bool], timeout: float, what: str, poll: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise KitError(f"{what} after {timeout:.0f} s; run the teardown again later")
        time.sleep(poll)


def _stop_run(scan: _Scan, r: Resource, timeout: float) -> str:
    glue = scan.client("glue")
    answer = glue.batch_stop_job_run(JobName=r.parent, JobRunIds=[r.name])
    for error in answer.get("Errors", []):
        detail = error.get("ErrorDetail", {})
        if detail.get("ErrorCode") == "EntityNotFoundException":
            raise _Gone()
        if detail.get("ErrorCode") != "InvalidInputException":  # InvalidInput: it had finished meanwhile
            raise KitError(f"{detail.get('ErrorCode')}: {detail.get('ErrorMessage')}")

    def stopped() -> bool:
        return glue.get_job_run(JobName=r.parent, RunId=r.name)["JobRun"]["JobRunState"] not in ACTIVE_RUN_STATES

    _wait(stopped, timeout, f"run {r.name} is still stopping")
    return STOPPED


def _delete_log_stream(scan: _Scan, r: Resource, timeout: float) -> str:
    scan.client("logs").delete_log_stream(logGroupName=r.parent, logStreamName=r.name)
    return DELETED


def _delete_job(scan: _Scan, r: Resource, timeout: float) -> str:
    glue = scan.client("glue")
    glue.get_job(JobName=r.name)  # DeleteJob answers success for a job that is not there
    glue.delete_job(JobName=r.name)
    return DELETED


def _delete_crawler(scan: _Scan, r: Resource, timeout: float) -> str:
    glue = scan.client("glue")
    state = glue.get_crawler(Name=r.name)["Crawler"].get("State")
    if state == "RUNNING":
        try:
            glue.stop_crawler(Name=r.name)
        except ClientError as exc:
            if _code(exc) not in ("CrawlerNotRunningException", "CrawlerStoppingException"):
                raise
    if state != "READY":
        _wait(lambda: glue.get_crawler(Name=r.name)["Crawler"].get("State") == "READY", timeout,
              f"crawler {r.name} is still stopping")
    glue.delete_crawler(Name=r.name)
    return DELETED


def _delete_table(scan: _Scan, r: Resource, timeout: float) -> str:
    scan.client("glue").delete_table(DatabaseName=r.parent, Name=r.name)
    return DELETED


def _delete_database(scan: _Scan, r: Resource, timeout: float) -> str:
    scan.client("glue").delete_database(Name=r.name)
    return DELETED


def _delete_workgroup(scan: _Scan, r: Resource, timeout: float) -> str:
    athena = scan.client("athena")
    try:
        athena.get_work_group(WorkGroup=r.name)
    except ClientError as exc:
        if _code(exc) == "InvalidRequestException":  # Athena's answer for a work group that is not there
            raise _Gone() from None
        raise
    athena.delete_work_group(WorkGroup=r.name, RecursiveDeleteOption=True)  # with its named queries and statements
    return DELETED


def _delete_quicksight(scan: _Scan, r: Resource, timeout: float) -> str:
    quicksight = scan.client("quicksight")
    if r.kind == "dashboard":
        quicksight.delete_dashboard(AwsAccountId=scan.account, DashboardId=r.name)
    elif r.kind == "analysis":
        quicksight.delete_analysis(AwsAccountId=scan.account, AnalysisId=r.name, ForceDeleteWithoutRecovery=True)
    elif r.kind == "data set":
        quicksight.delete_data_set(AwsAccountId=scan.account, DataSetId=r.name)
    else:
        quicksight.delete_data_source(AwsAccountId=scan.account, DataSourceId=r.name)
    return DELETED


def _delete_stream(scan: _Scan, r: Resource, timeout: float) -> str:
    kinesis = scan.client("kinesis")
    status = kinesis.describe_stream_summary(StreamName=r.name)["StreamDescriptionSummary"]["StreamStatus"]
    if status != "DELETING":
        try:
            kinesis.delete_stream(StreamName=r.name, EnforceConsumerDeletion=True)
        except ClientError as exc:
            if _code(exc) != "ResourceInUseException":  # being deleted already: wait for it below
                raise
    kinesis.get_waiter("stream_not_exists").wait(StreamName=r.name,
                                                 WaiterConfig={"Delay": 2, "MaxAttempts": max(1, int(timeout / 2))})
    return DELETED


def empty_bucket(bucket: str, s3) -> int:
    """Delete every object version, delete marker and unfinished multipart upload; return how many went."""
    deleted = 0
    batch: list[dict[str, str]] = []

    def flush() -> None:
        nonlocal deleted, batch
        if not batch:
            return
        errors = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True}).get("Errors") or []
        if errors:
            first = errors[0]
            raise KitError(f"{first.get('Code')}: s3://{bucket}/{first.get('Key')} could not be deleted "
                           f"({first.get('Message', 'no message')})")
        deleted += len(batch)
        batch = []

    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
            batch.append({"Key": item["Key"], "VersionId": item["VersionId"]})
            if len(batch) == 1000:
                flush()
    flush()
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
        for upload in page.get("Uploads", []):
            s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    return deleted


def _delete_bucket(scan: _Scan, r: Resource, timeout: float) -> str:
    s3 = scan.client("s3")
    s3.head_bucket(Bucket=r.name)
    empty_bucket(r.name, s3)
    s3.delete_bucket(Bucket=r.name)
    return DELETED


def _delete_role(scan: _Scan, r: Resource, timeout: float) -> str:
    iam = scan.client("iam")
    iam.get_role(RoleName=r.name)
    for name in _pages(iam, "list_role_policies", "PolicyNames", RoleName=r.name):
        iam.delete_role_policy(RoleName=r.name, PolicyName=name)
    for policy in _pages(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=r.name):
        iam.detach_role_policy(RoleName=r.name, PolicyArn=policy["PolicyArn"])
    for profile in _pages(iam, "list_instance_profiles_for_role", "InstanceProfiles", RoleName=r.name):
        iam.remove_role_from_instance_profile(InstanceProfileName=profile["InstanceProfileName"], RoleName=r.name)
    iam.delete_role(RoleName=r.name)
    return DELETED


def _delete_policy(scan: _Scan, r: Resource, timeout: float) -> str:
    iam = scan.client("iam")
    iam.get_policy(PolicyArn=r.arn)
    people = [f"{kind[6:-1].lower()} {e[key]}" for kind, key in (("PolicyUsers", "UserName"), ("PolicyGroups", "GroupName"))
              for e in _pages(iam, "list_entities_for_policy", kind, PolicyArn=r.arn)]
    if people:  # never take permissions away from a person: someone chose to attach it
        raise KitError(f"it is attached to {', '.join(people)}; detach it there first if it should go")
    for entity in _pages(iam, "list_entities_for_policy", "PolicyRoles", PolicyArn=r.arn):
        iam.detach_role_policy(RoleName=entity["RoleName"], PolicyArn=r.arn)
    for version in _pages(iam, "list_policy_versions", "Versions", PolicyArn=r.arn):
        if not version["IsDefaultVersion"]:
            iam.delete_policy_version(PolicyArn=r.arn, VersionId=version["VersionId"])
    iam.delete_policy(PolicyArn=r.arn)
    return DELETED


def _delete_log_group(scan: _Scan, r: Resource, timeout: float) -> str:
    scan.client("logs").delete_log_group(logGroupName=r.name)
    return DELETED


_DELETERS: dict[str, Callable[[_Scan, Resource, float], str]] = {
    "job run": _stop_run, "job log stream": _delete_log_stream, "job": _delete_job, "crawler": _delete_crawler,
    "crawler log stream": _delete_log_stream, "table": _delete_table, "database": _delete_database,
    "workgroup": _delete_workgroup, "dashboard": _delete_quicksight, "analysis": _delete_quicksight,
    "data set": _delete_quicksight, "data source": _delete_quicksight, "stream": _delete_stream,
    "bucket": _delete_bucket, "role": _delete_role, "policy": _delete_policy, "log group": _delete_log_group,
}


def delete_resource(cfg: Config, resource: Resource, wait_timeout: float = 600, _scan: _Scan | None = None) -> Outcome:
    """Delete (or, for a job run, stop) one resource; the outcome says DELETED/STOPPED, GONE or FAILED, never raises
    for an AWS error."""
    scan = _scan or _Scan(cfg, [])
    try:
        result = _DELETERS[resource.kind](scan, resource, wait_timeout)
        return Outcome(resource, result)
    except _Gone:
        return Outcome(resource, GONE)
    except ClientError as exc:
        if _not_found(exc, "404"):
            return Outcome(resource, GONE)
        return Outcome(resource, FAILED, describe_error(exc))
    except (BotoCoreError, KitError) as exc:
        return Outcome(resource, FAILED, describe_error(exc))


def teardown(cfg: Config, prefix: str | None = MY_PREFIX, dry_run: bool = False, wait_timeout: float = 600,
             resources: list[Resource] | None = None, verbose: bool = True) -> Report:
    """Delete everything of ``prefix`` (default ``cfg.prefix``; None: every kit prefix), in dependency order.

    Running job runs are stopped (and waited for, up to ``wait_timeout`` seconds) first; buckets are emptied
    of every object version and delete marker. Each resource is reported deleted, already gone or could not
    (with AWS's error in one sentence); a failure never stops the others. ``dry_run`` lists what would go
    and changes nothing. ``resources`` (from ``find_kit_resources``) deletes exactly those instead of
    looking again. Run it again after a failure: it finds what is left.
    """
    wanted = cfg.prefix if prefix == MY_PREFIX else prefix
    report = Report(wanted, dry_run)
    if resources is None:
        resources = find_kit_resources(cfg, wanted, report.problems)
    resources = sorted(resources, key=lambda r: ORDER.index(r.kind))
    scan = _Scan(cfg, report.problems)
    held: set[tuple[str, str]] = set()  # (kind, name) kept because something under it could not go
    for resource in resources:
        if dry_run:
            outcome = Outcome(resource, WOULD_STOP if resource.kind == "job run" else WOULD_DELETE, resource.note)
        elif (resource.kind, resource.name) in held:
            outcome = Outcome(resource, FAILED, "kept, so that a second teardown finds what could not be deleted "
                                                "under it (see above)")
        else:
            outcome = delete_resource(cfg, resource, wait_timeout, scan)
        if outcome.result == FAILED and resource.kind in ("job run", "job log stream"):
            held.add(("job", resource.via or resource.parent))  # runs and their log streams are found through the job
        report.outcomes.append(outcome)
        if verbose:
            print(f"{outcome.result:>13}  " + (f"[{resource.prefix}] " if wanted is None else "")
                  + f"{resource.service} {resource.kind} {resource.label}"
                  + (f"  ({outcome.detail})" if outcome.detail and outcome.result == FAILED else ""))
    if verbose:
        for problem in report.problems:
            print(f"could not check: {problem}")
        print(report.summary())
    return report


# --- what still bills -------------------------------------------------------------------------------------------


def still_billing(cfg: Config, prefix: str | None = MY_PREFIX):
    """What of ``prefix`` still runs or bills on AWS, with an estimated hourly cost (us-east-1 list prices).

    A DataFrame (prefix, service, kind, name, state, hourly_usd, note): open Kinesis shards, Glue job runs
    and crawls in progress, scheduled crawlers, S3 storage, QuickSight assets (QuickSight bills its users per
    month, not its assets). Empty when nothing bills. ``frame.attrs["hourly_usd"]`` is the total.
    """
    import pandas as pd

    from . import costs

    problems: list[str] = []
    rows = []
    scan = _Scan(cfg, problems)
    for r in find_kit_resources(cfg, prefix, problems):
        row = {"prefix": r.prefix, "service": r.service, "kind": r.kind, "name": r.label, "state": "", "hourly_usd": 0.0,
               "note": ""}
        try:
            if r.kind == "stream":
                s = scan.client("kinesis").describe_stream_summary(StreamName=r.name)["StreamDescriptionSummary"]
                mode = s.get("StreamModeDetails", {}).get("StreamMode", "PROVISIONED")
                row["state"] = f"{s['StreamStatus']}, {s.get('OpenShardCount', 0)} open shard(s)"
                if mode == "ON_DEMAND":
                    row.update(hourly_usd=costs.PRICES_USD["kinesis_on_demand_stream_hour"], note="on-demand: per stream-hour, plus data")
                else:
                    row.update(hourly_usd=costs.kinesis_hourly_usd(s.get("OpenShardCount", 0)),
                               note="per open shard, busy or idle")
            elif r.kind == "job run":
                run = scan.client("glue").get_job_run(JobName=r.parent, RunId=r.name)["JobRun"]
                row["state"] = run["JobRunState"]
                if run.get("WorkerType") in costs.GLUE_WORKER_DPU and run.get("NumberOfWorkers"):
                    row["hourly_usd"] = costs.glue_hourly_usd(run["WorkerType"], run["NumberOfWorkers"])
                    row["note"] = f"{run['NumberOfWorkers']} x {run['WorkerType']} until stopped or timed out"
                else:
                    dpu = run.get("MaxCapacity") or run.get("AllocatedCapacity") or 0
                    row.update(hourly_usd=dpu * costs.GLUE_DPU_HOUR_USD, note=f"{dpu:g} DPU until stopped or timed out")
            elif r.kind == "crawler":
                crawler = scan.client("glue").get_crawler(Name=r.name)["Crawler"]
                schedule = (crawler.get("Schedule") or {}).get("ScheduleExpression")
                if crawler.get("State") != "RUNNING" and not schedule:
                    continue
                row["state"] = crawler.get("State", "")
                row["hourly_usd"] = costs.GLUE_DPU_HOUR_USD if crawler.get("State") == "RUNNING" else 0.0
                row["note"] = ("each crawl bills DPU-hours, 10-minute minimum"
                               + (f"; scheduled {schedule}" if schedule else ""))
            elif r.kind == "bucket":
                size = sum(v.get("Size", 0) for page in scan.client("s3").get_paginator("list_object_versions")
                           .paginate(Bucket=r.name) for v in page.get("Versions", []))
                row["state"] = f"{size / 1024**2:.1f} MiB (all versions)"
                row["hourly_usd"] = costs.s3_monthly_usd(size) / costs.HOURS_PER_MONTH
                row["note"] = f"about ${costs.s3_monthly_usd(size):.4f}/month of S3 Standard storage"
            elif r.service == "quicksight":
                row["note"] = "no charge per asset; QuickSight bills each user per month"
            else:
                continue
        except ClientError as exc:
            if _not_found(exc):
                continue
            row["note"] = f"could not be checked: {describe_error(exc)}"
        rows.append(row)
    frame = pd.DataFrame(rows, columns=["prefix", "service", "kind", "name", "state", "hourly_usd", "note"])
    frame.attrs["hourly_usd"] = float(frame["hourly_usd"].sum()) if len(frame) else 0.0
    frame.attrs["problems"] = problems
    return frame


def billing_summary(frame) -> str:
    """One sentence from ``still_billing``'s frame: how much still runs and what it costs per hour and per day."""
    if not len(frame):
        return "Nothing of this prefix is running or billing."
    hourly = frame.attrs.get("hourly_usd", float(frame["hourly_usd"].sum()))
    return (f"{len(frame)} resource(s) still exist that can bill: about ${hourly:.3f}/hour (${hourly * 24:.2f}/day) "
            "on AWS; delete them with helpers.teardown when you are done.")


def print_still_billing(cfg: Config, prefix: str | None = MY_PREFIX):
    """Print what of ``prefix`` can still bill on AWS, one line each, and the total; return the frame.

    The end of every notebook: a learner who stops there knows what keeps costing money.
    """
    frame = still_billing(cfg, prefix)
    for row in frame.itertuples():
        state = f" ({row.state})" if row.state else ""
        print(f"  {row.service:<11} {row.kind:<12} {row.name}{state}: ${row.hourly_usd:.4f}/hour -- {row.note}")
    print(billing_summary(frame))
    return frame


# --- the command line -------------------------------------------------------------------------------------------


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one sentence, no usage dump
        raise _UsageError(f"{message[0].upper()}{message[1:]}; see --help.")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m helpers.teardown",
                     description="Delete everything the Data Stream Cloud Analytics kit created for a prefix "
                                 "(found by tag and by name), in dependency order.")
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--prefix", help="the learner prefix to tear down (default: DSCA_PREFIX, else dsca-<user>)")
    who.add_argument("--all-prefixes", action="store_true", help="every kit prefix in the account and region (teacher)")
    parser.add_argument("--list", action="store_true", help="only list the resources, one table; delete nothing")
    parser.add_argument("--dry-run", action="store_true", help="show what would be deleted; delete nothing")
    parser.add_argument("--yes", action="store_true", help="on target aws, delete without asking for a typed confirmation")
    parser.add_argument("--wait", type=float, default=600, metavar="SECONDS",
                        help="how long to wait for a run, crawl or stream to stop or go (default 600)")
    return parser


def _confirm(resources: list[Resource], prefix: str | None) -> bool:
    answer_wanted = "delete all" if prefix is None else prefix
    print(f"This deletes the {len(resources)} resource(s) above from AWS; it cannot be undone.")
    try:
        answer = input(f"Type {answer_wanted!r} to go on (anything else cancels): ")
    except EOFError:
        answer = ""
    return answer.strip() == answer_wanted


def main(argv: list[str] | None = None) -> int:
    """The CLI: 0 when everything asked for is gone (or listed), 1 when something could not be deleted or
    checked (or deletion was not confirmed), 2 on a usage error."""
    from .config import setup

    try:
        args = _parser().parse_args(argv)
        if args.wait <= 0:
            raise _UsageError("--wait must be a positive number of seconds.")
        if args.prefix is not None:
            _check_prefix(args.prefix)
        cfg = setup(quiet=True)
        if args.prefix is not None:  # this process's DSCA_PREFIX stays as it was
            cfg = dataclasses.replace(cfg, prefix=args.prefix, tags={**cfg.tags, "prefix": args.prefix})
    except (_UsageError, KitError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    prefix = None if args.all_prefixes else cfg.prefix
    who = "every kit prefix" if prefix is None else f"prefix {prefix}"
    print(f"{cfg.summary()}\nLooking for the resources of {who}...")
    problems: list[str] = []
    try:
        resources = find_kit_resources(cfg, prefix, problems)
    except (ClientError, BotoCoreError, KitError) as exc:
        print(f"error: could not look for the kit's resources: {describe_error(exc)}", file=sys.stderr)
        return 1
    if args.list or (not args.dry_run and resources and cfg.target == "aws" and not args.yes):
        rows = [(r.prefix, r.service, r.kind, r.label, r.note)
                for r in sorted(resources, key=lambda r: (r.prefix, ORDER.index(r.kind)))]  # one prefix after another
        if rows:
            print(format_table(rows, ("prefix", "service", "kind", "name", "found")))
        for problem in problems:
            print(f"could not check: {problem}")
        prefixes = sorted({r.prefix for r in resources})
        print(f"{len(resources)} resource(s) of {len(prefixes)} prefix(es)" + (f": {', '.join(prefixes)}." if prefixes else "."))
        if args.list:
            return 0 if not problems else 1
        if not sys.stdin.isatty():
            print("error: on target aws, deleting needs a typed confirmation; run this in a terminal or add --yes.",
                  file=sys.stderr)
            return 2
        if not _confirm(resources, prefix):
            print("Not confirmed: nothing was deleted.")
            return 1
    try:
        report = teardown(cfg, prefix, dry_run=args.dry_run, wait_timeout=args.wait, resources=resources)
    except KeyboardInterrupt:
        print("\nInterrupted: some resources may remain; run the teardown again to finish.", file=sys.stderr)
        return 1
    for problem in problems:
        print(f"could not check: {problem} (its resources may remain; run the teardown again)")
    return 0 if report.ok and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
