"""Column types as the Glue Data Catalog writes them (Hive type strings), and how they merge.

A type is a small tree, rendered to the string Glue stores in ``Column.Type``:

* ``Prim("bigint")`` -> ``bigint``; ``Decimal(10, 2)`` -> ``decimal(10,2)``
* ``Array(Prim("string"))`` -> ``array<string>``
* ``Struct((("a", Prim("int")),))`` -> ``struct<a:int>``
* ``Map(Prim("string"), Prim("double"))`` -> ``map<string,double>``
* ``NULL`` (a JSON ``null``, an empty array's element): unknown yet; merges into
  anything and renders as ``string``.

``from_arrow`` maps a Parquet file's Arrow schema (read from its footer) the way
the crawler's Parquet classifier does; ``merge`` widens two types the way a
crawler combines the schemas of several files of one table (numbers widen,
anything else that disagrees becomes ``string``, structs take the union of
their fields).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True)
class Prim:
    name: str  # boolean tinyint smallint int bigint float double string binary date timestamp


@dataclass(frozen=True)
class Decimal:
    precision: int
    scale: int


@dataclass(frozen=True)
class Array:
    element: "HiveType"


@dataclass(frozen=True)
class Map:
    key: "HiveType"
    value: "HiveType"


@dataclass(frozen=True)
class Struct:
    fields: tuple[tuple[str, "HiveType"], ...]


@dataclass(frozen=True)
class Null:
    pass


HiveType = Union[Prim, Decimal, Array, Map, Struct, Null]
NULL = Null()
STRING = Prim("string")

_INTEGERS = ("tinyint", "smallint", "int", "bigint")
_FLOATS = ("float", "double")


def render(t: HiveType) -> str:
    """The type as Glue stores it, e.g. ``struct<a:int,b:array<string>>``."""
    if isinstance(t, Prim):
        return t.name
    if isinstance(t, Null):
        return "string"
    if isinstance(t, Decimal):
        return f"decimal({t.precision},{t.scale})"
    if isinstance(t, Array):
        return f"array<{render(t.element)}>"
    if isinstance(t, Map):
        return f"map<{render(t.key)},{render(t.value)}>"
    return "struct<" + ",".join(f"{name}:{render(ft)}" for name, ft in t.fields) + ">"


def merge(a: HiveType, b: HiveType) -> HiveType:
    """The type that holds values of both ``a`` and ``b``."""
    if a == b:
        return a
    if isinstance(a, Null):
        return b
    if isinstance(b, Null):
        return a
    if isinstance(a, Prim) and isinstance(b, Prim):
        if a.name in _INTEGERS and b.name in _INTEGERS:
            return a if _INTEGERS.index(a.name) >= _INTEGERS.index(b.name) else b
        if {a.name, b.name} <= set(_INTEGERS + _FLOATS):
            return Prim("double")
        if {a.name, b.name} == {"date", "timestamp"}:
            return Prim("timestamp")
        return STRING
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        scale = max(a.scale, b.scale)
        digits = max(a.precision - a.scale, b.precision - b.scale)
        return Decimal(min(38, digits + scale), scale)
    if isinstance(a, (Decimal, Prim)) and isinstance(b, (Decimal, Prim)):
        names = {x.name if isinstance(x, Prim) else "decimal" for x in (a, b)}
        return Prim("double") if names <= {"decimal", *_INTEGERS, *_FLOATS} else STRING
    if isinstance(a, Array) and isinstance(b, Array):
        return Array(merge(a.element, b.element))
    if isinstance(a, Map) and isinstance(b, Map):
        return Map(merge(a.key, b.key), merge(a.value, b.value))
    if isinstance(a, Struct) and isinstance(b, Struct):
        return Struct(merge_fields(a.fields, b.fields))
    return STRING


def merge_fields(a: tuple[tuple[str, HiveType], ...], b: tuple[tuple[str, HiveType], ...]) -> tuple[tuple[str, HiveType], ...]:
    """Fields of ``a`` in their order (widened by ``b``'s), then ``b``'s new ones."""
    theirs = dict(b)
    merged = [(name, merge(t, theirs[name]) if name in theirs else t) for name, t in a]
    mine = {name for name, _ in a}
    merged += [(name, t) for name, t in b if name not in mine]
    return tuple(merged)


# --- Arrow (Parquet footers) -------------------------------------------------------


def from_arrow(arrow_type) -> HiveType:
    """The Glue type of an Arrow type read from a Parquet schema."""
    import pyarrow as pa
    import pyarrow.types as pt

    t = arrow_type
    if pt.is_dictionary(t):
        return from_arrow(t.value_type)
    if pt.is_boolean(t):
        return Prim("boolean")
    if pt.is_int8(t):
        return Prim("tinyint")
    if pt.is_int16(t) or pt.is_uint8(t):
        return Prim("smallint")
    if pt.is_int32(t) or pt.is_uint16(t):
        return Prim("int")
    if pt.is_int64(t) or pt.is_uint32(t) or pt.is_uint64(t):
        return Prim("bigint")
    if pt.is_float16(t) or pt.is_float32(t):
        return Prim("float")
    if pt.is_float64(t):
        return Prim("double")
    if pt.is_decimal(t):
        return Decimal(t.precision, t.scale)
    if pt.is_string(t) or pt.is_large_string(t) or (hasattr(pt, "is_string_view") and pt.is_string_view(t)):
        return STRING
    if pt.is_binary(t) or pt.is_large_binary(t) or pt.is_fixed_size_binary(t) or (
            hasattr(pt, "is_binary_view") and pt.is_binary_view(t)):
        return Prim("binary")
    if pt.is_date(t):
        return Prim("date")
    if pt.is_timestamp(t):
        return Prim("timestamp")
    if pt.is_null(t):
        return NULL
    if pt.is_list(t) or pt.is_large_list(t) or pt.is_fixed_size_list(t) or (
            hasattr(pt, "is_list_view") and pt.is_list_view(t)):
        return Array(from_arrow(t.value_type))
    if pt.is_map(t):
        return Map(from_arrow(t.key_type), from_arrow(t.item_type))
    if pt.is_struct(t):
        return Struct(tuple((field.name.lower(), from_arrow(field.type)) for field in t))
    if isinstance(t, pa.ExtensionType):
        return from_arrow(t.storage_type)
    return STRING  # time, duration, interval, union ...: no Hive equivalent


# --- values (JSON documents, CSV cells) ----------------------------------------------

INT_MIN, INT_MAX = -(2 ** 31), 2 ** 31 - 1


def from_json_value(value) -> HiveType:
    """The type the JSON classifier gives a value: ``int`` (32-bit) / ``bigint`` / ``double`` / ..."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return Prim("boolean")
    if isinstance(value, int):
        return Prim("int") if INT_MIN <= value <= INT_MAX else Prim("bigint")
    if isinstance(value, float):
        return Prim("double")
    if isinstance(value, str):
        return STRING
    if isinstance(value, list):
        element: HiveType = NULL
        for item in value:
            element = merge(element, from_json_value(item))
        return Array(element)
    if isinstance(value, dict):
        return Struct(tuple((str(k).lower(), from_json_value(v)) for k, v in _unique_lower(value)))
    return STRING


def _unique_lower(document: dict) -> list[tuple[str, object]]:
    """Keys lowercased (Hive names are case-insensitive); the first of clashing keys wins."""
    seen, items = set(), []
    for key, value in document.items():
        lowered = str(key).lower()
        if lowered not in seen:
            seen.add(lowered)
            items.append((key, value))
    return items


def from_csv_cell(text: str) -> HiveType:
    """The CSV classifier's types: ``boolean``, ``bigint``, ``double`` or ``string``; empty cells are unknown."""
    cell = text.strip()
    if not cell:
        return NULL
    lowered = cell.lower()
    if lowered in ("true", "false"):
        return Prim("boolean")
    try:
        int(cell)
        return Prim("bigint")
    except ValueError:
        pass
    try:
        float(cell)
        if lowered in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity"):
            return STRING
        return Prim("double")
    except ValueError:
        return STRING
