"""Which pages of the previous site a build may reuse, and what it writes down for the next one.

In: the pages (:class:`kb.site.pages.Page`), the :class:`~kb.site.pages.SiteData` they are
rendered from, the previous site and its state (``<previous>/../state/<stage>/pages.marshal``).
Out: a :class:`Plan`: the pages to render, the others hard-linked from the previous site; and
:meth:`Plan.save`, the manifest the next build reads.

A page is made from the code and templates (:func:`kb.locations.code_fingerprint`), its Page
fields and context, and the answers its template got from ``site``. Templates reach SiteData
only through a :class:`Recorder`: it lets through the methods in :data:`TEMPLATE_API` (with
plain arguments: ids, names, dates) and the services list, and records each answer's form
(:meth:`Digests.form`: strings as they are, objects by a digest of all their fields; a ruling's
digest as the corpus's memo made it with its document, a document's clauses by the document's
digest). A previous
page is reused only when its key (the digest of code, path, template, title, crumbs and
context) is equal and every question it asked gets an answer of the same form now. A missing
or damaged state means a clean build, never a failure. Reused pages are hard links to the
previous build's files (a copy where links fail); no file of the previous build is written.
"""
from __future__ import annotations

import contextlib
import os
import marshal
from dataclasses import dataclass, field
from pathlib import Path

from ..corpus.memo import content_digest
from ..locations import code_fingerprint
from ..rules.services import Services
from ..sources.files import linked, write_atomic
from .pages import ClauseLinks, Clauses, ClauseView, Ruling

PAGES_FILE = "pages.marshal"  # path -> (key, questions asked and their answers' forms)
LINKS_FILE = "links.marshal"  # kb.rules.links.link_rules's cache
STATE_VERSION = 1

# what a template may ask of SiteData (kb/site/pages.py): methods taking ids, names or dates
TEMPLATE_API = frozenset({
    "has_rules", "has_services", "href", "label", "service_href", "document", "ruling", "clause_links",
    "rule_clauses",
})
PURE = frozenset({"wareki"})  # of its arguments alone: not recorded
ATTRIBUTES = frozenset({"services"})  # read as values (the services list: its digest is that of its entries)
PLAIN = (str, int, type(None))


class NotRecorded(RuntimeError):
    """A template asked SiteData for something the recorder does not track: a page made from it
    could not tell when it changed. Add a method to SiteData and to TEMPLATE_API instead."""


class Digests:
    """Content digests and forms, each object's digest computed once per build (the objects are
    kept alive here, so their ids stay unique)."""

    def __init__(self, known=None):
        self._known = known  # object -> its digest made already (kb.corpus.memo.Memo.object_digest), or None
        self._memo: dict[int, tuple[object, bytes]] = {}
        self._by_id: dict[int, bytes] = {}  # the same digests, for lists looked up in C (shallow)

    pickled = staticmethod(content_digest)  # the digest of a value pickled: lossless

    def form(self, v):
        """``v`` as plain values to compare and store: strings and numbers as they are, containers
        item by item, any other object (a dataclass: QA, Document, Rule, Link ...) by its digest."""
        t = type(v)
        if t is str:
            return v
        if t in _PLAIN:  # tagged: True == 1 == 1.0, but a page may print them differently
            return (t.__name__, v)
        if t is list or t is tuple:
            return (t.__name__, tuple(self.form(x) for x in v))
        if t is dict:
            return ("dict", tuple((self.form(k), self.form(x)) for k, x in v.items()))
        if t is set or t is frozenset:  # iteration order varies between processes: sorted
            return (t.__name__, tuple(sorted((self.form(x) for x in v), key=repr)))
        if t is Services:  # made from its entries alone (the rest are look-ups and a cache)
            return ("Services", self.form(v.all()))
        if t in _SELF_FORMED:  # strings, None and tuples of them: their own record (compared as they are)
            return (t.__name__, v)
        return ("object", self.object(v))

    def object(self, v) -> bytes:
        hit = self._memo.get(id(v))
        if hit is None:
            made = self._known(v) if self._known is not None else None  # (the same digest: content_digest)
            hit = self._memo[id(v)] = (v, made if made is not None else self.pickled(v))
            self._by_id[id(v)] = hit[1]
        return hit[1]

    def shallow(self, v):
        """A context value in a form to pickle: a list's (or a tuple's) objects and an object by
        their digests, the rest (strings, a volume's summary) as they are. Lossless: two values
        with the same form are equal (digests have one length, so their concatenation is unambiguous)."""
        t = type(v)
        if t is Clauses:  # a document's clauses: the document's digest stands for them
            return ("clauses", v.key)
        if t is list or t is tuple:
            if not v or type(v[0]) in _INLINE:
                return (t.__name__, [x if type(x) in _INLINE else ("object", self.object(x)) for x in v])
            try:  # a list of rulings (a volume's, a service's): each digested already, joined in C
                return (t.__name__, "objects", b"".join(map(self._by_id.__getitem__, map(id, v))))
            except KeyError:
                return (t.__name__, "objects", b"".join(self.object(x) if type(x) not in _INLINE else
                                                        self.pickled(x) for x in v))
        return v if t in _INLINE else ("object", self.object(v))


