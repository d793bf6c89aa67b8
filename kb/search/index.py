"""The Whoosh index: schema, Sudachi user dictionary, writer.

Layout of ``<build>/index``: the Whoosh segment files (and ``whoosh.docnums`` when
they were kept from earlier builds, :mod:`kb.search.segment`), ``impacts.*``
(:mod:`kb.search.impact`), ``units.*`` (:mod:`kb.search.stored`), ``vocab.marshal``
(:mod:`kb.search.vocab`), ``user.dic`` (domain compounds for Sudachi, built from the
thesaurus, the service list and the rule names; ``user.words`` and ``user.parts`` beside
it) and ``lookup.json`` (thesaurus map and service groups, so a query needs no corpus
loading). What a build keeps for the next one is in ``<tmp>/state/index``
(:mod:`kb.search.reuse`).
"""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..corpus.normalize import fold
from ..locations import cache_dir
from ..sources.files import link_or_copy, write_atomic
from . import analysis
from .inputs import Inputs
from .thesaurus import Thesaurus
from .units import Unit

FIELD_BOOSTS = {"question": 3.0, "title": 1.5, "body": 1.0, "heading": 0.6, "source": 0.3}


def schema():
    """The Whoosh schema (Whoosh imported here: the build's own process never needs it, only the
    index's child: 60 ms less before the build forks)."""
    from whoosh import fields

    from .tokenizer import SudachiTokenizer

    ana = SudachiTokenizer()
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        kind=fields.ID(stored=True),
        category=fields.ID(stored=True),
        doc_id=fields.ID(stored=True),
        series=fields.ID(stored=True),
        volume=fields.ID(stored=True),
        number=fields.ID(stored=True),
        date=fields.ID(stored=True),
        standard=fields.ID(stored=True),
        services=fields.KEYWORD(stored=True, commas=True),
        # no positions: queries are scored from the precomputed impacts, never as phrases
        title=fields.TEXT(analyzer=ana, phrase=False),
        heading=fields.TEXT(analyzer=ana, phrase=False),
        question=fields.TEXT(analyzer=ana, phrase=False),
        body=fields.TEXT(analyzer=ana, phrase=False),
        source=fields.TEXT(analyzer=ana, phrase=False),
        # what a hit shows is stored beside the index (kb.search.stored: units.bin), read without Whoosh
    )


def user_dictionary_words(inputs: Inputs) -> list[str]:
    """Domain compounds Sudachi should keep whole: service, group and 加算 names (the rule
    entries' and the thesaurus's). Only the configuration names them, never the documents: a
    volume added (a PDF, a workbook edition) leaves the dictionary as it was, so the build
    neither compiles it again (``sudachipy ubuild``: 2.6 s and 700 MB) nor analyses every text
    again (the analysis is kept per dictionary: :mod:`kb.search.analysed`). The names of the 加算
    the rulings are filed under (the workbook's 項目, a volume's ○ topic) were read too, until a
    rebuild after one volume naming a new 加算 was measured as a whole build again (11.6 s at
    10,000 Q&As, against ~2.5), for no better search (the query sets score the same without them)."""
    words = set()
    for e in inputs.thesaurus.entries:
        words.add(e.term)
        words.update(e.targets)
    if inputs.services is not None:
        for s in inputs.services.all():
            words.add(s.name)
            words.update(s.aliases)
    for r in inputs.rules or ():
        words.add(r.name)
        words.update(r.aliases)
    # only multi-character words without spaces or punctuation make sense as entries
    return sorted(w for w in words if 2 <= len(w) <= 40 and w.replace("・", "").isalnum())


def domain_words(inputs: Inputs) -> list[str]:
    """Words the browser's vocabulary (and the query side) hold even where the corpus lacks
    them: thesaurus keys and the user dictionary's words."""
    keys = [e.term for e in inputs.thesaurus.entries] if inputs.thesaurus else []
    return sorted(set(keys) | set(user_dictionary_words(inputs) if inputs.thesaurus else ()))


