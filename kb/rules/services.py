"""The controlled list of service types (corpus/services.toml) and their group terms.

One list serves the rule entries and the search thesaurus: an official name, an
ASCII id, what people type for it (特養, GH, ショート …), and group terms defined
by the sources (介護保険施設等, 高齢者施設等). A rule stated for a group applies to
every member, so :meth:`Services.covers` is how a rule's services meet a question.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..corpus.schema import ID_PATTERN, Field, validate
from ..sources.files import DataError, load_toml

SERVICES_FILE = "services.toml"


def str_list(value) -> str | None:
    if not all(isinstance(x, str) and x.strip() for x in value):
        return "expected a list of non-empty strings"
    return None


SERVICE_SCHEMA: dict[str, Field] = {
    "id": Field(str, pattern=ID_PATTERN, help="ASCII slug, e.g. tokuyo"),
    "name": Field(str, help="the official name, e.g. 介護老人福祉施設"),
    "aliases": Field(list, required=False, default=[], check=str_list, help="abbreviations people type"),
    "codes": Field(list, required=False, default=[], check=str_list,
                   help="サービス種別 codes of MHLW's 介護サービスQ＆A集, e.g. [\"16\"]"),
    "note": Field(str, required=False, default=""),
}
GROUP_SCHEMA: dict[str, Field] = {
    **SERVICE_SCHEMA,
    "members": Field(list, check=str_list, help="official names of services or other groups"),
}
FILE_SCHEMA: dict[str, Field] = {
    "service": Field(list, help="[[service]] tables"),
    "group": Field(list, required=False, default=[], help="[[group]] tables"),
}


def key(text: str) -> str:
    """Match key: NFKC, case-folded, without spaces (so ｇｈ, G H and GH meet)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    aliases: tuple[str, ...]
    kind: str  # "service" | "group"
    members: tuple[str, ...] = ()  # direct members, for a group
    note: str = ""
    codes: tuple[str, ...] = ()  # the workbook's サービス種別 codes


@dataclass(frozen=True)
class WorkbookService:
    """What a workbook サービス種別 cell names: 「０１.全サービス共通（１３.訪問看護事業…を除く）」."""
    code: str  # 01, as printed (NFKC); "" when the cell has none
    label: str  # 全サービス共通
    names: tuple[str, ...]  # official service or group names it applies to
    excluded: tuple[str, ...] = ()  # services 「…を除く」 takes out
    category: str = ""  # a further line such as 「50 介護職員処遇改善加算・…」

    @property
    def unknown(self) -> bool:
        return not self.names


_CODE_NAME = re.compile(r"^\s*(?P<code>\d{1,3})?\s*[.．、]?\s*(?P<name>.*?)\s*$")
_EXCLUDED = re.compile(r"(?P<code>\d{1,3})\s*[.．]\s*(?P<name>[^、,（）()]+?)(?=、|,|を除く|[)）]|$)")


