"""What the resources a notebook creates would cost on AWS (us-east-1 list prices), and the cost guard.

Estimates for teaching, not a bill: check the AWS pricing pages for your
region before you run the notebooks with DSCA_TARGET=aws.

Before a notebook creates something that bills, it calls ``confirm_cost``::

    from helpers import costs
    costs.confirm_cost(cfg, [costs.kinesis_stream(STREAM, shards=1)], what=f"the Kinesis stream {STREAM}")

It prints the estimated hourly and daily cost. On the local target nothing
bills, so it only prints (labelled "on AWS this would cost") and returns. On
``DSCA_TARGET=aws`` it goes on only when you confirm: ``DSCA_CONFIRM_COSTS=yes``
in the environment (unattended runs), or ``yes`` typed at its prompt. Anything
else raises a KitError before anything is created.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .errors import KitError

# One table of prices (USD, us-east-1 list prices; sources in shared/reference/aws-facts.md section 6).
PRICES_USD: dict[str, float] = {
    # Kinesis Data Streams: provisioned shards bill every hour, busy or idle; no free tier.
    "kinesis_shard_hour": 0.015,
    "kinesis_put_units_per_million": 0.014,  # one PUT payload unit = up to 25 KB of one record
    # On-demand streams bill per stream-hour plus per GB in and out (AWS pricing page; not in aws-facts.md).
    "kinesis_on_demand_stream_hour": 0.04,
    "kinesis_on_demand_gb_in": 0.08,
    # AWS Glue: Spark jobs (streaming included) and crawlers bill per DPU-hour.
    "glue_dpu_hour": 0.44,
    # Athena: per TB scanned, each query rounded up to a whole MB with a 10 MB minimum; DDL is free.
    "athena_tb_scanned": 5.0,
    # QuickSight: per user per month (Enterprise author, older pricing; reader on current tiers).
    "quicksight_author_month": 24.0,
    "quicksight_reader_month": 3.0,
    # S3 Standard storage, first 50 TB.
    "s3_standard_gb_month": 0.023,
}
PRICES_REGION = "us-east-1"
HOURS_PER_MONTH = 730
GLUE_STREAMING_MIN_WORKERS = 2  # Glue's minimum for a Spark job; one worker is the driver
GLUE_CRAWLER_MIN_SECONDS = 600  # crawls bill per second with a 10-minute minimum
GLUE_CRAWLER_DPUS = 2.0  # what a small crawl uses in AWS's pricing example
ATHENA_MIN_BYTES = 10 * 1024**2
CONFIRM_ENV = "DSCA_CONFIRM_COSTS"
_YES = ("yes", "y", "true", "1")

# The names notebooks and helpers already use.
KINESIS_SHARD_HOUR_USD = PRICES_USD["kinesis_shard_hour"]
KINESIS_PUT_UNITS_PER_MILLION_USD = PRICES_USD["kinesis_put_units_per_million"]
GLUE_DPU_HOUR_USD = PRICES_USD["glue_dpu_hour"]
GLUE_WORKER_DPU = {"G.025X": 0.25, "G.1X": 1.0, "G.2X": 2.0, "G.4X": 4.0, "G.8X": 8.0}
S3_STANDARD_GB_MONTH_USD = PRICES_USD["s3_standard_gb_month"]


# --- single figures ---------------------------------------------------------------------------------------------


def kinesis_hourly_usd(open_shards: int) -> float:
    """Hourly cost of a provisioned stream: billed per open shard, busy or idle."""
    return open_shards * KINESIS_SHARD_HOUR_USD


def kinesis_put_usd(records: int, avg_record_bytes: int = 1000) -> float:
    """Cost of writing ``records`` records (each rounded up to 25 KB units)."""
    units_per_record = max(1, -(-avg_record_bytes // 25_000))
    return records * units_per_record / 1_000_000 * KINESIS_PUT_UNITS_PER_MILLION_USD


def describe_kinesis_cost(open_shards: int) -> str:
    hourly = kinesis_hourly_usd(open_shards)
    return (
        f"{open_shards} provisioned shard{'s' if open_shards != 1 else ''}: ${hourly:.3f}/hour "
        f"(about ${hourly * 24:.2f}/day, ${hourly * HOURS_PER_MONTH:.2f}/month) on AWS, until the stream is deleted"
    )


def glue_hourly_usd(worker_type: str, workers: int) -> float:
    """Hourly cost of a running Glue Spark job: DPUs of all workers x the DPU-hour price."""
    if worker_type not in GLUE_WORKER_DPU:
        raise ValueError(f"unknown worker type {worker_type!r}; known: {', '.join(GLUE_WORKER_DPU)}")
    return GLUE_WORKER_DPU[worker_type] * workers * GLUE_DPU_HOUR_USD


def describe_glue_streaming_cost(worker_type: str, workers: int) -> str:
    hourly = glue_hourly_usd(worker_type, workers)
    dpu = GLUE_WORKER_DPU[worker_type] * workers
    return (
        f"{workers} x {worker_type} ({dpu:g} DPU): ${hourly:.2f}/hour (about ${hourly * 24:.2f}/day) on AWS "
        "while the streaming job runs, busy or idle, until it is stopped or times out"
    )


def s3_monthly_usd(size_bytes: int) -> float:
    """Monthly S3 Standard storage cost of ``size_bytes`` (requests not included)."""
    return size_bytes / 1024**3 * S3_STANDARD_GB_MONTH_USD


def glue_crawler_run_usd(seconds: float, dpus: float = 1.0) -> float:
    """Cost of one crawler run: DPU-hours billed per second with a 10-minute minimum."""
    return max(seconds, GLUE_CRAWLER_MIN_SECONDS) / 3600 * dpus * GLUE_DPU_HOUR_USD


def athena_billed_bytes(scanned_bytes: int) -> int:
    """Bytes Athena bills for a query that scanned ``scanned_bytes``: whole MB, at least 10 MB (0 stays 0)."""
    if scanned_bytes <= 0:
        return 0
    return max(ATHENA_MIN_BYTES, -(-scanned_bytes // 1024**2) * 1024**2)


def athena_query_usd(scanned_bytes: int) -> float:
    """Cost of one query scanning ``scanned_bytes``: $5/TB, whole MB, the 10 MB minimum even for none."""
    return athena_billed_bytes(max(scanned_bytes, 1)) / 1024**4 * PRICES_USD["athena_tb_scanned"]


# --- what a notebook is about to create --------------------------------------------------------------------------


@dataclass(frozen=True)
class CostItem:
    """One billable thing a notebook creates, with how it bills.

    ``hourly_usd`` bills every hour the thing exists or runs; ``monthly_usd``
    every month regardless of use; ``per_use_usd`` each time it is used (one
    ``per_use``: a crawl, a query, a job run).
    """

    resource: str
    detail: str = ""
    hourly_usd: float = 0.0
    monthly_usd: float = 0.0
    per_use_usd: float = 0.0
    per_use: str = ""
    billing: str = ""

    @property
    def daily_usd(self) -> float:
        """What a day of it costs even when unused: 24 hours plus a day's share of the monthly fee."""
        return self.hourly_usd * 24 + self.monthly_usd * 24 / HOURS_PER_MONTH

    @property
    def hourly_total_usd(self) -> float:
        """Hourly cost including an hour's share of the monthly fee."""
        return self.hourly_usd + self.monthly_usd / HOURS_PER_MONTH

    def line(self) -> str:
        parts = [f"{self.resource}" + (f" ({self.detail})" if self.detail else "") + ":"]
        if self.hourly_usd or self.monthly_usd:
            parts.append(f"{money(self.hourly_total_usd)}/hour, {money(self.daily_usd)}/day")
        if self.monthly_usd:
            parts.append(f"({money(self.monthly_usd)}/month)")
        if self.per_use_usd:
            parts.append(("plus " if self.hourly_usd or self.monthly_usd else "")
                         + f"{money(self.per_use_usd)} per {self.per_use or 'use'}")
        if not (self.hourly_usd or self.monthly_usd or self.per_use_usd):
            parts.append("free")
        return " ".join(parts) + (f" -- {self.billing}" if self.billing else "")


