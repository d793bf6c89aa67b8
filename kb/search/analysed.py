"""The build's one analysis of its texts: compact, kept across builds, made on two cores.

An :class:`Analysis` holds every distinct word once, as :func:`kb.search.analysis.words`
gives it (term, surface, length, parts), and each text as an array of (word number,
offset) pairs: about 8 bytes a word where a list of ``Tok`` objects took ~100 per token
(a 10,000-Q&A build holds 2.3 million tokens). :meth:`Analysis.tokens` gives back exactly
what :func:`~kb.search.analysis.tokenize` returns; the index and the browser index read
term counts straight from it.

Across builds, the analysis of each text is kept in a cache file under
:func:`kb.locations.cache_dir` ``/analysis``, one per analysis configuration: the
Sudachi and dictionary versions, the compiled user dictionary and its word list (the
thesaurus, the service list and the rule names enter the analysis through it) and the
sources of :mod:`kb.search.analysis` and of this module. A text is looked up by a digest
of itself, so adding a volume analyses only the volume's texts. Texts not in the cache
are analysed by worker processes (the build's pool, :func:`kb.processes.workers`).
"""
from __future__ import annotations

import functools
import hashlib
import marshal
import os
from array import array
from itertools import chain
from pathlib import Path
from typing import Iterable

from ..processes import in_children
from ..sources.files import write_atomic
from . import analysis

CACHE_FILES = 8  # analysis configurations kept (a corpus, its tests' tiny corpora …)
BATCH = 400  # texts a worker takes at a time
MIN_PARALLEL = 2000  # fewer texts than this: one worker is enough


NUMBERS = f"=u{array('I').itemsize}"  # numpy's name for what the word numbers' and postings' arrays hold


