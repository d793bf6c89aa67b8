"""What every command shares: option definitions, JSON output, turning library errors
into one-line messages, and :class:`KbGroup`, which does the same for output failures."""
from __future__ import annotations

import contextlib
import errno
import json
import os
import sys
import traceback

import click

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class KbError(Exception):
    """An error the user can fix; printed as one line."""


def _echo_json(kind: str, payload: dict) -> None:
    """Every ``--json`` output: one object, ``kind`` naming what it holds, then its payload
    (README, *JSON output*)."""
    body = {k: v for k, v in payload.items() if k != "kind"}
    click.echo(json.dumps({"kind": kind, **body}, ensure_ascii=False, indent=2, sort_keys=False))


OWN_PROCESS = False  # set by kb.cli.run: this process runs the command line and ends with it


def finish() -> None:
    """End the process here, its output flushed, exit status 0, when it is the command line's own
    (:func:`kb.cli.run`; not under click's test runner): without the interpreter's teardown, which
    after a build frees the corpus's millions of objects one by one (0.3 s at 10,000 Q&As), and after
    a search takes apart the modules and the index it read (10-20 ms of a 70 ms lookup). For commands
    that leave nothing unwritten (every file closed) and no child behind. Where the output cannot be
    flushed, the command returns and the interpreter reports it, as before."""
    if not OWN_PROCESS:
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(0)


def _run(fn):
    """Call fn() turning the library's errors into ClickException (exit 1)."""
    from ..build import BuildFailed, BuildLocked
    from ..search.inputs import CheckError
    from ..sources.files import DataError

    try:
        return fn()
    except (DataError, KbError, CheckError, BuildFailed, BuildLocked) as e:
        raise click.ClickException(str(e)) from None


def _corpus(path: str | None):
    from ..corpus.load import load_corpus

    return _run(lambda: load_corpus(path))


corpus_option = click.option(
    "--corpus", "corpus_dir", type=click.Path(file_okay=False), default=None, envvar="KAIGO_KB_CORPUS",
    help="Corpus folder (default: ./corpus, or the one shipped with kaigo-kb).",
)
build_option = click.option(
    "--build-dir", type=click.Path(file_okay=False), default=None, envvar="KAIGO_KB_BUILD",
    help="Build folder holding the index and the site (default: ./build).",
)


def _wareki(iso: str | None) -> str:
    """令和7年4月1日 for 2025-04-01 ("" for none): dates are shown as the sources print them."""
    from ..corpus.dates import wareki

    return wareki(iso) if iso else ""


# --------------------------------------------------------------------------- output failures


def _silence_stdout() -> None:
    """Point file descriptor 1 at /dev/null, so the interpreter's last flush of what is
    still buffered cannot fail again (and print a second error) on the way out."""
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.stdout.fileno())
        os.close(fd)
    except (OSError, ValueError, AttributeError):  # not a real file (CliRunner): nothing to flush
        pass


def _from_stdout(e: BaseException) -> bool:
    """True when ``e`` was raised writing standard output: a frame of the traceback
    (click.echo's, whose stream is ``file``) held the stream on file descriptor 1."""
    for frame, _ in traceback.walk_tb(e.__traceback__):
        stream = frame.f_locals.get("file")
        try:
            if stream is sys.stdout or (stream is not None and stream.fileno() == 1):
                return True
        except (AttributeError, OSError, ValueError):
            continue
    return False


def _encoding_message(e: UnicodeEncodeError) -> str:
    shown = e.object[e.start]
    if e.encoding.replace("-", "").lower() in ("utf8", "utf8sig"):
        return f"cannot write {shown!r} as {e.encoding} ({e.reason})"
    return (f"the output's encoding ({e.encoding}) cannot show {shown!r}; use a UTF-8 terminal or set "
            "PYTHONIOENCODING=utf-8 (or LANG=C.UTF-8)")


@contextlib.contextmanager
def _output_guard():
    """Output failures as one line and an exit status, never a traceback: a reader that
    went away (``| head``) ends the command quietly with 0; a full disk, an I/O error or a
    terminal that cannot show the text end it with 1."""
    try:
        yield
    except BrokenPipeError:
        _silence_stdout()
        raise click.exceptions.Exit(0) from None
    except UnicodeEncodeError as e:
        raise click.ClickException(_encoding_message(e)) from None
    except OSError as e:
        if e.errno == errno.EPIPE:
            _silence_stdout()
            raise click.exceptions.Exit(0) from None
        if _from_stdout(e):
            _silence_stdout()
            raise click.ClickException(f"cannot write to standard output: {e.strerror}") from None
        where = f"{e.filename}: " if e.filename else ""
        raise click.ClickException(f"{where}{e.strerror or e}") from None


class KbGroup(click.Group):
    """The ``kaigo-kb`` group: every command (and --help, --version) runs inside
    :func:`_output_guard`, so no command has to handle output failures itself."""

    def make_context(self, *args, **kwargs):
        with _output_guard():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx):
        with _output_guard():
            return super().invoke(ctx)
