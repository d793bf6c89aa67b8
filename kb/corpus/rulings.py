"""Rulings across sources: the workbook's rows as Q&A records, merged with the Q&As found
in documents, and the links between rulings (amendments, the same question asked again).

* A workbook row becomes a :class:`QA` identified by where it was issued and its question
  (:func:`ruling_id`: ``r6-qa-vol1-x6c0172``, the id the documents' extraction gives an
  unnumbered ruling of that volume), so ids survive MHLW re-sorting the next edition.
  Rows with the same id (a ruling listed under several services) are one record.
* A row that is a ruling the corpus already has from a document (same volume, same
  question) joins that record: it keeps its 問 number and the places it was quoted.
* An amendment (「…（Vol.１）…問163は削除する」) links the newer ruling to the older one when the
  corpus holds 問163 of that volume; otherwise the citation stands as printed.
* The same question answered again later: the newest first, the older ones its earlier rulings.
"""
from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, replace

from .amendments import DELETE, Target, amended_by_in, amendments_in, same_month
from .normalize import compact
from .notices import Notice, parse_notices
from .qa import QA, qa_sort_key
from .workbooks import Workbook, WorkbookRow

FUZZY = 0.92  # a document's question and a workbook row's, same volume: the same ruling above this


def question_key(question: str) -> str:
    return compact(question)


def ruling_id(notices: list[Notice], question: str) -> str:
    """``<notice id>-x<digest of the question>``: the same form :func:`kb.corpus.qa.extract`
    gives an unnumbered ruling of a volume, so the two meet."""
    base = notices[0].id if notices else "notice-undated"
    return f"{base}-x{hashlib.sha1(question_key(question)[:120].encode()).hexdigest()[:6]}"


def assign_ids(rows: list[tuple[list[Notice], str]]) -> list[str]:
    """Ids for workbook rows, given as (the notices of their 発出時期 cell, question): equal for
    the same notice and question; a different question that shares its first 120 characters
    gets a longer digest."""
    ids: list[str] = []
    taken: dict[str, str] = {}  # id -> question key
    for notices, question in rows:
        rid = ruling_id(notices, question)
        key = question_key(question)
        if taken.get(rid, key) != key:
            rid = f"{rid}-{hashlib.sha1(key.encode()).hexdigest()[:8]}"
        taken[rid] = key
        ids.append(rid)
    return ids


def _label(cell: str) -> str:
    """「01 全サービス共通」 -> 全サービス共通; 「４ 報酬」 -> 報酬 (the first line, code removed)."""
    first = next((ln for ln in cell.splitlines() if ln.strip()), "")
    return re.sub(r"^[\s\u3000]*[0-9０-９]+[\s\u3000.．、]*", "", first).strip()


def _number(cell: str) -> int | None:
    s = unicodedata.normalize("NFKC", cell).strip().lstrip("問")
    return int(s) if s.isdigit() else None


def workbook_rulings(workbook: Workbook) -> list[QA]:
    """One record per ruling id, in the order its first row is stored."""
    groups: dict[str, list[WorkbookRow]] = {}
    for row in workbook.rows:
        groups.setdefault(row.id, []).append(row)
    out = []
    for rid, rows in groups.items():
        first = rows[0]
        notices = tuple(parse_notices(first.issued))
        primary = notices[0] if notices else None
        series = (primary.series or primary.name) if primary else ""
        out.append(QA(
            id=rid, series=series, series_id=(primary.series_id or primary.id) if primary else "",
            volume=primary.volume if primary else None, number=_number(first.number),
            date=primary.date if primary else "", service=_label(first.service), topic=first.topic.strip(),
            question=first.question, answer=first.answer, doc_id="", clause_id="",
            standard=_label(first.standard), rows=tuple(rows), notices=notices,
            amends=amendments_in(first.answer),
            amended_by=tuple(a for n in notices for a in amended_by_in(n.remark)),
        ))
    return out