def build_user_dictionary(words: list[str], out: Path) -> Path | None:
    """Compile ``words`` into a Sudachi user dictionary at ``out`` with ``sudachipy ubuild``.

    ubuild loads the whole system dictionary (about 8 s and 700 MB here, in its own
    process), so a compiled dictionary is kept in the cache (:func:`kb.locations.cache_dir`)
    under the digest of its word list and the Sudachi versions, and copied from there when
    the words have not changed."""
    if not words:
        return None
    import sudachidict_core
    import sudachipy

    system = Path(sudachidict_core.__file__).parent / "resources" / "system.dic"
    lines = []
    for w in words:
        surface = fold(w)
        if "," in surface:
            continue
        lines.append(f"{surface},5146,5146,2000,{surface},名詞,普通名詞,一般,*,*,*,*,{surface},*,A,*,*,*,*")
    csv_text = "\n".join(sorted(set(lines))) + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    from importlib.metadata import version

    key = hashlib.sha1("\n".join([csv_text, sudachipy.__version__, version("sudachidict-core"),
                                   str(system.stat().st_size)]).encode()).hexdigest()[:16]
    cache = cache_dir()
    cached = cache / "userdic" / f"{key}.dic" if cache else None
    if cached is not None and cached.is_file():
        shutil.copyfile(cached, out)
        _unstamp(out)
    else:
        _ubuild(system, csv_text, out)
        _unstamp(out)
        _keep(out, cached)
    # the word list beside it lets the analyzer find words nested in a compound
    surfaces = sorted({ln.split(",")[0] for ln in lines})
    out.with_suffix(".words").write_text("\n".join(surfaces) + "\n", encoding="utf-8")
    # the parts depend on the analysis code too (which parts are kept): its digest is in their name
    code = hashlib.sha1(Path(analysis.__file__).read_bytes()).hexdigest()[:12]
    _system_parts(surfaces, out.with_suffix(".parts"), cached.with_name(f"{key}-{code}.parts") if cached else None)
    return out


def _system_parts(surfaces: list[str], out: Path, cached: Path | None) -> None:
    """``user.parts``: each word's parts from the system dictionary alone (worked out in a child
    process, which loads that dictionary, and cached with the compiled dictionary)."""
    import marshal

    from ..processes import in_children

    if cached is not None and cached.is_file():
        shutil.copyfile(cached, out)
        return
    parts = next(in_children(analysis.system_parts_of, [surfaces]))
    out.write_bytes(marshal.dumps(parts, 2))  # version 2: the same bytes for the same words
    _keep(out, cached)


def _keep(made: Path, cached: Path | None) -> None:
    """Copy a file just made into the cache (atomically); a read-only cache costs the next
    build time, nothing else."""
    if cached is None:
        return
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(cached, made.read_bytes())
    except OSError:
        pass


def _ubuild(system: Path, csv_text: str, out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "user.csv"
        csv.write_text(csv_text, encoding="utf-8")
        exe = Path(sys.executable).with_name("sudachipy")
        cmd = [str(exe) if exe.exists() else "sudachipy", "ubuild", "-s", str(system), "-o", str(out), str(csv)]
        out.unlink(missing_ok=True)
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"sudachipy ubuild failed: {proc.stderr.strip()[-500:]}")


def _unstamp(dic: Path) -> None:
    """Zero the time ``ubuild`` stamps into a dictionary's header (after the magic and the
    version), so that the same words give the same file, as the rest of a build does."""
    with open(dic, "r+b") as f:
        if f.read(16) == b"SudachiBinaryDic":
            f.seek(24)
            f.write(bytes(8))