def digest(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()[:16]  # twice blake2b's speed here


class Analysis:
    """Texts -> their words. ``words`` is the table of distinct words; ``texts`` maps a
    text to its array of (word number, offset) pairs."""

    def __init__(self, words: list | None = None):
        self.words: list[tuple] = list(words or [])
        self._ids: dict[tuple, int] | None = None
        self._terms: list[tuple[str, ...]] = []
        self.texts: dict[str, array] = {}
        self._cache: dict[bytes, bytes] = {}  # digest -> encoded pairs, as loaded
        self._cache_path: Path | None = None
        self._hits: set[bytes] = set()  # the cache's entries this analysis used
        self._fresh: dict[bytes, bytes] = {}  # digest -> encoded pairs of the texts analysed now
        self._sent: dict[str, bytes] = {}  # text -> digest: sent to the workers by send(), read by add()
        self._pending: list = []  # what send() started (see _analyse)

    # ---------------------------------------------------------------- reading
    def tokens(self, text: str) -> list | None:
        """What :func:`kb.search.analysis.tokenize` gives for ``text``; None when not held."""
        pairs = self.texts.get(text)
        if pairs is None:
            return None
        words = self.words
        return analysis.toks((pairs[i + 1], words[pairs[i]]) for i in range(0, len(pairs), 2))

    def word_ids(self, text: str) -> array:
        return self.texts[text][0::2] if text in self.texts else array("I")

    def word_counts(self, texts: Iterable[str]) -> list[tuple[int, int]]:
        """(word number, how often it stands in ``texts``), for every word they hold, in word
        order: the texts' (word, start) pairs joined and the words counted as one array (numpy;
        3 million tokens at 10,000 Q&As, where a Counter takes a third of a second)."""
        import numpy as np

        pairs = self.texts
        joined = b"".join(pairs[text] for text in texts if text and text in pairs)
        counts = np.bincount(np.frombuffer(joined, dtype=NUMBERS)[0::2])
        used = np.flatnonzero(counts)
        return list(zip(used.tolist(), counts[used].tolist()))

    def terms(self, text: str) -> list[str]:
        """The term of every token of ``text`` in order (a word's, then its parts')."""
        table = self.word_terms()
        out: list[str] = []
        for w in self.word_ids(text):
            out.extend(table[w])
        return out

    def forms(self, texts: Iterable[str]) -> set[str]:
        """The surfaces of the words (and of their parts) the texts hold."""
        used: set[int] = set()
        for text in texts:
            if text:
                used.update(self.word_ids(text))
        out = set()
        for w in used:
            _term, surface, _length, parts = self.words[w]
            out.add(surface)
            out.update(p[1] for p in parts)
        return out

    def word_terms(self) -> list[tuple[str, ...]]:
        """Per word number: its term, then its parts' terms."""
        if len(self._terms) < len(self.words):
            self._terms.extend((w[0], *(p[0] for p in w[3])) for w in self.words[len(self._terms):])
        return self._terms

    # ---------------------------------------------------------------- making
    def _id(self, word: tuple) -> int:
        if self._ids is None:
            self._ids = {w: i for i, w in enumerate(self.words)}
        i = self._ids.get(word)
        if i is None:
            i = self._ids[word] = len(self.words)
            self.words.append(word)
        return i

    def send(self, texts: Iterable[str], pool) -> None:
        """Start the analysis of ``texts`` early: those the cache holds are taken now, the others
        go to ``pool``'s workers at once, and the next :meth:`add` reads what they made. The build
        sends its units' texts as soon as it knows them, so the workers analyse while it makes
        its units. Nothing is done without a pool."""
        if pool is None:
            return
        missing = self._from_cache(texts)
        if missing:
            self._sent.update(missing)
            self._pending.append(_analyse(list(missing), analysis._user_dic, None, pool))

    def held(self) -> int:
        """How many analyses the cache held when this one was opened."""
        return len(self._cache)

    def sending(self) -> int:
        """How many texts :meth:`send` gave the workers that :meth:`add` has not read yet."""
        return len(self._sent)

    def add(self, texts: Iterable[str], *, workers: int | None = None, pool=None, progress=None) -> "Analysis":
        """Analyse the texts not held yet: from the cache, else with Sudachi (``workers``,
        ``pool``: see :func:`_analyse`), and read what :meth:`send` started."""
        todo = [t for t in dict.fromkeys(texts) if t and t not in self.texts]
        missing = self._from_cache(todo)  # (what send() sent is not looked up again)
        keys = {**self._sent, **missing}
        early = chain.from_iterable(self._pending)
        self._sent, self._pending = {}, []
        done = sum(1 for t in todo if t not in keys)  # held already, or from the cache
        total = done + len(keys)  # and those the workers read
        for batch, (words, encoded) in chain(early, _analyse(list(missing), analysis._user_dic, workers, pool)):
            remap = [self._id(w) for w in words]
            for text, data in zip(batch, encoded):
                pairs = array("I")
                pairs.frombytes(data)
                pairs[0::2] = array("I", [remap[w] for w in pairs[0::2]])
                self.texts[text] = pairs
                self._fresh[keys[text]] = pairs.tobytes()
            done += len(batch)
            if progress:
                progress("analysis", done, total)
        return self

    def _from_cache(self, texts: Iterable[str]) -> dict[str, bytes]:
        """Take the texts the cache holds (none held or sent already); the others, text -> digest."""
        missing = {}
        for text in dict.fromkeys(texts):
            if not text or text in self.texts or text in self._sent:
                continue
            key = digest(text)
            found = self._cache.get(key)
            if found is None:
                missing[text] = key
            else:
                self._hits.add(key)
                pairs = array("I")
                pairs.frombytes(found)
                self.texts[text] = pairs
        return missing

    # ---------------------------------------------------------------- the cache
    @classmethod
    def cached(cls, enabled: bool = True) -> "Analysis":
        """An analysis that starts from the cache of the configured dictionary (see the module's
        docstring); nothing is read or written when ``enabled`` is false or there is no cache folder."""
        from ..locations import cache_dir, cache_settled

        folder = cache_dir() if enabled else None
        if folder is None:
            return cls()
        path = folder / "analysis" / f"{config_key(analysis._user_dic)}.marshal"
        try:
            with cache_settled(folder):  # (what the previous build still writes, written first)
                data = marshal.loads(path.read_bytes())
            os.utime(path)  # most recently used: kept longest
        except (OSError, ValueError, EOFError, TypeError):
            data = None
        valid = isinstance(data, dict) and isinstance(data.get("words"), list) and isinstance(data.get("texts"), dict)
        ana = cls(data["words"]) if valid else cls()
        ana._cache = data["texts"] if valid else {}
        ana._cache_path = path
        return ana

    def unsaved(self) -> bool:
        """Whether :meth:`save` has anything to write."""
        return self._cache_path is not None and bool(self._fresh)

    def save(self) -> None:
        """Write what this build analysed into the cache (with what it held before, unless that
        is mostly stale), atomically; a cache that cannot be written costs time, nothing else."""
        if self._cache_path is None or not self._fresh:
            return
        entries = {**{d: self._cache[d] for d in self._hits}, **self._fresh}  # what this build used
        words = self.words
        stale = {d: b for d, b in self._cache.items() if d not in entries}
        if len(stale) <= len(entries):
            entries = {**stale, **entries}
        else:  # drop what no recent build used, and the words only it had
            words, entries = _compact(self.words, entries)
        path = self._cache_path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, marshal.dumps({"words": words, "texts": entries}))
            for old in sorted(path.parent.glob("*.marshal"), key=lambda p: p.stat().st_mtime, reverse=True)[CACHE_FILES:]:
                old.unlink(missing_ok=True)
        except OSError:
            pass