def _combine(base: QA, other: QA) -> QA:
    """``base`` (a document's Q&A or an earlier workbook's) with what another source adds."""
    return replace(
        base, standard=base.standard or other.standard, rows=base.rows + other.rows,
        notices=base.notices or other.notices, amends=tuple(dict.fromkeys(base.amends + other.amends)),
        amended_by=tuple(dict.fromkeys(base.amended_by + other.amended_by)),
        topic=base.topic or other.topic, date=base.date or other.date,
        number=base.number if base.number is not None else other.number,
        aliases=tuple(dict.fromkeys(base.aliases + ((other.id,) if other.id != base.id else ()) + other.aliases)),
    )


def merge_rulings(qas: list[QA], rulings: list[QA]) -> list[QA]:
    """The documents' Q&As with the workbook rulings: one record per ruling."""
    by_id = {q.id: q for q in qas}
    by_volume: dict[tuple[str, int | None], dict[str, str]] = {}
    for q in qas:
        by_volume.setdefault((q.series_id, q.volume), {})[question_key(q.question)] = q.id
    for r in rulings:
        same = by_volume.get((r.series_id, r.volume), {}) if r.volume is not None else {}
        key = question_key(r.question)
        target = r.id if r.id in by_id else same.get(key) or _closest(key, same)
        if target is None:
            by_id[r.id] = r
        else:
            by_id[target] = _combine(by_id[target], r)
    return sorted(by_id.values(), key=qa_sort_key)


def _closest(key: str, candidates: dict[str, str]) -> str | None:
    """The id of the candidate question within FUZZY of ``key`` (PDF text differs a little)."""
    best, best_ratio = None, FUZZY
    for other, qid in candidates.items():
        m = difflib.SequenceMatcher(None, key, other, autojunk=False)
        if m.real_quick_ratio() > best_ratio and m.quick_ratio() > best_ratio:
            ratio = m.ratio()
            if ratio > best_ratio:
                best, best_ratio = qid, ratio
    return best


# --------------------------------------------------------------------------- links between rulings


@dataclass(frozen=True)
class Link:
    """A newer ruling deletes or corrects an older one; either end may be known only by its
    citation (the corpus lacks it, or the source names no 問 number)."""
    action: str  # 削除 | 修正
    newer: str | None  # ruling id
    older: str | None
    newer_label: str  # as cited, when ``newer`` is None
    older_label: str


def _resolver(qas: list[QA]):
    numbered: dict[tuple, list[str]] = {}
    for q in qas:
        if q.number is None:
            continue
        numbered.setdefault(("vol", q.series_id, q.volume, q.number), []).append(q.id)
        if q.date:
            numbered.setdefault(("date", q.date, q.number), []).append(q.id)
    dated = [q for q in qas if q.number is not None and q.date]

    def resolve(t: Target) -> str | None:
        for key in (("vol", t.series_id, t.volume, t.number) if t.series_id and t.volume is not None else None,
                    ("date", t.date, t.number) if t.date else None):
            found = numbered.get(key, []) if key else []
            if len(set(found)) == 1:
                return found[0]
        month = [q.id for q in dated if q.number == t.number and same_month(t.citation, q.date)]
        return month[0] if len(month) == 1 else None

    return resolve


def amendment_links(qas: list[QA]) -> list[Link]:
    resolve = _resolver(qas)
    links = []
    for q in qas:
        for a in q.amends:
            links.append(Link(a.action, q.id, resolve(a.target), "", a.target.label))
        for a in q.amended_by:
            links.append(Link(a.action, resolve(a.target), q.id, a.target.label, ""))
    return links


REPEAT = 0.9  # two questions this alike (after NFKC, without spaces) are the same question asked again


