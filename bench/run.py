"""Scale benchmark: build time and size, cold CLI query, warm query latency, browser search.

    python bench/run.py [--qas 10000] [--workbook-rows 3700] [--corpora seed,synthetic,workbook]
                        [--out bench/results.json] [--no-browser] [--work DIR]

Builds the seed corpus (corpus/), a synthetic corpus of --qas Q&As (bench/synth.py) and the
seeds with a synthetic --workbook-rows workbook ingested (bench/synth_workbook.py, from
../shared/real at run time: never committed) into a temporary directory (or --work DIR, kept
afterwards), then measures each. BENCHMARKS.md says what each number means and records a run.
"""
from __future__ import annotations

import argparse
import compileall
import datetime as dt
import gzip
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import fts5  # noqa: E402
import synth  # noqa: E402

REAL_DEV_QUERIES = ROOT.parent / "shared" / "eval" / "real_dev_queries.tsv"
OWN_REAL_QUERIES = ROOT / "tests" / "real_queries.tsv"

VENV_BIN = Path(sys.executable).parent
KAIGO_KB = VENV_BIN / "kaigo-kb"
DEV_QUERIES = ROOT.parent / "shared" / "eval" / "dev_queries.tsv"
CLI_QUERY = "ショートステイ 算定"
CLI_SENTENCE = "往診体制を常時確保していないと協力医療機関になれないか"  # a dev query (Sudachi reads it)
CLI_SERVICE = "特養"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PAYLOAD_FILES = ("search-index.js", "static/search.js", "static/results.js", "static/page.js")  # what index.html loads for search
SNIPPET_FILES = ("search-text.js",)  # unit texts for snippets, loaded beside the index; ranking never reads it

# The build runs in a child process so its peak RSS is its own, not this process's; the peak of
# the processes it starts (the Whoosh writer, analysis workers) is reported apart.
_BUILD_CHILD = """
import json, os, resource, sys, time
sys.path.insert(0, "bench")
from peak import peak_rss_mb
from kb.build import build
corpus, out, site = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
t = time.perf_counter()
counts = build(corpus, out, site=site, keep=True)  # as kaigo-kb build, which ends its process without freeing
print(json.dumps({"seconds": time.perf_counter() - t, "counts": counts, "peak_rss_mb": peak_rss_mb(),
                  "children_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
sys.stdout.flush()
os._exit(0)  # as kaigo-kb build ends its process (kb.cli.common.finish): no teardown of the build's objects
"""


def file_sizes(folder: Path, names: tuple[str, ...]) -> dict:
    """Raw and gzip -9 sizes of the files that exist, each and summed."""
    files = {}
    for name in names:
        p = folder / name
        if p.exists():
            raw = p.read_bytes()
            files[name] = {"raw": len(raw), "gzip9": len(gzip.compress(raw, compresslevel=9, mtime=0))}
    return {"files": files, "raw_bytes": sum(f["raw"] for f in files.values()),
            "gzip9_bytes": sum(f["gzip9"] for f in files.values())}


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0–100)."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))]


def summary(ms: list[float]) -> dict:
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 2), "p95_ms": round(pct(ms, 95), 2),
            "max_ms": round(max(ms), 2)}


def dev_queries(path: Path = DEV_QUERIES) -> list[str]:
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return [ln.split("\t")[1] for ln in lines if ln.strip()]


def workbook_queries() -> list[str]:
    """What people ask of the workbook: the real-row query sets (real_dev, ours)."""
    return dev_queries(REAL_DEV_QUERIES) + dev_queries(OWN_REAL_QUERIES)


# The ingest runs in a child process too: its time and peak are its own.
_INGEST_CHILD = """
import json, sys, time
sys.path.insert(0, "bench")
from peak import peak_rss_mb
from kb.ingest.workbook import ingest_workbook
t = time.perf_counter()
report = ingest_workbook(sys.argv[1], sys.argv[2])
print(json.dumps({"seconds": time.perf_counter() - t, "rows": report.rows, "rulings": report.rulings,
                  "peak_rss_mb": peak_rss_mb()}))
"""


