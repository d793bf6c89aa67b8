"""Where each page of the static site lives, relative to the site root.

Clause ids contain ':' and '~', so they are never file names: a clause is an
anchor (``docs/<doc id>.html#<clause id>``) on its document's page. Q&A, document,
rule and service ids are lower-case ASCII already; anything else is made safe.
"""
from __future__ import annotations

import hashlib
import re
from functools import lru_cache

INDEX = "index.html"
VOLUMES = "volumes.html"
GLOSSARY = "glossary.html"
SERVICES = "services.html"
RULES = "rules.html"
PAGE_SUFFIX = ".html"  # every page's, and no other file of the site has it (kb.build._prelink)


@lru_cache(maxsize=1 << 16)  # a ruling is linked from its volume's and its services' pages
def safe_name(ident: str) -> str:
    """A file name that is the same on every OS: [a-z0-9-_], plus a hash when changed."""
    name = re.sub(r"[^a-z0-9_-]+", "-", ident.lower()).strip("-")[:80]
    if name != ident or not name:
        name = f"{name or 'x'}-{hashlib.sha1(ident.encode()).hexdigest()[:8]}"
    return name


def doc_path(doc_id: str) -> str:
    return f"docs/{safe_name(doc_id)}.html"


def clause_href(doc_id: str, clause_id: str) -> str:
    return f"{doc_path(doc_id)}#{clause_id}"


def qa_path(qa_id: str) -> str:
    return f"qa/{safe_name(qa_id)}.html"


def rule_path(rule_id: str) -> str:
    return f"rules/{safe_name(rule_id)}.html"


def service_path(service_id: str) -> str:
    return f"services/{safe_name(service_id)}.html"


def volume_anchor(series_id: str, volume: int | None) -> str:
    return f"{VOLUMES}#{series_id}-vol{volume}" if volume is not None else f"{VOLUMES}#{series_id}"


def volume_path(series_id: str, volume: int | None) -> str:
    """A volume's own page: its rulings (volumes.html lists the volumes)."""
    return f"volumes/{_volume_name(series_id, volume)}.html"


def service_volume_path(service_id: str, series_id: str, volume: int | None) -> str:
    """A service's rulings of one volume (the service page lists its volumes)."""
    return f"services/{safe_name(service_id)}/{_volume_name(series_id, volume)}.html"


def rule_volume_path(rule_id: str, series_id: str, volume: int | None) -> str:
    """A rule's linked rulings of one volume (the rule page lists its volumes)."""
    return f"rules/{safe_name(rule_id)}/{_volume_name(series_id, volume)}.html"


def _volume_name(series_id: str, volume: int | None) -> str:
    return f"{safe_name(series_id)}-vol{volume}" if volume is not None else safe_name(series_id)


def volume_stem(series_id: str, volume: int) -> str:
    return f"vol-{safe_name(series_id)}-{volume}"


def service_stem(service_id: str) -> str:
    return f"service-{safe_name(service_id)}"


def download(stem: str, fmt: str) -> str:
    """A CSV or JSON download (kb/site/export.py) of a volume or a service."""
    return f"downloads/{stem}.{fmt}"
