"""Reading the corpus's data files: UTF-8 text and TOML, with errors that name the file.

:class:`DataError` is the one error for a bad data file (which file, which field,
what to do); every stage that reads corpus data raises it. :func:`read_bytes` is the
one place a data file is opened: regular files only (a FIFO would block the reader,
/dev/zero would never end), at most a size limit.

What a build keeps for the next one is written here too: :func:`write_atomic` (a whole file
or nothing) and :func:`link_or_copy` / :func:`linked` (a file of the previous build reused, never
written).
"""
from __future__ import annotations

import os
import re
import shutil
import stat
import tomllib
from pathlib import Path

MAX_FILE_BYTES = 32 * 1024 * 1024  # the largest 告示 as text is a few MB; more is not one document

# control characters a text may hold: tab, line breaks and the form feed of a page break
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_CONTROL_NAMES = {0: "NUL", 0x1B: "ESC", 0x7F: "DEL"}


class DataError(Exception):
    """A problem in a data file: which file, which field, what to do."""

    def __init__(self, path: Path | str, field: str | None, message: str):
        self.path = str(path)
        self.field = field
        self.message = message
        where = f"{self.path}: field '{field}'" if field else self.path
        super().__init__(f"{where}: {message}")


def _file_type(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n} bytes"


def read_bytes(path: Path | str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file (a symlink to one is fine); DataError for anything else."""
    path = Path(path)
    try:
        # O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        what = "broken symbolic link" if path.is_symlink() else "file missing"
        raise DataError(path, None, what) from None
    except OSError as e:
        raise DataError(path, None, f"cannot read file ({e.strerror})") from None
    too_big = f"file is larger than the limit of {_size(limit)}"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise DataError(path, None, f"{_file_type(st.st_mode)}, not a regular file; give a plain file")
        if st.st_size > limit:
            raise DataError(path, None, f"{too_big} ({_size(st.st_size)}); split it or check it is the right file")
        chunks, size = [], 0
        while size <= limit:  # one byte past the limit: a file growing while read is caught too
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as e:
        raise DataError(path, None, f"cannot read file ({e.strerror})") from None
    finally:
        os.close(fd)
    if size > limit:
        raise DataError(path, None, f"{too_big}; split it or check it is the right file")
    return b"".join(chunks)


def control_character(text: str) -> tuple[int, str] | None:
    """(line number, U+XXXX name) of the first control character other than tab, line
    breaks and form feed, or None."""
    m = CONTROL.search(text)
    if not m:
        return None
    cp = ord(m.group())
    name = f"U+{cp:04X}" + (f" ({_CONTROL_NAMES[cp]})" if cp in _CONTROL_NAMES else "")
    return text.count("\n", 0, m.start()) + 1, name


def decode_text(raw: bytes, path: Path | str) -> str:
    """UTF-8 text (a leading BOM dropped); name the encoding when it is CP932/Shift_JIS or
    EUC-JP, and the line of a control character (NUL …) a text must not hold."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        for enc, name in (("cp932", "CP932/Shift_JIS"), ("euc_jp", "EUC-JP")):
            try:
                raw.decode(enc)
            except UnicodeDecodeError:
                continue
            raise DataError(
                path, None,
                f"file is {name}-encoded, not UTF-8; convert it: iconv -f {enc.upper()} -t UTF-8",
            ) from None
        line = raw.count(b"\n", 0, e.start) + 1
        raise DataError(path, None, f"line {line}: not UTF-8 text (byte {e.start}); save it as UTF-8") from None
    found = control_character(text)
    if found:
        line, name = found
        raise DataError(path, None, f"line {line}: control character {name}; a text holds none but tab "
                                    "and line breaks: remove it (was the file saved as text?)")
    return text


def read_text(path: Path | str) -> str:
    """A UTF-8 data file: see :func:`read_bytes` and :func:`decode_text`."""
    return decode_text(read_bytes(path), path)


def _check_strings(value, path: Path, where: str) -> None:
    """TOML escapes (\\u0000) let control characters into values; refuse them by field."""
    if isinstance(value, str):
        if m := CONTROL.search(value):
            raise DataError(path, where or None, f"control character U+{ord(m.group()):04X} in the value; remove it")
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_strings(v, path, f"{where}.{k}" if where else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_strings(v, path, f"{where}[{i}]")


def load_toml(path: Path) -> dict:
    text = read_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise DataError(path, None, f"TOML syntax error: {e}") from None
    _check_strings(data, Path(path), "")
    return data


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it, renamed into place: a
    reader (or the next build) sees the old file or the new one, never half of one."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    tmp.replace(path)


def link_or_copy(src: Path | str, dst: Path | str) -> None:
    """Put the file ``src`` at ``dst``: a hard link (the previous build's files are never written
    in place, so sharing them is safe), else a copy; OSError when neither can be made."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def linked(src: Path | str, dst: Path | str) -> bool:
    """:func:`link_or_copy`, False when neither can be made (the previous build's file is not
    there: the caller makes it)."""
    try:
        link_or_copy(src, dst)
        return True
    except OSError:
        return False


def link_files(src: Path | str, dst: Path | str, suffix: str) -> frozenset[str]:
    """Hard-link (else copy) every file under ``src`` whose name ends with ``suffix`` to the same place
    under ``dst``, making its folders; return the paths linked, relative, with "/" (a file that can
    be neither linked nor copied is left out)."""
    src, dst = os.fspath(src), os.fspath(dst)
    done = []
    for folder, _dirs, names in os.walk(src):
        rel = os.path.relpath(folder, src)
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        made = False
        for name in names:
            if not name.endswith(suffix):
                continue
            if not made:
                os.makedirs(os.path.join(dst, prefix), exist_ok=True)
                made = True
            if linked(os.path.join(folder, name), os.path.join(dst, prefix + name)):
                done.append(prefix + name)
    return frozenset(done)
