"""What a search returns: hits, how the query was read, and the filters it took.

:class:`Result` carries the hits and the reading (the typed words with their thesaurus
expansions, a reference, a rule named, and with no hits the words nothing contains), which
``--json`` prints as ``reading`` and the human output and the site show in one line.
A rule's hit gets the amounts in force on the day of the query (:func:`in_force`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..corpus.dates import wareki


@dataclass
class Hit:
    id: str
    kind: str
    score: float
    data: dict
    exact: bool = False  # the Q&A a typed reference (Vol.1 問127) names

    def as_json(self) -> dict:
        d = dict(self.data)
        d["score"] = round(self.score, 4)
        d["exact"] = self.exact
        return d


@dataclass(frozen=True)
class Word:
    """A typed word as the search read it."""
    surface: str  # as typed (after normalization)
    group: dict  # term -> weight: the word, its parts, its expansions
    expansions: tuple[str, ...] = ()  # what the thesaurus added (特養 -> 介護老人福祉施設 …)


@dataclass
class Result:
    query: str  # as searched: after clean_query
    hits: list[Hit]
    terms: list[str] = field(default_factory=list)  # the terms searched, by weight
    needles: list[str] = field(default_factory=list)  # what a hit's text is marked with (present.needles)
    words: list[Word] = field(default_factory=list)
    rule: str = ""  # a rule entry the query names exactly (its id)
    reference: str = ""  # the reference the query holds, as read: Vol.1 問127
    reference_note: str = ""  # a reference that is not in the corpus: what the corpus has
    unmatched: list[str] = field(default_factory=list)  # typed words no unit contains
    suggestions: list[str] = field(default_factory=list)  # vocabulary words near them

    def reading(self) -> dict:
        """How the query was read, for --json and the one-line summary."""
        return {"words": [{"word": w.surface, "expansions": list(w.expansions)} for w in self.words],
                "reference": self.reference, "rule": self.rule, "reference_note": self.reference_note,
                "unmatched": self.unmatched, "suggestions": self.suggestions}

    def reading_line(self) -> str:
        """「SS → 短期入所生活介護 ／ 算定」: the words, each with what it was expanded to."""
        parts = [f"{self.reference}（参照）"] if self.reference else []
        for w in self.words:
            shown = "・".join(w.expansions[:3]) + ("…" if len(w.expansions) > 3 else "")
            parts.append(f"{w.surface} → {shown}" if shown else w.surface)
        return " ／ ".join(parts)


@dataclass(frozen=True)
class Filters:
    service: str | None = None
    volume: int | None = None
    kind: str | None = None  # a unit kind (qa, rule, paragraph …) or a category (Q&A, 事務連絡 …)
    since: str | None = None  # ISO
    until: str | None = None
    standard: str | None = None  # 基準種別 of a workbook ruling: 人員 / 設備 / 運営 / 報酬 / その他


def in_force(hit: Hit, day: dt.date) -> Hit:
    """A rule hit with the amounts in force on ``day`` (as of the query, not the build):
    ``in_force`` and the line ``in_force_text`` 「現在（令和8年12月2日）: 介護老人福祉施設ほか (1) 50単位/月 …」,
    which its snippet shows first (kb.search.present.shown_text)."""
    amounts = hit.data.get("amounts")
    if hit.kind != "rule" or not amounts:
        return hit
    iso = day.isoformat()
    now = [a for a in amounts if (not a["effective_from"] or a["effective_from"] <= iso)
           and (not a["effective_until"] or iso <= a["effective_until"])]
    by_services: dict[tuple, list[str]] = {}
    for a in now:
        cond = f"（{a['condition']}）" if a.get("condition") else ""
        per = f"/{a['per']}" if a["per"] else ""
        by_services.setdefault(tuple(a["services"]), []).append(f"{a['level']}{cond} {a['value']}{a['unit']}{per}")

    def who(services: tuple) -> str:
        return "・".join(services[:2]) + ("ほか" if len(services) > 2 else "")

    line = "；".join(f"{who(k)}: {'、'.join(v)}" for k, v in by_services.items()) or "（この日に適用される単位数の記載なし）"
    data = dict(hit.data, in_force=now, in_force_text=f"現在（{wareki(day)}）: {line}")
    return Hit(hit.id, hit.kind, hit.score, data)


def reference_label(ref) -> str:
    if ref.empty:
        return ""
    return " ".join(x for x in (f"Vol.{ref.volume}" if ref.volume is not None else "",
                                f"問{ref.number}" if ref.number is not None else "") if x)
