"""Domain thesaurus, applied at query time with lower weights for expansions.

Two sources, both data: ``corpus/thesaurus.toml`` (abbreviations and synonyms) and
``corpus/services.toml`` (service names, what people call them, and group terms: a
search for 特養 must find text that only says 介護保険施設等).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..corpus.normalize import key_form
from ..corpus.schema import Field, validate
from ..sources.files import DataError, load_toml

WEIGHTS = {"abbrev": 0.8, "synonym": 0.7, "group": 0.45, "broader": 0.5}

TERM_SCHEMA = {
    "key": Field(str, help="what people type"),
    "targets": Field(list, help="list of terms the sources use"),
    "kind": Field(str, choices=tuple(WEIGHTS)),
    "note": Field(str, required=False, default=""),
}
FILE_SCHEMA = {"term": Field(list, required=False, default=[], help="[[term]] tables")}


@dataclass(frozen=True)
class Entry:
    term: str
    targets: tuple[str, ...]
    kind: str  # abbrev | synonym | group | broader
    note: str = ""


class Thesaurus:
    def __init__(self, entries: list[Entry]):
        self.entries = sorted(entries, key=lambda e: (key_form(e.term), e.kind, e.targets))
        self._map: dict[str, list[tuple[str, float]]] = {}
        for e in self.entries:
            k = key_form(e.term)
            for t in e.targets:
                if key_form(t) != k:
                    self._map.setdefault(k, []).append((t, WEIGHTS[e.kind]))
        self.max_key = max((len(k) for k in self._map), default=0)

    def expand(self, word: str) -> list[tuple[str, float]]:
        """What a typed word expands to, each with a weight < 1."""
        return list(dict.fromkeys(self._map.get(key_form(word), [])))

    def find(self, text: str) -> list[tuple[str, int, int]]:
        """Thesaurus keys in ``text`` (already key_form-ed), longest match first, left to right."""
        out, i = [], 0
        while i < len(text):
            for n in range(min(self.max_key, len(text) - i), 0, -1):
                if text[i:i + n] in self._map:
                    out.append((text[i:i + n], i, i + n))
                    i += n
                    break
            else:
                i += 1
        return out

    def as_map(self) -> dict[str, list[tuple[str, float]]]:
        return {k: v for k, v in sorted(self._map.items())}


def _service_entries(services) -> list[Entry]:
    out = []
    for s in services.all():
        if s.kind == "group":
            out.append(Entry(s.name, tuple(s.members), "group", s.note))
            continue
        for a in s.aliases:
            out.append(Entry(a, (s.name,), "abbrev"))
        groups = tuple(services.groups_of(s.name))
        if groups:
            out.append(Entry(s.name, groups, "group"))
            for a in s.aliases:
                out.append(Entry(a, groups, "group"))
    return out


def load_thesaurus(root: Path | str, services=None) -> Thesaurus:
    """``root/thesaurus.toml`` plus the names in ``services`` (loaded from
    ``root/services.toml`` when not given and the file is there)."""
    root = Path(root)
    if services is None and (root / "services.toml").exists():
        from ..rules.services import load_services

        services = load_services(root)
    entries = _service_entries(services) if services is not None else []
    path = root / "thesaurus.toml"
    data = validate(load_toml(path), FILE_SCHEMA, path)
    for i, raw in enumerate(data["term"]):
        if not isinstance(raw, dict):
            raise DataError(path, f"term[{i}]", "expected a table ([[term]])")
        t = validate(raw, TERM_SCHEMA, path, prefix=f"term[{i}].")
        if not all(isinstance(x, str) and x for x in t["targets"]):
            raise DataError(path, f"term[{i}].targets", "must be a list of non-empty strings")
        entries.append(Entry(t["key"], tuple(t["targets"]), t["kind"], t["note"]))
    return Thesaurus(entries)
