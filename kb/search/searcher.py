"""Query handling: any text is a valid query.

A query is normalized like the index (NFKC, PDF repairs; typed spaces kept as word
breaks), tokenized with the same Sudachi analysis, and each typed word becomes a
group of terms: the word, its parts, its thesaurus expansions at lower weights.
Documents are scored with Whoosh's BM25F over all fields (cached per posting at
build time, :mod:`kb.search.impact`), then re-ranked by how many typed words they match and
by kind. A reference (``Vol.1 問127``) puts that Q&A first. Filters narrow by service
(through the service groups), volume, kind and date.
"""
from __future__ import annotations

import heapq
import json
import re
import unicodedata
from array import array
from dataclasses import dataclass, field
from pathlib import Path

from ..corpus.normalize import query_text, search_text
from ..corpus.refs import parse_reference
from . import analysis
from .thesaurus import key_form

MAX_QUERY = 1000  # characters analysed; the rest of a pasted page adds nothing
PART_WEIGHT = 0.35
BM25_B, BM25_K1 = 0.4, 1.2  # B < 0.75: long Q&A answers are not to be buried under short headings
STRONG_WEIGHT = 0.7  # the typed word itself or an abbreviation's official term
WEAK_MATCH = 0.4  # credit for a word matched only through a part or a broader term
CANDIDATES = 300  # BM25F top hits that are re-ranked
GROUP_TIEBREAK = 0.1
COMMON_DF = 0.25  # a part or expansion in more than this share of units adds cost, not ranking  # share of a typed word's other forms' scores added to its best form's
# a bare heading names a topic but answers nothing: rank it below content;
# a ruling (Q&A) is what most searches are after
KIND_WEIGHT = {"heading": 0.6, "qa-source": 0.5, "qa": 1.4}


class QueryError(ValueError):
    """A query that cannot be run (empty, bad filter); exit code 2."""


class IndexMissing(RuntimeError):
    pass


@dataclass
class Hit:
    id: str
    kind: str
    score: float
    data: dict

    def as_json(self) -> dict:
        d = dict(self.data)
        d["score"] = round(self.score, 4)
        return d


@dataclass
class Result:
    query: str  # as searched: after clean_query
    hits: list[Hit]
    terms: list[str] = field(default_factory=list)  # matched terms, for highlighting


@dataclass(frozen=True)
class Filters:
    service: str | None = None
    volume: int | None = None
    kind: str | None = None
    since: str | None = None  # ISO
    until: str | None = None


DROPPED = ("Cc", "Cf", "Cs", "Co")  # control, format, surrogate (invalid input bytes), private use
SPACE_CONTROLS = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85"  # line breaks and tabs still separate words


def clean_query(query: str) -> str:
    """The input boundary (the browser's cleanQuery in search.js does the same): characters
    of the DROPPED categories go (a tab or line break becomes a space), then the first
    MAX_QUERY characters are kept, surrounding white space stripped."""
    kept: list[str] = []
    for ch in query:
        if unicodedata.category(ch) in DROPPED:
            if ch not in SPACE_CONTROLS:
                continue
            ch = " "
        kept.append(ch)
        if len(kept) == MAX_QUERY:  # stop early: a pasted page costs no more than MAX_QUERY characters
            break
    return "".join(kept).strip()


