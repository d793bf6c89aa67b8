"""What one index build leaves for the next, and what the next one takes from it.

In: the previous build's index folder (``previous``), the state it left beside it
(``previous.parent / "state" / "index"``, :data:`STATE`) and this build's units. Out: a
:class:`Plan` for :func:`kb.search.index.write_index` — whether the units are the previous
build's, in the same order (then the impacts and the stored units are the previous files,
hard-linked), which Whoosh segments are kept (the documents of changed or removed units
marked deleted), which units go into one new segment, and how Whoosh's document numbers map
to the units' — each unit's stored JSON found in the previous ``units.bin``, and the state for
the next build (:func:`save`).

A unit is known by the digest of everything its Whoosh document holds; what a text's terms
are besides the text is in the key (:func:`build_key`): the code
(:func:`kb.locations.code_fingerprint`) and the analysis configuration
(:func:`kb.search.analysed.config_key`: Sudachi, the user dictionary and its word list). A
missing, damaged or foreign state means a clean build, never a failure. The impacts depend on
every unit (N, the average lengths, the document frequencies) and are computed anew unless
nothing changed.
"""
from __future__ import annotations

import hashlib
import json
import marshal
import sys
from dataclasses import dataclass, field
from pathlib import Path

STATE = "manifest.marshal"
POSTINGS = "postings.marshal"  # the units' postings per field, with the order they are numbered in
VERSION = 1
# A new volume (100 Q&As: 165 units) costs about 0.1 s of Whoosh writing. A segment after the first
# with fewer live documents than SMALL_SEGMENT is written again with the next build's new units, so
# the segments grow by one every second volume, and a clean build (one segment, ~6 s at 10,000 Q&As)
# comes after some 20 volumes, or once a fifth of Whoosh's documents are deleted ones.
SMALL_SEGMENT = 200
MAX_SEGMENTS = 12
DEAD_SHARE = 0.2


def build_key(user_dic: Path | None) -> str:
    """What the index made from the same units depends on: the code and the analysis configuration."""
    from ..locations import code_fingerprint
    from .analysed import config_key

    return f"{code_fingerprint()}:{config_key(str(user_dic) if user_dic else None)}"


def _digest(blob: bytes) -> bytes:
    return hashlib.sha1(blob).digest()  # twice blake2b's speed here; 16,000 units are 60 MB


def unit_digests(units) -> list[bytes]:
    """Per unit: the digest of its Whoosh document, every field, and of the hit data stored for it
    (``units.bin``). marshal (version 2: no references) gives equal values the same bytes; a unit whose
    data it cannot write is digested with its data as JSON. A unit's ``made`` stands for the texts
    it digests (:data:`kb.search.units.TEXT_KEYED`: most of a ruling's bytes, its question and answer
    four times over), which are then left out."""
    from .units import RULING_TEXT_KEYED, TEXT_KEYED

    out = []
    for u in units:
        keyed = bool(u.made)
        fields = (u.id, u.kind, u.category, u.doc_id, u.series_id, u.volume, u.number, u.date, u.standard,
                  tuple(u.services), u.title, u.made) + (() if keyed else tuple(getattr(u, f) for f in TEXT_KEYED))
        data = u.data
        if keyed and u.kind == "qa":
            data = dict(data)  # (a copy with those texts blanked: a third of a filtered copy's time)
            for k in RULING_TEXT_KEYED:
                if k in data:
                    data[k] = None
        try:
            blob = marshal.dumps((fields, data), 2)
        except ValueError:
            blob = marshal.dumps((fields, json.dumps(data, ensure_ascii=False, sort_keys=True)), 2)
        out.append(_digest(blob))
    return out


@dataclass
class Previous:
    """The previous build's index folder and what its state says about it."""
    index_dir: Path
    order: list[bytes]  # the units' document digests, in their order
    segments: list  # Whoosh's segments (as its table of contents holds them)
    digests: list[list[bytes]]  # per segment: the document digest of each of its documents
    forms: bytes  # digest of the vocabulary's word forms


