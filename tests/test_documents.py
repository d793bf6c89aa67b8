import pytest
from click.testing import CliRunner

from kb.cli import main
from kb.corpus.documents import load_documents
from kb.sources.files import DataError
from tests.conftest import CORPUS


def test_real_corpus_has_the_five_seeds_with_metadata():
    docs = {d.id: d for d in load_documents(CORPUS)}
    assert len(docs) == 5
    seeds = sorted(d.source_file for d in docs.values())
    assert seeds[0].startswith("000_") and seeds[-1].startswith("004_")
    jma = docs["jma-2025-09-05-r6-kaigo-qa-vol16"]
    assert (jma.date, jma.volume, jma.kind) == ("2025-09-05", 16, "団体通知")
    guide = docs["guide-kyoryoku-iryokikan-joho-teikyo"]
    assert guide.date == "" and guide.issuer == ""  # not stated: left empty, never invented


def test_texts_are_untouched_copies_of_the_seeds():
    seeds = CORPUS.parent.parent / "shared" / "seeds"
    if not seeds.is_dir():
        pytest.skip("../shared/seeds not present")
    for d in load_documents(CORPUS):
        assert d.text == (seeds / d.source_file).read_text(encoding="utf-8")


def _bad(corpus_copy, name, edit):
    meta = next((corpus_copy / "documents").glob("r6-jimu-*.toml"))
    text = meta.read_text(encoding="utf-8")
    meta.write_text(edit(text), encoding="utf-8")
    return meta


@pytest.mark.parametrize("edit, field", [
    (lambda t: t.replace('kind = "事務連絡"\n', ""), "kind"),
    (lambda t: t.replace("date = 2024-07-05", 'date = "2024-13-45"'), "date"),
    (lambda t: t.replace('kind = "事務連絡"', 'kind = "メモ"'), "kind"),
    (lambda t: t + "\nvolume = 0\n", "volume"),
    (lambda t: t + "\ncolour = 1\n", "colour"),
    (lambda t: t.replace('id = "r6-jimu-2024-07-05-shisetsu-iryo-renkei"', 'id = "Other Id"'), "id"),
])
def test_bad_metadata_names_file_and_field(corpus_copy, edit, field):
    meta = _bad(corpus_copy, "", edit)
    with pytest.raises(DataError) as e:
        load_documents(corpus_copy)
    assert e.value.path.endswith(meta.name) and e.value.field == field
    r = CliRunner().invoke(main, ["corpus", "check", "--corpus", str(corpus_copy)])
    assert r.exit_code == 1
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and meta.name in lines[0] and f"'{field}'" in lines[0]
    assert "Traceback" not in r.output


def test_toml_syntax_error_is_reported(corpus_copy):
    _bad(corpus_copy, "", lambda t: t + "\nthis is not toml\n")
    r = CliRunner().invoke(main, ["corpus", "check", "--corpus", str(corpus_copy)])
    assert r.exit_code == 1 and "TOML syntax error" in r.output


def test_cp932_text_is_detected(corpus_copy):
    txt = next((corpus_copy / "documents").glob("r6-jimu-*.txt"))
    txt.write_bytes("事務連絡 令和6年7月5日".encode("cp932"))
    r = CliRunner().invoke(main, ["corpus", "check", "--corpus", str(corpus_copy)])
    assert r.exit_code == 1 and "CP932/Shift_JIS" in r.output and txt.name in r.output


def test_text_without_metadata_and_missing_text(corpus_copy):
    (corpus_copy / "documents" / "stray.txt").write_text("x", encoding="utf-8")
    with pytest.raises(DataError, match="without metadata"):
        load_documents(corpus_copy)
    (corpus_copy / "documents" / "stray.txt").unlink()
    next((corpus_copy / "documents").glob("r6-jimu-*.txt")).unlink()
    with pytest.raises(DataError, match="text file missing"):
        load_documents(corpus_copy)
