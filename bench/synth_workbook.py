"""Synthetic MHLW-style 介護サービスQ＆A集 workbook for the scale benchmark (issue 10, item 8).

    python bench/synth_workbook.py OUT.xlsx --rows 3700 [--seed 1] [--real ../shared/real/qa-shu.json]

The layout is the real workbook's: one sheet named after the edition, a title row, an empty row,
the header row サービス種別 / 基準種別 / 項目 / 質問 / 回答 / QA発出時期、文書番号等 / 番号, then one
row per ruling, the サービス種別 and 基準種別 cells written once per block and merged down.

With --real (default ../shared/real/qa-shu.json) every real row is kept as it is, and the other rows
are recombined from real material at run time: a question from sentences of different real
questions, an answer from lines of different answers, a real topic, and a real issued-source cell
with its date, Vol. and 最新情報 number moved. They go to service codes the real rows do not cover
(11 訪問介護事業 … 25, and two codes the product does not know). Without that file the material is
the seed corpus (bench/synth.py's Vocabulary). Some synthetic answers end with an amendment note
(「※…問16は削除する。」) and some questions are asked again under a later source.

--rows is the total and must be at least the number of real rows. The real rows are MHLW's text:
never commit the output. Same --seed (and openpyxl), same bytes.
"""
from __future__ import annotations

import argparse
import bisect
import collections
import datetime as dt
import io
import itertools
import json
import math
import random
import re
import sys
import time
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.writer.excel import ExcelWriter

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synth  # noqa: E402  (sibling module: the seed-corpus Vocabulary and its question maker)
from kb.corpus.dates import parse_date, wareki  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REAL = ROOT.parent / "shared" / "real" / "qa-shu.json"
SHEET = "介護サービスQ＆A集（令和8年9月掲載）"  # the sheet is named after the edition, as in the real file
TITLE = "介護サービス関係Ｑ＆Ａ集"
HEADER = ["サービス種別", "基準種別", "項目", "質問", "回答", "QA発出時期、文書番号等", "番号"]
FIRST_ROW = 4  # title row, empty row, header row, then the rulings
EDITION = dt.date(2026, 9, 1)  # no synthetic source is dated after the edition
FIXED_TIME = dt.datetime(2026, 9, 1)  # workbook created/modified and zip member times

STANDARDS = [("1 人員", 8), ("2 設備", 3), ("3 運営", 17), ("4 報酬", 58), ("5 その他", 14)]
# (サービス種別 cell, the name that replaces 通所介護 in recombined text, weight). 11–23 follow the
# order of the 居宅サービス in the Act, which the real labels confirm for 13–16 and 21–23; 24 and 25
# continue it; 97 and 99 are codes the product is not meant to know.
SERVICES = [
    ("11 訪問介護事業", "訪問介護", 10), ("12 訪問入浴介護事業", "訪問入浴介護", 2),
    ("13 訪問看護事業", "訪問看護", 8), ("14 訪問リハビリテーション事業", "訪問リハビリテーション", 4),
    ("15 居宅療養管理指導事業", "居宅療養管理指導", 3), ("17 通所リハビリテーション事業", "通所リハビリテーション", 8),
    ("18 短期入所生活介護事業", "短期入所生活介護", 6), ("19 短期入所療養介護事業", "短期入所療養介護", 4),
    ("20 特定施設入居者生活介護事業", "特定施設入居者生活介護", 4), ("21 福祉用具貸与事業", "福祉用具貸与", 3),
    ("22 特定福祉用具販売事業", "特定福祉用具販売", 2), ("23 居宅介護支援事業", "居宅介護支援", 10),
    ("24 介護老人福祉施設", "介護老人福祉施設", 8), ("25 介護老人保健施設", "介護老人保健施設", 7),
    ("97 試行サービス事業", None, 0.5), ("99 テスト事業", None, 0.5),
]
# the real rows' codes: given to synthetic rows only when there are no real rows
REAL_SERVICES = [("01 全サービス共通", None, 12), ("02 居宅サービス共通", None, 3),
                 ("06 通所系サービス共通", None, 3), ("16 通所介護事業", None, 10)]
