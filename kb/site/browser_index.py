"""The browser's search index: the CLI's search units, tokenized by the same analyzer.

The units are :func:`kb.search.units.build_units` (the Whoosh index's, so hit ids match),
tokenized with :func:`kb.search.analysis.tokenize` (configure the Sudachi user dictionary
first, as the build does; it also hands over its one analysis of the units).
``search-index.js`` assigns ``window.KAIGO_INDEX``:

* ``fields``/``boosts``: the Whoosh fields and the CLI's query boosts;
* ``terms``: every term (Sudachi matching form); ``post[f]``: the postings of field f, every
  term's in one base64 string of varints (``data``; term t's bytes end at ``ends[t]``): each unit's
  number as the gap from the one before and its tf (:func:`_field_postings`); ``len[f]``: field
  lengths per unit (BM25F as in Whoosh);
* ``vocab``: word form as it appears in search text (lower-cased) -> term id, so the
  browser segments a query by longest match over what Sudachi produced;
* ``parts``: term id -> the ids of its sub-word terms (queried at a lower weight);
* ``thes``: thesaurus key (key form) -> ``[[term id, weight], ...]`` for the target words;
* ``svcAccept``: service filter key -> accepted service names (as the CLI's lookup);
* ``maxQuery``: characters of a query searched (as the CLI's ``clean_query``);
* ``units``: per unit columns (``id``, ``kind``, ``cat`` (index into ``cats``, the
  category a 種類 filter also accepts), ``title`` ...) for ranking and filtering.

What a hit shows ships apart, in ``search-text.js`` (``window.KAIGO_TEXT``, columns of
one entry per unit: ``text`` as printed, ``q`` a Q&A's question, ``head``, ``date``,
``ref``, ``topic``, ``src``; see :func:`unit_texts`): it is most of the bytes,
and the ranking does not need it.

The query side is ``site_templates/static/search.js``; change both together.
"""
from __future__ import annotations

import json
from array import array
from collections import Counter, defaultdict
from pathlib import Path

from ..corpus.normalize import join_ja_spaces, search_text
from ..search.impact import stored_lengths
from ..search.index import FIELD_BOOSTS, rule_names
from ..search.searcher import (BM25_B, BM25_K1, COMMON_DF, GROUP_TIEBREAK, KEYWORD_KIND_WEIGHT, KIND_WEIGHT,
                               MAX_QUERY, PART_WEIGHT, QUESTION, RULE_ASKS, STATUS_WEIGHT, STRONG_WEIGHT, WEAK_MATCH)
from ..search.present import shown_text
from ..search.units import SEARCH_FIELDS, Unit, facets
from . import paths

INDEX_VERSION = 1
FIELDS = SEARCH_FIELDS
BM25 = {"k1": BM25_K1, "b": BM25_B}  # the same BM25F as kb.search.searcher.Searcher
JS_GLOBAL = "KAIGO_INDEX"
TEXT_GLOBAL = "KAIGO_TEXT"
INDEX_FILE = "search-index.js"
TEXT_FILE = "search-text.js"


def write_browser_index(out_dir: Path, units: list[Unit], inputs, analysed=None, fields=None, *,
                        progress=None) -> dict:
    """Write ``search-index.js`` and ``search-text.js`` into the site folder ``out_dir``; return
    the filters' choices the pages show (``cats``, ``standards``).

    Nothing of the previous build is reused: made from the build's analysis and postings the two
    files take about a second at 10,000 Q&As, less than proving a cached piece of them unchanged
    would (every unit's number, every posting gap and every term id can move when one volume
    comes in). ``fields``: the postings, or a function that returns them once they are known (the
    build's index child hands them over, :class:`kb.processes.Handover`): what needs none of them
    (``search-text.js``, the vocabulary) is made first."""
    from ..search.index import domain_words

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / TEXT_FILE).write_bytes(index_js(unit_texts(units), TEXT_GLOBAL).encode("utf-8"))
    payload = build_index(units, thesaurus=inputs.thesaurus, services=inputs.services, words=domain_words(inputs),
                          analysed=analysed, fields=fields, progress=progress)
    (out_dir / INDEX_FILE).write_bytes(index_js(payload).encode("utf-8"))
    return {k: payload[k] for k in ("cats", "standards")}