def workbook_corpus(work: Path, rows: int, seed: int) -> tuple[Path, dict]:
    """The seeds with a synthetic workbook of ``rows`` rows ingested; (corpus, ingest figures)."""
    import shutil

    xlsx = work / "workbook.xlsx"
    t = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "bench" / "synth_workbook.py"), str(xlsx), "--rows", str(rows),
                    "--seed", str(seed)], check=True, capture_output=True, cwd=ROOT)
    generate = time.perf_counter() - t
    corpus = work / "corpus-workbook"
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.copytree(ROOT / "corpus", corpus)
    proc = subprocess.run([sys.executable, "-c", _INGEST_CHILD, str(xlsx), str(corpus)], capture_output=True,
                          text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"ingest of {xlsx} failed: {proc.stderr[-800:]}")
    ingest = json.loads(proc.stdout.strip().splitlines()[-1])
    ingest.update(seconds=round(ingest["seconds"], 2), peak_rss_mb=round(ingest["peak_rss_mb"], 1),
                  generate_seconds=round(generate, 2), workbook_bytes=xlsx.stat().st_size)
    return corpus, ingest


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# ------------------------------------------------------------------------------------ build

def build(corpus: Path, out: Path, cache: Path | None = None) -> dict:
    """Build with the site; if the site step fails, fall back to index only and say why.
    ``cache``: the build cache folder ($KAIGO_KB_CACHE) the child uses."""
    res = {"site_error": None}
    env = {**_env(), "KAIGO_KB_CACHE": str(cache)} if cache else None
    for site in (True, False):
        settled(cache)
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", _BUILD_CHILD, str(corpus), str(out), "1" if site else "0"],
                              capture_output=True, text=True, cwd=ROOT, env=env)
        res["process_seconds"] = round(time.perf_counter() - started, 2)  # what `kaigo-kb build` makes a user wait
        if proc.returncode == 0:
            res.update(json.loads(proc.stdout.strip().splitlines()[-1]))
            res["site"] = site
            break
        err = (proc.stderr.strip().splitlines() or ["?"])[-1]
        if not site:
            raise SystemExit(f"build of {corpus} failed: {proc.stderr}")
        res["site_error"] = err
    res["seconds"] = round(res["seconds"], 2)
    res["peak_rss_mb"] = round(res["peak_rss_mb"], 1)
    res["children_peak_rss_mb"] = round(res["children_peak_rss_mb"], 1)
    res["index_bytes"] = tree_size(out / "index")
    if res["site"]:
        site = out / "site"
        res["payload"] = file_sizes(site, PAYLOAD_FILES)
        res["snippet_text"] = file_sizes(site, SNIPPET_FILES)
        res["site_bytes"] = tree_size(site)
    return res


def settled(cache: Path | None) -> None:
    """Wait until no process writes the cache: the previous build's caches are written after it
    returns (kb.processes.detached). A user's next build comes minutes later; one timed right after
    would wait for that writer (or share the cores with it), which no user does."""
    from kb.locations import cache_dir, cache_settled

    with cache_settled(cache if cache is not None else cache_dir()):  # (the build's own wait, done first)
        pass


def fs_probe(folder: Path, files: int = 500, batch: int = 50, first: int = 0) -> float:
    """Microseconds to create a small file in ``folder`` now (median of batches of ``batch``), the
    files numbered from ``first``: the state of the file system a build is about to write ~20,000
    files into. The files stay until the benchmark ends (removed, they would slow what follows)."""
    folder.mkdir(parents=True, exist_ok=True)
    per_file = []
    for start in range(first, first + files, batch):
        t = time.perf_counter()
        for n in range(start, start + batch):
            (folder / f"probe-{n}.html").write_bytes(b"x" * 4096)
        per_file.append((time.perf_counter() - t) / batch * 1e6)
    return round(statistics.median(per_file), 1)


FS_SETTLED_US = 80  # a new file in fewer microseconds than this: the disk has settled
FS_WAIT = 420  # seconds a clean build waits for it at most


