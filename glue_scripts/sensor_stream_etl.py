"""Glue streaming ETL for the sensor fleet: Kinesis -> validated, de-duplicated, partitioned Parquet in S3.

Steps 3 and 4 of the tutorial. The same file runs on AWS Glue and, through
``StartJobRun``, on the kit's local endpoint (local PySpark plus the kit's own
``awsglue`` package). Every micro-batch of the stream is:

* cleaned by ``sensor_transforms.clean_batch`` -- parsed against a declared
  schema, normalised, validated, de-duplicated by ``event_id``;
* written with Glue's S3 writer: curated records as snappy Parquet partitioned
  by event time, rejected records with their raw payload and reason codes;
* published idempotently (``sensor_transforms.BatchOutput``): a batch re-run
  after a crash replaces its own output instead of adding a second copy;
* counted: ``read = curated + quarantined + duplicates``, logged and written as
  JSON under the metrics prefix.

Glue version: 5.0 (Spark 3.5.4, Python 3.11, Java 17)
------------------------------------------------------
Create the job with ``Command.Name="gluestreaming"``, ``GlueVersion="5.0"``.
Why 5.0: its Spark and Python are the kit's (pyspark 3.5, Python 3.11), so
what runs locally is what runs on AWS. Evidence that Glue 5.0 runs streaming
jobs: the Glue 5.0 ``awsglue`` library (awslabs/aws-glue-libs, branch
glue-5.0) still ships ``forEachBatch`` and the streaming source; the AWS
release notes list no streaming limitation for 5.0 (only Lake Formation
table-level access control); and a public Terraform import of a job made by
Glue Studio shows ``command.name = "gluestreaming"`` with
``glue_version = "5.0"``. Honest caveats: AWS's streaming pages still name
only 3.0/4.0 for streaming *auto scaling*, and the kit's authors have not run
this script in a live account. If ``CreateJob`` refuses 5.0 for a streaming
job in your region, use ``GlueVersion="4.0"`` (Spark 3.3, Python 3.10): the
script and ``sensor_transforms`` use nothing newer (``try_cast``,
``from_json`` with a corrupt-record column and ``concat_ws`` all exist in 3.3).

Reading the stream: why ``inferSchema: "true"``
-----------------------------------------------
The quarantine must keep each bad record exactly as it was sent. With
``classification: json`` and a ``schema`` (``inferSchema: "false"``) Glue hands
the batch function parsed columns: a malformed record is a row of nulls and
its text is gone. With ``inferSchema: "true"`` Glue hands ``forEachBatch`` one
string column, ``$json$data_infer_schema$_temporary$`` (``…$.temporary$`` in
some releases), holding every record as sent -- widely used in public Glue
scripts, though AWS does not document the column's name, so
``sensor_transforms.find_raw_column`` looks for the prefix rather than the
exact name (and falls back to a ``data`` column or a single string column).
The script then parses that text itself against a declared schema, which
also keeps a schema change in the stream from changing the output. The local
runtime produces the same single column, from the same option, so the batch
function sees the same frame in both places.

Job arguments (``--name value``; ``JOB_NAME`` is passed by Glue)
-----------------------------------------------------------------
``--stream_arn`` or ``--stream_name``   the Kinesis stream (a name is looked up)
``--bucket``                             where output goes (required)
``--window_size``                        micro-batch window, default ``"100 seconds"`` (Glue's)
``--starting_position``                  ``TRIM_HORIZON`` (default), ``LATEST``, or a UTC time
``--max_records_per_shard``              at most this many records per shard per batch
``--dataset``                            name under the prefixes, default ``sensor_readings``
``--checkpoint_location``                default ``s3://<bucket>/checkpoints/<JOB_NAME>/``
``--curated_path`` / ``--quarantine_path`` / ``--metrics_path``   override the defaults below
``--region``                             only if neither the ARN nor the environment gives one

Layout (``<ds>`` = ``--dataset``)
---------------------------------
``s3://<bucket>/curated/<ds>/dt=YYYY-MM-DD/hour=HH/part-<token>-b<batch>-<n>.snappy.parquet``  (event time, UTC)
``s3://<bucket>/quarantine/<ds>/dt=YYYY-MM-DD/part-…``  (processing date, UTC)
``s3://<bucket>/metrics/<ds>/batch=<id>.json``
``s3://<bucket>/checkpoints/<JOB_NAME>/stream/``  Glue's (Spark's) checkpoint
``s3://<bucket>/checkpoints/<JOB_NAME>/output/``  run token, per-batch manifests, staging
Delete ``checkpoints/<JOB_NAME>/`` to start over from ``--starting_position``;
the new run's files get a new token, so they never overwrite the old run's.

Deploying to AWS: upload this file and ``sensor_transforms.py``; create the
job with ``ScriptLocation`` pointing at this file and the job argument
``--extra-py-files s3://<bucket>/scripts/sensor_transforms.py``. The job's
role needs kinesis:DescribeStreamSummary/ListShards/GetShardIterator/
GetRecords on the stream, and s3:GetObject/PutObject/DeleteObject/ListBucket
on the bucket's ``curated/``, ``quarantine/``, ``metrics/`` and
``checkpoints/`` prefixes. A streaming job bills by the DPU-hour until you
stop it.
"""