def browser_index(out_dir: Path, units: list[Unit], inputs, analysed=None, fields=None) -> None:
    """:func:`write_browser_index`, run in a child process (the build's, beside its index; or
    :func:`kb.site.render.render_site`'s): a module of its own, so that the index's child imports
    neither Jinja nor the pages' code."""
    write_browser_index(out_dir, units, inputs, analysed, fields)


def filter_choices(units: list[Unit]) -> dict:
    """The filters' choices the pages show, as the browser index holds them: the categories
    (``cats``) and the 基準種別 (``standards``) of the units."""
    return facets(units).choices()


def unit_href(u: Unit) -> str:
    if u.kind == "qa":
        return paths.qa_path(u.id)
    if u.kind == "rule":
        return paths.rule_path(u.id)
    return paths.clause_href(u.doc_id, u.id)


def _thesaurus_map(thesaurus, ids: dict[str, int], tokenize) -> dict[str, list]:
    """key -> [[term id, weight], ...]: the CLI's expansion of a key (whole words of the
    targets), the terms the corpus has."""
    out: dict[str, list] = {}
    for key, targets in (thesaurus.as_map().items() if thesaurus else ()):
        weights: dict[int, float] = {}
        for target, w in targets:
            for tk in tokenize(search_text(target)):
                t = ids.get(tk.term)
                if t is not None and not tk.part and w > weights.get(t, 0.0):
                    weights[t] = w
        if weights:
            out[key] = [[t, weights[t]] for t in sorted(weights)]
    return out


def _services_accept(services) -> dict[str, list[str]]:
    if services is None:
        return {}
    from ..search.index import _services_lookup

    return _services_lookup(services)


def _common_terms(fields, limit: float) -> set[str]:
    """The terms more than ``limit`` units hold in any field (as kb.search.impact counts a term's
    documents). The units are counted only for a term whose postings, summed over the fields,
    exceed the limit: most terms are rare."""
    import numpy as np

    from ..search.analysed import NUMBERS

    seen: Counter = Counter()
    for post, _lengths in fields.values():
        for term, (docs, _tfs) in post.items():
            seen[term] += len(docs)
    out = set()
    for term, n in seen.items():
        if n > limit:
            docs = [np.frombuffer(post[term][0], dtype=NUMBERS) for post, _ in fields.values() if term in post]
            if np.count_nonzero(np.bincount(np.concatenate(docs))) > limit:  # (np.unique hashes: slower)
                out.add(term)
    return out


def _field_postings(post: dict[str, tuple[array, array]], terms: list[str]) -> dict:
    """A field's postings as the browser reads them (``{"ends": [...], "data": "..."}``), worked out
    for all its terms at once (numpy; 2 million postings at 10,000 Q&As): each posting of a term is
    the gap ``g`` from the unit before (from -1) and its tf, written as the varint of ``2g`` when the
    tf is 1, else of ``2g + 1`` followed by the varint of the tf (7 bits a byte, lowest first, the
    high bit set on every byte but a number's last); ``data`` is all terms' bytes in term order, in
    base64, and ``ends[t]`` where term t's bytes end. The script decodes a term's bytes when a query
    asks for the term (3 bytes are 4 characters of base64): nothing at load, where the same numbers as
    JSON lists took the browser half a second to parse at 10,000 Q&As (and this process 0.7 s to write)."""
    import base64

    import numpy as np

    from ..search.analysed import NUMBERS

    counts = np.array([len(post[t][0]) if t in post else 0 for t in terms], dtype=np.int64)
    docs = np.frombuffer(b"".join(post[t][0] for t in terms if t in post), dtype=NUMBERS)
    tfs = np.frombuffer(b"".join(post[t][1] for t in terms if t in post), dtype=NUMBERS)
    n = len(docs)
    term_ends = np.cumsum(counts)  # (in postings)
    firsts = (term_ends - counts)[counts > 0]
    many = tfs != 1
    head = np.empty(n, dtype=np.uint32)  # 2 * gap + (tf != 1), in 32 bits: the arrays stay small
    head[1:] = docs[1:] - docs[:-1]
    head[firsts] = docs[firsts] + 1
    head <<= 1
    head += many
    tfs_before = np.zeros(n + 1, dtype=np.int64)  # the postings before each with their tf written
    np.cumsum(many, out=tfs_before[1:])
    at = np.arange(n, dtype=np.int64) + tfs_before[:-1]  # each posting's head among the numbers
    numbers = np.empty(n + int(tfs_before[-1]), dtype=np.uint32)
    numbers[at] = head
    numbers[at[many] + 1] = tfs[many]
    del head, at
    size = np.ones(len(numbers), dtype=np.uint8)  # each number's bytes
    for bits in (7, 14, 21, 28):
        size += numbers >= (1 << bits)
    byte_ends = np.zeros(len(numbers) + 1, dtype=np.int64)
    np.cumsum(size, out=byte_ends[1:])
    out = np.empty(int(byte_ends[-1]), dtype=np.uint8)
    for k in range(int(size.max(initial=1))):
        has = size > k
        out[byte_ends[:-1][has] + k] = ((numbers[has] >> (7 * k)) & 0x7F) | ((size[has] > k + 1) << 7)
    ends = byte_ends[term_ends + tfs_before[term_ends]]
    return {"ends": ends.tolist(), "data": base64.b64encode(out.tobytes()).decode("ascii")}