def prepare_analysis(out_dir: Path, inputs: Inputs) -> Path | None:
    """Compile the user dictionary into ``out_dir`` and point the analysis at it;
    return its path (None when there are no domain words)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    dic = build_user_dictionary(user_dictionary_words(inputs), out_dir / "user.dic")
    analysis.configure(str(dic) if dic else None)
    return dic


def write_index(units: list[Unit], out_dir: Path, thesaurus: Thesaurus, services=None, user_dic: Path | None = None,
                analysed=None, fields=None, vocabulary=None, previous: Path | None = None,
                state: Path | None = None, text_keys: list[bytes] | None = None) -> None:
    """The Whoosh index, its impacts, the stored hits, the query vocabulary and lookup.json,
    into ``out_dir`` (prepared by :func:`prepare_analysis`). From the build: ``analysed``, its
    :class:`~kb.search.analysed.Analysis` of the units' texts and of each word form in
    ``vocabulary``; ``fields``, the units' postings per field. Else the units are analysed now
    and the vocabulary is their word forms.

    ``previous``: the previous build's index folder (None: a clean build); ``state``: where this
    build leaves what the next one reuses (:mod:`kb.search.reuse`; ``fields`` among it, for
    :func:`kb.search.reuse.postings`); ``text_keys``: the units' :func:`~kb.search.reuse.text_digests`,
    when the caller has them. The result is the clean build's: the same files but for Whoosh's,
    whose documents and terms are the same."""
    from . import reuse
    from .analysed import Analysis, field_postings
    from .impact import write_impacts
    from .searcher import BM25_B, BM25_K1
    from .segment import link_segments, write_docnums, write_segment
    from .stored import write_units
    from .units import searchable_texts
    from .vocab import read_vocab, write_vocab

    if analysed is None:
        analysed = Analysis().add(searchable_texts(units), workers=0)
        vocabulary = analysed.forms(searchable_texts(units))
        analysed.add(vocabulary, workers=0)
    texts = fields if fields is not None else field_postings(units, analysed)
    lookup = {
        "thesaurus": thesaurus.as_map(),
        "expansions": _expansion_terms(thesaurus),
        "services": _services_lookup(services),
        "user_dic": user_dic.name if user_dic else None,
        "rules": rule_names(units),
    }
    (out_dir / "lookup.json").write_text(json.dumps(lookup, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    key = reuse.build_key(user_dic)
    order = reuse.unit_digests(units)
    prev = reuse.previous_state(previous, key)
    plan = reuse.plan(prev, order)
    if plan.keep:
        link_segments(plan.keep, prev.index_dir, out_dir)
    added = [units[n] for n in plan.new]
    docs = _Documents(added)
    new_texts = texts if len(added) == len(units) else field_postings(added, analysed)
    # doc numbers 0..N-1 in one segment, as the impacts assume; else mapped (segment.DOCNUMS)
    write_segment(out_dir, schema(), docs, new_texts, plan.keep)
    write_docnums(out_dir, plan.docnums)
    del docs
    if plan.same:  # the same units in the same order: the same impacts and stored units
        _link(prev.index_dir, out_dir, "impacts.bin", "impacts.idx", "units.bin", "units.idx")
    else:
        write_impacts(out_dir, texts, FIELD_BOOSTS, BM25_B, BM25_K1)
        write_units(out_dir, units, reuse.stored_data(units, order, prev),
                    prev.index_dir / "units.bin" if prev is not None else None)
    forms = reuse.forms_digest(vocabulary or ())
    if prev is not None and prev.forms == forms:
        _link(prev.index_dir, out_dir, "vocab.marshal")
    else:
        write_vocab(out_dir, vocabulary or (), analysed, read_vocab(prev.index_dir) if prev is not None else None)
    if state is not None:
        segments = plan.digests + ([[order[n] for n in plan.new]] if plan.new else [])  # as write_segment lists them
        reuse.save(state, key, order, segments, forms)
        reuse.save_postings(state, key, text_keys if text_keys is not None else reuse.text_digests(units), texts,
                            prev.index_dir if prev is not None and plan.same else None)


class _Documents:
    """The new units' Whoosh documents, each made as the segment writer reads it."""

    def __init__(self, units: list[Unit]):
        self.units = units

    def __len__(self) -> int:
        return len(self.units)

    def __iter__(self):
        for u in self.units:
            yield dict(
                id=u.id, kind=u.kind, category=u.category, doc_id=u.doc_id, series=u.series_id,
                volume=str(u.volume) if u.volume is not None else "",
                number=str(u.number) if u.number is not None else "", date=u.date, standard=u.standard,
                services=",".join(u.services), title=u.title, heading=u.heading, question=u.question,
                body=u.body, source=u.source,
            )


def _link(src: Path, dst: Path, *names: str) -> None:
    """Hard-link files of the previous build (a copy where linking fails); never written in place."""
    for name in names:
        link_or_copy(src / name, dst / name)


def _expansion_terms(thesaurus: Thesaurus) -> dict[str, list]:
    """Thesaurus key -> [[term, weight], ...]: the whole words of its targets, in the order a
    query adds them (kb.search.searcher), so that reading a query needs no analysis of them."""
    from ..corpus.normalize import search_text

    return {key: [[tk.term, w] for target, w in targets for tk in analysis.tokenize(search_text(target)) if not tk.part]
            for key, targets in thesaurus.as_map().items()}


def rule_names(units: list[Unit]) -> dict[str, str]:
    """A rule's name and aliases (key form) -> its id: the query that names a rule puts it first."""
    from ..corpus.normalize import key_form

    out: dict[str, str] = {}
    for u in units:
        if u.kind == "rule":
            for name in [u.data["title"], *u.data.get("aliases", [])]:
                out.setdefault(key_form(name), u.id)
    return dict(sorted(out.items()))


def _services_lookup(services) -> dict:
    """alias/official/group (key form) -> [official or group names a filter accepts]."""
    if services is None:
        return {}
    from ..corpus.normalize import key_form

    out: dict[str, list[str]] = {}
    for s in services.all():
        accept = [s.name] + ([] if s.kind == "group" else list(services.groups_of(s.name)))
        if s.kind == "group":
            accept += list(services.members(s.name))
        for name in [s.name, *s.aliases]:
            out.setdefault(key_form(name), [])
            out[key_form(name)] = sorted(set(out[key_form(name)]) | set(accept))
    return dict(sorted(out.items()))