class Searcher:
    """An open index; reuse it for many queries (warm latency)."""

    def __init__(self, index_dir: Path):
        from whoosh import index as windex
        from whoosh import scoring

        from .impact import Impacts

        index_dir = Path(index_dir)
        if not (index_dir / "lookup.json").exists() or not windex.exists_in(str(index_dir)):
            raise IndexMissing(f"no search index in {index_dir}; build it first: kaigo-kb build (or python build.py)")
        try:
            self.lookup = json.loads((index_dir / "lookup.json").read_text(encoding="utf-8"))
            self.ix = windex.open_dir(str(index_dir))
            self.searcher = self.ix.searcher(weighting=scoring.BM25F(B=BM25_B, K1=BM25_K1))
            self.impacts = Impacts(index_dir)
        except Exception as e:  # a damaged index or one from another version: say how to fix it
            raise IndexMissing(
                f"the search index in {index_dir} cannot be read ({type(e).__name__}: {e}); "
                "rebuild it: kaigo-kb build"
            ) from None
        self.ndocs = self.searcher.doc_count_all()
        dic = self.lookup.get("user_dic")
        analysis.configure(str(index_dir / dic) if dic else None)  # only once the index is good

    def close(self):
        self.searcher.close()

    # ------------------------------------------------------------------ query terms
    def query_groups(self, text: str) -> list[dict[str, float]]:
        """One group per typed word: {term: weight}. A word's parts (医療 in 医療機関)
        and its thesaurus expansions (特養 -> 介護老人福祉施設, 介護保険施設等) join
        its group with lower weights, so a hit is credited once per typed word."""
        toks = analysis.tokenize(text)
        words = [t for t in toks if not t.part]
        groups: list[dict[str, float]] = []  # groups[i] belongs to words[i]

        def add(g: dict, t: str, w: float):
            if w > g.get(t, 0.0):
                g[t] = w

        for w in words:
            g = {w.term: 1.0}
            for p in toks:
                if p.part and len(p.term) > 1 and w.start <= p.start and p.end <= w.end:
                    add(g, p.term, PART_WEIGHT)
            groups.append(g)
        thes = self.lookup["thesaurus"]
        i = 0
        while i < len(words):
            for j in range(min(len(words), i + 4), i, -1):
                key = key_form(text[words[i].start:words[j - 1].end])
                if key in thes:
                    g = groups[i]
                    for k in range(i + 1, j):  # a multi-word key is one typed word
                        g.update({t: max(wt, g.get(t, 0)) for t, wt in groups[k].items()})
                        groups[k] = {}
                    for target, wt in thes[key]:
                        # whole words only: the parts of 介護老人福祉施設 (介護, 施設)
                        # would match nearly everything
                        for tk in analysis.tokenize(search_text(target)):
                            if not tk.part:
                                add(g, tk.term, wt)
                    i = j
                    break
            else:
                i += 1
        return [g for g in groups if g]

    def _filter(self, f: Filters):
        from whoosh import query as Q

        parts = []
        if f.kind:
            parts.append(Q.Term("kind", f.kind))
        if f.volume is not None:
            parts.append(Q.Term("volume", str(f.volume)))
        if f.service:
            accept = self.lookup["services"].get(key_form(f.service))
            if not accept:
                known = ", ".join(sorted(self.lookup["services"])[:12])
                raise QueryError(f"unknown service {f.service!r}; try an official name or an abbreviation such as {known} …")
            parts.append(Q.Or([Q.Term("services", s) for s in accept]))
        if f.since or f.until:
            parts.append(Q.TermRange("date", f.since or "0000-00-00", f.until or "9999-99-99"))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else Q.And(parts)

    def search(self, query: str, limit: int = 10, filters: Filters = Filters()) -> Result:
        q = clean_query(query)
        if not q:
            raise QueryError("empty query; type a few words, e.g. kaigo-kb search \"ショートステイ 算定\"")
        ref = parse_reference(q)
        flt = self._filter(filters)
        hits = self._reference_hits(ref, flt) if not ref.empty else []
        rest = ref.rest if not ref.empty else q
        if not ref.empty and not rest and hits:
            # a bare reference: follow it with what else is said on that topic
            first = hits[0].data
            rest = " ".join(first.get("breadcrumb", [])[-1:]) or first.get("title", "")
        text = query_text(rest)
        groups = self.query_groups(text) if text else []
        if groups:
            allowed = set(self.searcher.docs_for_query(flt)) if flt is not None else None
            hits += self._ranked(groups, allowed, limit, {h.id for h in hits})
        weights: dict[str, float] = {}
        for g in groups:
            for t, w in g.items():
                weights[t] = max(w, weights.get(t, 0.0))
        return Result(query=q, hits=hits[:limit], terms=sorted(weights, key=lambda t: -weights[t]))

    def _forms(self, group: dict[str, float]) -> list[tuple[float, array, array]]:
        """(weight, doc numbers, impacts) of the forms of a typed word that take part
        in ranking: the word itself always; a part or expansion unless it stands in
        more than COMMON_DF of all units (加算, 医療 …), where it adds cost, not order."""
        out = []
        for term, w in group.items():
            if w < 1.0 and self.impacts.df(term) > COMMON_DF * self.ndocs:
                continue
            docs, scores = self.impacts.postings(term)
            if len(docs):
                out.append((w, docs, scores))
        return out

    def _scores(self, forms: list[list[tuple[float, array, array]]]) -> tuple[list[float], set[int]]:
        """BM25F score of every document (summed from the precomputed impacts, see
        kb.search.impact), and the documents that match at all. A typed word scores through
        its best form (the word, a part, an expansion), the others adding
        GROUP_TIEBREAK of theirs: parts must not outvote the whole word."""
        acc = [0.0] * self.ndocs
        touched: set[int] = set()
        for lists in forms:
            if len(lists) == 1:  # one form only: its score is the best-of (the common case, kept fast)
                w, docs, scores = lists[0]
                for d, sc in zip(docs, scores):
                    acc[d] += w * sc
                touched.update(docs)
                continue
            best = [0.0] * self.ndocs
            total = [0.0] * self.ndocs
            mine: set[int] = set()
            for w, docs, scores in lists:
                mine.update(docs)
                for d, sc in zip(docs, scores):
                    v = w * sc
                    total[d] += v
                    if v > best[d]:
                        best[d] = v
            for d in mine:
                b = best[d]
                acc[d] += b + GROUP_TIEBREAK * (total[d] - b)
            touched |= mine
        return acc, touched

    def _ranked(self, groups, allowed: set[int] | None, limit: int, seen: set[str]) -> list[Hit]:
        """The BM25F top candidates re-ranked by how many typed words each matched (a
        whole word counts fully, a part or broader term less) and by kind."""
        forms = [self._forms(g) for g in groups]
        acc, touched = self._scores(forms)
        if allowed is not None:
            touched &= allowed
        top = heapq.nlargest(CANDIDATES + len(seen), touched, key=acc.__getitem__)
        strong, anyform = [], []
        for lists in forms:
            st, an = set(), set()
            for w, docs, _ in lists:
                an.update(docs)
                if w >= STRONG_WEIGHT:
                    st.update(docs)
            strong.append(st)
            anyform.append(an)
        prelim = []
        for d in top:
            credit = sum(1.0 if d in st else WEAK_MATCH if d in an else 0.0 for st, an in zip(strong, anyform))
            prelim.append((acc[d] * (0.2 + 0.8 * (credit / len(groups)) ** 2), d))
        prelim.sort(key=lambda x: (-x[0], x[1]))
        ranked = []
        for score, docnum in prelim[: 3 * (limit + len(seen)) + 10]:
            f = self.searcher.stored_fields(docnum)
            if f["id"] not in seen:
                ranked.append((score * KIND_WEIGHT.get(f["kind"], 1.0), f["id"], f))
        ranked.sort(key=lambda x: (-x[0], x[1]))
        return [Hit(f["id"], f["kind"], sc, json.loads(f["data"])) for sc, _, f in ranked[:limit]]

    def _reference_hits(self, ref, flt) -> list[Hit]:
        from whoosh import query as Q

        parts = [Q.Term("kind", "qa")]
        if ref.series_id:
            parts.append(Q.Term("series", ref.series_id))
        if ref.volume is not None:
            parts.append(Q.Term("volume", str(ref.volume)))
        if ref.number is not None:
            parts.append(Q.Term("number", str(ref.number)))
        results = self.searcher.search(Q.And(parts), limit=None, filter=flt, sortedby=None)
        found = [Hit(r["id"], "qa", 1000.0, json.loads(r["data"])) for r in results]
        found.sort(key=lambda h: (h.data.get("series_id", ""), h.data.get("volume") or 0, h.data.get("number") or 0, h.id))
        return found


def highlight(text: str, terms: list[str], width: int = 160) -> tuple[str, list[tuple[int, int]]]:
    """A snippet of ``text`` around the first matched word, and the spans to highlight in it."""
    flat = re.sub(r"\s+", " ", text).strip()
    spans = []
    termset = set(terms)
    for tk in analysis.tokenize(flat):
        if tk.term in termset and not tk.part:
            spans.append((tk.start, tk.end))
    if not spans:
        for tk in analysis.tokenize(flat):
            if tk.term in termset:
                spans.append((tk.start, tk.end))
    start = max(0, spans[0][0] - 40) if spans else 0
    end = min(len(flat), start + width)
    snippet = flat[start:end]
    shifted = [(a - start, b - start) for a, b in spans if a >= start and b <= end]
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(flat) else ""
    return prefix + snippet + suffix, [(a + len(prefix), b + len(prefix)) for a, b in shifted]
