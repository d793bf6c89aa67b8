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
from ..search.inputs import Inputs
from ..search.units import Unit
from . import export, paths, views
from .browser_index import TEXT_GLOBAL, build_index, index_js, unit_texts
from .pages import SiteData, pages

TEMPLATES = PACKAGE_ROOT / "site_templates"
INDEX_FILE = "search-index.js"
TEXT_FILE = "search-text.js"

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


def _domain_words(inputs: Inputs) -> list[str]:
    from ..search.index import user_dictionary_words

    keys = [e.term for e in inputs.thesaurus.entries] if inputs.thesaurus else []
    return sorted(set(keys) | set(user_dictionary_words(inputs) if inputs.thesaurus else ()))


def render_site(inputs: Inputs, units: list[Unit], out_dir: Path, progress: Progress | None = None) -> None:
    """Write the complete site into ``out_dir`` (an empty directory chosen by the caller).

    Tokenizes with :mod:`kb.search.analysis` as configured (the build configures the
    Sudachi user dictionary first, so browser and CLI segment alike)."""
    out_dir = Path(out_dir)
    corpus, rules, services, thesaurus = inputs.corpus, inputs.rules, inputs.services, inputs.thesaurus
    payload = build_index(units, thesaurus=thesaurus, services=services, words=_domain_words(inputs),
                          progress=progress)
    _write(out_dir / INDEX_FILE, index_js(payload))
    _write(out_dir / TEXT_FILE, index_js(unit_texts(units), TEXT_GLOBAL))
    for src in sorted((TEMPLATES / "static").iterdir()):
        if src.is_file():
            (out_dir / "static").mkdir(parents=True, exist_ok=True)
            (out_dir / "static" / src.name).write_bytes(src.read_bytes())

    data = SiteData.collect(corpus, units, rules=rules, services=services, thesaurus=thesaurus, payload=payload)
    for e in export.all_exports(data):
        _write(out_dir / export.file_path(e, "csv"), "\ufeff" + export.to_csv(e, data))  # BOM: Excel reads UTF-8
        _write(out_dir / export.file_path(e, "json"), export.json_text(e, data))
    env = environment()
    stamp = views.build_stamp(corpus)
    todo = pages(data)
    for n, page in enumerate(todo, 1):
        root = "../" * page.path.count("/")
        html = env.get_template(page.template).render(
            page=page, root=root, site=data, title=page.title, crumbs=page.crumbs, stamp=stamp, **page.context,
        )
        _write(out_dir / page.path, html)
        if progress and (n % 100 == 0 or n == len(todo)):
            progress("pages", n, len(todo))