def settle_fs(folder: Path, limit: float = FS_SETTLED_US, most: float = FS_WAIT) -> tuple[float, float]:
    """Wait until creating a file takes under ``limit`` µs (at most ``most`` seconds); return (seconds
    waited, the last probe's µs). On this machine's ext4, mounted without a journal, a new file's
    inode skips every inode freed in the last one to six minutes: for minutes after many files were
    deleted (another benchmark's folder removed, a build folder swept) a file costs 0.3-1 ms instead of
    ~0.03, and a clean build writes ~17,000 pages: 3-5 s more than on a settled disk, and more than on
    a disk with a journal, which never waits so. The clean builds are timed on a settled disk; the
    wait and the probe are reported beside them."""
    started, first = time.perf_counter(), 0
    while True:
        probed = fs_probe(folder, first=first)
        first += 500
        waited = time.perf_counter() - started
        if probed < limit or waited >= most:
            return round(waited, 1), probed
        print(f"  (creating a file takes {probed:.0f} µs: waiting for the disk to settle)", file=sys.stderr, flush=True)
        time.sleep(15)


def fresh_cache(work: Path) -> Path:
    """A build cache with nothing in it but the compiled user dictionaries (shared with the
    normal cache: compiling one is a one-time step of several seconds, not a build's work)."""
    import shutil

    from kb.locations import cache_dir

    cache = work / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True)
    shared = cache_dir()
    if shared is not None:
        (shared / "userdic").mkdir(parents=True, exist_ok=True)
        (cache / "userdic").symlink_to(shared / "userdic")
    return cache


REBUILDS = 3  # runs of each rebuild kind; medians reported


def rebuilds(corpus: Path, out: Path, cache: Path, seed: int, runs: int = REBUILDS) -> dict:
    """Build again with the cache and the build the first build left: ``runs`` times with nothing
    changed, then ``runs`` times after adding one more 100-Q&A volume each (bench/synth.py's
    generator, the next volume number), then ``runs`` times after adding one whose first topic names
    a 加算 no document named before. Medians, and every run."""
    keep = ("seconds", "process_seconds", "peak_rss_mb", "children_peak_rss_mb", "counts")

    def median_of(results: list[dict]) -> dict:
        out = {k: statistics.median(r[k] for r in results) for k in keep if k != "counts"}
        return {**out, "counts": results[-1]["counts"], "runs": [r["seconds"] for r in results],
                "process_runs": [r["process_seconds"] for r in results]}

    def add(named: bool) -> str:
        volume = max(int(p.stem.rpartition("vol")[2]) for p in (corpus / "documents").glob("synth-r6-qa-vol*.toml")) + 1
        doc_id = synth.add_volume(corpus, volume, 100, seed)
        if named:  # a 加算 no document named before (the analysis is kept per user dictionary: it must not change)
            synth.file_under_new_name(corpus, doc_id, f"試行{volume}号連携推進加算")
        return doc_id

    same = [build(corpus, out, cache) for _ in range(runs)]
    result = {"unchanged": median_of(same)}
    for kind, named in (("added_volume", False), ("added_volume_new_name", True)):
        doc_ids, added = [], []
        for _ in range(runs):
            doc_ids.append(add(named))
            added.append(build(corpus, out, cache))
        result[kind] = {"doc_ids": doc_ids, **median_of(added)}
    return result


# ------------------------------------------------------------------------------------ FTS5 baseline

def fts5_baseline(corpus: Path, out: Path, queries: list[str], cache: Path) -> dict:
    """SQLite FTS5 over the same units and Sudachi terms (bench/fts5.py): index time in a fresh
    process, then warm queries as :func:`warm` times kaigo-kb's."""
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "fts5.py"), "index", str(corpus), str(out)],
                          capture_output=True, text=True, cwd=ROOT, env={**_env(), "KAIGO_KB_CACHE": str(cache)})
    if proc.returncode != 0:
        raise SystemExit(f"FTS5 baseline on {corpus} failed: {proc.stderr[-800:]}")
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res["warm"] = summary(timed(fts5.Searcher(out), queries))
    return res


def ratios(r: dict) -> dict:
    """kaigo-kb over the FTS5 baseline, measured in this run (below 1: kaigo-kb is faster)."""
    out = {"build_fts5_ratio": round(r["build"]["seconds"] / r["fts5"]["index_seconds"], 2),
           "warm_p95_fts5_ratio": round(r["warm"]["p95_ms"] / r["fts5"]["warm"]["p95_ms"], 2)}
    if "rebuild" in r:
        out["rebuild_unchanged_fts5_ratio"] = round(r["rebuild"]["unchanged"]["seconds"] / r["fts5"]["index_seconds"], 2)
    return out


# ------------------------------------------------------------------------------------ CLI