_SELF_FORMED = frozenset({Ruling, ClauseLinks})
_PLAIN = frozenset({str, int, float, bool, bytes, type(None)})
_INLINE = _PLAIN | {dict, ClauseView}  # a dict in a context: a summary of plain values


class Answers:
    """SiteData's answers of this build, each asked once: (value, its form) per question."""

    def __init__(self, data, digests: Digests):
        self.data, self.digests = data, digests
        self._memo: dict[tuple, tuple[object, bytes]] = {}

    def get(self, name: str, args: tuple | None) -> tuple[object, bytes]:
        key = (name, args)
        hit = self._memo.get(key)
        if hit is None:
            value = getattr(self.data, name) if args is None else getattr(self.data, name)(*args)
            hit = self._memo[key] = (value, self.digests.form(value))
        return hit

    def unchanged(self, asked) -> bool:
        """Whether every question gets the answer it got (``asked``: ((name, args), form) pairs)."""
        memo = self._memo
        try:
            for key, form in asked:
                hit = memo.get(key) or self.get(*key)
                if hit[1] != form:
                    return False
            return True
        except Exception:  # a question this SiteData cannot answer (older state): not the same page
            return False


class Recorder:
    """What a template sees as ``site``: SiteData's template methods, each answer recorded."""

    __slots__ = ("_answers", "asked")

    def __init__(self, answers: Answers):
        self._answers = answers
        self.asked: dict[tuple, bytes] = {}

    def __getattr__(self, name: str):
        if name in ATTRIBUTES:
            value, digest = self._answers.get(name, None)
            self.asked[(name, None)] = digest
            return value
        if name in TEMPLATE_API:
            return lambda *args: self._call(name, args)
        if name in PURE:
            return getattr(self._answers.data, name)
        raise NotRecorded(f"templates may not read site.{name}: add a method to SiteData and to TEMPLATE_API")

    def _call(self, name: str, args: tuple):
        if not all(isinstance(a, PLAIN) for a in args):
            raise NotRecorded(f"site.{name} takes ids, names or dates, not {[type(a).__name__ for a in args]}")
        value, digest = self._answers.get(name, args)
        self.asked[(name, args)] = digest
        return value


@dataclass
class Plan:
    fresh: list  # (page, key): to render
    manifest: dict = field(default_factory=dict)  # path -> (key, asked) of every page, the reused ones already
    reused: int = 0
    previous: Path | None = None  # the previous manifest's file, when every page of it is reused
    code: str | None = None  # the code fingerprint (kb.locations.code_fingerprint)
    _linking: object = None  # (the child hard-linking the reused pages, they) (see wait)

    def wait(self) -> list:
        """Wait for the reused pages' links; return those whose previous file was missing after all
        (page, key): to render now."""
        if self._linking is None:
            return []
        linking, same = self._linking
        missing = [same[n] for n in linking()]
        self._linking = None
        for page, _key in missing:
            del self.manifest[page.path]
            self.reused -= 1
        return missing

    def record(self, page, key: bytes, recorder: Recorder) -> None:
        self.manifest[page.path] = (key, tuple((q, _plain(form)) for q, form in sorted(recorder.asked.items(),
                                                                                      key=repr)))

    def save(self, state: Path | None) -> None:
        assert self._linking is None, "wait() first"
        if state is not None and self.previous is not None and not self.fresh:  # the same pages: the same file
            state.mkdir(parents=True, exist_ok=True)
            if linked(self.previous, state / PAGES_FILE):
                return
        save_state(state, PAGES_FILE, self.manifest, self.code)


def _plain(form):
    """A form with its named tuples as plain tuples (equal to them; they load many times faster)."""
    if isinstance(form, tuple):
        return tuple(_plain(x) for x in form)
    return form