def money(usd: float) -> str:
    """``$21.12``, ``$0.015``, ``$0.000048``: enough digits to show a small price, never an exponent."""
    if usd == 0:
        return "$0"
    if abs(usd) >= 1:
        return f"${usd:,.2f}"
    if abs(usd) >= 0.001:
        return f"${usd:.3f}"
    if abs(usd) < 0.000001:
        return "less than $0.000001"
    return f"${usd:.6f}".rstrip("0")


def kinesis_stream(name: str, shards: int = 1, on_demand: bool = False) -> CostItem:
    """A Kinesis stream: provisioned shards bill per shard-hour; on demand per stream-hour plus per GB."""
    if on_demand:
        return CostItem(f"Kinesis stream {name}", "on demand", hourly_usd=PRICES_USD["kinesis_on_demand_stream_hour"],
                        per_use_usd=PRICES_USD["kinesis_on_demand_gb_in"], per_use="GB written",
                        billing="billed every hour until the stream is deleted, busy or idle")
    if not isinstance(shards, int) or shards < 1:
        raise KitError(f"shards={shards!r}: a provisioned stream has at least 1 shard.")
    return CostItem(f"Kinesis stream {name}", f"{shards} provisioned shard{'s' if shards != 1 else ''}",
                    hourly_usd=kinesis_hourly_usd(shards),
                    per_use_usd=PRICES_USD["kinesis_put_units_per_million"], per_use="million records written",
                    billing="billed every hour until the stream is deleted, busy or idle")