def wall(cmd: list[str], runs: int) -> list[float]:
    subprocess.run(cmd, capture_output=True, env=_env())  # warm the page cache; not counted
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, env=_env())
        times.append((time.perf_counter() - t) * 1000)
        if proc.returncode != 0:
            raise SystemExit(f"{cmd} exited {proc.returncode}: {proc.stderr.decode()[-500:]}")
    return times


def _env() -> dict:
    return {k: v for k, v in os.environ.items() if k != "KAIGO_KB_BUILD"}


def cold_cli(build_dir: Path, runs: int) -> dict:
    """The target's query, and two that take the slower paths: a sentence (its words are not all
    in the build's vocabulary: Sudachi is loaded) and a filter (Whoosh is opened)."""
    search = [str(KAIGO_KB), "search", "--json", "--build-dir", str(build_dir)]
    bare = wall([sys.executable, "-c", "pass"], runs)
    cli = wall([*search, CLI_QUERY], runs)
    out = {"query": CLI_QUERY, "cli": summary(cli), "bare_python": summary(bare),
           "cli_minus_bare_ms": round(statistics.median(cli) - statistics.median(bare), 1)}
    for name, args in (("sentence", [CLI_SENTENCE]), ("filter", [CLI_QUERY, "--service", CLI_SERVICE])):
        ms = wall([*search, *args], runs)
        out[name] = {"args": args, "cli": summary(ms), "cli_minus_bare_ms": round(statistics.median(ms) - statistics.median(bare), 1)}
    return out


# ------------------------------------------------------------------------------------ warm

def warm_queries(vocab: synth.Vocabulary, n: int, seed: int, first: list[str] | None = None) -> list[str]:
    rng = random.Random(seed)
    qs = list(first) if first is not None else dev_queries()
    while len(qs) < n:
        qs.append(" ".join(rng.choice(vocab.words) for _ in range(rng.randint(2, 3))))
    return qs


def timed(searcher, queries: list[str]) -> list[float]:
    """Milliseconds of ``searcher.search(q, limit=10)`` for each query, after five warm-up
    queries (open readers, fill caches); closes the searcher."""
    try:
        for q in queries[:5]:
            searcher.search(q, limit=10)
        times = []
        for q in queries:
            t = time.perf_counter()
            searcher.search(q, limit=10)
            times.append((time.perf_counter() - t) * 1000)
    finally:
        searcher.close()
    return times


def warm(build_dir: Path, queries: list[str], n_set: int | None = None) -> dict:
    from kb.search.searcher import Searcher

    times = timed(Searcher(build_dir / "index"), queries)
    n_dev = len(dev_queries()) if n_set is None else n_set
    return {**summary(times), "dev": summary(times[:n_dev]), "random": summary(times[n_dev:])}


# ------------------------------------------------------------------------------------ browser

_KEYSTROKES_JS = """(queries) => {
  const times = [];
  for (const q of queries) {
    const chars = Array.from(q);
    for (let i = 1; i <= chars.length; i++) {
      const prefix = chars.slice(0, i).join("");
      const t = performance.now();
      window.kaigoSearch(prefix, 10);
      times.push(performance.now() - t);
    }
  }
  return times;
}"""


def browser(site_dirs: dict[str, Path], queries: dict[str, list[str]]) -> dict:
    from playwright.sync_api import sync_playwright

    out = {}
    pw = sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for label, site in site_dirs.items():
            page = b.new_page()
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            t = time.perf_counter()
            page.goto((site / "index.html").as_uri())
            page.wait_for_function("typeof window.kaigoSearch === 'function'", timeout=120_000)
            load_ms = (time.perf_counter() - t) * 1000
            first = page.evaluate("() => { const t = performance.now(); window.kaigoSearch('協力医療機関', 10);"
                                  " return performance.now() - t; }")
            times = page.evaluate(_KEYSTROKES_JS, queries[label])
            out[label] = {"page_load_ms": round(load_ms, 1), "first_query_ms": round(first, 2),
                          "keystroke": summary(times), "page_errors": errors}
            page.close()
        b.close()
    finally:
        pw.stop()
    return out


# ------------------------------------------------------------------------------------ report

