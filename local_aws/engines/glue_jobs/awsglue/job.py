"""``Job``: ``init`` and ``commit`` as Glue scripts call them.

Locally there are no job bookmarks to save (streaming jobs use checkpoints
anyway), so ``init`` records the job's name and arguments and ``commit`` logs.
"""

from __future__ import annotations

from typing import Any

from ._local.logger import GlueLogger

__all__ = ["Job"]


class Job:
    @classmethod
    def continuation_options(cls) -> list[str]:
        return ["--continuation-option", "continuation-enabled", "continuation-readonly", "continuation-ignore"]

    @classmethod
    def job_bookmark_options(cls) -> list[str]:
        return ["--job-bookmark-option", "job-bookmark-enable", "job-bookmark-pause", "job-bookmark-disable"]

    @classmethod
    def job_bookmark_range_options(cls) -> list[str]:
        return ["--job-bookmark-from", "--job-bookmark-to"]

    @classmethod
    def id_params(cls) -> list[str]:
        return ["--JOB_NAME", "--JOB_ID", "--JOB_RUN_ID", "--SECURITY_CONFIGURATION"]

    @classmethod
    def encryption_type_options(cls) -> list[str]:
        return ["--encryption-type", "sse-s3"]

    def __init__(self, glue_context_or_spark_session: Any):
        from pyspark.sql import SparkSession

        from .context import GlueContext

        if isinstance(glue_context_or_spark_session, GlueContext):
            self._glue_context = glue_context_or_spark_session
            self._spark_session = glue_context_or_spark_session.spark_session
        elif isinstance(glue_context_or_spark_session, SparkSession):
            self._glue_context = None
            self._spark_session = glue_context_or_spark_session
        else:
            raise Exception("cannot init Job instance given input parameter type: "
                            + str(type(glue_context_or_spark_session)))
        self._name: str | None = None
        self._args: dict[str, Any] = {}
        self._logger = GlueLogger()

    def init(self, job_name: str, args: dict[str, Any] | None = None) -> None:
        self._name = job_name
        self._args = dict(args or {})
        self._logger.info(f"Job {job_name} initialised (local Glue runtime)")

    def isInitialized(self) -> bool:  # noqa: N802 - Glue's name
        return self._name is not None

    def commit(self) -> None:
        self._logger.info(f"Job {self._name} committed")
