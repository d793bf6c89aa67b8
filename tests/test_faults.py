"""The fault suite: hostile input and failures, each case with the outcome it must have.

Categories (README, *Reliability*, counts them from the lists below):
hostile queries, output failures, corrupted corpus files, builds killed at several
points, two builds at once, ingest of bad files, injected markup. The browser side
(the same hostile queries, payloads inert, no network) is
tests/test_faults_browser.py.

Cases that could hang or eat memory if the fix regressed (a FIFO, /dev/zero) run in a
subprocess with a timeout and a memory limit.
"""
from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable

import pytest
from click.testing import CliRunner

from kb.cli import main
from kb.search.searcher import DROPPED, MAX_QUERY, clean_query
from tests.hostile import HOSTILE_QUERIES
from tests.pdfgen import VOL17_PAGES, make_image_pdf, make_pdf
from tests.test_ingest import tree_hash

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tiny"
XSS = ROOT / "tests" / "fixtures" / "xss"
BIG = 33 * 1024 * 1024  # above kb.sources.files.MAX_FILE_BYTES (sparse files: no disk used)

# a stored workbook (kaigo-kb ingest FILE.xlsx writes these) for the tiny corpus
TINY_WORKBOOK = """[workbook]
id = "tiny-wb"
title = "介護サービス関係Ｑ＆Ａ集"

[[row]]
id = "tiny-wb-r1"
service = "短期入所生活介護"
standard = "報酬"
question = "看取り連携体制加算は算定できるか。"
answer = "算定できる。"
issued = "令和8年1月15日"
"""

# a rule entry for the tiny corpus, so rule files can be corrupted too
TINY_RULE = """id = "mitori-renkei"
name = "看取り連携体制加算"
kind = "介護報酬加算"
services = ["短期入所生活介護"]
related = ["r6-qa-vol20-q1"]

[[requirements]]
text = "利用者の同意を得ること。"
source = "r6-qa-vol20-q1"
"""