def repeated_questions(qas: list[QA], memo=None) -> dict[str, list[str]]:
    """ruling id -> every ruling with the same question, newest first (only questions asked
    more than once). The same question: the same text, or nearly (MHLW edits a word between
    editions: 介護職員 -> 介護職員等), compared within rulings filed under the same topic.
    ``memo`` (:class:`kb.corpus.memo.Memo`): the comparisons an earlier load made, and the groups
    it found (:data:`REPEATS_STATE`): when every ruling it grouped is here with the same question
    and topic (a volume added), only the new rulings are compared, with the rulings of their
    buckets; the groups are those of comparing them all, which depend only on which questions are
    alike."""
    parent = {q.id: q.id for q in qas}

    def root(i: str) -> str:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(a: str, b: str) -> None:
        parent[root(a)] = root(b)

    def keys(q: QA) -> tuple[str, str]:
        return question_key(q.question), compact(q.topic) if q.topic else ""

    asked = {q.id: (memo.made(("question-key", q.question, q.topic), lambda: keys(q)) if memo is not None else keys(q))
             for q in qas}
    by_text: dict[str, str] = {}
    buckets: dict[tuple, list[tuple[str, str]]] = {}
    counts: dict[str, tuple] = {}  # each question's characters, counted once per bucket (not once per pair)

    def alike(ka: str, kb: str) -> bool:
        return _alike(ka, kb, counts)

    def compare(ka: str, kb: str) -> bool:
        return memo.alike(ka, kb, alike) if memo is not None else alike(ka, kb)

    def file(i: str, key: str, topic: str, compare_now: bool) -> None:
        """Ruling ``i`` joined to the first ruling with its question, or, the first, put in its
        topic's buckets (an edit between editions keeps the start or the end of the question);
        ``compare_now``: compared with the buckets' members as it goes in."""
        if key in by_text:
            join(i, by_text[key])
            return
        by_text[key] = i
        if topic:
            for bucket in ((topic, "start", key[:6]), (topic, "end", key[-12:])):
                members = buckets.setdefault(bucket, [])
                if compare_now:
                    counts.clear()
                    for b, kb in members:
                        if root(i) != root(b) and compare(key, kb):
                            join(i, b)
                members.append((i, key))

    digests = _asked_digests(qas, asked) if memo is not None else {}
    earlier = _earlier_groups(memo, asked, qas, digests)
    if earlier is None:  # every pair of each bucket compared
        for q in qas:
            file(q.id, *asked[q.id], False)
        for members in buckets.values():
            counts.clear()  # a bucket's only: 10,000 questions' counts would hold ~100 MB
            for i, (a, ka) in enumerate(members):
                for b, kb in members[i + 1:]:
                    if root(a) != root(b) and compare(ka, kb):
                        join(a, b)
    else:  # the earlier groups as they were, then each new ruling compared with its buckets' members
        ids, roots = earlier
        memo.pairs_still_stand()
        parent.update(roots)
        for i in ids:
            file(i, *asked[i], False)
        known = set(ids)
        for q in qas:
            if q.id not in known:
                file(q.id, *asked[q.id], True)
    groups: dict[str, list[QA]] = {}
    for q in qas:
        groups.setdefault(root(q.id), []).append(q)
    if memo is not None:
        memo.keep(REPEATS_STATE, _groups_state(qas, digests, groups))
    out: dict[str, list[str]] = {}
    for members in groups.values():
        if len(members) > 1:
            ordered = [q.id for q in sorted(members, key=lambda q: (q.date or "", q.id), reverse=True)]
            for qid in ordered:
                out[qid] = ordered
    return out


REPEATS_STATE = "repeated-questions"  # the memo's record of the groups (kb.corpus.memo.Memo.keep)


def _asked_digests(qas: list[QA], asked: dict[str, tuple[str, str]]) -> dict[str, bytes]:
    """Each ruling's digest of its id, its question's key and its topic."""
    return {q.id: hashlib.blake2b("\x1f".join((q.id, *asked[q.id])).encode(), digest_size=16).digest() for q in qas}


