"""A rebuild after one added volume (or, with ``--clean``, a clean build), timed for two versions of
kaigo-kb in alternation.

This machine is shared: the same rebuild takes 5 s one hour and 9 s the next. Two versions measured
an hour apart tell nothing; measured in turns, each pair a few seconds apart, their ratio holds.

    git worktree add /tmp/kb-old <commit>
    .venv/bin/python bench/ab_rebuild.py /tmp/kb-old . --qas 10000 --pairs 5

Each tree runs with PYTHONPATH pointing at it (this venv's packages), on its own copy of the
synthetic corpus (bench/synth.py), its own build folder and its own cache ($KAIGO_KB_CACHE): a clean
build, a build with nothing changed, then that build kept (hard links). A pair: the kept build put
back, the previous pair's volume removed, volume 900 + n added (the same for both trees), `build()`
timed in a fresh process. The order alternates between pairs; a first pair is not recorded. Printed:
every run, the medians of the wall time and of the CPU (user + system, the build's processes
together), and new / old.

``--clean``: each run a clean build of the synthetic corpus into a new folder with an empty cache (but
the compiled user dictionary, as bench/run.py's build). No run's files are removed until the end:
on this machine's file system (ext4 without a journal) creating a file right after many were deleted
costs up to ten times more (the inode allocator steps over each recently freed inode), which would
slow whichever tree ran after a removal.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import synth  # noqa: E402

# as `kaigo-kb build` runs it: its objects left alive where the tree's build can (keep=True, as its command
# line asks) and the process ended without the interpreter's teardown (kb.cli.common.finish)
BUILD = ("import inspect, os, sys; from kb.build import build; "
         "build(sys.argv[1], sys.argv[2], **({'keep': True} if 'keep' in inspect.signature(build).parameters else {})); "
         "sys.stdout.flush(); os._exit(0)")


def run_build(tree: Path, place: Path, corpus: Path | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children) of one build of ``corpus``
    (default: the place's) into ``place / "build"``, with the cache ``place / "cache"``."""
    env = {**os.environ, "PYTHONPATH": str(tree), "KAIGO_KB_CACHE": str(place / "cache")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", BUILD, str(corpus or place / "corpus"), str(place / "build")], env=env,
                   check=True, cwd=tree, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def compiled(tree: Path) -> None:
    """The tree's bytecode written, as scripts/setup.sh does (with PYTHONDONTWRITEBYTECODE set, a
    tree never run with it compiles its modules in every run: the two would not compare)."""
    import compileall

    compileall.compile_dir(tree / "kb", quiet=1)


def prepare(tree: Path, place: Path, corpus: Path) -> None:
    shutil.copytree(corpus, place / "corpus")
    (place / "cache").mkdir()
    run_build(tree, place)  # clean
    run_build(tree, place)  # nothing changed: the state a rebuild starts from
    shutil.copytree(place / "build", place / "kept", copy_function=os.link)


def trial(tree: Path, place: Path, volume: int, previous: int | None, seed: int) -> tuple[float, float]:
    for p in place.glob(".build.*"):
        shutil.rmtree(p, ignore_errors=True)
    shutil.rmtree(place / "build")
    shutil.copytree(place / "kept", place / "build", copy_function=os.link)
    if previous is not None:
        for p in (place / "corpus" / "documents").glob(f"synth-r6-qa-vol{previous}.*"):
            p.unlink()
    synth.add_volume(place / "corpus", volume, 100, seed)
    return run_build(tree, place)


def clean_trial(tree: Path, place: Path, corpus: Path) -> tuple[float, float]:
    """A clean build into the new folder ``place``, its cache empty but for the user dictionaries."""
    from kb.locations import cache_dir

    (place / "cache").mkdir(parents=True)
    shared = cache_dir()
    if shared is not None:
        (shared / "userdic").mkdir(parents=True, exist_ok=True)
        (place / "cache" / "userdic").symlink_to(shared / "userdic")
    return run_build(tree, place, corpus)


def main(argv=None) -> None:
    from kb.locations import cache_settled

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    ap.add_argument("--qas", type=int, default=10000)
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--clean", action="store_true", help="time clean builds instead of rebuilds")
    ap.add_argument("--work", type=Path, help="keep corpora and builds here (default: a temporary folder)")
    ap.add_argument("--out", type=Path, help="write the runs and medians as JSON")
    args = ap.parse_args(argv)
    trees = {"old": args.old.resolve(), "new": args.new.resolve()}
    for name, tree in trees.items():
        if not (tree / "kb" / "build.py").is_file():
            raise SystemExit(f"{tree} is not a kaigo-kb tree (no kb/build.py): pass a checkout, e.g. a git worktree")
        compiled(tree)
    work = args.work or Path(tempfile.mkdtemp(prefix="kaigo-kb-ab-"))
    try:
        corpus = work / "corpus"
        shutil.rmtree(corpus, ignore_errors=True)
        synth.generate(corpus, args.qas, per_volume=100, seed=args.seed)
        for name, tree in trees.items():
            shutil.rmtree(work / name, ignore_errors=True)
            if not args.clean:
                print(f"[{name}] clean build and a build with nothing changed …", file=sys.stderr, flush=True)
                prepare(tree, work / name, corpus)
        runs: dict[str, list] = {"old": [], "new": []}
        for n in range(args.pairs + 1):  # the first pair unrecorded: a tree's first rebuild may compile
            order = ["old", "new"] if n % 2 == 0 else ["new", "old"]  # a user dictionary
            for name in order:
                for folder in work.glob("**/cache"):  # no build's caches still being written (run.settled)
                    with cache_settled(folder):
                        pass
                if args.clean:
                    wall, cpu = clean_trial(trees[name], work / name / f"run-{n}", corpus)
                else:
                    wall, cpu = trial(trees[name], work / name, 900 + n, 900 + n - 1 if n else None, args.seed)
                if n:
                    runs[name].append({"seconds": round(wall, 2), "cpu": round(cpu, 2)})
                print(f"pair {n}{' (warm-up)' if not n else ''} {name}: {wall:.2f} s, CPU {cpu:.2f} s",
                      file=sys.stderr, flush=True)
        med = {name: {k: statistics.median(r[k] for r in rs) for k in ("seconds", "cpu")} for name, rs in runs.items()}
        out = {"qas": args.qas, "pairs": args.pairs, "clean": args.clean,
               "trees": {k: str(v) for k, v in trees.items()}, "runs": runs,
               "median": med, "new_over_old": {k: round(med["new"][k] / med["old"][k], 2) for k in ("seconds", "cpu")}}
        print(json.dumps(out, indent=2))
        if args.out:
            args.out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