def kb_process(args: list[str], *, stdout=subprocess.PIPE, env: dict | None = None, timeout: float = 120,
               cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """``kaigo-kb ARGS`` in a fresh process, at most 2 GB of memory and ``timeout`` seconds."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))

    return subprocess.run([sys.executable, "-m", "kb", *args], stdout=stdout, stderr=subprocess.PIPE,
                          env={**os.environ, **(env or {})}, cwd=cwd, timeout=timeout, preexec_fn=limit)


def cli(args: list, isolate: bool = False) -> tuple[int, str]:
    """(exit code, stdout + stderr) of a command, in this process or (isolate) another."""
    args = [str(a) for a in args]
    if isolate:
        p = kb_process(args)
        return p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")
    r = CliRunner().invoke(main, args)
    return r.exit_code, r.output


def one_error_line(output: str) -> str:
    lines = [ln for ln in output.splitlines() if ln.strip()]
    assert "Traceback" not in output, output
    assert len(lines) == 1 and lines[0].startswith("Error: "), output
    return lines[0]


# =========================================================================== hostile queries


@pytest.fixture(scope="module")
def tiny_index(tmp_path_factory) -> Path:
    from kb.build import build

    out = tmp_path_factory.mktemp("faults-tiny") / "build"
    build(TINY, out, site=False)
    return out


def is_subsequence(small: str, big: str) -> bool:
    chars = iter(big)
    return all(any(c == b or (c == " " and b.isspace()) for b in chars) for c in small)


@pytest.mark.parametrize("name, query", HOSTILE_QUERIES, ids=[n for n, _ in HOSTILE_QUERIES])
def test_hostile_query_is_cleaned_at_the_boundary(name, query):
    q = clean_query(query)
    assert len(q) <= MAX_QUERY
    assert [ch for ch in q if unicodedata.category(ch) in DROPPED] == []
    assert q == q.strip()
    assert is_subsequence(q, query)  # nothing added, nothing reordered


def test_the_boundary_keeps_words_apart_and_counts_code_points():
    assert clean_query("協力医療機関\t連携\r\n加算") == "協力医療機関 連携  加算"  # a line break still splits words
    assert clean_query("加算\x00算定") == "加算算定"  # a stray control does not
    assert clean_query("協力\u200b医療機関") == "協力医療機関"
    assert clean_query("😀" * 5000) == "😀" * MAX_QUERY  # characters, not UTF-16 units
    assert clean_query("\x00" * 5000 + "加算") == "加算"  # dropped first, then the cap
    assert clean_query(" " * 999 + "加算") == "加"


@pytest.mark.parametrize("name, query", HOSTILE_QUERIES, ids=[n for n, _ in HOSTILE_QUERIES])
def test_hostile_query_through_the_cli(name, query, tiny_index):
    start = time.monotonic()
    r = CliRunner().invoke(main, ["search", "--json", "--build-dir", str(tiny_index), "--", query])
    assert time.monotonic() - start < 20
    assert "Traceback" not in r.output
    if clean_query(query):
        assert r.exit_code == 0, r.output
        out = json.loads(r.output)
        assert out["query"] == clean_query(query) and isinstance(out["hits"], list)
    else:
        assert r.exit_code == 2 and "Error: empty query" in r.output


def test_invalid_utf8_in_argv(index_build):
    """The byte reaches Python as a lone surrogate (surrogateescape); before the boundary
    it was echoed back and crashed a UTF-8 stdout."""
    for env in ({}, {"PYTHONIOENCODING": "utf-8"}):
        p = kb_process(["search", "--json", "--build-dir", str(index_build), "加算".encode() + b"\xff"], env=env)
        assert p.returncode == 0, p.stderr.decode()
        out = json.loads(p.stdout)
        assert out["query"] == "加算" and out["hits"]


# =========================================================================== output failures


@dataclass
class OutputFault:
    name: str
    args: list
    target: str  # "full" (/dev/full), "pipe" (reader closes after one line), "latin-1" (terminal encoding)
    exit_code: int
    message: str | None  # the one line on stderr; None: nothing on stderr


OUTPUT_FAULTS = [
    OutputFault("full disk: search", ["search", "加算", "--build-dir", "{build}"], "full", 1,
                "Error: cannot write to standard output: No space left on device"),
    OutputFault("full disk: search --json", ["search", "加算", "--json", "--build-dir", "{build}"], "full", 1,
                "Error: cannot write to standard output: No space left on device"),
    OutputFault("full disk: qa", ["qa", "1"], "full", 1,
                "Error: cannot write to standard output: No space left on device"),
    OutputFault("full disk: corpus check", ["corpus", "check"], "full", 1,
                "Error: cannot write to standard output: No space left on device"),
    OutputFault("full disk: rules --json", ["rules", "--json"], "full", 1,
                "Error: cannot write to standard output: No space left on device"),
    OutputFault("full disk: export", ["export", "--vol", "1", "--format", "json"], "full", 1,
                "Error: cannot write to standard output: No space left on device"),
    OutputFault("full disk: --help", ["--help"], "full", 1,
                "Error: cannot write to standard output: No space left on device"),
    OutputFault("closed pipe: search -n 1000", ["search", "加算", "-n", "1000", "--build-dir", "{build}"], "pipe", 0,
                None),
    OutputFault("closed pipe: search --json -n 1000", ["search", "加算", "-n", "1000", "--json", "--build-dir", "{build}"],
                "pipe", 0, None),
    OutputFault("terminal cannot encode: search", ["search", "加算", "--build-dir", "{build}"], "latin-1", 1,
                "Error: the output's encoding (latin-1) cannot show"),
    OutputFault("terminal cannot encode: show", ["show", "r6-qa-vol1-q127"], "latin-1", 1,
                "Error: the output's encoding (latin-1) cannot show"),
]


def _run_with_output(fault: OutputFault, build: Path) -> tuple[int, str, int]:
    """(exit code, stderr, bytes the reader got)."""
    args = [sys.executable, "-m", "kb", *[a.replace("{build}", str(build)) for a in fault.args]]
    env = {**os.environ, "PYTHONIOENCODING": "latin-1"} if fault.target == "latin-1" else dict(os.environ)
    if fault.target == "pipe":
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env)
        first = p.stdout.readline()
        p.stdout.close()  # as `| head -1` does
        err = p.stderr.read().decode()
        return p.wait(timeout=120), err, len(first)
    with open("/dev/full" if fault.target == "full" else os.devnull, "wb") as out:
        p = subprocess.run(args, stdout=out, stderr=subprocess.PIPE, cwd=ROOT, env=env, timeout=120)
    return p.returncode, p.stderr.decode(), 0


@pytest.mark.parametrize("fault", OUTPUT_FAULTS, ids=lambda f: f.name)
def test_output_failure_ends_in_one_line(fault, index_build):
    if fault.target == "pipe":  # the output must outgrow the pipe's buffer (64 KiB on Linux), or nothing breaks
        args = [a.replace("{build}", str(index_build)) for a in fault.args]
        assert len(kb_process(args).stdout) > 65536
    code, err, got = _run_with_output(fault, index_build)
    assert code == fault.exit_code, err
    assert "Traceback" not in err and "Exception ignored" not in err, err
    if fault.message is None:
        assert err == "" and got > 0
    else:
        assert err.count("\n") == 1 and err.startswith(fault.message), err


# =========================================================================== corrupted corpus files


@dataclass
class CorpusFault:
    name: str
    file: str  # the file the message must name (relative to the corpus)
    mutate: Callable[[Path], None]
    message: str | None  # regex the one-line message must match; None: accepted
    isolate: bool = False  # could hang or exhaust memory if the fix regressed


def write(rel: str, content: str | bytes) -> Callable[[Path], None]:
    def do(root: Path) -> None:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if p.exists() or p.is_symlink():
            p.unlink()
        p.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return do


def edit(rel: str, old: str, new: str) -> Callable[[Path], None]:
    def do(root: Path) -> None:
        p = root / rel
        text = p.read_text(encoding="utf-8")
        assert old in text, (rel, old)
        p.write_text(text.replace(old, new, 1), encoding="utf-8")
    return do


def append(rel: str, content: bytes) -> Callable[[Path], None]:
    def do(root: Path) -> None:
        with open(root / rel, "ab") as f:
            f.write(content)
    return do


def make_special(p: Path, kind: str) -> None:
    """A directory, a FIFO, a symlink (to /dev/zero or nowhere), a big sparse file or a plain file at ``p``."""
    if kind == "dir":
        p.mkdir()
    elif kind == "fifo":
        os.mkfifo(p)
    elif kind == "devzero":
        p.symlink_to("/dev/zero")
    elif kind == "dangling":
        p.symlink_to(p.with_name("no-such-file"))
    elif kind == "big":
        with open(p, "wb") as f:
            f.truncate(BIG)
    elif kind == "file":
        p.write_text("not a folder\n", encoding="utf-8")


def replace_with(rel: str, kind: str) -> Callable[[Path], None]:
    """``rel`` in the corpus replaced by a special file (see :func:`make_special`)."""
    def do(root: Path) -> None:
        p = root / rel
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        elif p.exists() or p.is_symlink():
            p.unlink()
        make_special(p, kind)
    return do


def _set_url(path: Path, value: str) -> None:
    text = re.sub(r"(?m)^url = .*\n", "", path.read_text(encoding="utf-8"))
    path.write_text(text + f"url = {value}\n", encoding="utf-8")


def remove(rel: str) -> Callable[[Path], None]:
    return lambda root: (root / rel).unlink()


DOC_TOML = "documents/tiny-qa-vol20.toml"
DOC_TXT = "documents/tiny-qa-vol20.txt"
RULE = "rules/mitori-renkei.toml"
WORKBOOK = "workbooks/tiny-wb.toml"
SERVICES = "services.toml"
THESAURUS = "thesaurus.toml"
MISSING_FILE = "file missing|is missing"

CORPUS_FAULTS = [
    # document metadata
    CorpusFault("document toml: syntax error", DOC_TOML, append(DOC_TOML, b"title = \n"), r"TOML syntax error"),
    CorpusFault("document toml: empty", DOC_TOML, write(DOC_TOML, ""), r"field 'id': missing"),
    CorpusFault("document toml: binary garbage", DOC_TOML, write(DOC_TOML, bytes(range(128, 256)) * 8),
                r"not UTF-8"),
    CorpusFault("document toml: CP932", DOC_TOML, write(DOC_TOML, 'id = "tiny-qa-vol20"\ntitle = "通知"\n'.encode("cp932")),
                r"CP932/Shift_JIS-encoded"),
    CorpusFault("document toml: unknown field", DOC_TOML, append(DOC_TOML, b'auther = "x"\n'),
                r"field 'auther': unknown field"),
    CorpusFault("document toml: wrong type", DOC_TOML, edit(DOC_TOML, "volume = 20", 'volume = "20"'),
                r"field 'volume': expected int"),
    CorpusFault("document toml: absurd volume", DOC_TOML, edit(DOC_TOML, "volume = 20", "volume = 9223372036854775807"),
                r"field 'volume': 9223372036854775807 is out of range; allowed: 1 to 999"),
    CorpusFault("document toml: volume 0", DOC_TOML, edit(DOC_TOML, "volume = 20", "volume = 0"),
                r"field 'volume': 0 is out of range; allowed: 1 to 999"),
    CorpusFault("document toml: date out of range", DOC_TOML, edit(DOC_TOML, "date = 2026-01-15", "date = 0001-01-15"),
                r"field 'date': 0001-01-15 is out of range; allowed: 1900-01-01 to 2099-12-31"),
    CorpusFault("document toml: impossible date", DOC_TOML, edit(DOC_TOML, "date = 2026-01-15", 'date = "2026-13-45"'),
                r"field 'date': expected an ISO date"),
    CorpusFault("document toml: date with a time", DOC_TOML,
                edit(DOC_TOML, "date = 2026-01-15", "date = 2026-01-15T10:00:00"), r"field 'date': expected a date without"),
    CorpusFault("document toml: id is not the file name", DOC_TOML, edit(DOC_TOML, 'id = "tiny-qa-vol20"', 'id = "other"'),
                r"field 'id': id 'other' must equal the file name"),
    CorpusFault("document toml: javascript: URL", DOC_TOML,
                lambda root: _set_url(root / DOC_TOML, '"javascript:alert(1)"'),
                r"field 'url': 'javascript:alert\(1\)' does not match"),
    CorpusFault("document toml: control character in a value", DOC_TOML,
                edit(DOC_TOML, 'issuer = "厚生労働省老健局"', 'issuer = "厚生\\u0000労働省"'),
                r"field 'issuer': control character U\+0000"),
    CorpusFault("document toml: a directory", DOC_TOML, replace_with(DOC_TOML, "dir"), r"a directory, not a regular file"),
    CorpusFault("document toml: a FIFO", DOC_TOML, replace_with(DOC_TOML, "fifo"), r"a FIFO \(named pipe\), not a regular",
                isolate=True),
    CorpusFault("document toml: symlink to /dev/zero", DOC_TOML, replace_with(DOC_TOML, "devzero"),
                r"a character device, not a regular file", isolate=True),
    CorpusFault("document toml: dangling symlink", DOC_TOML, replace_with(DOC_TOML, "dangling"), r"broken symbolic link"),
    CorpusFault("document toml: too large", DOC_TOML, replace_with(DOC_TOML, "big"),
                r"file is larger than the limit of 32\.0 MB \(33\.0 MB\)", isolate=True),
    # document text
    CorpusFault("document text: missing", DOC_TXT, remove(DOC_TXT), r"text file missing"),
    CorpusFault("document text: empty", DOC_TXT, write(DOC_TXT, "\n \n"), r"text file is empty"),
    CorpusFault("document text: NUL byte", DOC_TXT, write(DOC_TXT, "問１ 算定できるか。\n（答）\n算定\x00できる。\n"),
                r"line 3: control character U\+0000 \(NUL\)"),
    CorpusFault("document text: escape sequence", DOC_TXT, write(DOC_TXT, "問１ \x1b[31m算定できるか。\n"),
                r"line 1: control character U\+001B \(ESC\)"),
    CorpusFault("document text: CP932", DOC_TXT, write(DOC_TXT, "問１　算定できるか。\n".encode("cp932")),
                r"CP932/Shift_JIS-encoded, not UTF-8; convert it: iconv"),
    CorpusFault("document text: invalid UTF-8", DOC_TXT, write(DOC_TXT, "問１\n（答）\n".encode() + b"\xff\xfe\xfd\n"),
                r"line 3: not UTF-8 text"),
    CorpusFault("document text: a FIFO", DOC_TXT, replace_with(DOC_TXT, "fifo"), r"a FIFO \(named pipe\)", isolate=True),
    CorpusFault("document text: symlink to /dev/zero", DOC_TXT, replace_with(DOC_TXT, "devzero"),
                r"a character device, not a regular file", isolate=True),
    CorpusFault("document text: a directory", DOC_TXT, replace_with(DOC_TXT, "dir"), r"a directory, not a regular file"),
    CorpusFault("document text: too large", DOC_TXT, replace_with(DOC_TXT, "big"), r"larger than the limit", isolate=True),
    CorpusFault("document text: without metadata", "documents/orphan.txt", write("documents/orphan.txt", "問１\n"),
                r"text without metadata; add a \.toml"),
    CorpusFault("document text: byte order mark", DOC_TXT, lambda root: (root / DOC_TXT).write_bytes(
        b"\xef\xbb\xbf" + (root / DOC_TXT).read_bytes()), None),
    CorpusFault("documents/ missing", "documents", lambda root: shutil.rmtree(root / "documents"),
                r"no documents/ directory"),
    # rule entries
    CorpusFault("rule: syntax error", RULE, append(RULE, b"[[requirements]\n"), r"TOML syntax error"),
    CorpusFault("rule: duplicate id (file copied)", "rules/copy.toml",
                lambda root: shutil.copy(root / RULE, root / "rules" / "copy.toml"),
                r"field 'id': id 'mitori-renkei' must equal the file name 'copy'"),
    CorpusFault("rule: two rules of one name", "rules/second.toml",
                write("rules/second.toml", TINY_RULE.replace('"mitori-renkei"', '"second"')),
                r"field 'aliases': '看取り連携体制加算' also names rule 'mitori-renkei'"),
    CorpusFault("rule: absurd amount", RULE, append(RULE, '\n[[amounts]]\nlevel = "単一"\nvalue = 10000000\nunit = "単位"\n'
                                                 'source = "r6-qa-vol20-q1"\n'.encode()),
                r"field 'amounts\[0\]\.value': 10000000 is out of range; allowed: 1 to 999999"),
    CorpusFault("rule: cites an unknown id", RULE, edit(RULE, 'source = "r6-qa-vol20-q1"', 'source = "r6-qa-vol20-q9"'),
                r"field 'requirements\[0\]\.source': 'r6-qa-vol20-q9' is not a clause or Q&A id"),
    CorpusFault("rule: unknown service", RULE, edit(RULE, '"短期入所生活介護"', '"宇宙介護"'),
                r"field 'services\[0\]': '宇宙介護' is not in services\.toml"),
    CorpusFault("rule: date out of range", RULE, append(RULE, b'\n[[obligations]]\nkind = "duty"\nservices = ["\xe7\x9f\xad'
                                                     b'\xe6\x9c\x9f\xe5\x85\xa5\xe6\x89\x80\xe7\x94\x9f\xe6\xb4\xbb\xe4'
                                                     b'\xbb\x8b\xe8\xad\xb7"]\neffective_from = 9999-04-01\n'
                                                     b'source = "r6-qa-vol20-q1"\n'),
                r"field 'obligations\[0\]\.effective_from': 9999-04-01 is out of range"),
    CorpusFault("rule: a FIFO", RULE, replace_with(RULE, "fifo"), r"a FIFO \(named pipe\)", isolate=True),
    CorpusFault("rules/ is a file", "rules", lambda root: (shutil.rmtree(root / "rules"), replace_with("rules", "file")(root)),
                r"not a folder; rule entries go in rules/\*\.toml"),
    # stored workbooks (rows of 介護サービスQ＆A集)
    CorpusFault("workbook: syntax error", WORKBOOK, append(WORKBOOK, b"[[row]\n"), r"TOML syntax error"),
    CorpusFault("workbook: id is not the file name", WORKBOOK, edit(WORKBOOK, 'id = "tiny-wb"', 'id = "other-wb"'),
                r"field 'workbook\.id': id 'other-wb' must equal the file name"),
    CorpusFault("workbook: row without a question", WORKBOOK, edit(WORKBOOK, 'question = "看取り連携体制加算は算定できるか。"\n', ""),
                r"field 'row\[0\]\.question': missing"),
    CorpusFault("workbook: rows not tables", WORKBOOK, write(WORKBOOK, 'row = 5\n' + TINY_WORKBOOK.split("[[row]]")[0]),
                r"field 'row': expected \[\[row\]\] tables"),
    CorpusFault("workbook: [workbook] not a table", WORKBOOK, write(WORKBOOK, 'workbook = "tiny-wb"\n'),
                r"field 'workbook': expected a \[workbook\] table"),
    CorpusFault("workbook: control character in a cell", WORKBOOK, edit(WORKBOOK, '"算定できる。"', '"算定\\u001bできる。"'),
                r"field 'row\[0\]\.answer': control character U\+001B"),
    CorpusFault("workbook: a FIFO", WORKBOOK, replace_with(WORKBOOK, "fifo"), r"a FIFO \(named pipe\)", isolate=True),
    # the service list
    CorpusFault("services.toml: missing", SERVICES, remove(SERVICES),
                r"the service list is missing; every corpus needs services\.toml"),
    CorpusFault("services.toml: syntax error", SERVICES, append(SERVICES, b"[[service]\n"), r"TOML syntax error"),
    CorpusFault("services.toml: empty", SERVICES, write(SERVICES, ""), r"field 'service': missing"),
    CorpusFault("services.toml: one alias, two services", SERVICES, edit(SERVICES, 'aliases = ["老健"]', 'aliases = ["特養"]'),
                r"field 'service\[1\]\.aliases\[0\]': '特養' already names '介護老人福祉施設'"),
    CorpusFault("services.toml: group contains itself", SERVICES,
                edit(SERVICES, 'members = ["介護老人福祉施設", "介護老人保健施設"]', 'members = ["介護保険施設等"]'),
                r"contains itself"),
    CorpusFault("services.toml: unknown group member", SERVICES,
                edit(SERVICES, '"介護老人保健施設"]', '"介護老人保険施設"]'),
                r"field 'group\[0\]\.members\[1\]': '介護老人保険施設' is not an official name"),
    CorpusFault("services.toml: control character in a value", SERVICES, edit(SERVICES, '"老健"', '"老\\u0007健"'),
                r"field 'service\[1\]\.aliases\[0\]': control character U\+0007"),
    CorpusFault("services.toml: a directory", SERVICES, replace_with(SERVICES, "dir"), r"a directory, not a regular file"),
    # the thesaurus
    CorpusFault("thesaurus.toml: missing", THESAURUS, remove(THESAURUS),
                r"the thesaurus \(abbreviations, synonyms\) is missing; every corpus needs thesaurus\.toml"),
    CorpusFault("thesaurus.toml: syntax error", THESAURUS, append(THESAURUS, b"key = \n"), r"TOML syntax error"),
    CorpusFault("thesaurus.toml: targets not a list", THESAURUS,
                edit(THESAURUS, 'targets = ["テレビ電話装置等"]', 'targets = "テレビ電話装置等"'),
                r"field 'term\[0\]\.targets': expected list"),
    CorpusFault("thesaurus.toml: term not a table", THESAURUS, write(THESAURUS, 'term = ["オンライン"]\n'),
                r"field 'term\[0\]': expected a table"),
    CorpusFault("thesaurus.toml: misspelt table", THESAURUS, write(THESAURUS, '[[terms]]\nkey = "x"\n'),
                r"field 'terms': unknown field"),
    CorpusFault("thesaurus.toml: unknown kind", THESAURUS, edit(THESAURUS, 'kind = "synonym"', 'kind = "guess"'),
                r"field 'term\[0\]\.kind': 'guess' is not one of"),
    CorpusFault("thesaurus.toml: a FIFO", THESAURUS, replace_with(THESAURUS, "fifo"), r"a FIFO \(named pipe\)",
                isolate=True),
]


@pytest.fixture(scope="module")
def base_corpus(tmp_path_factory) -> Path:
    """The tiny fixture plus one rule entry and one stored workbook: every kind of corpus file there is."""
    root = tmp_path_factory.mktemp("faults-base") / "corpus"
    shutil.copytree(TINY, root)
    write(RULE, TINY_RULE)(root)
    write(WORKBOOK, TINY_WORKBOOK)(root)
    return root


@pytest.fixture(scope="module")
def good_build(base_corpus, tmp_path_factory) -> Path:
    """The last good build, that every refused build must leave as it is."""
    out = tmp_path_factory.mktemp("faults-good") / "build"
    code, output = cli(["build", "--corpus", base_corpus, "--build-dir", out])
    assert code == 0, output
    return out


def test_the_base_corpus_passes(base_corpus):
    code, output = cli(["corpus", "check", "--corpus", base_corpus])
    assert code == 0 and "1 rules" in output, output


@pytest.mark.parametrize("fault", CORPUS_FAULTS, ids=lambda f: f.name)
def test_corrupted_corpus_file(fault, base_corpus, good_build, tmp_path):
    root = tmp_path / "corpus"
    shutil.copytree(base_corpus, root)
    fault.mutate(root)
    before = tree_hash(good_build)
    check = cli(["corpus", "check", "--corpus", root], fault.isolate)
    target = good_build if fault.message else tmp_path / "build"  # an accepted case must not replace it
    built = cli(["build", "--corpus", root, "--build-dir", target, "--no-site"], fault.isolate)
    if fault.message is None:
        assert check[0] == 0 and built[0] == 0, (check, built)
        return
    assert check[0] == 1 and built[0] == 1, (check, built)
    line = one_error_line(check[1])
    assert one_error_line(built[1]) == line, "corpus check and build must find the same problem"
    assert str(root / fault.file) in line, line
    assert re.search(fault.message, line), line
    assert tree_hash(good_build) == before
    assert not list(good_build.parent.glob(".build.tmp-*"))


# =========================================================================== builds killed, builds at once

# Runs a build in a child process and kills it (SIGKILL, no clean-up possible) at a point.
DRIVER = r"""
import os, pathlib, signal, sys, time
import kb.build as b

corpus, out, point, shared = sys.argv[1:5]


def die(*_a, **_k):  # the whole process group: a build may have forked helpers
    os.killpg(os.getpgid(0), signal.SIGKILL)


def then(mod, name, action):
    real = getattr(mod, name)
    def wrapper(*a, **k):
        result = real(*a, **k)
        action()
        return result
    setattr(mod, name, wrapper)


if point == "locked":
    then(b, "_clear_leftovers", die)
elif point == "analysed":  # (its words read: what the index is written from)
    import kb.search.analysed as m
    then(m.Analysis, "forms", die)
elif point == "index written":
    import kb.search.index as m
    then(m, "write_index", die)
elif point == "site half written":
    import kb.site.render as m
    real, calls = m._write, []
    def write(*a, **k):
        calls.append(1)
        if len(calls) == 5:
            die()
        return real(*a, **k)
    m._write = write
elif point == "before the swap":
    b._swap = die
elif point == "swapped, old build not yet removed":
    then(b, "_exchange", die)
elif point == "between two renames (no renameat2)":
    b._exchange = lambda new, target: False
    real_replace = pathlib.Path.replace
    def replace(self, target):  # the swap's first rename (the build aside), not a cache file's
        result = real_replace(self, target)
        if ".old-" in pathlib.Path(target).name:
            die()
        return result
    pathlib.Path.replace = replace
elif point == "pause":  # hold the lock until told to go on
    def pause():
        pathlib.Path(shared, "ready").touch()
        while not pathlib.Path(shared, "go").exists():
            time.sleep(0.05)
    then(b, "_clear_leftovers", pause)
b.build(corpus, out)
"""

# the point -> what the build folder holds afterwards: the last good build or the new one
KILL_POINTS = {
    "locked": "old",
    "analysed": "old",
    "index written": "old",
    "site half written": "old",
    "before the swap": "old",
    "swapped, old build not yet removed": "new",
    "between two renames (no renameat2)": "none",  # the next build puts the old one back
}
MARKER = "ゾウリムシ"  # a word only the new build's corpus holds


def driver(corpus: Path, out: Path, point: str, shared: Path | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", DRIVER, str(corpus), str(out), point, str(shared or out.parent)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def serves(build: Path, word: str) -> bool | None:
    """Whether search finds ``word`` in this build (None: the search cannot run)."""
    r = CliRunner().invoke(main, ["search", word, "--json", "--build-dir", str(build)])
    if r.exit_code != 0:
        return None
    return any(word in h["text"] for h in json.loads(r.output)["hits"])


@pytest.fixture
def old_and_new(base_corpus, good_build, tmp_path) -> tuple[Path, Path]:
    """A good build of the base corpus, and a changed corpus to build over it."""
    new = tmp_path / "new"
    shutil.copytree(base_corpus, new)
    write("documents/marker.toml", 'id = "marker"\ntitle = "目印"\nkind = "事務連絡"\n')(new)
    write("documents/marker.txt", f"問１ {MARKER}は何か。\n（答）\n目印である。\n")(new)
    out = tmp_path / "build"
    shutil.copytree(good_build, out, symlinks=True)
    return out, new


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_build_killed(point, old_and_new):
    out, new = old_and_new
    site_before = (out / "site" / "search-index.js").read_bytes()
    p = driver(new, out, point)
    assert p.wait(timeout=300) == -9, p.stderr.read().decode()[-2000:]
    held = KILL_POINTS[point]
    if held == "none":
        r = CliRunner().invoke(main, ["search", "看取り", "--build-dir", str(out)])
        assert r.exit_code == 1 and "build it first" in one_error_line(r.output)
    else:
        assert serves(out, MARKER) is (held == "new")
        assert serves(out, "看取り") is True
        js = (out / "site" / "search-index.js").read_bytes()
        assert (js == site_before) is (held == "old") and (MARKER in js.decode()) is (held == "new")
        assert (out / "site" / "index.html").exists()
    code, output = cli(["build", "--corpus", new, "--build-dir", out])  # the next build clears up and succeeds
    assert code == 0, output
    assert serves(out, MARKER) is True
    left = sorted(p.name for p in out.parent.iterdir() if p.name.startswith(".build"))
    assert left[0] == ".build.lock" and len(left) == 2 and left[1].startswith(".build.old-"), left  # the build replaced


def test_second_build_while_one_runs_is_refused(old_and_new, tmp_path):
    out, new = old_and_new
    first = driver(new, out, "pause", tmp_path)
    deadline = time.monotonic() + 120
    while not (tmp_path / "ready").exists():
        assert first.poll() is None and time.monotonic() < deadline, first.stderr.read().decode()[-2000:]
        time.sleep(0.05)
    code, output = cli(["build", "--corpus", new, "--build-dir", out])
    line = one_error_line(output)
    assert code == 1 and f"another build is writing {out} (process {first.pid})" in line, line
    assert serves(out, "看取り") is True  # the running build has not touched the folder yet
    (tmp_path / "go").touch()
    assert first.wait(timeout=300) == 0, first.stderr.read().decode()[-2000:]
    assert serves(out, MARKER) is True


def test_two_builds_started_together(old_and_new):
    out, new = old_and_new
    procs = [subprocess.Popen([sys.executable, "-m", "kb", "build", "--corpus", str(new), "--build-dir", str(out)],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read().decode()) for p in procs]
    assert 0 in [code for code, _ in results], results
    for code, err in results:
        assert code == 0 or (code == 1 and "another build is writing" in one_error_line(err)), results
    assert serves(out, MARKER) is True
    left = sorted(p.name for p in out.parent.iterdir() if p.name.startswith(".build"))
    assert left[0] == ".build.lock" and len(left) == 2 and left[1].startswith(".build.old-"), left  # the build replaced


# =========================================================================== ingest of bad files


@dataclass
class IngestFault:
    name: str
    make: Callable[[Path, Path], Path]  # (work folder, good PDF) -> the file to ingest
    message: str
    options: tuple = ("--id", "x-doc", "--title", "x", "--kind", "事務連絡")
    isolate: bool = False


def _file(name: str, content: bytes) -> Callable[[Path, Path], Path]:
    def make(work: Path, _pdf: Path) -> Path:
        (work / name).write_bytes(content)
        return work / name
    return make


def _special(name: str, kind: str) -> Callable[[Path, Path], Path]:
    def make(work: Path, pdf: Path) -> Path:
        p = work / name
        if kind == "truncated":
            data = pdf.read_bytes()
            p.write_bytes(data[: len(data) // 2])
        elif kind == "encrypted":
            make_pdf(p, VOL17_PAGES, encrypt="secret")
        elif kind == "image":
            make_image_pdf(p)
        else:
            make_special(p, kind)
        return p
    return make


def _good(_work: Path, pdf: Path) -> Path:
    return pdf


INGEST_FAULTS = [
    IngestFault("empty text file", _file("empty.txt", b""), r"empty file"),
    IngestFault("empty PDF", _file("empty.pdf", b""), r"empty file"),
    IngestFault("a directory", _special("folder.pdf", "dir"), r"is a directory"),
    IngestFault("symlink to /dev/zero", _special("zero.txt", "devzero"), r"a character device, not a regular file",
                isolate=True),
    IngestFault("dangling symlink", _special("gone.txt", "dangling"), r"broken symbolic link"),
    IngestFault("a FIFO", _special("pipe.txt", "fifo"), r"a FIFO \(named pipe\)", isolate=True),
    IngestFault("truncated PDF", _special("cut.pdf", "truncated"), r"PDF is truncated \(no %%EOF"),
    IngestFault("encrypted PDF", _special("locked.pdf", "encrypted"), r"encrypted"),
    IngestFault("image-only PDF", _special("scan.pdf", "image"), r"no text layer .*OCR"),
    IngestFault("damaged PDF", _file("broken.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 16 + b"\n%%EOF\n"),
                r"cannot read this PDF"),
    IngestFault("not a PDF, named .pdf", _file("fake.pdf", b"PK\x03\x04 a zip file"), r"not a PDF"),
    IngestFault("text with a NUL byte", _file("nul.txt", "事務連絡\n問１ 算定\x00できるか。\n".encode()),
                r"line 2: control character U\+0000 \(NUL\)"),
    IngestFault("id with ..", _good, r"--id: '\.\./evil' must be", ("--id", "../evil")),
    IngestFault("id with /", _good, r"--id: 'a/b' must be", ("--id", "a/b")),
    IngestFault("id ..", _good, r"--id: '\.\.' must be", ("--id", "..")),
    IngestFault("absurd volume", _good, r"--vol: 100000 is out of range; allowed: 1 to 999", ("--vol", "100000", "--series", "令和６年度介護報酬改定に関するＱ＆Ａ")),
    IngestFault("date out of range", _good, r"--date: 0999-01-01 is out of range",
                ("--id", "x-doc", "--date", "0999-01-01")),
    # MHLW's workbook (kaigo-kb ingest FILE.xlsx)
    IngestFault("empty workbook", _file("empty.xlsx", b""), r"empty file", ()),
    IngestFault("workbook that is a directory", _special("folder.xlsx", "dir"), r"a directory", ()),
    IngestFault("workbook FIFO", _special("pipe.xlsx", "fifo"), r"a FIFO \(named pipe\)", (), isolate=True),
    IngestFault("workbook symlink to /dev/zero", _special("zero.xlsx", "devzero"), r"not a regular file", (),
                isolate=True),
    IngestFault("damaged workbook", _file("broken.xlsx", b"PK\x03\x04" + bytes(range(256)) * 8),
                r"not an \.xlsx workbook|cannot read this workbook", ()),
    IngestFault("an .xls (not xlsx)", _file("old.xls", bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504)),
                r"not an \.xlsx workbook", ()),
    IngestFault("workbook without 回答", lambda work, _pdf: _no_answer_workbook(work / "no-answer.xlsx"),
                r"sheet '.*': no column 回答", ()),
]


def _no_answer_workbook(path: Path) -> Path:
    from tests.workbooks import write_workbook

    return write_workbook(path, [{"service": "16 通所介護事業", "standard": "4 報酬", "topic": "送迎",
                                  "question": "送迎は必要か。", "answer": "必要。", "issued": "6.3.15\n事務連絡"}],
                          drop=("answer",))


@pytest.fixture(scope="module")
def vol17_pdf(tmp_path_factory) -> Path:
    return make_pdf(tmp_path_factory.mktemp("faults-pdf") / "vol17.pdf", VOL17_PAGES)


@pytest.mark.parametrize("fault", INGEST_FAULTS, ids=lambda f: f.name)
def test_ingest_of_a_bad_file_leaves_the_corpus_alone(fault, base_corpus, vol17_pdf, tmp_path):
    root = tmp_path / "corpus"
    shutil.copytree(base_corpus, root)
    work = tmp_path / "work"
    work.mkdir()
    src = fault.make(work, vol17_pdf)
    before = tree_hash(root)
    code, output = cli(["ingest", src, "--corpus", root, "--yes", *fault.options], fault.isolate)
    assert code in (1, 2) and "Traceback" not in output, output
    assert re.search(fault.message, output.splitlines()[-1]), output  # click's usage errors end in the Error line
    assert tree_hash(root) == before
    assert not [p for p in (root / "documents").iterdir() if p.name.startswith(".ingest-")]


def test_ingest_through_a_symlink_writes_plain_files(base_corpus, vol17_pdf, tmp_path):
    root = tmp_path / "corpus"
    shutil.copytree(base_corpus, root)
    link = tmp_path / "link.pdf"
    link.symlink_to(vol17_pdf)
    code, output = cli(["ingest", link, "--corpus", root, "--yes"])
    assert code == 0, output
    written = root / "documents" / "r6-kaigo-qa-vol17.txt"
    assert written.is_file() and not written.is_symlink()


# =========================================================================== injected markup

# what the XSS fixture plants (tests/fixtures/xss); each must reach the pages as text
PAYLOADS = [
    ("document title", "<script>alert('title')</script>"),
    ("document title, attribute break-out", "\"><img src=x onerror=alert(1)>"),
    ("issuer", "<b>発出者</b>"),
    ("note", "onerror=alert('note')"),
    ("URL field", "https://example.org/\"><svg/onload=alert('url')><script>alert('url')</script>"),
    ("text heading", "<script>alert('heading')</script>"),
    ("text body", "<script>alert('body')</script>"),
    ("javascript: link in text", "<a href=\"javascript:alert('a')\">"),
    ("template syntax in text", "{{ 7*7 }}"),
    ("template statement in text", "{% for x in range(3) %}"),
    ("template syntax in metadata", "{% if true %}"),
    ("service name", "<script>alert('service')</script>"),
    ("group name", "<svg onload=alert('group')>"),
    ("rule name", "<script>alert('rule')</script>"),
    ("rule requirement", "<a href=\"javascript:alert('req')\">"),
    ("thesaurus target", "<script>alert('thesaurus')</script>"),
]


@pytest.fixture(scope="module")
def xss_built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("faults-xss") / "build"
    code, output = cli(["build", "--corpus", XSS, "--build-dir", out])
    assert code == 0, output
    return out / "site"


def _html(site: Path) -> dict[str, str]:
    return {str(p.relative_to(site)): p.read_text(encoding="utf-8") for p in sorted(site.rglob("*.html"))}


@pytest.mark.parametrize("where, payload", PAYLOADS, ids=[w for w, _ in PAYLOADS])
def test_payload_is_text_in_the_pages(where, payload, xss_built):
    from markupsafe import escape

    pages = _html(xss_built)
    if "<" in payload:
        assert [p for p, text in pages.items() if payload in text] == [], f"{where}: markup reached a page"
    assert any(str(escape(payload)) in text for text in pages.values()), f"{where}: {escape(payload)} on no page"


class _Active(HTMLParser):
    """What a browser would run or load: event handler attributes, script URLs
    (javascript:, data:, vbscript:) anywhere, anything but a relative path where a page
    loads a resource (src …), and inline script text. A link (href) may lead out: to
    the official source a document names."""

    LOADS = ("src", "action", "formaction", "data", "poster", "srcset")

    def __init__(self):
        super().__init__()
        self.found: list = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            value = (value or "").strip()
            if name.startswith("on") or re.match(r"(javascript|data|vbscript):", value, re.I) or (
                    name in self.LOADS and re.match(r"([a-z][a-z0-9+.-]*:|//)", value, re.I)):
                self.found.append((tag, name, value))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(("script", "inline", data[:80]))


def test_pages_run_and_load_only_the_sites_own_files(xss_built):
    for path, text in _html(xss_built).items():
        parser = _Active()
        parser.feed(text)
        assert parser.found == [], path


def test_readme_counts_the_fault_cases():
    """The README's reliability table is counted from these lists: docs drift is a bug."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Reliability", 1)[1].split("\n## ", 1)[0]
    counts = {m[1].strip(): int(m[2]) for m in re.finditer(r"^\|\s*([^|]+?)\s*\|\s*(\d+)\s*\|", section, re.M)}
    assert counts == {
        "Hostile queries (CLI and browser, one list)": len(HOSTILE_QUERIES),
        "Output failures": len(OUTPUT_FAULTS),
        "Corrupted corpus files": len(CORPUS_FAULTS),
        "Builds killed": len(KILL_POINTS),
        "Two builds at once": 2,
        "Ingest of bad files": len(INGEST_FAULTS) + 1,
        "Injected markup": len(PAYLOADS),
    }, counts
    kinds = Counter(f.name.split(":")[0] for f in CORPUS_FAULTS)
    by_file = (f"document `.toml` {kinds.pop('document toml')}, `.txt` {kinds.pop('document text')}, `rules/*.toml` "
               f"{kinds.pop('rule')}, `workbooks/*.toml` {kinds.pop('workbook')}, `services.toml` "
               f"{kinds.pop('services.toml')}, `thesaurus.toml` {kinds.pop('thesaurus.toml')}, folders "
               f"{sum(kinds.values())}")
    assert by_file in section
