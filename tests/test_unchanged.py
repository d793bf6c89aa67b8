"""A build of the same inputs into a build folder that holds their build does nothing
(kb.unchanged); any change to the inputs or to the build's files makes a whole build."""
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.build import build
from kb.search import analysis

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tiny"


@pytest.fixture
def built(tmp_path):
    """A copy of the tiny corpus, built with its site."""
    corpus, out = tmp_path / "corpus", tmp_path / "build"
    shutil.copytree(TINY, corpus)
    first = build(corpus, out)
    assert first["unchanged"] is False
    return corpus, out, first


def _snapshot(out: Path) -> dict:
    return {p.relative_to(out).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted(out.rglob("*")) if p.is_file()}


def test_the_same_inputs_again_change_nothing(built, tmp_path):
    corpus, out, first = built
    before, folder = _snapshot(out), out.stat().st_ino
    again = build(corpus, out)
    assert again["unchanged"] is True
    assert {k: again[k] for k in ("documents", "clauses", "qas", "rules", "units")} == \
        {k: first[k] for k in ("documents", "clauses", "qas", "rules", "units")}
    assert list(again["steps"]) == ["unchanged"] and again["children"] == {}
    assert out.stat().st_ino == folder and _snapshot(out) == before  # not swapped, not one file written
    assert not list(tmp_path.glob(".build.old-*"))


def test_after_doing_nothing_the_analysis_reads_the_builds_user_dictionary(built):
    corpus, out, _first = built
    analysis.configure(None)
    build(corpus, out)
    assert analysis._user_dic == str(out / "index" / "user.dic")


def _edit_text(corpus: Path) -> None:
    path = corpus / "documents" / "tiny-notice.txt"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("。", "．", 1), encoding="utf-8")  # the same length, one character changed


def _add_file(corpus: Path) -> None:
    (corpus / "notes.md").write_text("メモ", encoding="utf-8")  # read by no loader: still an input changed


@pytest.mark.parametrize("change", [_edit_text, _add_file], ids=["a character of a text", "a file added"])
def test_a_changed_corpus_is_built(built, change):
    corpus, out, _first = built
    stat = (corpus / "documents" / "tiny-notice.txt").stat()
    change(corpus)
    os.utime(corpus / "documents" / "tiny-notice.txt", ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same time
    assert build(corpus, out)["unchanged"] is False
    assert build(corpus, out)["unchanged"] is True  # and recorded again


def test_another_site_setting_date_code_or_clean_is_built(built, monkeypatch):
    corpus, out, _first = built
    assert build(corpus, out, site=False)["unchanged"] is False
    assert not (out / "site").exists()
    assert build(corpus, out, site=True)["unchanged"] is False
    assert build(corpus, out, clean=True)["unchanged"] is False
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # the home page's date comes from it
    assert build(corpus, out)["unchanged"] is False
    assert "令和8年1月1日" in (out / "site" / "index.html").read_text(encoding="utf-8")
    from kb import locations

    monkeypatch.setattr(locations, "code_fingerprint", lambda: "other code")
    assert build(corpus, out)["unchanged"] is False


def test_a_build_whose_files_were_touched_is_built_again(built):
    corpus, out, _first = built
    page = next(p for p in sorted((out / "site").rglob("*.html")) if p.name != "index.html")
    original = page.read_bytes()
    page.unlink()
    assert build(corpus, out)["unchanged"] is False
    assert page.read_bytes() == original
    page.write_bytes(original.replace(b"<", b"&", 1))  # the same size, written later
    assert build(corpus, out)["unchanged"] is False
    # (the pages' reuse takes the previous build's files as it left them, kb.site.reuse: a page
    # edited in place is put right by a clean build)
    assert build(corpus, out, clean=True)["unchanged"] is False
    assert page.read_bytes() == original
    (out / "site" / "stray.html").write_text("x")
    assert build(corpus, out)["unchanged"] is False
    assert not (out / "site" / "stray.html").exists()


def test_a_damaged_record_means_a_whole_build(built):
    corpus, out, _first = built
    (out / "state" / "build.json").write_text("{not json")
    assert build(corpus, out)["unchanged"] is False
    (out / "state" / "build.json").unlink()
    assert build(corpus, out)["unchanged"] is False
    assert build(corpus, out)["unchanged"] is True


def test_the_cli_says_the_build_is_up_to_date(built):
    from kb.cli import main

    corpus, out, _first = built
    result = CliRunner().invoke(main, ["build", "--corpus", str(corpus), "--build-dir", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"up to date: {out} was built from these same files")
    assert f"site: {out / 'site' / 'index.html'}" in result.output


def test_a_fifo_in_the_corpus_is_not_read_and_the_build_is_whole(built):
    corpus, out, _first = built
    os.mkfifo(corpus / "notes.fifo")  # no loader reads it; opening it would wait for a writer
    assert build(corpus, out)["unchanged"] is False
    assert build(corpus, out)["unchanged"] is False


@pytest.mark.parametrize("command", [["-m", "kb", "build"], [str(ROOT / "build.py")]], ids=["python -m kb", "build.py"])
def test_the_command_lines_build_ends_its_process_with_all_its_output(built, command):
    """kb.cli.run: the build command ends the process when it is done (no interpreter teardown);
    its output is all there, flushed, and the status is 0, built or up to date."""
    import subprocess
    import sys

    corpus, out, _first = built
    (corpus / "notes.md").write_text("changed", encoding="utf-8")
    for expected in ("built", "up to date"):
        done = subprocess.run([sys.executable, *command, "--corpus", str(corpus), "--build-dir", str(out)],
                              capture_output=True, text=True, timeout=300, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert lines[0].startswith(expected) and lines[-1] == f"site: {out / 'site' / 'index.html'}"


def test_the_folders_digests_the_children_made_are_those_of_a_walk(tmp_path):
    """The build's record takes the digests of the folders its children wrote (kb.build._written):
    they must be what a walk of the finished folder gives, and a change deep inside shows."""
    from kb.unchanged import files_digest, folder_digests

    for rel in ("site/qa/a", "site/docs", "index", "state/site"):
        (tmp_path / rel).mkdir(parents=True, exist_ok=True)
        (tmp_path / rel / "f.txt").write_text(rel)
    known = folder_digests(tmp_path, ["site/qa", "index", "state/site", "missing"])
    assert set(known) == {"site/qa", "index", "state/site"}
    walked = files_digest(tmp_path)
    assert files_digest(tmp_path, known) == walked
    deep = tmp_path / "site" / "qa" / "a" / "f.txt"
    os.utime(deep, ns=(0, 0))
    assert files_digest(tmp_path) != walked
    assert files_digest(tmp_path, folder_digests(tmp_path, ["site/qa"])) == files_digest(tmp_path)
    (tmp_path / "site" / "qa" / "a" / "g.txt").write_text("")
    assert files_digest(tmp_path) != files_digest(tmp_path, known)


def test_a_build_records_the_digest_a_walk_of_its_folder_gives(built):
    import json

    from kb.unchanged import RECORD, files_digest

    _corpus, out, _first = built
    assert json.loads((out / RECORD).read_bytes())["files"] == files_digest(out)
