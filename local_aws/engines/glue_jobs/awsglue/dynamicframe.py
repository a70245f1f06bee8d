"""``DynamicFrame``: the subset scripts use around ``forEachBatch`` and the S3 writer.

Locally a DynamicFrame wraps a Spark DataFrame: ``fromDF`` / ``toDF`` convert,
``count``, ``schema``, ``printSchema`` and ``show`` delegate. Glue's
self-describing records and ``ResolveChoice`` machinery are not reproduced.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DynamicFrame", "DynamicFrameCollection"]


class DynamicFrame:
    def __init__(self, dataframe: Any, glue_ctx: Any, name: str = ""):
        self._df = dataframe
        self.glue_ctx = glue_ctx
        self.name = name

    @classmethod
    def fromDF(cls, dataframe: Any, glue_ctx: Any, name: str) -> "DynamicFrame":  # noqa: N802 - Glue's name
        return cls(dataframe, glue_ctx, name)

    def toDF(self, options: Any = None) -> Any:  # noqa: N802 - Glue's name
        return self._df

    def count(self) -> int:
        return self._df.count()

    def schema(self) -> Any:
        return self._df.schema

    def printSchema(self) -> None:  # noqa: N802 - Glue's name
        self._df.printSchema()

    def show(self, num_rows: int = 20) -> None:
        self._df.show(num_rows)

    def getName(self) -> str:  # noqa: N802 - Glue's name
        return self.name

    def __repr__(self) -> str:
        return f"DynamicFrame(name={self.name!r}, columns={self._df.columns!r})"


class DynamicFrameCollection:
    def __init__(self, dynamic_frames: dict[str, DynamicFrame], glue_ctx: Any):
        self._frames = dict(dynamic_frames)
        self.glue_ctx = glue_ctx

    def __getitem__(self, key: str) -> DynamicFrame:
        return self._frames[key]

    def keys(self):
        return self._frames.keys()

    def select(self, key: str, transformation_ctx: str = "") -> DynamicFrame:
        return self._frames[key]
