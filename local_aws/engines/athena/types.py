"""Types three ways: Hive (the catalog), DuckDB (execution) and Athena/Trino (results).

Also how Athena writes a value as text, in its result CSV and in
``GetQueryResults``: ``true``, ``2.5``, ``1.0E7`` (Java's ``Double.toString``),
``2024-01-02 03:04:05.000`` (milliseconds), ``[1, 2]``, ``{a=1, b=2}`` for maps
and rows, NULL as nothing at all.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

# --- Hive (catalog) -> DuckDB --------------------------------------------------------------------


@lru_cache(maxsize=1024)
def hive_to_duckdb(hive_type: str) -> str:
    """DuckDB's spelling of a catalog column type (``struct<a:int>`` -> ``STRUCT(a INT)``)."""
    from sqlglot import exp

    text = (hive_type or "string").strip()
    simple = {"string": "VARCHAR", "int": "INTEGER", "integer": "INTEGER", "bigint": "BIGINT", "smallint": "SMALLINT",
              "tinyint": "TINYINT", "double": "DOUBLE", "float": "REAL", "real": "REAL", "boolean": "BOOLEAN",
              "date": "DATE", "timestamp": "TIMESTAMP", "binary": "BLOB", "varbinary": "BLOB"}
    if text.lower() in simple:
        return simple[text.lower()]
    if re.fullmatch(r"(?i)(var)?char\(\d+\)", text):
        return "VARCHAR"
    try:
        return exp.DataType.build(text, dialect="hive").sql("duckdb")
    except Exception:
        raise ValueError(f"Unknown type '{hive_type}'") from None


def hive_type_text(data_type: Any) -> str:
    """A sqlglot DataType (parsed from Hive DDL) as the catalog stores it: ``map<string,int>``."""
    text = data_type.sql("hive").lower()
    text = re.sub(r"\s*([<>,:()])\s*", r"\1", text)
    return {"text": "string"}.get(text, text)


# --- DuckDB -> Athena result types ----------------------------------------------------------------

_SIMPLE_RESULT = {
    "varchar": ("varchar", 2147483647, 0), "boolean": ("boolean", 0, 0), "tinyint": ("tinyint", 3, 0),
    "smallint": ("smallint", 5, 0), "integer": ("integer", 10, 0), "bigint": ("bigint", 19, 0),
    "hugeint": ("bigint", 19, 0), "uhugeint": ("decimal", 38, 0), "ubigint": ("decimal", 20, 0),
    "uinteger": ("bigint", 19, 0), "usmallint": ("integer", 10, 0), "utinyint": ("smallint", 5, 0),
    "float": ("real", 17, 0), "double": ("double", 17, 0), "date": ("date", 0, 0),
    "timestamp": ("timestamp", 3, 0), "timestamp_ms": ("timestamp", 3, 0), "timestamp_ns": ("timestamp", 3, 0),
    "timestamp_s": ("timestamp", 3, 0), "timestamp with time zone": ("timestamp with time zone", 3, 0),
    "time": ("time", 3, 0), "blob": ("varbinary", 2147483647, 0), "uuid": ("uuid", 0, 0), "json": ("json", 0, 0),
    "interval": ("interval day to second", 0, 0), "bit": ("varchar", 2147483647, 0), "enum": ("varchar", 2147483647, 0),
    "null": ("unknown", 0, 0), '"null"': ("unknown", 0, 0),
}

# DuckDB result types that Trino has no equivalent for: cast before they reach the client.
NORMALISE = {"hugeint": "BIGINT", "uinteger": "BIGINT", "usmallint": "INTEGER", "utinyint": "SMALLINT",
             "ubigint": "DECIMAL(20,0)", "uhugeint": "DECIMAL(38,0)", "timestamp_ms": "TIMESTAMP",
             "timestamp_ns": "TIMESTAMP", "timestamp_s": "TIMESTAMP", "enum": "VARCHAR", "bit": "VARCHAR",
             '"null"': "VARCHAR", "null": "VARCHAR"}


