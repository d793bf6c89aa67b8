"""Declarative validation of data files (document metadata, rule entries).

A schema is a dict ``name -> Field``. :func:`validate` checks a parsed TOML table
against it and raises :class:`DataError` naming the file, the field and the fix.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..sources.files import DataError


@dataclass(frozen=True)
class Field:
    type: type | tuple[type, ...]
    required: bool = True
    choices: tuple[str, ...] | None = None
    pattern: str | None = None
    check: Callable[[Any], str | None] | None = None  # returns an error message or None
    default: Any = None
    help: str = ""


ID_PATTERN = r"[a-z0-9][a-z0-9\-]*[a-z0-9]"


def validate(data: dict, schema: dict[str, Field], path: Path | str, prefix: str = "") -> dict:
    """Return ``data`` with defaults filled in, or raise DataError."""
    unknown = sorted(set(data) - set(schema))
    if unknown:
        raise DataError(path, prefix + unknown[0], f"unknown field; allowed: {', '.join(schema)}")
    out = {}
    for name, spec in schema.items():
        fname = prefix + name
        if name not in data or data[name] in (None, ""):
            if spec.required:
                raise DataError(path, fname, f"missing; {spec.help or 'add it'}")
            out[name] = data.get(name, spec.default) if data.get(name) is not None else spec.default
            continue
        value = data[name]
        types = spec.type if isinstance(spec.type, tuple) else (spec.type,)
        if isinstance(value, bool) and bool not in types:
            ok = False
        else:
            ok = isinstance(value, types)
        if not ok:
            want = " or ".join(t.__name__ for t in types)
            raise DataError(path, fname, f"expected {want}, got {type(value).__name__} {value!r}")
        if spec.choices is not None and value not in spec.choices:
            raise DataError(path, fname, f"{value!r} is not one of: {', '.join(spec.choices)}")
        if spec.pattern is not None and not re.fullmatch(spec.pattern, str(value)):
            raise DataError(path, fname, f"{value!r} does not match {spec.pattern} ({spec.help})")
        if spec.check is not None:
            msg = spec.check(value)
            if msg:
                raise DataError(path, fname, msg)
        out[name] = value
    return out


def int_range(low: int, high: int) -> Callable[[Any], str | None]:
    """Field check: a whole number from ``low`` to ``high``."""
    def check(value: int) -> str | None:
        return None if low <= value <= high else f"{value} is out of range; allowed: {low} to {high}"

    return check


# the sources' dates; a year outside this is a typo (and 和暦 would print 令和7981年)
FIRST_DATE, LAST_DATE = dt.date(1900, 1, 1), dt.date(2099, 12, 31)


def iso_date(value: Any) -> str | None:
    """Field check: a TOML date or an ISO string, from FIRST_DATE to LAST_DATE."""
    if isinstance(value, dt.datetime):
        return f"expected a date without a time, got {value!r}"
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value))
        except ValueError:
            return f"expected an ISO date like 2024-03-15, got {value!r}"
    if not FIRST_DATE <= value <= LAST_DATE:
        return f"{value.isoformat()} is out of range; allowed: {FIRST_DATE} to {LAST_DATE}"
    return None


def as_iso(value: Any) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return dt.date.fromisoformat(str(value)).isoformat()
