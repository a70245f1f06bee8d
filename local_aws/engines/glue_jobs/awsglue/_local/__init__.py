"""Internals of the local awsglue package (the kit's, not AWS's): Spark set-up, S3, Kinesis, checkpoints, the micro-batch loop."""