def result_type(duck_type: Any) -> dict[str, Any]:
    """``Type``/``Precision``/``Scale`` of a ColumnInfo for a DuckDB result column type."""
    type_id = getattr(duck_type, "id", str(duck_type).lower())
    text = str(duck_type)
    if type_id == "decimal":
        match = re.search(r"\((\d+),\s*(\d+)\)", text)
        precision, scale = (int(match.group(1)), int(match.group(2))) if match else (38, 0)
        return {"Type": "decimal", "Precision": precision, "Scale": scale}
    if type_id in ("list", "array"):
        return {"Type": "array", "Precision": 0, "Scale": 0}
    if type_id == "map":
        return {"Type": "map", "Precision": 0, "Scale": 0}
    if type_id in ("struct", "union"):
        return {"Type": "row", "Precision": 0, "Scale": 0}
    name, precision, scale = _SIMPLE_RESULT.get(type_id, (type_id, 0, 0))
    return {"Type": name, "Precision": precision, "Scale": scale}


def athena_to_hive(athena_type: str) -> str:
    """A result column type as a catalog (Hive) type, for CTAS tables and views."""
    t = athena_type.lower()
    return {"varchar": "string", "integer": "int", "real": "float", "varbinary": "binary",
            "timestamp with time zone": "timestamp", "json": "string", "uuid": "string", "time": "string",
            "unknown": "string", "interval day to second": "string"}.get(t, t)


def duckdb_to_hive(duck_type: Any) -> str:
    """The Hive type of a DuckDB column type, nested types included (``STRUCT(a INTEGER)`` -> ``struct<a:int>``)."""
    type_id = getattr(duck_type, "id", str(duck_type).lower())
    if type_id == "decimal":
        info = result_type(duck_type)
        return f"decimal({info['Precision']},{info['Scale']})"
    if type_id in ("list", "array"):
        child = duck_type.children[0][1]
        return f"array<{duckdb_to_hive(child)}>"
    if type_id == "map":
        key, value = duck_type.children[0][1], duck_type.children[1][1]
        return f"map<{duckdb_to_hive(key)},{duckdb_to_hive(value)}>"
    if type_id == "struct":
        return "struct<" + ",".join(f"{name}:{duckdb_to_hive(child)}" for name, child in duck_type.children) + ">"
    return athena_to_hive(result_type(duck_type)["Type"])


# --- values as text ------------------------------------------------------------------------------------


def java_double(value: float, single: bool = False) -> str:
    """Java's ``Double.toString`` (``Float.toString`` with ``single``): ``100.0``, ``1.0E7``, ``1.0E-4``, ``NaN``."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if str(value).startswith("-") else "0.0"
    if single:
        import numpy as np

        shortest = np.format_float_scientific(np.float32(value), unique=True, trim="-")
    else:
        shortest = repr(float(value))
    d = Decimal(shortest)
    sign, digits, exponent = d.as_tuple()
    text_digits = "".join(map(str, digits)).rstrip("0") or "0"
    magnitude = len(digits) + exponent - 1  # power of ten of the first digit
    minus = "-" if sign else ""
    if -3 <= magnitude < 7:
        plain = format(abs(d), "f")
        if "." not in plain:
            plain += ".0"
        else:
            plain = plain.rstrip("0")
            if plain.endswith("."):
                plain += "0"
        return minus + plain
    mantissa = text_digits[0] + "." + (text_digits[1:] or "0")
    return f"{minus}{mantissa}E{magnitude}"


def render(value: Any, nested: bool = False) -> str | None:
    """One value as Athena writes it (None stays None; inside arrays/maps/rows NULL is ``null``)."""
    import datetime as dt

    if value is None:
        return "null" if nested else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"
        if value.tzinfo is not None:
            text += " " + (str(value.tzinfo) if str(value.tzinfo) not in ("UTC", "UTC+00:00") else "UTC")
        return text
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S.") + f"{value.microsecond // 1000:03d}"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return " ".join(f"{b:02x}" for b in bytes(value))
    if isinstance(value, dict):
        return "{" + ", ".join(f"{render(k, True)}={render(v, True)}" for k, v in value.items()) + "}"
    if isinstance(value, list) and value and all(isinstance(i, tuple) and len(i) == 2 for i in value):
        return "{" + ", ".join(f"{render(k, True)}={render(v, True)}" for k, v in value) + "}"  # Arrow maps
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(render(v, True) for v in value) + "]"
    if isinstance(value, dt.timedelta):
        total = value.total_seconds()
        days, rest = divmod(abs(total), 86400)
        hours, rest = divmod(rest, 3600)
        minutes, seconds = divmod(rest, 60)
        return f"{'-' if total < 0 else ''}{int(days)} {int(hours):02d}:{int(minutes):02d}:{seconds:06.3f}"
    return str(value)
