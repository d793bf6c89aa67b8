"""Small PDFs for the ingest tests, made with reportlab.

Japanese text uses reportlab's built-in CID font HeiseiMin-W3 (Adobe-Japan1, no
font file needed: Noto CJK .ttc is CFF and reportlab cannot embed it). The
extractors map its CIDs back to Unicode through the UniJIS-UCS2-H CMap, so the
tests check real Japanese text, full-width digits included.

The layout mimics an MHLW Q&A volume: a running header on every page, the
title line, 【service】 headings, ○ …について topics, 問１ … （答） …, a page number
「- N -」 at the bottom and a question that runs over a page break.
"""
from __future__ import annotations

from pathlib import Path

FONT = "HeiseiMin-W3"
PAGE_W, PAGE_H = 595, 842  # A4 in points
TOP, BOTTOM, LEFT, LINE = 780, 60, 60, 16

HEADER = "令和６年度介護報酬改定に関するＱ＆Ａ（Vol.17）"

# One list of lines per page. Indentation (leading full-width spaces) is drawn as
# an x offset, the way a PDF places it; the extractor has to keep reading order.
VOL17_PAGES: list[list[str]] = [
    [
        "事　務　連　絡",
        "令和７年10月１日",
        "各都道府県介護保険担当課（室）御中",
        "厚生労働省老健局高齢者支援課",
        "",
        "令和６年度介護報酬改定に関するＱ＆Ａ（Vol.17）（令和７年10月1日）",
        "",
        "【通所系サービス】",
        "○　入浴介助加算について",
        "問１　入浴介助加算（Ⅱ）の算定に当たり、医師等が利用者の居宅を訪問する",
        "　　必要はあるか。",
        "（答）",
        "　　必要である。ただし、ＩＣＴを活用して状況を把握することも差し支えない。",
        "問２　入浴介助加算（Ⅰ）と（Ⅱ）は併算定できるか。",
        "（答）",
        "　　併算定できない。",
    ],
    [
        "【短期入所系サービス】",
        "○　協力医療機関連携加算について",
        "問３　短期入所生活介護（ショートステイ）の利用者について、協力医療機関連携",
        "　　加算を算定することはできるか。また、算定する場合の単位数は、何単位と",
        "　　なるか。利用者の病状が急変した場合の相談対応を常時行う体制が確保されて",
        "　　いることを前提として、",
    ],
    [
        "　　事業所ごとに判断してよいか。",
        "（答）",
        "　　短期入所生活介護については、協力医療機関連携加算は算定できない。",
        "",
        "【施設系サービス】",
        "○　退所時情報提供加算について",
        "問４　退所時情報提供加算（Ⅱ）の算定要件について示されたい。",
        "（答）",
        "　　入所者が医療機関へ退所した場合に、１回に限り250単位を算定する。",
        "問 5",
        "　　特別養護老人ホームにおける退所時情報提供加算は算定できるか。",
        "答 5",
        "　　算定できる。",
    ],
]

VOL17_QUESTIONS = {
    1: ("入浴介助加算（Ⅱ）の算定", "必要である"),
    2: ("併算定できるか", "併算定できない"),
    3: ("事業所ごとに判断してよいか", "協力医療機関連携加算は算定できない"),
    4: ("退所時情報提供加算（Ⅱ）の算定要件", "１回に限り250単位"),
    5: ("特別養護老人ホームにおける退所時情報提供加算", "算定できる。"),
}


def _indent(line: str) -> tuple[int, str]:
    n = len(line) - len(line.lstrip("\u3000"))
    return n, line.lstrip("\u3000")


def make_pdf(path: Path, pages: list[list[str]], *, header: str | None = HEADER,
             page_numbers: bool = True, encrypt: str | None = None, size: int = 10.5) -> Path:
    """Draw ``pages`` with a running header and 「- N -」 page numbers; return ``path``."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    c = canvas.Canvas(str(path), pagesize=A4, encrypt=encrypt, invariant=1)
    for n, lines in enumerate(pages, 1):
        if header:
            c.setFont(FONT, 8)
            c.drawRightString(PAGE_W - LEFT, PAGE_H - 40, header)
        c.setFont(FONT, size)
        y = TOP
        for line in lines:
            if line:
                ind, text = _indent(line)
                c.drawString(LEFT + ind * size, y, text)
            y -= LINE
        if page_numbers:
            c.setFont(FONT, 9)
            c.drawCentredString(PAGE_W / 2, 30, f"- {n} -")
        c.showPage()
    c.save()
    return Path(path)


def make_image_pdf(path: Path) -> Path:
    """A scanned-looking PDF: a bitmap and shapes, no text layer."""
    from PIL import Image
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    img = Image.new("L", (200, 100), 255)
    for x in range(20, 180):
        for y in (30, 50, 70):
            img.putpixel((x, y), 0)
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.drawImage(ImageReader(img), 60, 600, width=400, height=200)
    c.rect(60, 100, 400, 300)
    c.showPage()
    c.save()
    return Path(path)
