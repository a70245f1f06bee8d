"""Query failures worded as Athena words them, with the ``AthenaError`` codes of its error catalog.

A failed query ends ``FAILED`` with ``Status.StateChangeReason`` set to the
message (``"TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.db.x' does not
exist"``) and ``Status.AthenaError`` set to ``ErrorCategory`` (1 SYSTEM, 2
USER, 3 OTHER), ``ErrorType`` and ``Retryable``. The error types follow the
groups of Athena's error catalog (athena/latest/ug/error-reference): 1000 user
error, 1001/1002 data error, 1003 DDL task failed, 1004 schema error, 1006
syntax error, 1100 invalid argument, 1200 query not supported, 1300 resource
not found; 200 internal engine error, 401 results could not be written to S3.
The catalog gives one description per number, not a mapping from Trino's error
names, so the assignment of a name to a number here is the kit's reading of it.
"""

from __future__ import annotations

USER, SYSTEM = 2, 1

# Trino/Athena error name -> (category, type)
CODES: dict[str, tuple[int, int]] = {
    "GENERIC_USER_ERROR": (USER, 1000),
    "HIVE_BAD_DATA": (USER, 1001),
    "HIVE_CURSOR_ERROR": (USER, 1001),
    "HIVE_CANNOT_OPEN_SPLIT": (USER, 1001),
    "INVALID_CAST_ARGUMENT": (USER, 1002),
    "NUMERIC_VALUE_OUT_OF_RANGE": (USER, 1002),
    "DIVISION_BY_ZERO": (USER, 1002),
    "INVALID_FUNCTION_ARGUMENT": (USER, 1002),
    "ALREADY_EXISTS": (USER, 1003),
    "HIVE_PATH_ALREADY_EXISTS": (USER, 1003),
    "HIVE_TOO_MANY_OPEN_PARTITIONS": (USER, 1003),
    "DDL_FAILED": (USER, 1003),
    "COLUMN_NOT_FOUND": (USER, 1004),
    "TYPE_MISMATCH": (USER, 1004),
    "MISSING_COLUMN_NAME": (USER, 1004),
    "DUPLICATE_COLUMN_NAME": (USER, 1004),
    "AMBIGUOUS_NAME": (USER, 1004),
    "FUNCTION_NOT_FOUND": (USER, 1004),
    "MISSING_GROUP_BY": (USER, 1004),
    "EXPRESSION_NOT_AGGREGATE": (USER, 1004),
    "SYNTAX_ERROR": (USER, 1006),
    "INVALID_ARGUMENTS": (USER, 1100),
    "INVALID_TABLE_PROPERTY": (USER, 1101),
    "INVALID_PARAMETER_USAGE": (USER, 1100),
    "NOT_SUPPORTED": (USER, 1200),
    "TABLE_NOT_FOUND": (USER, 1300),
    "SCHEMA_NOT_FOUND": (USER, 1300),
    "CATALOG_NOT_FOUND": (USER, 1300),
    "PERMISSION_DENIED": (USER, 1000),
    "OUTPUT_BUCKET": (USER, 1100),
    "GENERIC_INTERNAL_ERROR": (SYSTEM, 200),
    "RESULTS_NOT_WRITTEN": (SYSTEM, 401),
}


class QueryError(Exception):
    """A query failed; ``str()`` is the message Athena would give."""

    def __init__(self, name: str, message: str, line: int | None = None, column: int | None = None,
                 plain: bool = False):
        self.name, self.detail, self.line, self.column = name, message, line, column
        self.plain = plain  # the message stands alone (no "NAME: " prefix), as some of Athena's do
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = f"line {self.line}:{self.column}: " if self.line is not None else ""
        return f"{where}{self.detail}" if self.plain else f"{self.name}: {where}{self.detail}"

    def athena_error(self) -> dict:
        category, error_type = CODES.get(self.name, (USER, 1000))
        return {"ErrorCategory": category, "ErrorType": error_type, "Retryable": category == SYSTEM,
                "ErrorMessage": self.message}


def position(sql: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset in the query text."""
    offset = max(0, min(offset, len(sql)))
    before = sql[:offset]
    line = before.count("\n") + 1
    return line, offset - (before.rfind("\n") + 1) + 1
