"""What the resources a notebook creates would cost on AWS (us-east-1 list prices).

Estimates for teaching, not a bill: check the AWS pricing pages for your
region before you run the notebooks with DSCA_TARGET=aws.
"""

from __future__ import annotations

# Kinesis Data Streams, provisioned mode (no free tier).
KINESIS_SHARD_HOUR_USD = 0.015
KINESIS_PUT_UNITS_PER_MILLION_USD = 0.014  # one PUT payload unit = up to 25 KB of one record
HOURS_PER_MONTH = 730


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


# AWS Glue: Spark jobs, streaming included, bill per DPU-hour while they run (per second, 1-minute minimum).
GLUE_DPU_HOUR_USD = 0.44
GLUE_WORKER_DPU = {"G.025X": 0.25, "G.1X": 1.0, "G.2X": 2.0, "G.4X": 4.0, "G.8X": 8.0}

# S3 Standard storage, first 50 TB.
S3_STANDARD_GB_MONTH_USD = 0.023


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
    return max(seconds, 600) / 3600 * dpus * GLUE_DPU_HOUR_USD
