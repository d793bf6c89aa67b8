import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
CHROMIUM = Path("/usr/bin/chromium")  # Debian's; playwright's own browser downloads are never used
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"]
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


# --------------------------------------------------------------------------- browser tests


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """Index and site of the real corpus, built once per session as `kaigo-kb build` does."""
    from kb.build import build

    out = tmp_path_factory.mktemp("browser") / "build"
    build(CORPUS, out)
    return out


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("headless browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield b
        b.close()


def watched(pg):
    """A page that records console errors, uncaught exceptions and every request."""
    pg.errors = []
    pg.requests = []
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("request", lambda r: pg.requests.append(r.url))
    return pg


@pytest.fixture
def page(browser):
    ctx = browser.new_context()
    yield watched(ctx.new_page())
    ctx.close()