def glue_streaming_job(name: str, worker_type: str = "G.1X", workers: int = 2, timeout_minutes: int = 60) -> CostItem:
    """A Glue streaming job while a run is going: every worker's DPUs, Glue's minimum of 2 workers included."""
    if worker_type not in GLUE_WORKER_DPU:
        raise KitError(f"worker_type={worker_type!r} has no price here; known: {', '.join(GLUE_WORKER_DPU)}.")
    billed_workers = max(int(workers), GLUE_STREAMING_MIN_WORKERS)
    hourly = glue_hourly_usd(worker_type, billed_workers)
    dpu = GLUE_WORKER_DPU[worker_type] * billed_workers
    minimum = "" if billed_workers == workers else f", Glue's minimum of {GLUE_STREAMING_MIN_WORKERS} workers"
    return CostItem(f"Glue streaming job {name}", f"{billed_workers} x {worker_type} = {dpu:g} DPU{minimum}",
                    hourly_usd=hourly, per_use_usd=hourly * timeout_minutes / 60,
                    per_use=f"run at most (a run times out after {timeout_minutes} min)",
                    billing="billed per second while a run is going, busy or idle, until it is stopped or times out")


def glue_crawler(name: str, dpus: float = GLUE_CRAWLER_DPUS, runs_per_day: float = 0) -> CostItem:
    """A Glue crawler: each crawl bills its DPU-hours with a 10-minute minimum; a schedule bills every run."""
    per_run = glue_crawler_run_usd(0, dpus)
    schedule = f", scheduled {runs_per_day:g} times a day" if runs_per_day else ""
    return CostItem(f"Glue crawler {name}", f"about {dpus:g} DPU, 10-minute minimum{schedule}",
                    hourly_usd=per_run * runs_per_day / 24, per_use_usd=per_run, per_use="crawl",
                    billing="billed only while it crawls" + ("; the schedule keeps running it" if runs_per_day else ""))


def athena_queries(workgroup: str, scanned_bytes_per_query: int = 0, bytes_cutoff: int | None = None) -> CostItem:
    """Athena queries in a work group: $5/TB scanned, 10 MB minimum per query; DDL and the work group are free."""
    per_query = athena_query_usd(max(scanned_bytes_per_query, 0))
    billing = "billed per query (DDL free); results stay in S3 until deleted"
    if bytes_cutoff:
        billing += (f"; the work group cancels a query past {bytes_cutoff / 1024**3:g} GB, "
                    f"so one query costs at most {money(athena_query_usd(bytes_cutoff))}")
    return CostItem(f"Athena queries in work group {workgroup}", "$5 per TB scanned, 10 MB minimum",
                    per_use_usd=per_query, per_use="query", billing=billing)


def quicksight_users(authors: int = 1, readers: int = 0) -> CostItem:
    """QuickSight users: billed per user per month for as long as the subscription keeps them."""
    monthly = authors * PRICES_USD["quicksight_author_month"] + readers * PRICES_USD["quicksight_reader_month"]
    who = f"{authors} author{'s' if authors != 1 else ''}" + (f", {readers} reader{'s' if readers != 1 else ''}"
                                                             if readers else "")
    return CostItem("QuickSight subscription users", who, monthly_usd=monthly,
                    billing="billed monthly (prorated) until the users or the subscription are deleted; "
                            "data sets in DIRECT_QUERY mode query Athena at its price")


def s3_storage(bucket: str, gigabytes: float = 1.0) -> CostItem:
    """S3 Standard storage: per GB-month, for as long as the objects are kept."""
    return CostItem(f"S3 bucket {bucket}", f"about {gigabytes:g} GB Standard", monthly_usd=gigabytes *
                    S3_STANDARD_GB_MONTH_USD, billing="billed until the objects are deleted (requests extra, tiny here)")


def free(resource: str, detail: str = "") -> CostItem:
    """Something the notebook creates that costs nothing by itself (an IAM role, a catalog database, a work group)."""
    return CostItem(resource, detail)


