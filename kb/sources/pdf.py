"""PDF text extraction and the page-furniture filter.

Library choice: pypdfium2 (PDFium, the engine in Chromium). Compared with
pdfminer.six on MHLW-style pages (tests/pdfgen.py), both map the CID fonts back to
the right Unicode (full-width digits, Ⅱ, ＱＡ kept), but pdfminer's layout analysis
groups short lines into boxes and reorders them: ``問 5`` / 本文 / ``答 5`` came out
as ``問 5`` / ``答 5`` / 本文, which breaks the question/answer split, and it puts a blank
line between every printed line. PDFium keeps the content-stream reading order and
one printed line per line, gives character boxes (used below to restore paragraph
gaps and find headers/footers by position), is much faster, and ships as a wheel
with no system dependency.

The filter removes, per page: page numbers (``- 3 -``, ``３``, ``3/10``, ``(3)``) in the
top or bottom lines, running headers/footers (the same line, digits ignored, at the
top or bottom of most pages) and a 介護保険最新情報 cover sheet. Pages are then joined
with a plain line break, so a question running over a page break stays one Q&A.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .files import CONTROL, DataError, read_bytes

MAX_PDF_BYTES = 256 * 1024 * 1024  # scanned pages make big PDFs; the text is what is kept


class PdfError(Exception):
    """A PDF we cannot take text from; the message is one line for the user."""


@dataclass(frozen=True)
class Line:
    text: str
    top: float = 0.0  # PDF points, y grows upwards
    bottom: float = 0.0


@dataclass
class Extracted:
    text: str
    pages: int
    removed: list[str] = field(default_factory=list)  # furniture taken out, for the report
    empty_pages: list[int] = field(default_factory=list)  # 1-based pages without a text layer
    bulletin: str = ""  # 介護保険最新情報 Vol.N printed on the first page (the cover sheet), if any


EDGE = 2  # furniture is looked for in this many lines at the top and bottom of a page

_DASH = "-‐‑‒–—―−－ー"
_PAGE_NO = re.compile(
    rf"^(?:[{_DASH}]\s*\d{{1,4}}\s*[{_DASH}]|\d{{1,4}}|\d{{1,4}}\s*/\s*\d{{1,4}}|[(（]\s*\d{{1,4}}\s*[)）]"
    r"|p\.?\s*\d{1,4}|\d{1,4}\s*(?:頁|ページ))$",
    re.I,
)
_COVER = re.compile(r"介護保険最新情報")
_BULLETIN = re.compile(r"介護保険最新情報\s*[（(]?\s*vol\s*\.?\s*(\d{1,5})", re.I)
_COVER_HINT = re.compile(r"本紙を除く|計\s*\d+\s*枚|今回の内容|連絡先|TEL|FAX", re.I)


def _key(text: str) -> str:
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    return re.sub(r"\d+", "#", s)


def is_page_number(text: str) -> bool:
    return bool(_PAGE_NO.match(unicodedata.normalize("NFKC", text).strip()))


def is_cover_sheet(lines: list[Line]) -> bool:
    """介護保険最新情報 cover: the bulletin's name plus its contents/contact block, on a short page."""
    body = "\n".join(ln.text for ln in lines)
    return bool(_COVER.search(body)) and len(_COVER_HINT.findall(unicodedata.normalize("NFKC", body))) >= 2 \
        and len(lines) <= 40


def bulletin_of(lines: list[Line]) -> str:
    """「介護保険最新情報 Vol.1225」 when the page names the issue that sent the document
    (its cover sheet does, on two lines or one); "" otherwise."""
    m = _BULLETIN.search(unicodedata.normalize("NFKC", "\n".join(ln.text for ln in lines)))
    return f"介護保険最新情報 Vol.{int(m[1])}" if m else ""


def filter_pages(pages: list[list[Line]]) -> tuple[list[list[Line]], list[str]]:
    """Drop page numbers, repeated headers/footers and a leading cover sheet."""
    removed: list[str] = []
    if len(pages) > 1 and is_cover_sheet(pages[0]):
        removed.append("p1: 介護保険最新情報 cover sheet")
        pages = [[]] + pages[1:]
    # a line at the top or bottom edge of at least half the pages (min. 2) is furniture;
    # short lines and 問/答 markers never are (「（答）」 can open two pages by chance)
    counts: Counter[str] = Counter()
    for lines in pages:
        counts.update({_key(ln.text) for ln in lines[:EDGE] + lines[-EDGE:] if _furniture_candidate(ln.text)})
    with_text = sum(1 for p in pages if p)
    repeated = {k for k, n in counts.items() if n >= 2 and n * 2 >= with_text}

    def furniture(ln: Line) -> bool:
        return is_page_number(ln.text) or _key(ln.text) in repeated

    out: list[list[Line]] = []
    for no, lines in enumerate(pages, 1):
        # peel from both edges, so a body line between two furniture lines stays
        top, bottom = 0, len(lines)
        while top < min(EDGE, bottom) and furniture(lines[top]):
            top += 1
        while bottom > max(top, len(lines) - EDGE) and furniture(lines[bottom - 1]):
            bottom -= 1
        removed.extend(f"p{no}: {ln.text.strip()}" for ln in lines[:top] + lines[bottom:] if ln.text.strip())
        out.append(lines[top:bottom])
    return out, removed