def _forms(units: list[Unit], analysed) -> tuple[dict[str, Counter], dict[str, set[str]]]:
    """(surface as lower-cased -> Counter of the terms it was read as, over every token of the
    units; word term -> the terms of its parts)."""
    forms: dict[str, Counter] = defaultdict(Counter)
    parts: dict[str, set[str]] = defaultdict(set)
    for w, n in analysed.word_counts(getattr(u, f) for f in FIELDS for u in units):
        term, surface, _length, word_parts = analysed.words[w]
        forms[surface.lower()][term] += n
        for t, s, _start, _end in word_parts:
            forms[s.lower()][t] += n
            parts[term].add(t)
    return forms, parts


def build_index(units: list[Unit], *, thesaurus=None, services=None, words=(), analysed=None, fields=None,
                progress=None) -> dict:
    """The index payload (a JSON-able dict, the same for the same input).

    ``analysed``/``fields``: the build's analysis of the units and their postings per field
    (:mod:`kb.search.analysed`; else the units are analysed now), or a function that returns the
    postings (asked for once the vocabulary is made, see :func:`write_browser_index`). ``words`` (the user
    dictionary's domain words, thesaurus keys) join the vocabulary even where the corpus lacks
    them, so the browser keeps リハビリ whole as Sudachi does."""
    from ..search.analysed import Analysis, field_postings
    from ..search.analysis import tokenize
    from ..search.units import searchable_texts

    if analysed is None:
        analysed = Analysis().add(searchable_texts(units), workers=0)
    forms, parts = _forms(units, analysed)
    for w in sorted(set(words)):
        for t in tokenize(search_text(w)):
            forms[t.surface.lower()][t.term] += 0  # known form, no weight against corpus usage
    terms = sorted({t for c in forms.values() for t in c})
    ids = {t: i for i, t in enumerate(terms)}
    fields = field_postings(units, analysed) if fields is None else fields() if callable(fields) else fields
    post = {}
    for f in FIELDS:
        post[f] = _field_postings(fields[f][0], terms)
        if progress:
            progress("browser index", FIELDS.index(f) + 1, len(FIELDS))
    lengths = {f: fields[f][1] for f in FIELDS}
    vocab = {s: ids[max(sorted(c), key=lambda t: c[t])] for s, c in sorted(forms.items()) if s.strip()}
    common = sorted(ids[t] for t in _common_terms(fields, COMMON_DF * len(units)))
    kinds = sorted({u.kind for u in units})
    choices = filter_choices(units)
    standards = choices["standards"]
    position = {u.id: n for n, u in enumerate(units)}
    cats = choices["cats"]
    service_names = sorted({s for u in units for s in u.services})
    series = sorted({u.series_id for u in units if u.series_id})
    # each choice's place in its list, looked up once per unit (16,000 units at 10,000 Q&As)
    kind_no, cat_no, service_no, series_no, standard_no = (
        {x: n for n, x in enumerate(xs)} for xs in (kinds, cats, service_names, series, standards))
    return {
        "version": INDEX_VERSION,
        "bm25": BM25,
        "fields": list(FIELDS),
        "boosts": [FIELD_BOOSTS[f] for f in FIELDS],
        "partWeight": PART_WEIGHT,
        "maxQuery": MAX_QUERY,  # the CLI's query length cap (kb.search.searcher.clean_query)
        "terms": terms,
        "post": [post[f] for f in FIELDS],
        # Whoosh keeps a document's field length in one byte (lossy); the average is exact
        "len": [stored_lengths(lengths[f]) for f in FIELDS],
        "avgLen": [round(sum(lengths[f]) / max(len(units), 1), 6) or 1 for f in FIELDS],
        "kindWeight": KIND_WEIGHT,
        "keywordKindWeight": KEYWORD_KIND_WEIGHT,
        "question": QUESTION.pattern,
        "ruleAsks": sorted(RULE_ASKS),
        # a rule's name or alias (key form) -> its unit: the query that names a rule puts it first
        "ruleNames": {k: position[v] for k, v in rule_names(units).items() if v in position},
        # a rule's amounts (level, condition, value, unit, per, from, until, services): the
        # hit shows those in force on the day the page is used, as the CLI does
        "amounts": {str(n): [[a["level"], a["condition"], a["value"], a["unit"], a["per"], a["effective_from"],
                              a["effective_until"], a["services"]] for a in u.data["amounts"]]
                    for n, u in enumerate(units) if u.kind == "rule" and u.data.get("amounts")},
        # what each thesaurus key expands to, as printed: the line that says how a query was read
        "thesShow": {k: list(dict.fromkeys(t for t, _ in v)) for k, v in (thesaurus.as_map().items() if thesaurus else ())},
        "statusWeight": STATUS_WEIGHT,
        "strongWeight": STRONG_WEIGHT,
        "weakMatch": WEAK_MATCH,
        "groupTiebreak": GROUP_TIEBREAK,
        "common": common,  # term ids too common to rank with as a part or expansion
        "vocab": vocab,
        "parts": {str(ids[t]): sorted(ids[p] for p in ps) for t, ps in sorted(parts.items())},
        "thes": _thesaurus_map(thesaurus, ids, tokenize),
        "svcAccept": _services_accept(services),
        "kinds": kinds,
        "cats": cats,
        "services": service_names,
        "series": series,
        "standards": standards,
        "units": {
            "id": [u.id for u in units],
            "kind": [kind_no[u.kind] for u in units],
            "cat": [cat_no[u.category] for u in units],
            "title": [u.data.get("title", "") for u in units],
            "cite": [u.data.get("citation", "") for u in units],
            "crumb": [" > ".join(u.data.get("breadcrumb") or []) for u in units],
            "href": [unit_href(u) for u in units],
            "svc": [[service_no[s] for s in u.services] for u in units],
            "ser": [series_no[u.series_id] if u.series_id else -1 for u in units],
            "vol": [u.volume if u.volume is not None else 0 for u in units],
            "num": [u.number if u.number is not None else 0 for u in units],
            "std": [standard_no[u.standard] if u.standard else -1 for u in units],
            # 削除 / 修正 (ranked lower); the unit that stands for the same question asked again (-1: itself)
            "st": [u.data.get("status", "") for u in units],
            "grp": [position.get(u.data.get("group", u.id), -1) if u.data.get("group") not in (None, u.id) else -1
                    for u in units],
        },
        # the newest ruling on a question -> the older ones, newest first (listed under its hit)
        "earlier": {str(n): [position[e["id"]] for e in u.data["earlier"] if e["id"] in position]
                    for n, u in enumerate(units) if u.data.get("earlier")},
    }


