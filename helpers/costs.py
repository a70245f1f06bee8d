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
