"""Line markers: what kind of numbered item, heading or bullet a line starts with.

Detection runs on the raw line, before NFKC, so circled and parenthesized numerals
(①, ⑴) are mapped to structure while they still exist.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .normalize import strip_markup

# styles that open a section (a paragraph after them is their child)
HEADING_STYLES = frozenset(
    {"numdot", "numdash", "pnum", "bracket", "sqb", "angle", "article", "dai", "kanum", "lpara", "maru", "pword",
     "topic", "ptopic", "qasrc"}
)
# styles that a Q&A may contain without ending (lists inside an answer)
QA_INTERNAL = frozenset({
    "answer", "note", "star", "bullet", "md", "circ", "kana", "pkana", "kanum", "lpara", "table",
    "pnum", "numdot", "numdash",
})
# numbered styles end a Q&A only when an enclosing section uses the same numbering
NUMBERED = frozenset({"pnum", "numdot", "numdash", "kanum", "lpara"})
# a quoted-Q&A header pops everything down to one of these
SECTION_STYLES = frozenset({"numdot", "numdash", "pnum", "article", "dai", "kanum", "lpara", "qasrc"})

_KANJI_DIGITS = {"〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}

# katakana -> romaji for ids (ア -> a, イ -> i, ロ -> ro ...)
_ROMAJI = dict(zip(
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン",
    "a i u e o ka ki ku ke ko sa shi su se so ta chi tsu te to na ni nu ne no ha hi fu he ho "
    "ma mi mu me mo ya yu yo ra ri ru re ro wa wo n".split(),
))

_MD = re.compile(r"^(?P<indent>[ \t]*)[-*+][ \t]+")
_QASRC = re.compile(r"に関するQ&A\(Vol\.?\d+\)")
_Q = re.compile(r"^問(?:[ \t\u3000]*(?P<n>[0-9０-９]+)(?![0-9０-９])|(?=[ \t\u3000]|$))")
_A = re.compile(r"^(?:答[ \t\u3000]*[0-9０-９]*(?=[ \t\u3000]|$)|答[0-9０-９]+|[（(]答[）)])")
_BRACKET = re.compile(r"^【")
_SQB = re.compile(r"^\[[^\]]{1,20}\]")
_ANGLE = re.compile(r"^[＜〈《<][^＜＞〈〉《》<>]{1,30}[＞〉》>]\s*$")  # ＜リハビリテーションマネジメント加算＞
_LABEL = re.compile(r"^[^\s。、：:]{1,15}[：:](?![0-9０-９])")
_PAREN_TITLE = re.compile(r"^[（(][^（）()]{1,15}[）)]$")
_HIRAGANA_START = re.compile(r"^[ぁ-ゖ]")
_ARTICLE = re.compile(r"^第[一二三四五六七八九十百千〇0-9０-９]+[条章節款部](?:の[一二三四五六七八九十百千]+)*")
_DAI = re.compile(r"^第[一二三四五六七八九十]+(?=[ \t\u3000])")
_NUMDASH = re.compile(r"^([0-9０-９]{1,2})[－\-‐−]([0-9０-９]{1,2})[．.]")
_NUMDOT = re.compile(r"^([0-9０-９]{1,2})[．.](?![0-9０-９])")
_PNUM = re.compile(
    r"^(?:[（(][ \t]*([0-9０-９]{1,2}|[一二三四五六七八九十]{1,3})[ \t]*[）)]|([\u2474-\u2487]))(?![～~、])"
)
_PWORD = re.compile(r"^[（(](参考|別添|別紙|添付資料|参照|注)[^）)]{0,6}[）)]")
_CIRC = re.compile(r"^([\u2460-\u2473\u3251-\u325f])")
_PKANA = re.compile(r"^[（(]([ア-ン])[）)]")
_KANA = re.compile(r"^([ア-ン])(?=[ \t\u3000])")
_KANUM = re.compile(r"^([一二三四五六七八九十]+)(?=[ \t\u3000～・])")
_LPARA = re.compile(r"^([0-9０-９]{1,2})(?=[ \t\u3000]+[^\s0-9０-９号単位年月日条項人回床点%％箇]|～)")
_MARU = re.compile(r"^[○◯〇](?![0-9０-９])")
_STAR = re.compile(r"^[★☆]")
_NOTE = re.compile(r"^[※]|^[（(]※[^）)]{0,3}[）)]")
_BULLET = re.compile(r"^[・●■◆□◇▪►▶◎]")
_TABLE = re.compile(r"^<(?:p|u|td|tr)\b|^-{3,}|^\|")
_TOPIC = re.compile(r"について(?:[（(][^）)]{0,20}[）)])?$")
_SENTENCE_END = re.compile(r"[。！？!?]$|について(?:[（(][^）)]{0,20}[）)])?$")


@dataclass(frozen=True)
class Marker:
    style: str  # see HEADING_STYLES / QA_INTERNAL
    token: str  # id fragment ('' when the clause is numbered by position)
    label: str  # the marker as printed
    number: int | None = None  # 問 number

    @property
    def key(self) -> str:
        """Stack identity: markdown bullets nest by indent, everything else by style."""
        return self.style


def kanji_number(s: str) -> int:
    """一 -> 1, 十五 -> 15, 百十五 -> 115; ASCII/full-width digits too."""
    s = unicodedata.normalize("NFKC", s)
    if s.isdigit():
        return int(s)
    total, digit = 0, 0
    for ch in s:
        if ch in _KANJI_DIGITS:
            digit = _KANJI_DIGITS[ch]
        elif ch in _KANJI_UNITS:
            total += (digit or 1) * _KANJI_UNITS[ch]
            digit = 0
    return total + digit


def _digits(s: str) -> int:
    return int(unicodedata.normalize("NFKC", s))


def _compact_nfkc(s: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


def is_qa_source(line: str) -> bool:
    """「令和６年度介護報酬改定に関するＱ＆Ａ（Vol.１）（令和６年３月 15 日）」より"""
    c = _compact_nfkc(line)
    return bool(_QASRC.search(c)) and c.rstrip("」").endswith("より")


def is_topic(line: str) -> bool:
    s = strip_markup(line).strip()
    return 0 < len(s) <= 50 and "。" not in s and bool(_TOPIC.search(s))


def is_label_line(line: str) -> bool:
    """「ハの算定要件：…」: a short label and a colon open a statement."""
    return bool(_LABEL.match(line))


def is_paren_title(line: str) -> bool:
    """A short line that is one parenthesized phrase: 「（6月以上）」."""
    return bool(_PAREN_TITLE.match(line))


def starts_mid_sentence(line: str) -> bool:
    """A line starting with hiragana continues a sentence cut by a page break."""
    return bool(_HIRAGANA_START.match(line))


def ends_sentence(text: str) -> bool:
    return bool(_SENTENCE_END.search(strip_markup(text).rstrip()))


def classify(line: str) -> Marker | None:
    """The marker a line starts with, or None for an unmarked (continuation or body) line."""
    if not line.strip():
        return None
    if _TABLE.search(line.strip(" \u3000")) or "\t" in line:
        return Marker("table", "tbl", "")
    md = _MD.match(line)
    s = line[md.end():] if md else line.lstrip(" \t\u3000")
    s = s.lstrip("*").lstrip(" \t\u3000") if s.startswith("**") else s
    if is_qa_source(line):
        return Marker("qasrc", "src", "")
    if m := _Q.match(s):
        n = _digits(m["n"]) if m["n"] else None
        return Marker("qa", f"q{n}" if n is not None else "q", m.group(0).strip(), n)
    if m := _A.match(s):
        return Marker("answer", "", m.group(0))
    if _BRACKET.match(s):
        return Marker("bracket", "b", "【")
    if _SQB.match(s):
        return Marker("sqb", "sb", "[")
    if _ANGLE.match(s):
        return Marker("angle", "ag", s[0])
    if m := _ARTICLE.match(s):
        nums = re.findall(r"[一二三四五六七八九十百千〇0-9０-９]+", m.group(0))
        return Marker("article", "art" + "-".join(str(kanji_number(n)) for n in nums), m.group(0))
    if m := _DAI.match(s):
        return Marker("dai", f"d{kanji_number(m.group(0)[1:])}", m.group(0))
    if m := _NUMDASH.match(s):
        return Marker("numdash", f"{_digits(m[1])}-{_digits(m[2])}", m.group(0))
    if m := _NUMDOT.match(s):
        return Marker("numdot", f"{_digits(m[1])}", m.group(0))
    if m := _PWORD.match(s):
        return Marker("pword", "ref", m.group(0))
    if m := _PNUM.match(s):
        n = kanji_number(m[1]) if m[1] else ord(m[2]) - 0x2474 + 1
        return Marker("pnum", f"p{n}", m.group(0))
    if m := _CIRC.match(s):
        ch = m[1]
        n = ord(ch) - 0x2460 + 1 if ch <= "\u2473" else ord(ch) - 0x3251 + 21
        return Marker("circ", f"c{n}", ch)
    if m := _PKANA.match(s):
        return Marker("pkana", f"pk{_ROMAJI.get(m[1], 'x')}", m.group(0))
    if m := _KANA.match(s):
        return Marker("kana", f"k{_ROMAJI.get(m[1], 'x')}", m[1])
    if m := _KANUM.match(s):
        return Marker("kanum", f"n{kanji_number(m[1])}", m[1])
    if m := _LPARA.match(s):
        return Marker("lpara", f"l{_digits(m[1])}", m[1])
    if _MARU.match(s):
        return Marker("maru", "o", s[0])
    if _STAR.match(s):
        return Marker("star", "s", s[0])
    if _NOTE.match(s):
        return Marker("note", "note", "※")
    if _BULLET.match(s):
        if md:
            return Marker(f"md{len(md['indent'])}", "u", s[0])
        return Marker("bullet", "u", s[0])
    if md:
        return Marker(f"md{len(md['indent'])}", "u", "-")
    return None


def is_heading_style(style: str) -> bool:
    return style in HEADING_STYLES


def is_qa_internal(style: str) -> bool:
    return style in QA_INTERNAL or style.startswith("md")
