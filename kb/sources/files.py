"""Reading the corpus's data files: UTF-8 text and TOML, with errors that name the file.

:class:`DataError` is the one error for a bad data file (which file, which field,
what to do); every stage that reads corpus data raises it.
"""
from __future__ import annotations

import tomllib
from pathlib import Path


class DataError(Exception):
    """A problem in a data file: which file, which field, what to do."""

    def __init__(self, path: Path | str, field: str | None, message: str):
        self.path = str(path)
        self.field = field
        self.message = message
        where = f"{self.path}: field '{field}'" if field else self.path
        super().__init__(f"{where}: {message}")


def read_text(path: Path) -> str:
    """Read a UTF-8 file; name the encoding when it is CP932/Shift_JIS."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataError(path, None, f"cannot read file ({e.strerror})") from None
    try:
        return raw.decode("utf-8")
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
        raise DataError(path, None, f"not UTF-8 text (byte {e.start}); save it as UTF-8") from None


def load_toml(path: Path) -> dict:
    text = read_text(path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise DataError(path, None, f"TOML syntax error: {e}") from None