def _groups_state(qas: list[QA], digests: dict[str, bytes], groups: dict[str, list[QA]]) -> tuple:
    """What the next load needs to start from these groups: every ruling's id in order, their
    digests (:func:`_asked_digests`), and the group (its first ruling's id) of those asked again."""
    ids = [q.id for q in qas]
    roots = {q.id: members[0].id for members in groups.values() if len(members) > 1 for q in members}
    return ids, b"".join(map(digests.__getitem__, ids)), roots


def _earlier_groups(memo, asked: dict[str, tuple[str, str]], qas: list[QA],
                    digests: dict[str, bytes]) -> tuple[list[str], dict[str, str]] | None:
    """(ids, group of each grouped id) of the memo's record, when starting from it gives the groups
    of comparing them all: every ruling of its groups is here with the same question and topic (a
    ruling asked once may be gone or changed: it is then left out, and a changed one compared as
    new); those it keeps come in the same order; and no new ruling comes before the first one with
    its question under another topic (the first of a question stands in its topic's buckets, the
    others are joined to it). None when there is no such record."""
    state = memo.state(REPEATS_STATE) if memo is not None else None
    try:
        ids, known, roots = state
        if len(known) != 16 * len(ids) or not isinstance(roots, dict):
            return None
        kept = [i for n, i in enumerate(ids) if digests.get(i) == known[16 * n:16 * n + 16]]
    except (TypeError, ValueError):  # none, or another shape
        return None
    if len(kept) < len(ids):
        same = set(kept)
        if any(i not in same for i in roots):
            return None
    place = {q.id: n for n, q in enumerate(qas)}
    if any(place[a] >= place[b] for a, b in zip(kept, kept[1:])):
        return None
    first: dict[str, str] = {}
    for i in kept:
        first.setdefault(asked[i][0], i)
    old = set(kept)
    for q in qas:
        if q.id not in old:
            key, topic = asked[q.id]
            earliest = first.get(key)
            if earliest is not None and place[q.id] < place[earliest] and topic != asked[earliest][1]:
                return None
    return kept, roots


def _chars(text: str) -> tuple[Counter, frozenset]:
    counts = Counter(text)
    return counts, frozenset(counts)


def _alike(a: str, b: str, counts: dict[str, tuple[Counter, frozenset]]) -> bool:
    """SequenceMatcher's ratio >= REPEAT, its cheap upper bounds first: the lengths, then the
    characters in common (its quick_ratio, from counts made once per question), bounded first
    by the characters only one of them has. The ratio of the two in code-point order: it is not
    always the same both ways round, and whether two questions are alike must not depend on which
    was met first (in a bucket, or when the memo remembered the pair)."""
    if b < a:
        a, b = b, a
    total = len(a) + len(b)
    if not total or 2.0 * min(len(a), len(b)) / total < REPEAT:  # the same arithmetic as difflib's
        return not total
    ca, sa = counts.get(a) or counts.setdefault(a, _chars(a))
    cb, sb = counts.get(b) or counts.setdefault(b, _chars(b))
    # a character only one of them has is at least one character not in common
    if (total - len(sa ^ sb)) / total < REPEAT:
        return False
    if len(ca) > len(cb):
        ca, cb = cb, ca
    common = sum(min(n, cb[ch]) for ch, n in ca.items() if ch in cb)
    if 2.0 * common / total < REPEAT:
        return False
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= REPEAT


def status_of(q: QA, links: list[Link]) -> str:
    """削除 / 修正 / "" for a ruling: what a newer ruling (or its own notice) says of it."""
    actions = {link.action for link in links if link.older == q.id}
    actions |= {a.action for a in q.amended_by}
    for n in q.notices:
        if "削除" in n.remark:
            actions.add(DELETE)
        elif "修正" in n.remark:
            actions.add("修正")
    return DELETE if DELETE in actions else ("修正" if actions else "")