def field_postings(units, analysed: Analysis | None = None) -> dict[str, tuple[dict, list[int]]]:
    """Per search field: the units' :func:`postings` (one list of documents per term) and field lengths."""
    from .units import SEARCH_FIELDS

    terms = terms_of(analysed)
    return {f: postings([getattr(u, f) for u in units], terms) for f in SEARCH_FIELDS}


def terms_of(analysed: Analysis | None):
    """text -> the terms of its tokens: from the build's analysis, else analysed now."""
    if analysed is not None:
        return analysed.terms
    return lambda text: [t.term for t in analysis.tokenize(text)]


def postings(texts: list[str], terms) -> tuple[dict[str, tuple[array, array]], list[int]]:
    """Per term: the numbers of the texts holding it and its count in each, in text order
    (what Whoosh calls tf); and the token count of every text (its field length).
    ``terms``: text -> its tokens' terms (:func:`terms_of`)."""
    from collections import Counter

    post: dict[str, tuple[array, array]] = {}
    lengths = []
    for n, text in enumerate(texts):
        found = terms(text) if text else []
        lengths.append(len(found))
        for term, tf in Counter(found).items():
            p = post.get(term)
            if p is None:
                p = post[term] = (array("I"), array("I"))
            p[0].append(n)
            p[1].append(tf)
    return post, lengths


def _compact(words: list, entries: dict[bytes, bytes]) -> tuple[list, dict[bytes, bytes]]:
    keep: dict[int, int] = {}
    out = {}
    for d, data in entries.items():
        pairs = array("I")
        pairs.frombytes(data)
        pairs[0::2] = array("I", [keep.setdefault(w, len(keep)) for w in pairs[0::2]])
        out[d] = pairs.tobytes()
    table = [None] * len(keep)
    for old, new in keep.items():
        table[new] = words[old]
    return table, out


def config_key(user_dic: str | None) -> str:
    """What the analysis of a text depends on besides the text (see the module's docstring)."""
    h = hashlib.sha256()
    h.update(Path(analysis.__file__).read_bytes())
    h.update(Path(__file__).read_bytes())  # how an analysis is stored
    h.update(_sudachi_versions().encode())
    for suffix in (".dic", ".words"):
        if user_dic and (p := Path(user_dic).with_suffix(suffix)).exists():
            h.update(suffix.encode() + p.read_bytes())
    return h.hexdigest()[:24]


@functools.cache  # a package's version is looked up in its metadata: ~50 ms, once per process
def _sudachi_versions() -> str:
    from importlib.metadata import version

    import sudachidict_core

    system = Path(sudachidict_core.__file__).parent / "resources" / "system.dic"
    return f"{version('sudachipy')} {version('sudachidict-core')} {system.stat().st_size}"


# -------------------------------------------------------------------- workers

def _analyse_batch(job: tuple[str | None, list[str]]) -> tuple[list, list[bytes]]:
    """The words of a batch of texts: (its table of distinct words, per text its encoded pairs)."""
    user_dic, texts = job
    local: dict[tuple, int] = {}
    encoded = []
    for text in texts:
        pairs = array("I")
        for offset, word in analysis.words(text, user_dic):
            i = local.get(word)
            if i is None:
                i = local[word] = len(local)
            pairs.append(i)
            pairs.append(offset)
        encoded.append(pairs.tobytes())
    return list(local), encoded


def _analyse(texts: list[str], user_dic: str | None, workers: int | None, pool=None):
    """(batch, result of :func:`_analyse_batch`) for batches of ``texts``: in ``pool`` (the
    build's, see :func:`kb.processes.workers`; the batches are sent now, not when the first result
    is asked for), else in ``workers`` processes forked when it is (None: two for many texts, else
    one), or in this process (``workers=0``). Sudachi is loaded in the workers, never in the build's
    own process."""
    if not texts:
        return iter(())
    batches = [texts[i:i + BATCH] for i in range(0, len(texts), BATCH)]
    jobs = [(user_dic, b) for b in batches]
    if workers == 0 and pool is None:  # here: where loading Sudachi into this process does not matter
        return zip(batches, map(_analyse_batch, jobs))
    if workers is None:
        workers = min(os.cpu_count() or 1, 2) if len(texts) >= MIN_PARALLEL else 1
    return zip(batches, in_children(_analyse_batch, jobs, workers, pool))