def save_state(state: Path | None, name: str, value, code: str | None = None) -> None:
    """Write ``value`` for the next build (with this code's fingerprint ``code``: other code ignores it)."""
    if state is None:
        return
    state.mkdir(parents=True, exist_ok=True)
    # marshal version 2: plain values only, and no references between them, so the same state is
    # the same bytes whatever objects the build shared (a build from the caches == a clean one)
    write_atomic(state / name, marshal.dumps({"version": STATE_VERSION, "code": code or code_fingerprint(),
                                              "value": value}, 2))


def _state_file(previous: Path, state: Path | None, name: str) -> Path:
    return Path(previous).parent / "state" / (state.name if state is not None else "site") / name


def load_state(previous: Path | None, state: Path | None, name: str, default, code: str | None = None):
    """What the previous build saved as ``name`` (:func:`save_state`); ``default`` when there is
    none, it is unreadable or other code wrote it."""
    if previous is None:
        return default
    path = _state_file(previous, state, name)
    try:
        saved = marshal.loads(path.read_bytes())
        if saved.get("version") != STATE_VERSION or saved.get("code") != (code or code_fingerprint()):
            return default
        return saved["value"]
    except Exception:  # missing, cut short or from another version: build clean
        return default


def page_key(page, digests: Digests, code: str) -> bytes:
    """The digest of what a page is made from besides its answers: each object of its context
    (a QA, a document, each ruling of a list) by its own digest, computed once per build."""
    context = tuple((k, digests.shallow(v)) for k, v in page.context.items())
    return digests.pickled((code, page.path, page.template, page.title, page.crumbs, context))


def previous_pages(previous: Path | None, state: Path | None, code: str | None = None) -> dict:
    """The previous build's manifest of pages (path -> (key, asked)), for :func:`plan`: {} when
    there is none or other code wrote it. Read ahead by a caller with time to spare."""
    return load_state(previous, state, PAGES_FILE, {}, code or code_fingerprint())


def plan(pages: list, answers: Answers, out_dir: Path, *, previous: Path | None, state: Path | None,
         code: str | None = None, prelinked: frozenset[str] | None = None, old: dict | None = None) -> Plan:
    """The pages to render, and the pages proven unchanged since ``previous``: hard-linked from
    there into ``out_dir`` by a forked child (the links are system calls: they overlap the
    rendering; a thread would wait for the interpreter's lock after each one while this process
    renders); :meth:`Plan.wait` before the site is complete. ``prelinked``: the previous site's
    pages the caller linked into ``out_dir`` already (:func:`kb.build._prelink`); those not reused are
    removed here (before any is rendered: never written through a link into the previous build).
    ``old``: :func:`previous_pages`, when the caller read it already."""
    from ..processes import in_background

    code = code or code_fingerprint()
    old = previous_pages(previous, state, code) if old is None else old
    made_dirs: set[str] = set()
    out = Plan([], code=code)
    same = []
    for page in pages:
        key = page_key(page, answers.digests, code)
        entry = old.get(page.path)
        if entry is not None and entry[0] == key and answers.unchanged(entry[1]):
            out.manifest[page.path] = entry
            if prelinked is not None and page.path in prelinked:
                continue
            folder = page.path.rpartition("/")[0]
            if folder not in made_dirs:
                os.makedirs(f"{out_dir}/{folder}", exist_ok=True)
                made_dirs.add(folder)
            same.append((page, key))
        else:
            out.fresh.append((page, key))
    if prelinked:
        gone = prelinked.difference(out.manifest)  # to render again, or gone from the site
        for path in gone:
            os.unlink(f"{out_dir}/{path}")
        folders = {"/".join(p.split("/")[:n]) for p in gone for n in range(1, p.count("/") + 1)}
        for folder in sorted(folders, key=lambda f: -f.count("/")):  # deepest first
            with contextlib.suppress(OSError):  # as a clean build: no folder left empty (not empty: kept)
                os.rmdir(f"{out_dir}/{folder}")
    out.reused = len(out.manifest)
    if same:
        out._linking = (in_background(_link_all, [page.path for page, _key in same], f"{previous}/", f"{out_dir}/"),
                        same)
    if old and out.reused == len(old) == len(pages):
        out.previous = _state_file(previous, state, PAGES_FILE)
    return out


def _link_all(paths: list[str], src: str, dst: str) -> list[int]:
    """Link each page's file; return the positions of those whose previous file is gone. Strings,
    not paths: 10,000 links in pathlib cost more than the links."""
    return [n for n, path in enumerate(paths) if not linked(src + path, dst + path)]