def previous_state(previous: Path | None, key: str) -> Previous | None:
    """The previous build's index and state when they are whole and were made with ``key``."""
    if previous is None:
        return None
    import os

    from .segment import previous_segments, segment_files
    from .stored import StoredUnits

    try:
        st = marshal.loads((previous.parent / "state" / "index" / STATE).read_bytes())
        if not isinstance(st, dict) or st.get("version") != VERSION or st.get("key") != key:
            return None
        segments = previous_segments(previous)
        listed = st["segments"]  # by position: segment names are random, the state is the same for the same units
        if len(segments) != len(listed) or any(s.doc_count_all() != len(d) for s, d in zip(segments, listed)):
            return None
        names = os.listdir(previous)
        for s in segments:
            segment_files(s, names, previous)
        stored = StoredUnits(previous)
        ok = len(stored) == len(st["order"])
        stored.close()
        if not ok:
            return None
        return Previous(previous, st["order"], segments, listed, st["forms"])
    except Exception:  # missing, damaged, another version: build clean
        return None


@dataclass
class Plan:
    same: bool = False  # the previous build's units, in the same order
    keep: list = field(default_factory=list)  # the previous build's Whoosh segments kept, deletions marked
    new: list[int] = field(default_factory=list)  # the units (numbers) written as a new segment
    docnums: list[int] | None = None  # Whoosh document number -> unit number (-1: deleted); None: the same
    digests: list[list[bytes]] = field(default_factory=list)  # per kept segment: its documents' digests


def plan(prev: Previous | None, order: list[bytes]) -> Plan:
    """What to keep of the previous Whoosh index and what to write (see the module's docstring)."""
    clean = Plan(new=list(range(len(order))))
    if prev is None:
        return clean
    import copy

    where = {d: n for n, d in enumerate(order)}
    kept = []  # (segment, its digests, its documents' unit numbers)
    for seg, digests in zip(prev.segments, prev.digests):
        kept.append((seg, digests, [where.get(d, -1) for d in digests]))
    claimed = {n for _seg, _dg, nums in kept for n in nums if n >= 0}
    if len(claimed) != sum(n >= 0 for _seg, _dg, nums in kept for n in nums):
        return clean  # a unit in two segments: not an index this code made
    new = [n for n in range(len(order)) if n not in claimed]
    if new:  # small segments after the first are written again with the new units
        small = [k for k in kept[1:] if sum(n >= 0 for n in k[2]) < SMALL_SEGMENT]
        kept = [k for k in kept if not any(k is s for s in small)]
        new = sorted(new + [n for _seg, _dg, nums in small for n in nums if n >= 0])
    total = sum(len(nums) for _seg, _dg, nums in kept) + len(new)
    dead = sum(n < 0 for _seg, _dg, nums in kept for n in nums)
    if not kept or len(kept) + bool(new) > MAX_SEGMENTS or dead > DEAD_SHARE * total:
        return clean
    out = Plan(same=prev.order == order, new=new)
    docnums: list[int] = []
    for seg, digests, nums in kept:
        seg = copy.copy(seg)
        gone = {i for i, n in enumerate(nums) if n < 0}
        seg._deleted = gone or None  # W3Segment's deletions, written with the table of contents
        out.keep.append(seg)
        out.digests.append(digests)
        docnums += nums
    docnums += new
    out.docnums = None if docnums == list(range(len(order))) else docnums
    return out


def stored_data(units, order: list[bytes], prev: Previous | None) -> list:
    """Each unit's JSON text (UTF-8), or where it is in the previous ``units.bin`` when the unit is
    unchanged: (start, end), for :func:`kb.search.stored.write_units` to copy."""
    from .stored import StoredUnits

    found = {}
    stored = None
    if prev is not None:
        stored = StoredUnits(prev.index_dir)
        found = {d: n for n, d in enumerate(prev.order)}
    out = []
    try:
        for u, d in zip(units, order):
            n = found.get(d)
            out.append((stored.offsets[n], stored.offsets[n + 1]) if n is not None else
                       json.dumps(u.data, ensure_ascii=False, sort_keys=True).encode("utf-8"))
    finally:
        if stored is not None:
            stored.close()
    return out