class Services:
    """Look-ups over the controlled list; built by :func:`load_services`."""

    def __init__(self, entries: list[Service]):
        self._entries = list(entries)
        self._by_name = {s.name: s for s in entries}
        self._by_key: dict[str, str] = {}
        self._by_code: dict[str, str] = {}
        self._workbook_cells: dict[str, WorkbookService] = {}
        # the look-ups below, each answered once (the list does not change; a site asks tens of
        # thousands of them, each a normalization and a walk of the groups)
        self._resolved: dict[str, str | None] = {}
        self._members: dict[str, tuple[str, ...]] = {}
        self._groups: dict[str, tuple[str, ...]] = {}
        for s in entries:
            for term in (s.name, *s.aliases):
                self._by_key.setdefault(key(term), s.name)
            for code in s.codes:
                self._by_code.setdefault(code.lstrip("0") or "0", s.name)

    def all(self) -> list[Service]:
        return list(self._entries)

    def get(self, name: str) -> Service | None:
        official = self.resolve(name)
        return self._by_name.get(official) if official else None

    def resolve(self, name: str) -> str | None:
        """Official name (or group name) for an official name, abbreviation or alias."""
        if not name:
            return None
        try:
            return self._resolved[name]
        except KeyError:
            found = self._resolved[name] = self._by_key.get(key(name))
            return found

    def is_group(self, name: str) -> bool:
        s = self.get(name)
        return s is not None and s.kind == "group"

    def members(self, group: str) -> list[str]:
        """Every service in ``group``, nested groups expanded, in declaration order."""
        found = self._members.get(group)
        if found is None:
            found = self._members[group] = tuple(self._find_members(group))
        return list(found)

    def _find_members(self, group: str) -> list[str]:
        g = self.get(group)
        if g is None or g.kind != "group":
            return []
        out: list[str] = []
        for m in g.members:
            for leaf in (self.members(m) if self.is_group(m) else [m]):
                if leaf not in out:
                    out.append(leaf)
        return out

    def groups_of(self, official: str) -> list[str]:
        """Every group containing ``official``, directly or through another group."""
        found = self._groups.get(official)
        if found is None:
            name = self.resolve(official) or official
            found = self._groups[official] = tuple(
                g.name for g in self._entries if g.kind == "group" and g.name != name
                and (name in self.members(g.name) or self._contains_group(g.name, name)))
        return list(found)

    def _contains_group(self, group: str, inner: str) -> bool:
        g = self._by_name.get(group)
        return g is not None and any(m == inner or (self.is_group(m) and self._contains_group(m, inner))
                                     for m in g.members)

    def aliases(self, official: str) -> list[str]:
        s = self.get(official)
        return list(s.aliases) if s else []

    def by_workbook(self, code: str, name: str) -> str | None:
        """The official name a workbook code (or, failing that, its printed name) stands for."""
        found = self._by_code.get(code.lstrip("0") or "0") if code else None
        if found is None and name:
            bare = re.sub(r"(?:事業|事業所)$", "", name.strip())
            found = self.resolve(name) or self.resolve(bare)
        return found

    def workbook_service(self, cell: str) -> WorkbookService:
        """Read a workbook サービス種別 cell: its code and name, the services 「…を除く」 leaves
        out, a further category line; ``names`` is empty when the list does not know it.
        A workbook has a handful of distinct cells over thousands of rows: each is read once."""
        if cell not in self._workbook_cells:
            self._workbook_cells[cell] = self._read_workbook_cell(cell)
        return self._workbook_cells[cell]

    def _read_workbook_cell(self, cell: str) -> WorkbookService:
        lines = [ln.strip() for ln in unicodedata.normalize("NFKC", cell).splitlines() if ln.strip()]
        if not lines:
            return WorkbookService("", "", ())
        m = _CODE_NAME.match(lines[0])
        code, label = (m["code"] or ""), m["name"]
        excluded: list[str] = []
        category = ""
        for line in lines[1:]:
            if "除く" in line:
                excluded += [n for e in _EXCLUDED.finditer(line) if (n := self.by_workbook(e["code"], e["name"]))]
            else:
                category = line
        found = self.by_workbook(code, label)
        return WorkbookService(code, label, (found,) if found else (), tuple(excluded), category)

    def covers(self, rule_service: str, asked: str) -> bool:
        """True when ``asked`` is ``rule_service`` or a member of the group ``rule_service``."""
        rule, q = self.resolve(rule_service), self.resolve(asked)
        if rule is None or q is None:
            return False
        if rule == q:
            return True
        return self.is_group(rule) and (q in self.members(rule) or self._contains_group(rule, q))


def load_services(corpus_root: Path | str) -> Services:
    path = Path(corpus_root) / SERVICES_FILE
    if not path.exists():
        raise DataError(path, None, "service list missing; every corpus needs services.toml")
    data = validate(load_toml(path), FILE_SCHEMA, path)
    entries: list[Service] = []
    seen: dict[str, str] = {}  # match key -> field that claimed it
    codes: dict[str, str] = {}  # workbook code -> the name that claimed it
    ids: set[str] = set()
    for table, schema, kind in (("service", SERVICE_SCHEMA, "service"), ("group", GROUP_SCHEMA, "group")):
        for i, raw in enumerate(data[table]):
            where = f"{table}[{i}]"
            if not isinstance(raw, dict):
                raise DataError(path, where, "expected a table")
            item = validate(raw, schema, path, prefix=where + ".")
            if item["id"] in ids:
                raise DataError(path, where + ".id", f"duplicate id {item['id']!r}")
            ids.add(item["id"])
            for j, term in enumerate([item["name"], *item["aliases"]]):
                fname = where + (".name" if j == 0 else f".aliases[{j - 1}]")
                if key(term) in seen and seen[key(term)] != item["name"]:
                    raise DataError(path, fname, f"{term!r} already names {seen[key(term)]!r}; a term names one service")
                seen[key(term)] = item["name"]
            for j, code in enumerate(item["codes"]):
                if not code.isdigit():
                    raise DataError(path, f"{where}.codes[{j}]", f"{code!r}: a workbook code is digits, e.g. \"16\"")
                if codes.setdefault(code.lstrip("0") or "0", item["name"]) != item["name"]:
                    raise DataError(path, f"{where}.codes[{j}]", f"code {code} already names {codes[code.lstrip('0') or '0']!r}")
            entries.append(Service(id=item["id"], name=item["name"], aliases=tuple(item["aliases"]), kind=kind,
                                   members=tuple(item.get("members") or ()), note=item["note"],
                                   codes=tuple(item["codes"])))
    names = {s.name for s in entries}
    for i, g in enumerate(s for s in entries if s.kind == "group"):
        for j, m in enumerate(g.members):
            if m not in names:
                raise DataError(path, f"group[{i}].members[{j}]", f"{m!r} is not an official name in this file")
    _check_cycles(path, [s for s in entries if s.kind == "group"])
    return Services(entries)


def _check_cycles(path: Path, groups: list[Service]) -> None:
    by_name = {g.name: g for g in groups}

    def reaches(start: str, target: str, seen: set[str]) -> bool:
        for m in by_name[start].members:
            if m == target or (m in by_name and m not in seen and reaches(m, target, seen | {m})):
                return True
        return False

    for i, g in enumerate(groups):
        if reaches(g.name, g.name, {g.name}):
            raise DataError(path, f"group[{i}].members", f"group {g.name!r} contains itself")