def machine() -> dict:
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
        except OSError:
            return ""

    return {"nproc": os.cpu_count(), "cpu": sh("lscpu | grep 'Model name' | sed 's/.*: *//'"),
            "memory": sh("free -h | awk '/Mem:/ {print $2}'"), "python": platform.python_version(),
            "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def table(r: dict) -> str:
    labels = [k for k in ("seed", "synthetic", "workbook") if r.get(k)]
    heads = {"seed": "seed", "synthetic": f"synthetic ({r['qas']} Q&As)",
             "workbook": f"seeds + workbook ({r.get('workbook_rows')} rows)"}
    rows = [("", *(heads[k] for k in labels))]

    def each(label, f):
        vals = []
        for key in labels:
            try:
                vals.append(f(r[key]))
            except (KeyError, TypeError):
                vals.append("–")
        rows.append((label, *vals))

    each("ingest time (s) / peak RSS (MB)", lambda x: f"{x['ingest']['seconds']} / {x['ingest']['peak_rss_mb']}")
    each("units indexed", lambda x: str(x["build"]["counts"]["units"]))
    each("Q&As", lambda x: str(x["build"]["counts"]["qas"]))
    each("build time (s, with site; empty cache)", lambda x: f"{x['build']['seconds']}")
    each("FTS5 baseline: prep / index time (s)", lambda x: f"{x['fts5']['prep_seconds']} / {x['fts5']['index_seconds']}")
    each("build / FTS5 index time", lambda x: f"{x['ratios']['build_fts5_ratio']}")
    each("  a file created just before it (µs) / waited for that (s)",
         lambda x: f"{x['build']['fs_create_us']} / {x['build']['fs_wait_seconds']}")
    each("rebuild, nothing changed (s)", lambda x: f"{x['rebuild']['unchanged']['seconds']}")
    each("rebuild, one volume added (s)", lambda x: f"{x['rebuild']['added_volume']['seconds']}")
    each("  one naming a new 加算 (s) / children peak (MB)", lambda x: f"{x['rebuild']['added_volume_new_name']['seconds']}"
         f" / {x['rebuild']['added_volume_new_name']['children_peak_rss_mb']}")
    each("build peak RSS (MB): build / its children", lambda x: f"{x['build']['peak_rss_mb']} / "
         f"{x['build']['children_peak_rss_mb']}")
    each("FTS5 baseline peak RSS (MB)", lambda x: f"{x['fts5']['peak_rss_mb']}")
    each("index size (MB)", lambda x: f"{x['build']['index_bytes'] / 1e6:.2f}")
    each("browser payload raw (MB)", lambda x: f"{x['build']['payload']['raw_bytes'] / 1e6:.2f}")
    each("browser payload gzip -9 (MB)", lambda x: f"{x['build']['payload']['gzip9_bytes'] / 1e6:.2f}")
    each("snippet text raw / gzip -9 (MB)", lambda x: f"{x['build']['snippet_text']['raw_bytes'] / 1e6:.2f}"
         f" / {x['build']['snippet_text']['gzip9_bytes'] / 1e6:.2f}")
    each("site size (MB)", lambda x: f"{x['build']['site_bytes'] / 1e6:.1f}")
    each("cold CLI median (ms)", lambda x: f"{x['cold']['cli']['median_ms']:.0f}")
    each("bare python median (ms)", lambda x: f"{x['cold']['bare_python']['median_ms']:.0f}")
    each("cold CLI − bare python (ms)", lambda x: f"{x['cold']['cli_minus_bare_ms']:.0f}")
    each("  a sentence (Sudachi) / with --service (Whoosh)", lambda x: f"{x['cold']['sentence']['cli_minus_bare_ms']:.0f}"
         f" / {x['cold']['filter']['cli_minus_bare_ms']:.0f}")
    each("warm p50 / p95 (ms)", lambda x: f"{x['warm']['median_ms']} / {x['warm']['p95_ms']}")
    each("  query-set queries only", lambda x: f"{x['warm']['dev']['median_ms']} / {x['warm']['dev']['p95_ms']}")
    each("  random 2–3 words only", lambda x: f"{x['warm']['random']['median_ms']} / {x['warm']['random']['p95_ms']}")
    each("FTS5 baseline warm p50 / p95 (ms)", lambda x: f"{x['fts5']['warm']['median_ms']} / {x['fts5']['warm']['p95_ms']}")
    each("warm p95 / FTS5 warm p95", lambda x: f"{x['ratios']['warm_p95_fts5_ratio']}")
    each("browser page load (ms)", lambda x: f"{x['browser']['page_load_ms']:.0f}")
    each("browser keystroke median / p95 (ms)",
         lambda x: f"{x['browser']['keystroke']['median_ms']} / {x['browser']['keystroke']['p95_ms']}")
    w = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join([f"{row[0]:<{w[0]}}", *(f"{c:>{w[i + 1]}}" for i, c in enumerate(row[1:]))])
                     for row in rows)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qas", type=int, default=10000)
    ap.add_argument("--workbook-rows", type=int, default=3700)
    ap.add_argument("--corpora", default="seed,synthetic,workbook",
                    help="which to measure: seed, synthetic (--qas Q&As), workbook (seeds + --workbook-rows rows)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=7, help="runs per cold measurement (median)")
    ap.add_argument("--warm-queries", type=int, default=200)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    ap.add_argument("--work", type=Path, default=None, help="work directory to keep (default: a temp dir)")
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args(argv)

    compileall.compile_dir(ROOT / "kb", quiet=1)  # as scripts/setup.sh: no run compiles kb's modules again
    tmp = None if args.work else tempfile.TemporaryDirectory(prefix="kaigo-bench-")
    work = args.work or Path(tmp.name)
    work.mkdir(parents=True, exist_ok=True)
    corpora = [c.strip() for c in args.corpora.split(",") if c.strip()]
    vocab = synth.Vocabulary()
    result = {"qas": args.qas, "workbook_rows": args.workbook_rows, "machine": machine()}
    builds: dict[str, tuple[Path, Path]] = {}
    sets: dict[str, list[str]] = {}
    if "seed" in corpora:
        result["seed"] = {}
        builds["seed"] = (ROOT / "corpus", work / "build-seed")
        sets["seed"] = dev_queries()
    if "synthetic" in corpora:
        t = time.perf_counter()
        synth_dir = work / "corpus"
        synth.generate(synth_dir, args.qas, seed=args.seed)
        result["synthetic"] = {"generate_seconds": round(time.perf_counter() - t, 2)}
        builds["synthetic"] = (synth_dir, work / "build-synth")
        sets["synthetic"] = dev_queries()
    if "workbook" in corpora:
        print("[workbook] generate and ingest …", file=sys.stderr, flush=True)
        corpus, ingest = workbook_corpus(work, args.workbook_rows, args.seed)
        result["workbook"] = {"ingest": ingest}
        builds["workbook"] = (corpus, work / "build-workbook")
        sets["workbook"] = workbook_queries()
    for label, (corpus, out) in builds.items():
        print(f"[{label}] build …", file=sys.stderr, flush=True)
        cache = fresh_cache(work)
        waited, probed = settle_fs(work / f"fs-probe-{label}")
        result[label]["build"] = {**build(corpus, out, cache), "fs_create_us": probed, "fs_wait_seconds": waited}
        print(f"[{label}] cold CLI …", file=sys.stderr, flush=True)
        result[label]["cold"] = cold_cli(out, args.runs)
        print(f"[{label}] warm queries …", file=sys.stderr, flush=True)
        queries = warm_queries(vocab, max(args.warm_queries, len(sets[label]) + 50), args.seed, sets[label])
        result[label]["warm"] = warm(out, queries, len(sets[label]))
        print(f"[{label}] FTS5 baseline …", file=sys.stderr, flush=True)
        result[label]["fts5"] = fts5_baseline(corpus, work / f"fts5-{label}", queries, cache)
        if label == "synthetic":
            print(f"[{label}] rebuilds …", file=sys.stderr, flush=True)
            result[label]["rebuild"] = rebuilds(corpus, out, cache, args.seed)
        result[label]["ratios"] = ratios(result[label])
    sites = {k: builds[k][1] / "site" for k in builds if result[k]["build"]["site"]}
    if args.no_browser or not sites or not CHROMIUM.exists():
        result["browser_skipped"] = "--no-browser" if args.no_browser else "no site built or no /usr/bin/chromium"
    else:
        print("[browser] keystrokes …", file=sys.stderr, flush=True)
        for label, res in browser(sites, sets).items():
            result[label]["browser"] = res
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(table(result))
    print(f"\nwrote {args.out}")
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
