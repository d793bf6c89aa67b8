"""The Whoosh index written in one pass from the build's postings.

Whoosh's own writer (``add_document`` + ``commit``) analyses every text field again, sorts
every posting through an on-disk pool of pickles and reads each document's field length
back for every posting: about 30 s of a 10,000-Q&A build. The build already has each text
field's postings (:func:`kb.search.analysed.postings`), so :func:`write_segment` hands them
to Whoosh's codec directly, field by field and term by term, in the order Whoosh's
``FieldWriter.add_postings`` takes them, with the same weights, values and lengths. The
other fields (ids, kinds, services …) go through Whoosh's own ``field.index``.

The result is the index ``add_document`` and ``commit(optimize=True)`` make: one segment,
documents numbered in the order given (tests/test_index.py compares the two). It uses the
segment writer's per-document writer, field writer and closing steps (whoosh 2.7.4 is
pinned in pyproject.toml), for a new, empty index only.

A build after a small change keeps the previous build's segments (Whoosh never rewrites a
segment's file: :func:`link_segments` hard-links them, their changed or removed documents
marked deleted in the new table of contents) and writes only the new units as one more
segment (``keep``). Whoosh numbers documents segment after segment, so the query side maps
its numbers to the units' through ``whoosh.docnums`` (:data:`DOCNUMS`; absent: the same).
"""
from __future__ import annotations

import os
from array import array
from pathlib import Path

from whoosh import index
from whoosh.system import pack_uint

from ..sources.files import link_or_copy
from .impact import stored_lengths


INDEX_NAME = "MAIN"  # Whoosh's default index name
DOCNUMS = "whoosh.docnums"  # int32 per Whoosh document number: the unit's number, -1 deleted


def write_segment(out_dir: Path, schema, docs: list[dict[str, str]], texts: dict[str, tuple[dict, list[int]]],
                  keep: list = ()) -> list:
    """A new index in ``out_dir``: document ``n`` has the field values ``docs[n]``; a field
    named in ``texts`` is indexed from its postings and lengths instead of its value. ``keep``:
    segments already in ``out_dir`` (:func:`link_segments`) that come before the new one.
    Returns the index's segments."""
    ix = index.create_in(str(out_dir), schema)
    writer = ix.writer()
    try:
        if docs:
            other = _write_documents(writer, schema, docs, texts)
            _write_postings(writer.fieldwriter, schema, texts, other)
            writer.docnum = len(docs)
            writer._close_segment()
            writer._assemble_segment()
            segments = [*keep, writer.get_segment()]
        else:
            writer._close_segment()
            segments = list(keep)
        writer._commit_toc(segments)
    except BaseException:
        writer.cancel()
        raise
    writer._finish()
    return segments


def previous_segments(index_dir: Path) -> list:
    """The segments of the index in ``index_dir``, as its table of contents lists them."""
    from whoosh.filedb.filestore import FileStorage

    return list(index.TOC.read(FileStorage(str(index_dir)), INDEX_NAME).segments)


def link_segments(segments: list, previous: Path, out_dir: Path) -> None:
    """Hard-link the files of ``segments`` from the index in ``previous`` into ``out_dir`` (a
    copy where linking fails); the previous build's files are never written."""
    names = os.listdir(previous)
    for seg in segments:
        for name in segment_files(seg, names, previous):
            link_or_copy(previous / name, out_dir / name)


def segment_files(seg, names: list[str], index_dir: Path) -> list[str]:
    """The files of a segment among ``names`` (the index folder's); an error when it has none."""
    files = [n for n in names if n.startswith(seg.segment_id() + ".")]
    if not files:
        raise FileNotFoundError(f"segment {seg.segment_id()} has no files in {index_dir}")
    return files


def write_docnums(out_dir: Path, docnums: list[int] | None) -> None:
    """``whoosh.docnums`` (None: Whoosh numbers the documents as the units are numbered)."""
    if docnums is not None:
        (Path(out_dir) / DOCNUMS).write_bytes(array("i", docnums).tobytes())


def read_docnums(index_dir: Path) -> array | None:
    path = Path(index_dir) / DOCNUMS
    if not path.exists():
        return None
    out = array("i")
    out.frombytes(path.read_bytes())
    return out


def _write_documents(writer, schema, docs, texts) -> dict[str, dict[bytes, list]]:
    """Stored values and field lengths of every document (as ``add_document`` writes them);
    returns the postings of the fields not in ``texts``: field -> term -> [(doc, weight, value)]."""
    out = writer.perdocwriter
    other: dict[str, dict[bytes, list]] = {}
    indexed: dict[tuple[str, str], list] = {}  # Whoosh's terms of a value: kinds, dates, services repeat
    for docnum, fields in enumerate(docs):
        out.start_doc(docnum)
        for name in sorted(fields):
            value = fields[name]
            field = schema[name]
            assert not field.vector and not field.column_type and not field.separate_spelling()
            length = 0
            if name in texts:
                length = texts[name][1][docnum]
            elif field.indexed:
                assert not field.scorable  # a length would be needed: give its postings in ``texts``
                terms = other.setdefault(name, {})
                found = indexed.get((name, value))
                if found is None:
                    found = indexed[name, value] = list(field.index(value))
                for tbytes, _freq, weight, vbytes in found:
                    terms.setdefault(tbytes, []).append((docnum, weight, vbytes))
            out.add_field(name, field, value if field.stored else None, length)
        out.finish_doc()
    out.close()
    return other


def _write_postings(fw, schema, texts, other) -> None:
    """Every field's terms in order, each term's postings in document order, as
    ``FieldWriter.add_postings`` writes a sorted pool."""
    for name in sorted(set(texts) | set(other)):
        field = schema[name]
        fw.start_field(name, field)
        if name in texts:
            post, lengths = texts[name]
            stored = stored_lengths(lengths)  # as Whoosh reads a length back
            packed: dict[int, bytes] = {}
            postings = fw._postwriter
            for term in sorted(post):
                fw.start_term(term.encode("utf-8"))
                docs, tfs = post[term]
                for start in range(0, len(docs), postings._blocklimit):
                    if start:  # a full block, written as add_posting writes it before the next posting
                        postings._write_block()
                    _fill_block(postings, docs[start:start + postings._blocklimit],
                                tfs[start:start + postings._blocklimit], stored, packed)
                fw.finish_term()
        else:
            for tbytes in sorted(other[name]):
                fw.start_term(tbytes)
                for d, weight, vbytes in other[name][tbytes]:
                    fw.add(d, weight, vbytes or b"", 0)
                fw.finish_term()
        fw.finish_field()
    fw.close()


def _fill_block(postings, docs, tfs, stored: list[int], packed: dict[int, bytes]) -> None:
    """A block of a term's postings put in Whoosh's postings writer (whoosh3's W3PostingsWriter) as
    ``add_posting`` would put them one by one: the documents, their tf as weights and as values, and
    the block's statistics (the largest weight, the shortest and longest nonzero field length). A
    block at a time, the 2 million postings of a clean 10,000-Q&A build take a tenth of the time."""
    postings._ids = array("I", docs)
    postings._weights = array("f", tfs)
    postings._maxweight = float(max(tfs))  # every tf is 1 or more: above the block's starting 0
    for tf in set(tfs).difference(packed):
        packed[tf] = pack_uint(tf)
    postings._values = list(map(packed.__getitem__, tfs))
    lengths = [n for n in map(stored.__getitem__, docs) if n]
    postings._minlength = min(lengths) if lengths else None
    postings._maxlength = max(lengths) if lengths else 0