# --- the guard ------------------------------------------------------------------------------------------------------


_confirmed: set[tuple[str, str]] = set()  # (what, estimate) confirmed in this process: a re-run cell does not ask again


def estimate_lines(items: Iterable[CostItem]) -> list[str]:
    """The estimate as printed: one line per item and a total."""
    items = list(items)
    hourly = sum(i.hourly_total_usd for i in items)
    daily = sum(i.daily_usd for i in items)
    lines = [f"  {item.line()}" for item in items]
    total = (f"  total: {money(hourly)}/hour, {money(daily)}/day while it exists or runs" if hourly
             else "  total: nothing while idle")
    per_use: dict[str, list[float]] = {}
    for item in items:
        if item.per_use_usd:
            per_use.setdefault(item.per_use or "use", []).append(item.per_use_usd)
    if per_use:
        total += ", plus " + ", ".join(f"{money(sum(costs))} per {label}" + (f" (all {len(costs)})" if len(costs) > 1 else "")
                                       for label, costs in per_use.items())
    return lines + [total]


def confirm_cost(cfg: Any, items: CostItem | Iterable[CostItem], what: str, *,
                 ask: Callable[[str], str] | None = None) -> None:
    """Print what ``what`` will cost on AWS; on target ``aws`` go on only if the learner confirms.

    Call it just before the cell creates (or starts) something that bills.
    Confirmation is ``DSCA_CONFIRM_COSTS=yes`` in the environment (unattended
    runs), or ``yes`` typed at the prompt when a person is there (a terminal,
    or a Jupyter kernel whose front end takes input). ``DSCA_CONFIRM_COSTS``
    set to anything else, a different answer, or nobody to ask raises a
    KitError: nothing has been created. On the local target it only prints.
    ``ask`` replaces ``input`` (tests, custom front ends).
    """
    items = [items] if isinstance(items, CostItem) else list(items)
    lines = estimate_lines(items)
    region = getattr(cfg, "region", PRICES_REGION)
    prices = f"{PRICES_REGION} list prices" + ("" if region == PRICES_REGION else f"; {region} may differ")
    target = getattr(cfg, "target", "local")
    if target != "aws":
        print(f"On AWS this would cost ({prices}; nothing bills on the local target): {what}")
        print("\n".join(lines))
        return
    print(f"Estimated cost on AWS of {what} ({prices}):")
    print("\n".join(lines))
    key = (what, "\n".join(lines))
    if key in _confirmed:
        print("Already confirmed in this session.")
        return
    summary = lines[-1].strip().removeprefix("total: ")
    setting = os.environ.get(CONFIRM_ENV)
    if setting is not None and setting.strip() != "":
        if setting.strip().lower() in _YES:
            print(f"Confirmed by {CONFIRM_ENV}={setting.strip()}.")
            _confirmed.add(key)
            return
        raise KitError(f"Nothing was created: {CONFIRM_ENV}={setting.strip()!r} does not confirm the cost of {what} "
                       f"({summary}); set {CONFIRM_ENV}=yes to go on.")
    answer = _ask(f"Create {what} at about {summary}? Type yes to go on: ", ask)
    if answer is None:
        raise KitError(f"Nothing was created: {what} would cost about {summary} on AWS and nobody is here to "
                       f"confirm it; run the notebook interactively and type yes, or set {CONFIRM_ENV}=yes.")
    if answer.strip().lower() not in ("yes", "y"):
        raise KitError(f"Nothing was created: you answered {answer.strip()!r}, not yes, to the cost of {what} "
                       f"({summary}); run the cell again and type yes, or set {CONFIRM_ENV}=yes, to go on.")
    print("Confirmed.")
    _confirmed.add(key)


def _ask(prompt: str, ask: Callable[[str], str] | None) -> str | None:
    """The typed answer, or None when there is no one to ask (no terminal, a front end without input)."""
    if ask is None:
        if not _interactive():
            return None
        ask = input
    try:
        return ask(prompt)
    except (EOFError, OSError, NotImplementedError):
        # EOF on stdin, pytest's captured stdin, or IPython's StdinNotImplementedError
        # (a NotImplementedError) when the notebook runs headless (nbconvert, papermill, nbval).
        return None


def _interactive() -> bool:
    """A person can answer: a terminal on stdin, or a Jupyter kernel (its front end may still refuse input)."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None and getattr(shell, "kernel", None) is not None:
        return True
    stdin = sys.stdin
    try:
        return bool(stdin and stdin.isatty())
    except (ValueError, OSError):
        return False
