"""What a hit shows, stored beside the index for the query side.

Per unit, in document-number order: the JSON ``search --json`` prints (kept here only: the Whoosh
index stores the filters' fields) and the columns ranking and a typed reference need: id,
kind, status (削除/修正), the unit standing for its question (its group's newest ruling; -1:
itself), series, volume and number. ``units.idx`` (marshal) holds the columns and the offsets
into ``units.bin`` (the JSON texts, one after another), which is read through mmap: a query
reads the data of the hits it returns only, and needs no Whoosh (``kaigo-kb search`` opens
Whoosh only for a filter).
"""
from __future__ import annotations

import json
import marshal
import mmap
import os
from array import array
from pathlib import Path

IDX, BIN = "units.idx", "units.bin"


def write_units(out_dir: Path, units, data: list, previous: Path | None = None) -> None:
    """``data``: each unit's JSON text (UTF-8), as the Whoosh index stores it, or where it is in
    ``previous`` (a ``units.bin``), as (start, end): those are copied from there by the kernel, a run
    of them at a time (``os.copy_file_range``; read and written here where that fails)."""
    offsets = array("Q", [0])
    end = 0
    for blob in data:
        end += len(blob) if type(blob) is bytes else blob[1] - blob[0]
        offsets.append(end)
    if previous is None:
        (Path(out_dir) / BIN).write_bytes(b"".join(data))
    else:
        with open(previous, "rb") as old, open(Path(out_dir) / BIN, "wb", buffering=0) as out:
            _assemble(old.fileno(), out.fileno(), data)
    position = {u.id: n for n, u in enumerate(units)}
    leader = [position.get(u.data.get("group", u.id), n) for n, u in enumerate(units)]
    table = {"id": [u.id for u in units], "kind": [u.kind for u in units],
             "status": [u.data.get("status", "") for u in units], "group": [g if g != n else -1 for n, g in enumerate(leader)],
             "series": [u.series_id for u in units], "volume": [u.volume for u in units],
             "number": [u.number for u in units], "offsets": offsets.tobytes()}
    (Path(out_dir) / IDX).write_bytes(marshal.dumps(table, 2))  # version 2: the same bytes for the same units


def _assemble(src: int, dst: int, data: list) -> None:
    """Write ``data`` (bytes, or (start, end) of the file ``src``) to the file ``dst``, in order:
    consecutive bytes in one write, consecutive spans of ``src`` in one copy."""
    pending: list[bytes] = []
    run: list[int] = []
    for blob in data:
        if type(blob) is bytes:
            if run:
                _copy(src, dst, *run)
                run = []
            pending.append(blob)
            continue
        if pending:
            _write_all(dst, b"".join(pending))
            pending = []
        if run and run[1] == blob[0]:
            run[1] = blob[1]
        else:
            if run:
                _copy(src, dst, *run)
            run = [blob[0], blob[1]]
    if run:
        _copy(src, dst, *run)
    if pending:
        _write_all(dst, b"".join(pending))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _copy(src: int, dst: int, start: int, end: int) -> None:
    """Bytes ``start``..``end`` of the file ``src`` appended to the file ``dst``: by the kernel where
    it can (``os.copy_file_range``), else read and written."""
    try:
        while start < end:
            n = os.copy_file_range(src, dst, end - start, start)
            if n <= 0:
                break
            start += n
    except (AttributeError, OSError):  # no copy_file_range here, or not between these files
        pass
    while start < end:
        chunk = os.pread(src, min(end - start, 1 << 22), start)
        if not chunk:
            raise OSError(f"the previous {BIN} ends before byte {end}")
        _write_all(dst, chunk)
        start += len(chunk)


class StoredUnits:
    def __init__(self, index_dir: Path):
        table = marshal.loads((Path(index_dir) / IDX).read_bytes())
        self.ids: list[str] = table["id"]
        self.kinds: list[str] = table["kind"]
        self.status: list[str] = table["status"]
        self.group: list[int] = table["group"]
        self.series: list[str] = table["series"]
        self.volumes: list[int | None] = table["volume"]
        self.numbers: list[int | None] = table["number"]
        self.offsets = array("Q")
        self.offsets.frombytes(table["offsets"])
        if len(self.offsets) != len(self.ids) + 1:
            raise ValueError(f"{IDX} does not match its units")
        with open(Path(index_dir) / BIN, "rb") as f:
            self._bin = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if self.offsets[-1] else b""
        self._docnums: dict[str, int] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def data(self, docnum: int) -> dict:
        """The hit as ``search --json`` prints it."""
        return json.loads(self.raw(docnum).decode("utf-8"))

    def raw(self, docnum: int) -> bytes:
        """The unit's JSON text as stored (UTF-8)."""
        return self._bin[self.offsets[docnum]:self.offsets[docnum + 1]]

    def docnum(self, ident: str) -> int | None:
        if self._docnums is None:
            self._docnums = {i: n for n, i in enumerate(self.ids)}
        return self._docnums.get(ident)

    def qas(self, series_id: str | None = None, volume: int | None = None, number: int | None = None) -> list[int]:
        """The Q&As with this series, volume and number (None: any), in document order."""
        return [d for d, kind in enumerate(self.kinds)
                if kind == "qa" and (series_id is None or self.series[d] == series_id)
                and (volume is None or self.volumes[d] == volume) and (number is None or self.numbers[d] == number)]

    def close(self) -> None:
        if isinstance(self._bin, mmap.mmap):
            self._bin.close()