P_NOTE = 0.06  # a fresh synthetic answer ends with an amendment note
P_REPEAT = 0.06  # a synthetic row asks an earlier row's question again, under a later source
P_NEW_SOURCE = 0.25  # rows of a block come in runs from one source

_NOTE_LINE = re.compile(r"^\s*※.*(削除|修正)")  # amendment notes: not reused as material
_SHORT_DATE = re.compile(r"^\s*(元|[0-9０-９]{1,2})\s*[.．]\s*([0-9０-９]{1,2})\s*[.．]\s*([0-9０-９]{1,2})")
_TITLE_DATE = re.compile(r"(令和|平成)\s*(元|[0-9０-９]{1,2})\s*年\s*[0-9０-９]{1,2}\s*月\s*[0-9０-９]{1,2}\s*日")
# a Vol. number; group 1 is set when it numbers the 介護保険最新情報 / information, not the Q&A
_VOL = re.compile(r"(最新情報|information)?([\s\u3000]*[VvＶｖ][OoＯｏ][LlＬｌ][\s.,．]*)([0-9０-９]+)")
_EDITION_NO = re.compile(r"(第\s*)([0-9０-９]+)(\s*版)")
_ASK = re.compile(r"(か|如何|いかん|たい|ください)?[。？?]?$")  # group 1 or a question mark: it asks
_OPEN, _CLOSE = "（(「『【", "）)」』】"
# what a source cell's lines carry besides the title
_NOT_TITLE = re.compile(r"^\s*(※.*|事務連絡|(介護保険最新情報|介護制度改革information)[\s\u3000]*[Vv][Oo][Ll][.,]?\s*\d*)\s*")


@dataclass(frozen=True)
class Row:
    service: str  # サービス種別
    standard: str  # 基準種別
    topic: str  # 項目
    question: str  # 質問
    answer: str  # 回答
    source: str  # QA発出時期、文書番号等
    number: str = ""  # 番号 (empty in the real edition)

    @property
    def code(self) -> int:
        return int(re.match(r"\d+", unicodedata.normalize("NFKC", self.service))[0])


@dataclass(frozen=True)
class Source:
    cell: str  # the QA発出時期、文書番号等 cell
    date: dt.date
    title: str  # what an amendment note cites: the 「…」 opening a line of the cell, or its title lines

    @classmethod
    def parse(cls, cell: str) -> Source | None:
        """None when the cell does not start with a date such as 3.3.26 (era left out, as in the workbook)."""
        m = _SHORT_DATE.match(cell)
        if not m:
            return None
        y = unicodedata.normalize("NFKC", m[1])
        era = "R" if y == "元" or int(y) < 12 else "H"  # 介護保険 starts in 平成12
        try:
            date = parse_date(f"{era}{y}.{m[2]}.{m[3]}")
        except ValueError:
            return None
        lines = [t for t in (_NOT_TITLE.sub("", ln).strip() for ln in cell.splitlines()[1:]) if t]
        quoted = next((_quoted(ln)[-1] for ln in lines if ln.startswith("「") and _quoted(ln)), None)
        return cls(cell, date, quoted or "".join(lines) or cell.strip().splitlines()[-1].strip())

    def ids(self) -> set[str]:
        """What names this document among others: its 最新情報 number, and its title without the date
        if the title has a Vol. or 第N版 number (the real workbook reuses titles without one)."""
        text = re.sub(r"\s", "", unicodedata.normalize("NFKC", self.cell)).lower()
        out = {f"news {m[1]}" for m in re.finditer(r"(?:最新情報|information)vol[.,]?(\d+)", text)}
        title = re.sub(r"\s", "", unicodedata.normalize("NFKC", _TITLE_DATE.sub("", self.title))).lower()
        if re.search(r"vol[.,]?\d|第\d+版", title):
            out.add(f"title {title}")
        return out

    def reference(self) -> str:
        """The title, with the 和暦 date in brackets unless the title has one."""
        return self.title if _TITLE_DATE.search(self.title) else f"{self.title}（{wareki(self.date)}）"


