"""The static site: every document, Q&A, rule and service as a page, searchable from disk.

:func:`render_site` renders the pages listed by :mod:`kb.site.pages` with the Jinja
templates in ``site_templates/`` and writes the browser search index
(:mod:`kb.site.browser_index`). Links are relative (the folder works from file:// and from
anywhere it is copied to); no page loads anything from the network. The output is
deterministic: the same corpus gives byte-identical files.
"""
from __future__ import annotations

import contextlib
import gc
from pathlib import Path
from typing import Callable

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from ..locations import PACKAGE_ROOT
from ..processes import in_background
from ..search.inputs import Inputs
from ..search.units import Facets, Unit
from ..search.units import facets as units_facets
from . import paths, reuse, views
from .browser_index import browser_index
from .downloads import write_exports
from .pages import SiteData, pages

TEMPLATES = PACKAGE_ROOT / "site_templates"

# every template (the pages', the layout and the macros they take in): loaded before the pages are known
_PAGE_TEMPLATES = sorted(p.name for p in TEMPLATES.glob("*.html"))

ENTRY_KINDS = {"abbrev": "略称", "synonym": "同義語", "group": "グループ", "broader": "上位語"}

Progress = Callable[[str, int, int], None]


def environment() -> Environment:
    """The templates' environment. Their compiled code is kept in the build cache
    (:func:`kb.locations.cache_dir`; Jinja checks each against its source's checksum): compiling
    the templates is a third of a second of every build otherwise. A template is loaded once: Jinja
    would otherwise look at its file's time each time a page includes or imports it (50,000 times
    in a build of 10,000 Q&As), for a source that does not change while the pages render."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        bytecode_cache=_bytecode_cache(), auto_reload=False,
    )
    env.globals.update(paths=paths, views=views, entry_kinds=ENTRY_KINDS, qa_rows=_qa_rows(env))
    return env


def _qa_rows(env: Environment):
    """``qa_rows(qas, root)``: the rulings' rows of a list (``_qa_row.html``), each rendered once per
    ruling and page depth and reused: a ruling's row stands on its volume's page and on the page of that
    volume of each of its services and rules (176,000 rows at 10,000 Q&As, 10,000 rulings)."""
    rows: dict[tuple[int, str], tuple[object, str]] = {}  # (id(ruling), root) -> (it, its row)

    def qa_rows(qas, root: str) -> Markup:
        out = []
        for q in qas:
            hit = rows.get((id(q), root))
            if hit is None or hit[0] is not q:
                hit = rows[id(q), root] = q, env.get_template("_qa_row.html").render(q=q, root=root)
            out.append(hit[1])
        return Markup("".join(out))

    return qa_rows


def _bytecode_cache():
    from jinja2 import FileSystemBytecodeCache

    from ..locations import cache_dir

    folder = cache_dir()
    if folder is None:
        return None
    try:
        (folder / "templates").mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only cache: compile each time
        return None
    return FileSystemBytecodeCache(str(folder / "templates"))


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def render_site(inputs: Inputs, units: list[Unit] | None, out_dir: Path, progress: Progress | None = None, *,
                analysed=None, fields=None, previous: Path | None = None, state: Path | None = None,
                browser: bool = True, facets: Facets | None = None, prelinked: frozenset[str] | None = None,
                handover: Callable[[], tuple[Facets, frozenset[str] | None]] | None = None) -> None:
    """Write the complete site into ``out_dir`` (an empty directory chosen by the caller).

    Tokenizes with :mod:`kb.search.analysis` as configured (the build configures the
    Sudachi user dictionary first, so browser and CLI segment alike; it also hands over its
    analysis of the units and their postings, see :func:`~kb.site.browser_index.build_index`).
    ``previous``: the previous build's site, whose pages are reused where :mod:`kb.site.reuse`
    proves them unchanged; ``state``: where this build writes what the next one needs.
    ``browser``: False when the caller writes the browser index itself (:func:`~kb.site.browser_index.browser_index`;
    the build does, beside its index, from the postings it shares). ``facets``: what the pages take of
    the units (:class:`~kb.search.units.Facets`), when the caller has them and not the units (then
    ``browser`` is False); ``prelinked``: the previous site's pages the caller linked into ``out_dir``
    already (:func:`kb.build._prelink`). ``handover``: instead of those two, a function that gives
    both when they are known (the build starts the site before its units are derived): what needs
    neither (the static files, the rules' links, the templates, the previous manifest) is done first."""
    out_dir = Path(out_dir)
    corpus, rules, services, thesaurus = inputs.corpus, inputs.rules, inputs.services, inputs.thesaurus
    out_dir.mkdir(parents=True, exist_ok=True)
    # the browser index in a forked child, beside the pages: its postings and JSON never weigh on
    # this process, and the core the index writer leaves is used
    browsing = in_background(browser_index, out_dir, units, inputs, analysed, fields) if browser else (lambda: None)
    for src in sorted((TEMPLATES / "static").iterdir()):
        if src.is_file():
            (out_dir / "static").mkdir(parents=True, exist_ok=True)
            (out_dir / "static" / src.name).unlink(missing_ok=True)  # (never written through a link: prelinked)
            (out_dir / "static" / src.name).write_bytes(src.read_bytes())

    with _without_gc():  # ~100,000 objects made and kept: collections would scan the corpus again and again
        code = reuse.code_fingerprint()
        link_cache = reuse.load_state(previous, state, reuse.LINKS_FILE, {}, code)
        links = SiteData.rule_links(corpus, rules, link_cache)
        reuse.save_state(state, reuse.LINKS_FILE, link_cache, code)
        old = reuse.previous_pages(previous, state, code)
        env = environment()
        for name in _PAGE_TEMPLATES:  # loaded now (compiled, or from the cache), before they are needed
            env.get_template(name)
        if handover is not None:
            facets, prelinked = handover()
        facets = facets if facets is not None else units_facets(units)
        data = SiteData.collect(corpus, facets.services, rules=rules, services=services, thesaurus=thesaurus,
                                payload=facets.choices(), links=links)
        listed = pages(data)
        # (the rulings' digests the corpus's memo made with their documents' entries, not made again)
        answers = reuse.Answers(data, reuse.Digests(corpus.memo.object_digest if corpus.memo is not None else None))
        todo = reuse.plan(listed, answers, out_dir, previous=previous, state=state, code=code, prelinked=prelinked,
                          old=old)
        del old
        # the downloads in a forked child too, beside the pages (after the pages are listed: it
        # inherits the services' rulings they found, see SiteData.service_rulings; after the plan,
        # which reads every ruling: forked before it, every page of this process the plan touched was
        # copied once more, and the two competed for the cores)
        exporting = in_background(_exports, out_dir, data, previous, state, answers.digests)
    try:
        # with many pages to render, every other one in a forked child (on the core the index writer leaves free)
        split = len(todo.fresh) >= CHILD_PAGES
        others = in_background(_render_part, todo.fresh[1::2], out_dir, data, env) if split else (lambda: {})
        mine = todo.fresh[0::2] if split else todo.fresh
        _render_pages(mine, out_dir, answers, todo, env,
                      progress and (lambda n, total: progress("pages", 2 * n, 2 * total)))
        todo.manifest.update(others())
    finally:
        late = todo.wait()  # the reused pages linked; one whose previous file was gone after all is made now
    if late:
        _render_pages(late, out_dir, answers, todo, env)
    todo.save(state)
    exporting()
    browsing()


def _exports(out_dir: Path, data: SiteData, previous: Path | None, state: Path | None, digests) -> None:
    write_exports(out_dir, data, previous=previous, state=state, digests=digests)


@contextlib.contextmanager
def _without_gc():
    """The cyclic garbage collector off for a while (back as it was after): what is made here is
    not garbage, and each full collection would walk every object of the corpus. What was made is
    then frozen (:func:`gc.freeze`: the site's data, its pages and their plan live until the pages
    are rendered): turned back on, the collector would otherwise walk all of it at once, then again
    and again while the pages render (a second of the build's process at 10,000 Q&As), and so would
    a child forked later to render half of the pages. Frozen objects are still freed when nothing
    refers to them; the build unfreezes everything at its end."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was:
            gc.enable()


CHILD_PAGES = 400  # fewer pages than this render faster here than a forked child starts and reports


def _render_part(fresh: list, out_dir: Path, data: SiteData, env: Environment) -> dict:
    """In a forked child: render ``fresh``; return their manifest entries."""
    plan = reuse.Plan(fresh)
    _render_pages(fresh, out_dir, reuse.Answers(data, reuse.Digests()), plan, env)
    return plan.manifest


def _render_pages(fresh: list, out_dir: Path, answers: reuse.Answers, plan: reuse.Plan, env: Environment,
                  progress=None) -> None:
    for n, (page, key) in enumerate(fresh, 1):
        root = "../" * page.path.count("/")
        site = reuse.Recorder(answers)
        html = env.get_template(page.template).render(
            page=page, root=root, site=site, title=page.title, crumbs=page.crumbs, **page.context,
        )
        _write(out_dir / page.path, html)
        plan.record(page, key, site)
        if progress and (n % 100 == 0 or n == len(fresh)):
            progress(n, len(fresh))
