import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"
DEV_QUERIES = SHARED / "eval" / "dev_queries.tsv"
REAL_DEV_QUERIES = SHARED / "eval" / "real_dev_queries.tsv"
REAL_XLSX = SHARED / "real" / "qa-shu.xlsx"  # MHLW's text: read from ../shared, never committed
REAL_JSON = SHARED / "real" / "qa-shu.json"


@pytest.fixture(scope="session")
def corpus():
    from kb.corpus.load import load_corpus

    return load_corpus(CORPUS)


@pytest.fixture
def corpus_copy(tmp_path):
    """A writable copy of the real corpus."""
    dst = tmp_path / "corpus"
    shutil.copytree(CORPUS, dst)
    return dst


@pytest.fixture(scope="session")
def index_build(tmp_path_factory):
    """The real corpus built once (index only) for search tests."""
    from kb.build import build

    out = tmp_path_factory.mktemp("build") / "build"
    build(CORPUS, out, site=False)
    return out


@pytest.fixture(scope="session")
def real_build(tmp_path_factory):
    """A scratch copy of the corpus with ../shared/real/qa-shu.xlsx ingested, built (index
    and site): (corpus folder, build folder)."""
    if not REAL_XLSX.exists():
        pytest.skip("../shared/real not present")
    from kb.build import build
    from kb.ingest.workbook import ingest_workbook

    root = tmp_path_factory.mktemp("real")
    shutil.copytree(CORPUS, root / "corpus")
    ingest_workbook(REAL_XLSX, root / "corpus")
    build(root / "corpus", root / "build")
    return root / "corpus", root / "build"


@pytest.fixture(scope="session")
def real_corpus(real_build):
    from kb.corpus.load import load_corpus

    return load_corpus(real_build[0])


@pytest.fixture(scope="session")
def real_searcher(real_build):
    from kb.search.searcher import Searcher

    return Searcher(real_build[1] / "index")


@pytest.fixture(scope="session")
def searcher(index_build):
    from kb.search.searcher import Searcher

    return Searcher(index_build / "index")


@pytest.fixture(autouse=True)
def _isolated_analysis_config():
    """Building or opening an index points the analysis at its user dictionary (a
    process-wide setting); give every test the setting it started with."""
    from kb.search import analysis

    before = analysis._user_dic
    yield
    analysis.configure(before)