def unit_texts(units: list[Unit]) -> dict[str, list[str]]:
    """What each hit shows (``search-text.js``), as printed: the original characters
    ((Ⅱ) stays (Ⅱ)), PDF line breaks inside Japanese joined. A Q&A's ``text`` is its
    answer and ``q`` its question; ``src`` says where a hit stands (citation, or the
    document and its headings)."""
    def src(u: Unit) -> str:
        if u.kind == "qa":
            return u.data["citation"]
        if u.kind == "rule":
            return ""
        return " > ".join([u.data["source"]["title"], *u.data.get("breadcrumb", [])])

    return {
        "text": [shown_text(u.kind, u.data) for u in units],
        "q": [join_ja_spaces(u.data["question"]) if u.kind == "qa" else "" for u in units],
        "head": [u.data.get("headline", "") for u in units],
        "date": [u.data.get("date_printed", "") for u in units],
        "ref": [u.data.get("reference", "") for u in units],
        "topic": [u.data.get("topic", "") for u in units],
        "src": [src(u) for u in units],
    }


def index_js(payload, name: str = JS_GLOBAL) -> str:
    """Data as a script assigning a global: loads from file:// with a plain <script>. Arrays are
    written as lists."""
    body = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_as_list)
    return f"window.{name}={body};\n"


def _as_list(value):
    if isinstance(value, array):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