def forms_digest(forms) -> bytes:
    return _digest("\n".join(sorted(set(forms))).encode("utf-8"))


def save(state: Path, key: str, order: list[bytes], digests: list[list[bytes]], forms: bytes) -> None:
    """The state the next build reads (:func:`previous_state`); ``digests``: per Whoosh segment, in
    order, its documents' digests."""
    st = {"version": VERSION, "key": key, "order": order, "forms": forms, "segments": digests}
    state.mkdir(parents=True, exist_ok=True)
    (state / STATE).write_bytes(marshal.dumps(st, 2))


# ------------------------------------------------------------------------------------ postings

def text_digests(units) -> list[bytes]:
    """Per unit: the digest of its id and its searched texts, all its postings depend on (a new
    volume changes older rulings' hits, their groups and links, rarely their texts); a unit's
    ``made`` stands for the texts it was derived from (:data:`kb.search.units.TEXT_KEYED`)."""
    from .units import SEARCH_FIELDS

    return [_digest(marshal.dumps((u.id, u.title, u.made) if u.made else
                                  (u.id, *(getattr(u, f) for f in SEARCH_FIELDS)), 2)) for u in units]


def postings(units, texts: list[bytes], analysed, previous: Path | None, key: str) -> dict:
    """The units' postings per field (:func:`kb.search.analysed.field_postings`), made from the
    previous build's where this build's units are the previous ones with units added among them
    (no unit's texts changed, none removed or moved: a new volume; ``texts``: the units'
    :func:`text_digests`): only the added units are read into postings, the previous ones are
    renumbered (in C). Else made afresh. The same postings either way (a test compares them), but
    for the order of the terms, which no reader depends on."""
    from .analysed import field_postings

    old = _previous_postings(previous, key)
    placed = _placed(old["texts"], texts) if old is not None else None
    if placed is None:
        return field_postings(units, analysed)
    taken = set(placed)
    added = [n for n in range(len(texts)) if n not in taken]
    fresh = field_postings([units[n] for n in added], analysed)
    if set(fresh) != set(old["fields"]):
        return field_postings(units, analysed)
    return {f: _merged(old["fields"][f], placed, fresh[f], added, len(texts)) for f in fresh}


def _previous_postings(previous: Path | None, key: str) -> dict | None:
    if previous is None:
        return None
    try:
        st = marshal.loads((previous.parent / "state" / "index" / POSTINGS).read_bytes())
        if isinstance(st, dict) and st.get("version") == VERSION and st.get("key") == key \
                and isinstance(st.get("texts"), list) and isinstance(st.get("fields"), dict):
            return st
    except Exception:  # missing, damaged, another version: made afresh
        pass
    return None


def _placed(old: list[bytes], order: list[bytes]) -> list[int] | None:
    """Where each previous unit stands now; None unless every one is there, in the same order."""
    where = {d: n for n, d in enumerate(order)}
    placed = [where.get(d, -1) for d in old]
    if (placed and placed[0] < 0) or any(b <= a for a, b in zip(placed, placed[1:])):
        return None
    return placed


