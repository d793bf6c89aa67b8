"""The static site: every document, Q&A, rule and service as a page, searchable from disk.

:func:`render_site` renders the pages listed by :mod:`kb.site.pages` with the Jinja
templates in ``site_templates/`` and writes the browser search index
(:mod:`kb.site.browser_index`). Links are relative (the folder works from file:// and from
anywhere it is copied to); no page loads anything from the network. The output is
deterministic: the same corpus gives byte-identical files.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..locations import PACKAGE_ROOT
from ..processes import in_background
from ..search.inputs import Inputs
from ..search.units import Unit
from . import paths, views
from .browser_index import write_browser_index
from .downloads import write_exports
from .pages import SiteData, pages

TEMPLATES = PACKAGE_ROOT / "site_templates"

ENTRY_KINDS = {"abbrev": "略称", "synonym": "同義語", "group": "グループ", "broader": "上位語"}

Progress = Callable[[str, int, int], None]


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.globals.update(paths=paths, views=views, entry_kinds=ENTRY_KINDS)
    return env


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def render_site(inputs: Inputs, units: list[Unit], out_dir: Path, progress: Progress | None = None, *,
                analysed=None, fields=None, previous: Path | None = None, state: Path | None = None) -> None:
    """Write the complete site into ``out_dir`` (an empty directory chosen by the caller).

    Tokenizes with :mod:`kb.search.analysis` as configured (the build configures the
    Sudachi user dictionary first, so browser and CLI segment alike; it also hands over its
    analysis of the units and their postings, see :func:`~kb.site.browser_index.build_index`)."""
    out_dir = Path(out_dir)
    corpus, rules, services, thesaurus = inputs.corpus, inputs.rules, inputs.services, inputs.thesaurus
    choices = write_browser_index(out_dir, units, inputs, analysed, fields, previous=previous, state=state,
                                  progress=progress)
    for src in sorted((TEMPLATES / "static").iterdir()):
        if src.is_file():
            (out_dir / "static").mkdir(parents=True, exist_ok=True)
            (out_dir / "static" / src.name).write_bytes(src.read_bytes())

    data = SiteData.collect(corpus, units, rules=rules, services=services, thesaurus=thesaurus, payload=choices)
    todo = pages(data)
    # every other page in a forked child (on the core the index writer leaves free when it is done)
    others = in_background(_render_pages, todo[1::2], out_dir, data)
    write_exports(out_dir, data, previous=previous, state=state)
    _render_pages(todo[0::2], out_dir, data, progress and (lambda n, total: progress("pages", 2 * n, 2 * total)))
    others()


def _render_pages(todo: list, out_dir: Path, data: SiteData, progress=None) -> None:
    env = environment()
    stamp = views.build_stamp(data.corpus)
    for n, page in enumerate(todo, 1):
        root = "../" * page.path.count("/")
        html = env.get_template(page.template).render(
            page=page, root=root, site=data, title=page.title, crumbs=page.crumbs, stamp=stamp, **page.context,
        )
        _write(out_dir / page.path, html)
        if progress and (n % 100 == 0 or n == len(todo)):
            progress(n, len(todo))
