import json

import click
from click.testing import CliRunner

from kb.cli import main


def walk(group, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from walk(cmd, prefix + (name,))


def test_every_command_has_help_with_an_example():
    names = [" ".join(p) for p, _ in walk(main)]
    for needed in ("search", "show", "qa", "build", "corpus check"):
        assert needed in names
    for path, cmd in walk(main):
        r = CliRunner().invoke(main, [*path, "--help"])
        assert r.exit_code == 0, path
        assert "Example:" in r.output, f"{' '.join(path)} --help has no Example: block"


def test_corpus_check_counts():
    r = CliRunner().invoke(main, ["corpus", "check", "--json"])
    assert r.exit_code == 0
    counts = json.loads(r.output)
    assert counts["kind"] == "corpus-check"
    assert counts["documents"] == 5 and counts["qas"] == 11
    assert counts["qas_per_volume"]["令和６年度介護報酬改定に関するＱ＆Ａ Vol.1"] == 4
    assert counts["qas_without_volume"] == 1


def test_qa_lists_a_volume_and_shows_one():
    r = CliRunner().invoke(main, ["qa", "Vol.1"])
    assert r.exit_code == 0 and "問127" in r.output and "問153" in r.output
    r = CliRunner().invoke(main, ["qa", "１", "問１２７", "--json"])
    out = json.loads(r.output)
    assert out["kind"] == "qas" and (out["volume"], out["number"]) == (1, 127)
    [rec] = out["qas"]
    for key in ("id", "series", "volume", "number", "date", "service", "topic", "question", "answer",
                "citation", "quoted_in", "date_printed", "reference"):
        assert key in rec
    assert rec["id"] == "r6-qa-vol1-q127" and rec["date"] == "2024-03-15"
    assert rec["date_printed"] == "令和６年３月15日" and rec["reference"] == "Vol.1 問127"
    assert rec["quoted_in"][0]["doc_id"] == "guide-kyoryoku-iryokikan-joho-teikyo"


def test_qa_errors_are_one_line():
    r = CliRunner().invoke(main, ["qa", "99"])
    assert r.exit_code == 1 and "Vol.99" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(main, ["qa", "abc"])
    assert r.exit_code == 2


def test_show_clause_and_qa(corpus):
    clause = next(c for c in corpus.clauses if c.label == "③" and "50 単位" in c.display)
    r = CliRunner().invoke(main, ["show", clause.id, "--json"])
    rec = json.loads(r.output)
    assert rec["kind"] == "clause" and rec["clause_kind"] == clause.kind
    assert rec["id"] == clause.id and rec["breadcrumb"] and rec["source"]["id"] == clause.doc_id
    r = CliRunner().invoke(main, ["show", "r6-qa-vol7-q1"])
    assert r.exit_code == 0 and "入所者全員について算定されるもの" in r.output
    r = CliRunner().invoke(main, ["show", "no-such-id"])
    assert r.exit_code == 1 and "no clause" in r.output


def test_two_runs_give_identical_ids_and_bytes():
    a = CliRunner().invoke(main, ["qa", "1", "--json"]).output
    b = CliRunner().invoke(main, ["qa", "1", "--json"]).output
    assert a == b


def test_every_json_output_is_one_object_with_a_kind(tmp_path):
    """README, *JSON output*: one object, `kind` first, the payload beside it."""
    runs = {
        ("corpus", "check"): "corpus-check", ("qa", "1"): "qas", ("qa", "1", "127"): "qas",
        ("show", "r6-qa-vol1-q127"): "qa", ("show", "kyoryoku-iryokikan-renkei-kasan"): "rule",
        ("rule", "協力医療機関連携加算"): "rule", ("rules",): "rules", ("rules", "--service", "特養"): "rules",
    }
    for args, kind in runs.items():
        r = CliRunner().invoke(main, [*args, "--json"])
        assert r.exit_code == 0, (args, r.output)
        data = json.loads(r.output)
        assert isinstance(data, dict) and next(iter(data)) == "kind" and data["kind"] == kind, (args, data)


def test_export_a_volume_and_a_service(tmp_path):
    import csv

    r = CliRunner().invoke(main, ["export", "--vol", "1"])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(r.output.splitlines()))
    assert [row["ID"] for row in rows] == ["r6-qa-vol1-q127", "r6-qa-vol1-q151", "r6-qa-vol1-q152", "r6-qa-vol1-q153"]
    assert rows[0]["日付"] == "令和６年３月15日" and rows[0]["回答"].startswith("職種は問わない")
    out = tmp_path / "gh.csv"
    r = CliRunner().invoke(main, ["export", "--service", "GH", "-o", str(out)])
    assert r.exit_code == 0 and out.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    kasan = next(row for row in rows if row["引用"] == "協力医療機関連携加算")
    assert "40単位/月" in kasan["単位数"] and "50単位" not in kasan["単位数"]  # GH's amounts only
    assert "（令和6年4月1日〜）" in kasan["単位数"]
    r = CliRunner().invoke(main, ["export", "--service", "特養", "--format", "json"])
    data = json.loads(r.output)
    assert data["kind"] == "export" and data["scope"] == "service" and data["service"] == "介護老人福祉施設"
    assert "r6-qa-vol1-q127" in [q["id"] for q in data["qas"]]  # linked through its rule, as on the site


def test_export_errors():
    assert CliRunner().invoke(main, ["export"]).exit_code == 2
    r = CliRunner().invoke(main, ["export", "--vol", "99"])
    assert r.exit_code == 1 and "Vol.99 is not in the corpus" in r.output
    r = CliRunner().invoke(main, ["export", "--service", "宇宙"])
    assert r.exit_code == 2 and "unknown service" in r.output


def test_the_lookups_end_their_process_with_all_their_output_and_no_teardown(index_build):
    """kb.cli.run: search, show and qa end the process once their output is flushed, without the
    interpreter's teardown (an exit handler never runs); the output is whole, the status 0. A lookup
    that fails ends as before (status 1, the handler runs)."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    def run(*args):
        code = ("import atexit, sys; atexit.register(lambda: sys.stderr.write('torn down'));"
                "from kb.cli import run; run(sys.argv[1:], prog_name='kaigo-kb')")
        return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120,
                              cwd=ROOT)

    for args, check in (
            (["search", "ショートステイ 算定", "--json", "--limit", "50", "--build-dir", str(index_build)],
             lambda out: json.loads(out)["count"] == 50),
            (["search", "協力医療機関", "--build-dir", str(index_build)], lambda out: "問127" in out),
            (["show", "r6-qa-vol1-q127", "--json"], lambda out: json.loads(out)["id"] == "r6-qa-vol1-q127"),
            (["qa", "1"], lambda out: "問153" in out)):
        done = run(*args)
        assert done.returncode == 0 and check(done.stdout), (args, done.stderr)
        assert "torn down" not in done.stderr, args
    failed = run("qa", "99")
    assert failed.returncode == 1 and "Vol.99" in failed.stderr and "torn down" in failed.stderr
