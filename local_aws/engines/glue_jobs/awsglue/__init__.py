"""A local implementation of the ``awsglue`` API subset that Glue streaming scripts use.

This is the kit's own code, not AWS's: AWS's ``awsglue`` is a thin facade over
Glue's Java ETL library, which is not available offline. It lives at
``local_aws/engines/glue_jobs/awsglue`` and is put on the *job process's*
``PYTHONPATH`` only (``PYTHONPATH=<.../glue_jobs>:<repo root>``); nothing else
in the kit can ``import awsglue``.

What it covers (see each module):

* ``awsglue.utils.getResolvedOptions`` -- Glue 5 semantics, errors included;
* ``awsglue.context.GlueContext`` -- ``spark_session``, ``get_logger()``,
  ``create_data_frame.from_options(connection_type="kinesis", ...)`` reading
  the local stream through boto3, ``forEachBatch`` as a checkpointed
  micro-batch loop, ``write_dynamic_frame.from_options(connection_type="s3")``
  for parquet/glueparquet/json/csv with ``partitionKeys``, ``purge_s3_path``;
* ``awsglue.job.Job`` -- ``init`` / ``commit``;
* ``awsglue.dynamicframe.DynamicFrame`` -- ``fromDF`` / ``toDF`` / ``count``.

Importing it prepares the process for local Spark (Java, master, time zone,
logging) before the script creates its ``SparkContext``; see ``_local/env.py``.
"""

from ._local import env as _env

_env.configure()

from .dynamicframe import DynamicFrame, DynamicFrameCollection  # noqa: E402

__all__ = ["DynamicFrame", "DynamicFrameCollection"]