def _merged(old: tuple, placed: list[int], fresh: tuple, added: list[int], n_units: int) -> tuple[dict, list[int]]:
    """One field's postings: the previous ones renumbered (``placed``: old number -> new) and
    those of the added units (numbered in ``added`` order) put in their places."""
    from array import array
    from bisect import bisect_left

    old_post, old_lengths = old
    fresh_post, fresh_lengths = fresh
    lengths = [0] * n_units
    for n, length in zip(placed, memoryview(old_lengths).cast("I")):
        lengths[n] = length
    for n, length in zip(added, fresh_lengths):
        lengths[n] = length
    shifts = _shifts(placed)
    post: dict = {}
    for term, (docs, tfs) in old_post.items():
        # arrays, copied from the state's bytes in C: what reads them next iterates them, and an
        # array iterates several times faster than a memoryview
        post[term] = (_array(_renumbered(memoryview(docs).cast("I"), shifts) if shifts else docs), _array(tfs))
    for term, (docs, tfs) in fresh_post.items():
        numbers = array("I", [added[d] for d in docs])
        found = post.get(term)
        if found is None:
            post[term] = (numbers, tfs)
            continue
        all_docs, all_tfs = array("I", found[0]), array("I", found[1])
        # the added units' numbers come in runs no previous unit stands in (a new document's units):
        # each run goes in whole where it belongs
        start = 0
        for end in _run_ends(numbers):
            i = bisect_left(all_docs, numbers[start])
            all_docs[i:i] = numbers[start:end]
            all_tfs[i:i] = tfs[start:end]
            start = end
        post[term] = (all_docs, all_tfs)
    return post, lengths


def _shifts(placed: list[int]) -> list[tuple[int, int]]:
    """(old number, how far it and those after it move) wherever the move changes; [] when no
    previous unit moves (units were added after them only)."""
    out, last = [], 0
    for n, p in enumerate(placed):
        if p - n != last:
            last = p - n
            out.append((n, last))
    return out


def _array(data) -> "array":
    from array import array

    out = array("I")
    out.frombytes(data)
    return out


def _renumbered(docs: memoryview, shifts: list[tuple[int, int]]) -> bytes:
    """``docs`` (sorted previous unit numbers) moved as :func:`_shifts` says: each stretch that
    moves by one distance at once, in C (:func:`_moved`)."""
    from bisect import bisect_left

    bounds = [bisect_left(docs, first) for first, _by in shifts] + [len(docs)]
    out = bytearray(docs[:bounds[0]].cast("B"))
    for k, (_first, by) in enumerate(shifts):
        out += _moved(docs[bounds[k]:bounds[k + 1]], by)
    return bytes(out)


def _moved(docs: memoryview, by: int) -> bytes:
    """Unit numbers plus ``by``, all at once: the numbers are read as one integer and the distance
    added in every 4-byte place. No place overflows (a unit number stays far below 2**32), so none
    carries into the next: each place holds its own sum."""
    raw = docs.cast("B")
    if not raw:
        return b""
    size, order = len(raw), sys.byteorder  # the arrays' own order: each place is one number
    total = int.from_bytes(raw, order) + int.from_bytes(by.to_bytes(4, order) * (size // 4), order)
    return total.to_bytes(size, order)


def _run_ends(numbers) -> list[int]:
    """Where each run of consecutive unit numbers in ``numbers`` ends (exclusive)."""
    ends = [i for i in range(1, len(numbers)) if numbers[i] != numbers[i - 1] + 1]
    return [*ends, len(numbers)]


def save_postings(state: Path, key: str, texts: list[bytes], fields: dict, previous: Path | None = None) -> None:
    """Keep the units' postings (and their :func:`text_digests`) for the next build's
    :func:`postings`. ``previous``: the previous build's index folder when its units are these, in
    this order (then so are its postings, and its file is hard-linked)."""
    from array import array

    from ..sources.files import linked

    state.mkdir(parents=True, exist_ok=True)
    if previous is not None and linked(previous.parent / "state" / "index" / POSTINGS, state / POSTINGS):
        return
    # terms sorted: the same postings, the same bytes, however they were made (marshal writes an
    # array or a memoryview as the bytes it holds)
    data = {f: ({t: post[t] for t in sorted(post)}, array("I", lengths).tobytes())
            for f, (post, lengths) in sorted(fields.items())}
    (state / POSTINGS).write_bytes(marshal.dumps({"version": VERSION, "key": key, "texts": texts, "fields": data}, 2))
