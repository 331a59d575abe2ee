"""JSON rendered by string concatenation in SQL, for the report rows.

``json_build_object`` costs about twice a concatenation per object on this kind of
machine, and a 5,000-row report builds some 50,000 of them. The values here are
uuids, numbers, booleans and the schema's own enumerations (check constraints), which
need no escaping; free text (a name, a currency) goes through ``to_json``. Each
helper takes an SQL expression and returns an SQL expression of JSON text.
"""

from __future__ import annotations


def quoted(expression: str) -> str:
    """A uuid or an enumeration value as a JSON string, or null."""
    return f"""COALESCE('"' || ({expression}) || '"', 'null')"""


def escaped(expression: str) -> str:
    """Free text as a JSON string (escaped by PostgreSQL), or null."""
    return f"COALESCE(to_json({expression})::text, 'null')"


def number(expression: str) -> str:
    return f"COALESCE(({expression})::text, 'null')"


def boolean(expression: str) -> str:
    return f"CASE WHEN {expression} THEN 'true' ELSE 'false' END"


def raw(expression: str, default: str = "null") -> str:
    """Already JSON text (a nested object or list)."""
    return f"COALESCE({expression}, '{default}')"


def json_object(*members: tuple[str, str]) -> str:
    """``{"name": value, ...}`` from (name, JSON-text expression) pairs."""
    parts = " || ', ' || ".join(f"""'"{name}": ' || {value}""" for name, value in members)
    return f"('{{' || {parts} || '}}')"


def json_list(element: str, condition: str) -> str:
    """The elements of the aggregated rows meeting ``condition``, in their input order."""
    return f"('[' || string_agg({element}, ', ') FILTER (WHERE {condition}) || ']')"
