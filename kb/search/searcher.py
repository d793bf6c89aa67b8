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

import datetime as dt
import heapq
import json
import re
import unicodedata
from array import array
from pathlib import Path

from ..corpus.normalize import key_form, query_text
from ..corpus.refs import parse_reference
from . import analysis
from .present import ANSWER_CHARS, needles, ranges, window
from .results import Filters, Hit, Result, Word, in_force, reference_label

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
# ... but only for a query asked as a question (「…できるか」「…如何」); words alone weigh all kinds alike
KEYWORD_KIND_WEIGHT = {"heading": 0.6, "qa-source": 0.5, "rule": 0.8}
QUESTION = re.compile(r"(?:か|如何|いかが|可能|[?？])[。.\s]*$")
# words that ask what a rule entry states: with a rule's name, they put the entry first
RULE_ASKS = frozenset({"単位", "単位数", "点数", "何単位", "いくら", "報酬"})
# a ruling a newer one deleted or corrected ranks below it
STATUS_WEIGHT = {"削除": 0.5, "修正": 0.8}


class QueryError(ValueError):
    """A query that cannot be run (empty, bad filter); exit code 2."""


class IndexMissing(RuntimeError):
    pass


def topic_query(data: dict) -> str:
    """What a bare reference (``Vol.1 問127``) is followed by, what else is said on the topic of
    the ruling it names (its hit data): the topic, else the title."""
    return " ".join(data.get("breadcrumb", [])[-1:]) or data.get("title", "")


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
    """An open index; reuse it for many queries (warm latency).

    Opening reads what every query needs and nothing else (the impacts' term table, the
    stored hits' table, the query vocabulary): a ranked query adds up impacts, reads its hits
    from the stored units and its words from the vocabulary, so it runs without Whoosh and,
    for the words the corpus holds, without Sudachi. Whoosh is opened for a filter only."""

    def __init__(self, index_dir: Path):
        from .impact import Impacts
        from .stored import StoredUnits
        from .vocab import Vocabulary

        self.index_dir = index_dir = Path(index_dir)
        if not (index_dir / "lookup.json").exists():
            raise IndexMissing(f"no search index in {index_dir}; build it first: kaigo-kb build (or python build.py)")
        try:
            self.lookup = json.loads((index_dir / "lookup.json").read_text(encoding="utf-8"))
            self.impacts = Impacts(index_dir)
            self.units = StoredUnits(index_dir)
            self.vocab = Vocabulary(index_dir)
            if not any(index_dir.glob("_MAIN_*.toc")):
                raise FileNotFoundError("no Whoosh table of contents")
        except Exception as e:  # a damaged index or one from another version: say how to fix it
            raise IndexMissing(
                f"the search index in {index_dir} cannot be read ({type(e).__name__}: {e}); "
                "rebuild it: kaigo-kb build"
            ) from None
        self.ndocs = len(self.units)
        self._whoosh = None
        self._docnums = None  # Whoosh's document number -> the unit's (kb.search.segment.DOCNUMS)
        dic = self.lookup.get("user_dic")
        # this index's own dictionary for every query (two open indexes never mix theirs);
        # configured as the default too, for callers without a Searcher
        self.user_dic = str(index_dir / dic) if dic else None
        analysis.configure(self.user_dic)  # only once the index is good

    @property
    def searcher(self):
        """The Whoosh searcher (BM25F as the impacts), opened when first asked for."""
        if self._whoosh is None:
            from whoosh import index as windex
            from whoosh import scoring

            from .segment import read_docnums

            try:
                ix = windex.open_dir(str(self.index_dir))
                self._whoosh = ix.searcher(weighting=scoring.BM25F(B=BM25_B, K1=BM25_K1))
                self._docnums = read_docnums(self.index_dir)
            except Exception as e:
                raise IndexMissing(f"the search index in {self.index_dir} cannot be read ({type(e).__name__}: {e}); "
                                   "rebuild it: kaigo-kb build") from None
            mapped = self._docnums is None or (len(self._docnums) == self._whoosh.doc_count_all()
                                               and sorted(d for d in self._docnums if d >= 0) == list(range(self.ndocs)))
            if self._whoosh.doc_count() != self.ndocs or not mapped:
                raise IndexMissing(f"the search index in {self.index_dir} is not one build; rebuild it: kaigo-kb build")
        return self._whoosh

    def filtered(self, flt) -> set[int]:
        """The units (numbers) a Whoosh query on the filter fields matches."""
        found = self.searcher.docs_for_query(flt)
        if self._docnums is None:
            return set(found)
        docnums = self._docnums
        return {docnums[d] for d in found}

    def close(self):
        if self._whoosh is not None:
            self._whoosh.close()
        self.units.close()

    # ------------------------------------------------------------------ query terms
    def query_groups(self, text: str) -> list[dict[str, float]]:
        """One group per typed word: {term: weight} (see :meth:`read_query`)."""
        return [w.group for w in self.read_query(text)]

    def read_query(self, text: str) -> list[Word]:
        """How a query is read: one :class:`Word` per typed word, its group {term: weight}
        holding the word, its parts (医療 in 医療機関) and its thesaurus expansions
        (特養 -> 介護老人福祉施設, 介護保険施設等) at lower weights, so that a hit is credited
        once per typed word."""
        toks = self.vocab.tokenize(text, self.user_dic)
        words = [t for t in toks if not t.part]
        groups: list[dict[str, float]] = []  # groups[i] belongs to words[i]
        surfaces = [w.surface for w in words]
        expansions: list[list[str]] = [[] for _ in words]

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
                    surfaces[i] = text[words[i].start:words[j - 1].end]
                    expansions[i] += [target for target, _wt in thes[key]]
                    # the targets' whole words only (the build read them): the parts of
                    # 介護老人福祉施設 (介護, 施設) would match nearly everything
                    for term, wt in self.lookup["expansions"][key]:
                        add(g, term, wt)
                    i = j
                    break
            else:
                i += 1
        return [Word(surfaces[k], g, tuple(dict.fromkeys(expansions[k]))) for k, g in enumerate(groups) if g]

    def _filter(self, f: Filters):
        """The Whoosh query for the filters (None: no filter; Whoosh is not even imported)."""
        if f == Filters():
            return None
        from whoosh import query as Q

        parts = []
        if f.kind:
            parts.append(Q.Or([Q.Term("kind", f.kind), Q.Term("category", f.kind)]))
        if f.volume is not None:
            parts.append(Q.Term("volume", str(f.volume)))
        if f.standard:
            parts.append(Q.Term("standard", f.standard))
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

    def search(self, query: str, limit: int = 10, filters: Filters = Filters(),
               today: dt.date | None = None) -> Result:
        """Hits for ``query``: a reference first (``Vol.1 問127``), then a rule entry the query
        names exactly, then the ranked units. ``today`` dates a rule's amounts in force."""
        q = clean_query(query)
        if not q:
            raise QueryError("empty query; type a few words, e.g. kaigo-kb search \"ショートステイ 算定\"")
        ref = parse_reference(q)
        flt = self._filter(filters)
        allowed = self.filtered(flt) if flt is not None else None
        hits = self._reference_hits(ref, allowed) if not ref.empty else []
        note = self._missing_reference(ref) if not ref.empty and not hits else ""
        rest = ref.rest if not ref.empty else q
        if not ref.empty and not rest and hits:
            rest = topic_query(hits[0].data)
        rule = self._named_rule(rest, allowed, {h.id for h in hits})
        if rule is not None:
            hits.append(rule)
        text = query_text(rest)
        words = self.read_query(text) if text else []
        typed = [] if not ref.empty and not ref.rest else words  # a bare reference: its topic was not typed
        groups = [w.group for w in words]
        if groups:
            # a question (「…できるか」) or a rule's name: its rulings before the slides that mention it
            asked = bool(QUESTION.search(query_text(q))) or rule is not None
            hits += self._ranked(groups, allowed, limit, {h.id for h in hits}, asked)
        weights: dict[str, float] = {}
        for g in groups:
            for t, w in g.items():
                weights[t] = max(w, weights.get(t, 0.0))
        day = today or dt.date.today()
        terms = sorted(weights, key=lambda t: -weights[t])
        result = Result(query=q, hits=[in_force(h, day) for h in hits[:limit]], terms=terms,
                        needles=needles([w.surface for w in words], terms), words=typed,
                        rule=rule.id if rule else "", reference_note=note, reference=reference_label(ref))
        if not result.hits:
            result.unmatched, result.suggestions = self._help(words)
        return result

    def _named_rule(self, text: str, allowed: set[int] | None, seen: set[str]) -> Hit | None:
        """The rule entry the query names: its name or alias alone, or with what its entry
        answers (one service, 単位): 協力医療機関連携加算, GH 協力医療機関連携加算 put the rule
        first; with other words the query asks something the rulings answer, and ranks as usual."""
        names = self.lookup.get("rules", {})
        chunks = text.split()
        named = [c for c in chunks if key_form(c) in names]
        rest = [c for c in chunks if c not in named]
        if key_form(text) in names:
            named, rest = [text], []
        services = [c for c in rest if key_form(c) in self.lookup["services"]]
        if len(named) != 1 or len(services) > 1 or any(c not in services and key_form(c) not in RULE_ASKS
                                                       for c in rest):
            return None  # two services (GH ショートステイ …) ask about a case, which a ruling answers
        for chunk in named:
            rule_id = names.get(key_form(chunk))
            if rule_id and rule_id not in seen:
                docnum = self.units.docnum(rule_id)
                if docnum is not None and (allowed is None or docnum in allowed):
                    return Hit(rule_id, "rule", 1000.0, self.units.data(docnum))
        return None

    def _missing_reference(self, ref) -> str:
        """What the corpus has, for a reference it does not: the volume's 問 numbers, or the volumes."""
        wanted = f"Vol.{ref.volume}" if ref.volume is not None else ""
        if ref.number is not None:
            wanted += f" 問{ref.number}"
        if ref.volume is not None:
            found = self.units.qas(ref.series_id, ref.volume)
            numbers = sorted({self.units.numbers[d] for d in found if self.units.numbers[d] is not None})
            if numbers:
                return f"{wanted} is not in the corpus; Vol.{ref.volume} has " + ", ".join(f"問{n}" for n in numbers)
            if found:
                return f"{wanted} is not in the corpus; Vol.{ref.volume} has {len(found)} rulings without 問 numbers"
        vols = sorted({v for v in self.units.volumes if v is not None})
        listed = ", ".join(f"Vol.{v}" for v in vols) or "none"
        return f"{wanted.strip()} is not in the corpus; volumes in the corpus: {listed}"

    def _help(self, words: list[Word]) -> tuple[list[str], list[str]]:
        """(typed words no unit contains, vocabulary words close to them) for a query with no hits."""
        import difflib

        unmatched = [w.surface for w in words if not any(self.impacts.df(t) for t in w.group)]
        suggestions: list[str] = []
        terms = list(self.impacts.table)
        for surface in unmatched:
            term = analysis.fold_term(surface)
            near = sorted((t for t in terms if len(t) > 1 and (term in t or t in term) and t != term),
                          key=lambda t: (-self.impacts.df(t), t))[:3]
            near += [t for t in difflib.get_close_matches(term, terms, n=3, cutoff=0.6) if t not in near]
            suggestions += [t for t in near[:3] if t not in suggestions]
        return unmatched, suggestions

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

    def _ranked(self, groups, allowed: set[int] | None, limit: int, seen: set[str], asked: bool = True) -> list[Hit]:
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
        units = self.units
        weights = KIND_WEIGHT if asked else KEYWORD_KIND_WEIGHT
        ranked = [(score * weights.get(units.kinds[d], 1.0) * STATUS_WEIGHT.get(units.status[d], 1.0), units.ids[d], d)
                  for score, d in prelim[: 3 * (limit + len(seen)) + 10] if units.ids[d] not in seen]
        ranked.sort(key=lambda x: (-x[0], x[1]))
        return self._collapse(ranked, seen, limit)

    def _collapse(self, ranked: list[tuple], seen: set[str], limit: int) -> list[Hit]:
        """One hit per question: a ruling whose question was answered again stands in the
        list as the newest answer (at the place of the best-scoring one), the older ones
        listed under it (its ``earlier``). Stored hit data is read for the hits returned only."""
        out: list[Hit] = []
        taken = set(seen)
        group = self.units.group
        for score, _, d in ranked:
            lead = group[d] if group[d] >= 0 else d
            if self.units.ids[lead] in taken:
                continue
            taken.add(self.units.ids[lead])
            out.append(Hit(self.units.ids[lead], self.units.kinds[lead], score, self.units.data(lead)))
            if len(out) == limit:
                break
        return out

    def _reference_hits(self, ref, allowed: set[int] | None) -> list[Hit]:
        found = [Hit(self.units.ids[d], "qa", 1000.0, self.units.data(d), exact=True)
                 for d in self.units.qas(ref.series_id, ref.volume, ref.number) if allowed is None or d in allowed]
        found.sort(key=lambda h: (h.data.get("series_id", ""), h.data.get("volume") or 0, h.data.get("number") or 0, h.id))
        return found


def highlight(flat: str, marks: list[str], width: int = ANSWER_CHARS) -> tuple[str, list[tuple[int, int]]]:
    """A snippet of ``flat`` (a hit's :func:`~kb.search.present.shown_text`) around the first
    match of ``marks`` (a :class:`Result`'s ``needles``), cut where a reader pauses, and the
    spans to highlight in it: as the site's result list shows a hit (static/results.js)."""
    spans = ranges(flat, marks)
    start, end = window(flat, spans[0][0] if spans else None, width)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(flat) else ""
    shown = [(max(a, start) - start + len(prefix), min(b, end) - start + len(prefix)) for a, b in spans
             if min(b, end) > max(a, start)]
    return prefix + flat[start:end] + suffix, shown