import json
import sys
import time
from datetime import datetime, timezone

import boto3
from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

try:
    import sensor_transforms as st
except ImportError as error:  # pragma: no cover - a deployment mistake, said plainly
    raise ImportError(
        "sensor_transforms.py was not found: upload it next to this script and pass the job argument "
        "--extra-py-files s3://<bucket>/<prefix>/sensor_transforms.py") from error

OPTIONAL_ARGUMENTS = {
    "stream_arn": None, "stream_name": None, "bucket": None, "window_size": "100 seconds",
    "starting_position": "TRIM_HORIZON", "max_records_per_shard": None, "dataset": "sensor_readings",
    "checkpoint_location": None, "curated_path": None, "quarantine_path": None, "metrics_path": None,
    "region": None,
}


def job_arguments(argv):
    """``getResolvedOptions`` for JOB_NAME and every optional argument present in ``argv``, with defaults."""
    given = [name for name in OPTIONAL_ARGUMENTS
             if any(arg == "--" + name or arg.startswith("--" + name + "=") for arg in argv)]
    args = dict(OPTIONAL_ARGUMENTS)
    args.update({k: v for k, v in getResolvedOptions(argv, ["JOB_NAME", *given]).items() if v is not None})
    if not args["bucket"]:
        raise ValueError("the job needs --bucket (where curated/, quarantine/, metrics/ and checkpoints/ go)")
    if not (args["stream_arn"] or args["stream_name"]):
        raise ValueError("the job needs --stream_arn or --stream_name (the Kinesis stream to read)")
    job, bucket, dataset = args["JOB_NAME"], args["bucket"], args["dataset"]
    root = (args["checkpoint_location"] or f"s3://{bucket}/checkpoints/{job}/").rstrip("/")
    args["spark_checkpoint"] = root + "/stream/"
    args["work_path"] = root + "/output/"
    args["curated_path"] = args["curated_path"] or f"s3://{bucket}/curated/{dataset}/"
    args["quarantine_path"] = args["quarantine_path"] or f"s3://{bucket}/quarantine/{dataset}/"
    args["metrics_path"] = args["metrics_path"] or f"s3://{bucket}/metrics/{dataset}/"
    return args


def resolve_stream(args):
    """(stream ARN, region): from --stream_arn, or by looking --stream_name up."""
    if args["stream_arn"]:
        return args["stream_arn"], args["stream_arn"].split(":")[3]
    region = args["region"] or boto3.session.Session().region_name
    if not region:
        raise ValueError("no AWS region: pass --stream_arn, or --region with --stream_name")
    kinesis = boto3.client("kinesis", region_name=region)
    try:
        summary = kinesis.describe_stream_summary(StreamName=args["stream_name"])
    except kinesis.exceptions.ResourceNotFoundException:
        raise ValueError(f"the Kinesis stream {args['stream_name']!r} does not exist in {region}") from None
    return summary["StreamDescriptionSummary"]["StreamARN"], region


def starting_position(value):
    """Glue's spelling: "trim_horizon" / "latest" / "earliest" in lower case, a timestamp as given."""
    return value.lower() if value.upper() in ("TRIM_HORIZON", "LATEST", "EARLIEST") else value


def check_bucket(s3, bucket):
    """Fail early, in one sentence, when the output bucket is missing or not ours."""
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        raise ValueError(f"the output bucket {bucket!r} cannot be used ({code or error}): "
                         "create it first, or give the job's role access to it") from None