def _furniture_candidate(text: str) -> bool:
    s = _key(text)
    return len(s) >= 4 and not re.match(r"^(?:問|答|\(答\))", s)


def join_pages(pages: list[list[Line]]) -> str:
    """One text: a blank line where the printed gap is wider than a line; pages run on."""
    heights = sorted(ln.top - ln.bottom for p in pages for ln in p if ln.top > ln.bottom)
    unit = heights[len(heights) // 2] if heights else 0.0
    out: list[str] = []
    for lines in pages:
        prev: Line | None = None
        for ln in lines:
            if prev is not None and unit and prev.bottom - ln.top > unit * 1.2:
                out.append("")
            out.append(ln.text)
            prev = ln
    return "\n".join(out).strip("\n") + "\n"


def _page_lines(page) -> list[Line]:
    tp = page.get_textpage()
    try:
        n = tp.count_chars()
        text = tp.get_text_range(0, n) if n else ""
        lines: list[Line] = []
        pos = 0
        # PDFium counts the generated "\r\n" as characters, so offsets match char boxes
        for raw in re.split(r"(\r\n|\r|\n)", text):
            if raw in ("\r\n", "\r", "\n"):
                pos += len(raw)
                continue
            s = raw.rstrip()
            if s.strip():
                boxes = [tp.get_charbox(pos + i) for i, ch in enumerate(raw) if not ch.isspace()]
                top = max(b[3] for b in boxes)
                bottom = min(b[1] for b in boxes)
                lines.append(Line(s, top, bottom))
            pos += len(raw)
        return lines
    finally:
        tp.close()


def extract_pdf(path: Path, data: bytes | None = None) -> Extracted:
    """Text of a PDF (``data``: its bytes, read from ``path`` when not given) with page
    furniture removed; PdfError for truncated, encrypted, broken or image-only files."""
    import pypdfium2 as pdfium

    path = Path(path)
    if data is None:
        try:
            data = read_bytes(path, MAX_PDF_BYTES)
        except DataError as e:
            raise PdfError(str(e)) from None
    if b"%PDF-" not in data[:1024]:
        raise PdfError(f"{path}: not a PDF (no %PDF header); give a PDF or a UTF-8 .txt file")
    # PDFium reads what it can of a cut file; an interrupted download must not pass as a
    # document with pages missing
    if b"%%EOF" not in data[-1024:]:
        raise PdfError(f"{path}: PDF is truncated (no %%EOF at its end); download it again")
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        if "password" in str(e).lower():
            raise PdfError(f"{path}: PDF is encrypted (password protected); save an unprotected copy "
                           "or extract the text to a .txt file first") from None
        raise PdfError(f"{path}: cannot read this PDF ({e}); it may be damaged") from None
    try:
        pages = [_page_lines(doc[i]) for i in range(len(doc))]
    except pdfium.PdfiumError as e:
        raise PdfError(f"{path}: cannot read this PDF ({e}); it may be damaged") from None
    finally:
        doc.close()
    empty = [i for i, p in enumerate(pages, 1) if not p]
    if not pages or len(empty) == len(pages):
        raise PdfError(f"{path}: no text layer (scanned images only); OCR is needed and kaigo-kb does not do "
                       "OCR: run an OCR tool (e.g. ocrmypdf -l jpn) first, or give a .txt file")
    kept, removed = filter_pages(pages)
    # the corpus refuses control characters (kb.sources.files); a font's odd mapping is no text
    text = CONTROL.sub("", join_pages(kept))
    return Extracted(text=text, pages=len(pages), removed=removed, empty_pages=empty, bulletin=bulletin_of(pages[0]))


def filter_text(text: str) -> Extracted:
    """The same filter for a plain-text extraction: pages split at form feeds."""
    chunks = text.replace("\r\n", "\n").split("\f")
    pages = [[Line(ln.rstrip()) for ln in chunk.split("\n")] for chunk in chunks]
    if len(pages) == 1:
        # no page boundaries: only a line that is nothing but a page number goes
        lines = pages[0]
        kept = [ln for ln in lines if not (ln.text.strip() and is_page_number(ln.text)
                                          and re.search(f"[{_DASH}/]", ln.text))]
        removed = [f"{ln.text.strip()}" for ln in lines if ln not in kept]
        return Extracted("\n".join(ln.text for ln in kept).strip("\n") + "\n", 1, removed,
                         bulletin=bulletin_of(lines[:15]))
    # blank lines are kept as lines of their own so paragraph gaps survive; edges skip them
    trimmed = []
    for lines in pages:
        while lines and not lines[0].text.strip():
            lines = lines[1:]
        while lines and not lines[-1].text.strip():
            lines = lines[:-1]
        trimmed.append(lines)
    kept, removed = filter_pages(trimmed)
    text = "\n".join("\n".join(ln.text for ln in p) for p in kept if p)
    return Extracted(text.strip("\n") + "\n", len(pages), removed, bulletin=bulletin_of(trimmed[0]))
