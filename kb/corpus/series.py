"""Q&A series and volumes as titles print them, and the ids they get.

「令和６年度介護報酬改定に関するＱ＆Ａ（Vol.１）」, 「平成２４年度介護報酬改定に関するＱ＆Ａ(Vol.1)」,
「2019年度介護報酬改定に関するＱ＆Ａ(Vol.4)」, 「平成18年4月改定関係Q＆A(vol.1)」, 「介護報酬等に係るQ&A vol.2」:
a series title ends in Q&A (or QA); a volume follows as ``Vol.N`` in any width and case.
The revision series get short ids (``r6-qa``, ``h24-qa``, ``y2019-qa``) that the shorter
forms used in citations (「平成24年Q&A(vol.1)」, 「令和3年度報酬改定Q&A(Vol.3)」) map onto too;
any other series gets a digest of its title.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata

# NFKC, no white space: the form the patterns below read
_REVISION = re.compile(r"(?P<era>令和|平成)(?P<y>元|\d{1,2})年(?:度|\d{1,2}月)?(?:介護)?(?:報酬)?(?:改定)?(?:関係|に関する)?(?:Q&A|QA)")
_WESTERN = re.compile(r"(?P<y>\d{4})年度介護報酬改定に関する(?:Q&A|QA)")
# a series title and the volume after it: ...Q&A(Vol.1), ...QAVol3)), ...Q&Avol.2
SERIES_VOLUME = re.compile(r"(?P<series>[^「」『』()]*?(?:Q&A|QA))\)?\(?vol\.?(?P<vol>\d{1,3})(?!\d)", re.I)
SERIES_ONLY = re.compile(r"(?P<series>[^「」『』()]*?(?:Q&A|QA))")


def compact_nfkc(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def series_id(series: str) -> str:
    """``r6-qa`` for 令和６年度介護報酬改定に関するＱ＆Ａ (and 令和6年度報酬改定Q&A); ``h24-qa``,
    ``y2019-qa`` likewise; ``qa-<digest>`` for any other series."""
    s = compact_nfkc(series)
    if m := _REVISION.fullmatch(s):
        year = 1 if m["y"] == "元" else int(m["y"])
        return f"{'r' if m['era'] == '令和' else 'h'}{year}-qa"
    if m := _WESTERN.fullmatch(s):
        return f"y{m['y']}-qa"
    return "qa-" + hashlib.sha1(s.encode()).hexdigest()[:6]


def _flat_nfkc(title: str) -> tuple[str, str, list[int]]:
    """(title without white space, its NFKC form, NFKC offset of each printed character)."""
    flat = "".join(title.split())
    offsets, norm = [], []
    for ch in flat:
        offsets.append(sum(map(len, norm)))
        norm.append(unicodedata.normalize("NFKC", ch))
    offsets.append(sum(map(len, norm)))
    return flat, "".join(norm), offsets


def series_and_volume(title: str) -> tuple[str, int | None] | None:
    """(series as printed, volume or None) that a title names, or None when it names no Q&A
    series: 「令和６年度介護報酬改定に関するＱ＆Ａ（ Vol. １）…」 -> (令和６年度介護報酬改定に関するＱ＆Ａ, 1)."""
    flat, norm, offsets = _flat_nfkc(title)
    m = SERIES_VOLUME.search(norm) or SERIES_ONLY.search(norm)
    if not m or len(m["series"]) < 5 or re.match(r"[ぁ-ゖ]", m["series"]) or norm[:m.start("series")].endswith(
            ("」", "』", ")")):
        return None  # 「…」に関するＱ＆Ａ: the words before the Q&A are a quotation, not a series
    start, end = offsets.index(m.start("series")), offsets.index(m.end("series"))
    vol = m.groupdict().get("vol")
    return flat[start:end], int(vol) if vol else None