def _number(s: str) -> int:
    return int(unicodedata.normalize("NFKC", s))


def _like(n: int, digits: str) -> str:
    """n written in the width (full or half) of ``digits``."""
    return str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９")) if digits[0] in "０１２３４５６７８９" else str(n)


def _wareki_parts(date: dt.date) -> tuple[str, str, str, str]:
    """("令和", "6", "3", "15") for 2024-03-15; the year may be 元."""
    return re.fullmatch(r"(令和|平成)(元|\d+)年(\d+)月(\d+)日", wareki(date)).groups()


def vary_source(rng: random.Random, base: Source) -> Source:
    """Another issue of the same kind of document: the date moved 2–34 weeks (later, unless that passes
    the edition), its Vol. and 第N版 moved 1–4 and its 最新情報 number about one per three days."""
    days = rng.randint(14, 240)
    sign = 1 if base.date + dt.timedelta(days=days) <= EDITION else -1
    date = base.date + dt.timedelta(days=sign * days)
    era, y, m, d = _wareki_parts(date)
    step = rng.randint(1, 4)

    def vol(mt: re.Match) -> str:
        n = max(1, _number(mt[3]) + sign * (max(1, days // 3) if mt[1] else step))
        return f"{mt[1] or ''}{mt[2]}{_like(n, mt[3])}"

    def title_date(mt: re.Match) -> str:
        return f"{era}{y if y == '元' else _like(int(y), mt[2])}年{m}月{d}日"

    cell = _SHORT_DATE.sub(f"{y}.{m}.{d}", base.cell, count=1)
    cell = _TITLE_DATE.sub(title_date, cell)
    cell = _VOL.sub(vol, cell)
    cell = _EDITION_NO.sub(lambda mt: f"{mt[1]}{_like(max(1, _number(mt[2]) + sign * step), mt[2])}{mt[3]}", cell)
    return Source.parse(cell)


def amendment_note(rng: random.Random, ref: Source) -> str:
    """A last answer line in the real style: ※ + the earlier source + 問N は削除する / の修正."""
    n = rng.randint(1, 180)
    tail = rng.choice([f"問{n}は削除する。", f"問{n}の修正。", f"問{n}を一部修正した。", f"問{n}、問{n + 1}は削除する。"])
    return f"{rng.choice(['※　', '※ ', '※'])}{ref.reference()}{tail}"


def _quoted(text: str) -> list[str]:
    """The top-level 「…」 of ``text`` (「「公表」制度のＱ＆Ａ」 is one)."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "「":
            depth += 1
            start = i + 1 if depth == 1 else start
        elif ch == "」" and depth:
            depth -= 1
            if not depth:
                out.append(text[start:i])
    return out


def _sentences(text: str, stops: str = "。？") -> list[str]:
    """Sentences ending at 。 or ？ (or other ``stops``) outside brackets, and a last one without."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch in _OPEN) - (ch in _CLOSE and depth > 0)
        if ch in stops and not depth:
            out.append(text[start:i + 1].strip())
            start = i + 1
    out.append(text[start:].strip())
    return [s for s in out if s]


def _pick(rng: random.Random, pool: list[str], target: int) -> str:
    """One of six draws that fits in ``target`` characters, or the shortest."""
    drawn = [rng.choice(pool) for _ in range(6)]
    return next((p for p in drawn if len(p) <= target), min(drawn, key=len))


def _grow(rng: random.Random, pool: list[str], target: int, start: str = "", sep: str = "") -> str:
    """``start`` and pieces drawn from ``pool`` until ``target`` characters; a piece that would overshoot
    by far is drawn again, up to 20 times."""
    out, n, misses = ([start] if start else []), len(start), 0
    while n < target * 0.9 and misses < 20:
        piece = rng.choice(pool)
        if n + len(piece) > target * 1.2 + 10:
            misses += 1
            continue
        out.append(piece)
        n += len(piece) + len(sep)
    return sep.join(out)


class Material:
    """What synthetic rows are made of: question parts (asking sentences or their last clauses; other
    sentences and leading clauses), answer lines and sentences, topics, source cells, and the
    length distributions to follow."""

    def __init__(self, *, asks, context, first_lines, lines, sentences, topics, sources, q_lengths, a_lengths,
                 p_multiline: float, known_questions=()):
        self.asks, self.context = asks, context
        self.first_lines, self.lines, self.sentences = first_lines, lines, sentences
        self.topics, self.sources = topics, sources
        self.q_lengths, self.a_lengths, self.p_multiline = q_lengths, a_lengths, p_multiline
        self.known_questions = set(known_questions)

    @classmethod
    def from_rows(cls, rows: list[Row]) -> Material:
        asks, context, first_lines, lines = [], [], [], []
        for r in rows:
            for line in r.question.splitlines():
                for s in _sentences(line):
                    if _ASK.search(s)[1] or s[-1] in "？?":  # 「…とあるが、…場合、…か。」: split at 、 too
                        *leads, last = _sentences(s, "、")
                        asks += [s] + ([last] if leads and len(last) >= 8 else [])
                        context += [c for c in leads if len(c) >= 6]
                    elif s.endswith("。"):
                        context.append(s)
            kept = [ln.strip() for ln in r.answer.splitlines() if ln.strip() and not _NOTE_LINE.match(ln)]
            first_lines += kept[:1]
            lines += kept
        sources = [s for s in map(Source.parse, sorted({r.source for r in rows})) if s]
        return cls(asks=asks, context=context, first_lines=first_lines, lines=lines,
                   sentences=[s for ln in lines for s in _sentences(ln) if s.endswith("。")],
                   topics=[r.topic for r in rows],
                   sources=sources, q_lengths=[len(r.question) for r in rows], a_lengths=[len(r.answer) for r in rows],
                   p_multiline=sum("\n" in r.answer for r in rows) / len(rows),
                   known_questions=[r.question for r in rows])

    @classmethod
    def from_vocabulary(cls, vocab: synth.Vocabulary) -> Material:
        """The seed corpus, when the real rows are not there: lengths drawn around the real medians
        (question 72, answer 166 characters), sources made up as 令和６年度 Q&A volumes."""
        rng = random.Random(0)
        sources = []
        for k in range(30):
            date = dt.date(2024, 3, 15) + dt.timedelta(days=30 * k)
            _, y, m, d = _wareki_parts(date)
            sources.append(Source.parse(f"{y}.{m}.{d}\n事務連絡\n介護保険最新情報Vol.{1225 + 9 * k}\n"
                                        f"「{synth.SERIES}（Vol.{k + 1}）（{wareki(date)}）」の送付について"))
        return cls(asks=[synth.question(rng, vocab) for _ in range(400)], context=vocab.sentences,
                   first_lines=vocab.sentences, lines=vocab.sentences, sentences=vocab.sentences,
                   topics=vocab.kasan + vocab.services, sources=sources,
                   q_lengths=[min(400, max(30, int(rng.lognormvariate(math.log(72), 0.7)))) for _ in range(1000)],
                   a_lengths=[min(2000, max(20, int(rng.lognormvariate(math.log(166), 0.95)))) for _ in range(1000)],
                   p_multiline=0.5)

    @staticmethod
    def _length(rng: random.Random, lengths: list[int], lo: int, hi: int) -> int:
        return min(hi, max(lo, int(rng.choice(lengths) * rng.uniform(0.8, 1.25))))

    def question(self, rng: random.Random) -> str:
        """Context sentences of some questions, then the asking sentence of another."""
        target = self._length(rng, self.q_lengths, 15, 650)
        ask = _pick(rng, self.asks, target)
        context = _grow(rng, self.context, target - len(ask)) if target - len(ask) >= 15 else ""
        return context + ("\n" if context and rng.random() < 0.1 else "") + ask

    def answer(self, rng: random.Random) -> str:
        """Lines of different answers, one per line; or their sentences run together."""
        target = self._length(rng, self.a_lengths, 20, 2000)
        if rng.random() < self.p_multiline:
            return _grow(rng, self.lines, target, _pick(rng, self.first_lines, target), sep="\n")
        return _grow(rng, self.sentences, target, _sentences(_pick(rng, self.first_lines, target))[0])


def _for_service(text: str, name: str | None) -> str:
    """Real material is mostly about 通所介護: make it about the row's service."""
    if not name:
        return text
    office = "" if name.endswith("施設") else "事業所"
    return re.sub(r"(?<!型)通所介護(事業所)?", lambda m: name + (office if m[1] else ""), text)


def _allocate(rng: random.Random, services, n: int) -> list[tuple[str, str | None, str, int]]:
    """n rows over services (each at least once when n allows) and standards, as blocks
    (service, name, standard, count) in workbook order."""
    weights = [w for _, _, w in services]
    picks = list(services[:n]) + rng.choices(services, weights, k=max(0, n - len(services)))
    standards = rng.choices([s for s, _ in STANDARDS], [w for _, w in STANDARDS], k=n)
    counts = collections.Counter((svc, name, std) for (svc, name, _), std in zip(picks, standards))
    return [(svc, name, std, c) for (svc, name, std), c in sorted(counts.items(), key=lambda kv: (kv[0][0], kv[0][2]))]


class Sources:
    """The sources synthetic rows cite, in date order: the material's and ``extra`` variants of them,
    none reusing a 最新情報 number or a numbered title of another."""

    def __init__(self, rng: random.Random, base: list[Source], extra: int):
        pool, seen, used = list(base), {s.cell for s in base}, set().union(*(s.ids() for s in base))
        for _ in range(50 * extra):
            if len(pool) == len(base) + extra:
                break
            s = vary_source(rng, rng.choice(base))
            if s and s.cell not in seen and not s.ids() & used:
                pool.append(s)
                seen.add(s.cell)
                used |= s.ids()
        self.all = sorted(pool, key=lambda s: (s.date, s.cell))
        self._dates = [s.date for s in self.all]
        self._by_cell = {s.cell: s for s in self.all}

    def of(self, cell: str) -> Source | None:
        return self._by_cell.get(cell) or Source.parse(cell)

    def before(self, date: dt.date) -> list[Source]:
        return self.all[:bisect.bisect_left(self._dates, date)]

    def after(self, date: dt.date) -> list[Source]:
        return self.all[bisect.bisect_right(self._dates, date):]


def synthesize(rng: random.Random, material: Material, services, n: int, earlier: list[Row]) -> list[Row]:
    """n rows made of ``material``; ``earlier`` rows (the real ones) may be asked again."""
    sources = Sources(rng, material.sources, max(8, n // 12))
    questions = set(material.known_questions) | {r.question for r in earlier}
    made: list[Row] = []
    for service, name, standard, count in _allocate(rng, services, n):
        source = None
        for _ in range(count):
            if source is None or rng.random() < P_NEW_SOURCE:
                source = rng.choice(sources.all)
            if rng.random() < P_REPEAT:
                row = _asked_again(rng, material, sources, service, standard, made + earlier)
                if row:
                    made.append(row)
                    continue
            question = _for_service(material.question(rng), name)
            while question in questions:  # a short question drawn whole, or the same one made twice
                question = rng.choice(material.context) + question
            questions.add(question)
            answer = _for_service(material.answer(rng), name)
            older = sources.before(source.date)
            if older and rng.random() < P_NOTE:
                answer += "\n" + amendment_note(rng, rng.choice(older))
            made.append(Row(service, standard, _for_service(rng.choice(material.topics), name), question, answer,
                            source.cell))
    return made


def _asked_again(rng, material: Material, sources: Sources, service, standard, rows: list[Row]) -> Row | None:
    """An earlier row's question (half the time one of the same service) under a later source, its
    answer kept (40%) or rewritten."""
    if not rows:
        return None
    same = [r for r in rows if r.service == service]
    original = rng.choice(same if same and rng.random() < 0.5 else rows)
    first = sources.of(original.source)
    later = sources.after(first.date) if first else []
    if not later:
        return None
    answer = original.answer if rng.random() < 0.4 else material.answer(rng)
    return Row(service, standard, original.topic, original.question, answer, rng.choice(later).cell)


def load_real(path: Path) -> list[Row]:
    return [Row(o["service_label"], o["standard_label"], o["topic"], o["question"], o["answer"],
                o["issued_source"], o.get("number", "")) for o in json.loads(Path(path).read_text(encoding="utf-8"))]


def make_rows(rows: int, *, seed: int = 1, kept: list[Row] = ()) -> list[Row]:
    """The workbook's rows in order: the real rows ``kept`` and synthetic ones, ``rows`` in all."""
    rng = random.Random(seed)
    kept = list(kept)
    if rows < len(kept):
        raise ValueError(f"--rows {rows} is less than the {len(kept)} real rows, which are all kept")
    if kept:
        made = synthesize(rng, Material.from_rows(kept), SERVICES, rows - len(kept), kept)
    else:
        made = synthesize(rng, Material.from_vocabulary(synth.Vocabulary()), REAL_SERVICES + SERVICES, rows, [])
    return sorted(kept + made, key=lambda r: r.code)  # stable: each block keeps its order


def _runs(rows: list[Row], key) -> list[tuple[int, int]]:
    """(first, last) indexes of each run of consecutive rows with the same key."""
    out, i = [], 0
    for _, group in itertools.groupby(rows, key):
        n = sum(1 for _ in group)
        out.append((i, i + n - 1))
        i += n
    return out


def write_workbook(rows: list[Row], out: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.cell(1, 1, TITLE)
    for col, name in enumerate(HEADER, 1):
        ws.cell(3, col, name)
    top = Alignment(vertical="top", wrap_text=True)
    for i, row in enumerate(rows):
        for col, value in enumerate([row.service, row.standard, row.topic, row.question, row.answer, row.source], 1):
            ws.cell(FIRST_ROW + i, col, value).alignment = top
        if row.number:
            ws.cell(FIRST_ROW + i, 7, row.number)
    for col, key in ((1, lambda r: r.service), (2, lambda r: (r.service, r.standard))):
        for first, last in _runs(rows, key):
            if last > first:  # the value stays in the first cell; merging empties the others
                ws.merge_cells(start_row=FIRST_ROW + first, start_column=col, end_row=FIRST_ROW + last, end_column=col)
    _save(wb, Path(out))


def _save(wb: Workbook, out: Path) -> None:
    """Same workbook, same bytes: fixed document times, and zip members rewritten with a fixed time
    (openpyxl stamps them with the time of writing). Written to OUT.tmp, then moved into place."""
    wb.properties.created = wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            dst.writestr(member, src.read(info.filename))
    tmp.replace(out)


def summary(rows: list[Row], real: int) -> str:
    codes = sorted({r.code for r in rows})
    notes = sum(1 for r in rows if _NOTE_LINE.match(r.answer.splitlines()[-1] if r.answer else ""))
    asked = collections.Counter(r.question for r in rows)
    return (f"{len(rows)} rows ({real} real, {len(rows) - real} synthetic), 1 sheet, "
            f"{len({r.source for r in rows})} distinct sources, {len(codes)} service codes "
            f"({' '.join(f'{c:02d}' for c in codes)}), {notes} answers ending in an amendment note, "
            f"{sum(1 for n in asked.values() if n > 1)} questions asked more than once")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--rows", type=int, default=3700)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--real", type=Path, default=DEFAULT_REAL, help="the real rows as JSON (default: %(default)s)")
    args = ap.parse_args(argv)
    real = args.real
    if not real.is_file():
        print(f"warning: {real} not found: every row is made from the seed corpus", file=sys.stderr)
        real = None
    start = time.perf_counter()
    kept = load_real(real) if real else []
    try:
        rows = make_rows(args.rows, seed=args.seed, kept=kept)
    except ValueError as e:
        ap.error(str(e))
    write_workbook(rows, args.out)
    print(f"wrote {args.out}: {summary(rows, len(kept))}; {args.out.stat().st_size / 1e6:.2f} MB "
          f"in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