def output_token(s3, work_path):
    """The run token kept with the checkpoint; a role that may not read or write there is said in one sentence."""
    from botocore.exceptions import ClientError

    try:
        return st.run_token(s3, st.S3Uri(work_path))
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "") or str(error)
        raise ValueError(f"the job cannot read and write its checkpoint under {work_path} ({code}): give its role "
                         "s3:GetObject, s3:PutObject and s3:DeleteObject there") from None


def main():
    # Arguments, stream and bucket are checked before Spark starts, so a mistake fails in seconds.
    args = job_arguments(sys.argv)
    stream_arn, region = resolve_stream(args)
    s3 = boto3.client("s3", region_name=region)
    check_bucket(s3, args["bucket"])
    token = output_token(s3, args["work_path"])

    sc = SparkContext.getOrCreate()
    glueContext = GlueContext(sc)
    job = Job(glueContext)
    job.init(args["JOB_NAME"], args)
    logger = glueContext.get_logger()
    logger.info(f"sensor_stream_etl: reading {stream_arn} from {args['starting_position']} (if the checkpoint is new) "
                f"every {args['window_size']}; output token {token}")

    connection_options = {
        "typeOfData": "kinesis",
        "streamARN": stream_arn,
        "classification": "json",
        "startingPosition": starting_position(args["starting_position"]),
        "inferSchema": "true",  # the raw text reaches the batch function (see the docstring)
    }
    if args["max_records_per_shard"]:
        connection_options["maxFetchRecordsPerShard"] = str(int(args["max_records_per_shard"]))
    sensor_stream = glueContext.create_data_frame.from_options(
        connection_type="kinesis",
        connection_options=connection_options,
        transformation_ctx="sensor_stream",
    )

    def write_parquet(frame, path, partition_keys, name):
        # One file per partition folder and batch: a batch's rows for a folder go to one task.
        frame = frame.repartition(*partition_keys)
        glueContext.write_dynamic_frame.from_options(
            frame=DynamicFrame.fromDF(frame, glueContext, name),
            connection_type="s3",
            format="glueparquet",
            connection_options={"path": path, "partitionKeys": list(partition_keys)},
            format_options={"compression": "snappy"},
            transformation_ctx=name,
        )

    def process_batch(data_frame, batch_id):
        started = time.time()
        steps = {}
        processed_at = datetime.now(timezone.utc)
        result = st.clean_batch(data_frame, batch_id, processed_at)
        steps["clean"] = round(time.time() - started, 3)
        try:
            output = st.BatchOutput(s3, args["work_path"], batch_id, token)
            output.begin()
            if result.counts["curated"]:
                write_parquet(result.curated, output.staging("curated", args["curated_path"]),
                              st.CURATED_PARTITIONS, "curated")
            if result.counts["quarantined"]:
                write_parquet(result.quarantine, output.staging("quarantine", args["quarantine_path"]),
                              st.QUARANTINE_PARTITIONS, "quarantine")
            steps["write"] = round(time.time() - started - sum(steps.values()), 3)
            published = output.publish()
            steps["publish"] = round(time.time() - started - sum(steps.values()), 3)
        finally:
            result.unpersist()
        metrics = {
            "job": args["JOB_NAME"], "batch_id": int(batch_id), "window": args["window_size"], "run_token": token,
            **result.counts, "reasons": result.reasons,
            "event_time_min": result.event_time_min and result.event_time_min.isoformat(),
            "event_time_max": result.event_time_max and result.event_time_max.isoformat(),
            "processed_at": processed_at.isoformat(), "seconds": round(time.time() - started, 3),
            "seconds_by_step": steps,
            "files": {name: len(keys) for name, keys in published.items()},
        }
        st.put_json(s3, st.S3Uri(args["metrics_path"]).child(f"batch={int(batch_id)}.json"), metrics)
        output.forget_older_manifests(keep_from=int(batch_id))
        logger.info("sensor_stream_etl batch metrics " + json.dumps(metrics, default=str, sort_keys=True))

    glueContext.forEachBatch(
        frame=sensor_stream,
        batch_function=process_batch,
        options={"windowSize": args["window_size"], "checkpointLocation": args["spark_checkpoint"]},
    )
    job.commit()


if __name__ == "__main__":
    main()
