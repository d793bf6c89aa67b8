"""Split a document into addressable clauses, losslessly.

Every physical line belongs to exactly one clause; a clause's span runs from its
first line to the first line of the next clause, so the spans partition the source
text. Structure comes from the markers lines start with (see :mod:`kb.corpus.markers`):
a marker style seen before on the open path closes back to that level (a sibling),
a new style opens a child level. Ids are the path of marker tokens
(``guide-…:p8.ref1.t2.c3``), so adding a paragraph elsewhere does not shift them.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from . import markers as mk
from .documents import Document
from .normalize import compact, display_text, search_text, strip_markup

TITLE_LEN = 60
# marker tokens that carry no number: the clause id gets a digest of its text instead
UNNUMBERED = frozenset({"", "b", "sb", "ag", "o", "s", "u", "note", "src", "h", "tbl", "ref", "q"})


def _digest(raw: str) -> str:
    return hashlib.sha1(compact(raw)[:200].encode("utf-8")).hexdigest()[:5]


@dataclass(frozen=True)
class Clause:
    id: str
    doc_id: str
    kind: str  # heading | item | paragraph | qa | qa-source | table
    style: str
    label: str
    title: str
    breadcrumb: tuple[str, ...]  # titles of the ancestors, outermost first
    parent: str | None
    depth: int
    start: int
    end: int
    display: str
    search: str
    number: int | None = None  # 問 number for kind == "qa"
    ancestors: tuple[str, ...] = ()  # ids of the ancestors, outermost first


@dataclass
class _Unit:
    marker: mk.Marker | None
    style: str
    start: int
    end: int = 0
    lines: list[str] = field(default_factory=list)
    heading: bool = False  # a title line: the next body line starts a new unit
    answered: bool = False  # a Q&A whose answer marker has been seen
    listed: bool = False  # one line of a list of numbered titles (a table of contents)

    @property
    def text(self) -> str:
        return "".join(self.lines)


def _lines(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for line in text.splitlines(keepends=True):
        out.append((pos, line))
        pos += len(line)
    return out


def _title(text: str) -> str:
    first = next((ln.strip() for ln in strip_markup(text).splitlines() if ln.strip()), "")
    first = re.sub(r"[ \t\u3000]{2,}", " ", first)
    return first if len(first) <= TITLE_LEN else first[: TITLE_LEN - 1] + "…"


def _blank_after_every_line(lines: list[tuple[int, str]]) -> bool:
    """True for PDF dumps that put a blank line after (nearly) every printed line:
    there a single blank line means nothing, two mean a paragraph gap."""
    filled = [i for i, (_, ln) in enumerate(lines) if ln.strip()][:-1]  # the last has no next
    followed = sum(1 for i in filled if not lines[i + 1][1].strip())
    return bool(filled) and followed / len(filled) > 0.9


def _group(text: str) -> list[_Unit]:
    """Group physical lines into units (one per future clause)."""
    lines = _lines(text)
    classes = [mk.classify(ln) for _, ln in lines]
    units: list[_Unit] = []
    stack_styles: list[str] = []  # approximate open path, for the Q&A-end rule
    spaced = _blank_after_every_line(lines)
    blank_run = 0
    cur: _Unit | None = None

    def next_marker(i: int) -> mk.Marker | None:
        for j in range(i + 1, len(lines)):
            if lines[j][1].strip():
                return classes[j]
        return None

    def start(marker, style, pos, line, heading=False):
        nonlocal cur
        cur = _Unit(marker, style, pos, lines=[line], heading=heading)
        units.append(cur)
        if style == "body":
            return
        if style in stack_styles:
            del stack_styles[stack_styles.index(style):]
        stack_styles.append(style)

    for i, (pos, line) in enumerate(lines):
        if not line.strip():
            blank_run += 1
            if cur is None:
                start(None, "body", pos, line)
            else:
                cur.lines.append(line)
            continue
        m = classes[i]
        stripped = strip_markup(line).strip()
        if m is not None and cur is not None and cur.style == "qa" and _stays_in_qa(m, cur, stack_styles):
            if m.style in ("answer", "qa"):
                cur.answered = True
            cur.lines.append(line)
        elif m is not None and m.style == "table" and cur is not None and cur.style == "table":
            cur.lines.append(line)
        elif m is not None:
            heading = mk.is_heading_style(m.style) and (
                (m.style == "bracket" and stripped.endswith("】")) or m.style == "angle"
                or (len(stripped) <= 40 and "、" not in stripped and not stripped.endswith("。"))
            )
            start(m, m.style, pos, line, heading)
            if m.style == "bracket" and "】" not in stripped:
                cur.heading = False  # title continues on the next line
        elif cur is None:
            start(None, "body", pos, line)
        else:
            nm = next_marker(i)
            how = _unmarked_start(cur, line, blank_run, spaced, nm is not None and nm.style == "qa")
            if how == "qasrc":
                start(mk.Marker("qasrc", "src", ""), "qasrc", pos, line, heading=True)
            elif how == "topic":
                start(mk.Marker("topic", "h", ""), "topic", pos, line, heading=True)
            elif how == "body":
                start(None, "body", pos, line)
            else:
                cur.lines.append(line)
        blank_run = 0
    for u, nxt in zip(units, units[1:] + [None]):
        u.end = nxt.start if nxt else len(text)
        if u.style == "body" and _is_title_line(u.text):
            # a lone short line (a slide title, a 別添 caption) heads what follows;
            # a parenthesized one (（6月以内）) is a level of its own, below a ＜…＞ title
            style = "ptopic" if mk.is_paren_title(strip_markup(u.text).strip()) else "topic"
            u.style, u.heading = style, True
            u.marker = mk.Marker(style, "h", "")
    return units


def _stays_in_qa(m: mk.Marker, qa: _Unit, open_styles: list[str]) -> bool:
    """A marked line inside a Q&A: the answer marker (or seed 002's answer mislabelled
    as a second 問 127) and lists inside the answer stay; a heading, the next 問, or a
    number in the numbering of an enclosing section (（９） after （８）) ends it."""
    if m.style == "answer":
        return True
    if m.style == "qa":
        return m.number is not None and m.number == qa.marker.number and not qa.answered
    return mk.is_qa_internal(m.style) and not (m.style in mk.NUMBERED and m.style in open_styles[:-1])


def _unmarked_start(cur: _Unit, line: str, blank_run: int, spaced: bool, qa_follows: bool) -> str | None:
    """Does an unmarked line start a new unit ("body", "topic", or "qasrc", the title of
    a group of rulings) or continue the current one (None)?"""
    stripped = strip_markup(line).strip()
    if cur.style == "qa":
        # an answer runs on over paragraphs; a paragraph gap after a full stop ends it
        return "body" if blank_run >= 2 and mk.ends_sentence(cur.text.rstrip()) else None
    if blank_run > 0 and len(stripped) <= 60 and "。" not in stripped and qa_follows:
        return "qasrc"  # a short title right above a 問: the group a reply belongs to
    if blank_run > 0 and mk.is_topic(line):
        return "topic"
    if cur.style == "table" or cur.heading and (cur.style != "bracket" or "】" in cur.text):
        return "body"
    if (blank_run > 0 and not spaced and not mk.starts_mid_sentence(stripped)
            and (cur.style.startswith("md") or _is_title_line(cur.text))):
        # text whose blank lines separate blocks (not a PDF dump with a blank line
        # after every printed line): a blank line ends a list item or a title line
        return "body"
    if mk.is_label_line(stripped) or mk.is_paren_title(stripped):
        return "body"  # 「ハの算定要件：…」, 「（6月以上）」: a new statement on a slide
    if blank_run >= 2 and not mk.starts_mid_sentence(stripped) and cur.style != "bracket":
        return "body"  # a paragraph gap (PDF text has one blank line between printed lines)
    if mk.ends_sentence(cur.text):
        return "body"
    return None


def _is_title_line(text: str) -> bool:
    lines = [ln.strip() for ln in strip_markup(text).splitlines() if ln.strip()]
    return (
        len(lines) == 1 and len(lines[0]) <= 40 and "。" not in lines[0]
        and not lines[0].endswith(("、", "，", ","))
        and not _AMOUNT_OR_LABEL.search(lines[0])  # 「I : 53単位/月」 states, it does not head
        and not lines[0].endswith(tuple("のをにがはてでもやへと"))  # a sentence cut at a particle
    )


_AMOUNT_OR_LABEL = re.compile(r"[0-9０-９]\s*(?:単位|点|円|%|％)|：| : ")


def segment(doc: Document) -> list[Clause]:
    """The clauses of one document, in source order."""
    text = doc.text
    units = _group(text)
    root = doc.id + ":"
    _mark_lists(units)
    # stack of (style, clause_id, title, opens): opens = a section a paragraph may belong to
    stack: list[tuple[str, str, str, bool]] = []
    used: dict[str, set[str]] = {}
    clauses: list[Clause] = []

    for u in units:
        style = u.style
        if style == "body" or style == "answer":
            while stack and not stack[-1][3]:
                stack.pop()
        elif style == "qasrc":
            while stack and stack[-1][0] not in mk.SECTION_STYLES:
                stack.pop()
            if stack and stack[-1][0] == "qasrc":
                stack.pop()
        else:
            keys = [e[0] for e in stack]
            if style in keys:
                del stack[keys.index(style):]
            elif mk.is_heading_style(style):
                while stack and not stack[-1][3]:
                    stack.pop()
        parent = stack[-1][1] if stack else None
        prefix = (parent + ".") if parent else root
        token = u.marker.token if u.marker else ""
        if token in UNNUMBERED:
            # no number of its own: name it by its text, so inserting a paragraph
            # elsewhere (a running counter would) does not shift it
            token = (token or "t") + _digest(text[u.start:u.end])
        siblings = used.setdefault(parent or "", set())
        final, k = token, 1
        while final in siblings:
            k += 1
            final = f"{token}~{k}"
        siblings.add(final)
        cid = prefix + final
        raw = text[u.start:u.end]
        kind = _kind(u)
        clauses.append(Clause(
            id=cid, doc_id=doc.id, kind=kind, style=style,
            label=u.marker.label if u.marker else "",
            title=_title(raw), breadcrumb=tuple(e[2] for e in stack),
            parent=parent, depth=len(stack), start=u.start, end=u.end,
            display=display_text(raw), search=search_text(raw),
            number=u.marker.number if u.marker and style == "qa" else None,
            ancestors=tuple(e[1] for e in stack),
        ))
        if style not in ("body",):
            stack.append((style, cid, _title(raw), mk.is_heading_style(style) and not u.listed))
    return clauses


def _mark_lists(units: list[_Unit], min_run: int = 3) -> None:
    """Three or more numbered one-line titles in a row are a list (a slide's table of
    contents), not sections: what follows the list does not belong to its last line."""
    i = 0
    while i < len(units):
        j = i
        while (j < len(units) and units[j].heading and units[j].style in mk.NUMBERED
               and units[j].style == units[i].style):
            j += 1
        if j - i >= min_run:
            for u in units[i:j]:
                u.listed = True
        i = max(j, i + 1)


def _kind(u: _Unit) -> str:
    if u.style == "qa":
        return "qa"
    if u.style == "qasrc":
        return "qa-source"
    if u.style == "table":
        return "table"
    if u.style == "body" or u.style == "answer":
        return "paragraph"
    return "heading" if u.heading else "item"
