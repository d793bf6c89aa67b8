"""Synthetic scale corpus: the seed corpus plus N Q&As of realistic length built from its vocabulary.

    python bench/synth.py OUT_DIR --qas 10000 [--per-volume 100] [--seed 1]

Writes OUT_DIR/documents/ (the real documents copied in, so real queries still work, plus one
Q&A volume document per ``--per-volume`` Q&As) and copies services.toml, thesaurus.toml and
rules/. Volumes are numbered from 101 so their ids (r6-qa-vol101-q1 …) never collide with the
real Vol.1–16. Same --seed, same corpus, byte for byte.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import shutil
import tomllib
from pathlib import Path

SEED_CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SERIES = "令和６年度介護報酬改定に関するＱ＆Ａ"
FIRST_VOLUME = 101  # real volumes are 1–16
START = dt.date(2030, 1, 1)  # the first volume's date; one a week after it
SECTIONS = ["居住系サービス・施設系サービス", "施設系サービス", "居宅サービス", "通所系サービス",
            "訪問系サービス", "短期入所系サービス", "居宅介護支援", "全サービス共通", "地域密着型サービス"]
_KASAN = re.compile(r"[一-龥ァ-ヶー]{2,20}加算")
# a line must not start with something the Q&A segmenter reads as structure
_MARKER_START = re.compile(r"^[\s　]*(?:問|答|（答）|\(答\)|○|◯|【|［|[0-9０-９]+[.．、]|[（(][0-9０-９一-十]+[）)])")


class Vocabulary:
    """Sentences, service names and 加算 names taken from the seed corpus."""

    def __init__(self, corpus_dir: Path = SEED_CORPUS):
        texts = [p.read_text(encoding="utf-8") for p in sorted((corpus_dir / "documents").glob("*.txt"))]
        flat = [re.sub(r"[\s　]+", "", t) for t in texts]  # PDF text is hard-wrapped: join lines
        sentences = set()
        for t in flat:
            for s in t.split("。"):
                s = _MARKER_START.sub("", s).strip("・、 ")
                if 12 <= len(s) <= 110 and not re.search(r"[0-9０-９]{3,}|https?|[◆■□●]", s):
                    sentences.add(s + "。")
        self.sentences = sorted(sentences)
        self.services = sorted(self._service_names(corpus_dir))
        kasan = set(m.group(0) for t in flat for m in _KASAN.finditer(t))
        for p in sorted((corpus_dir / "rules").glob("*.toml")) if (corpus_dir / "rules").is_dir() else []:
            name = tomllib.loads(p.read_text(encoding="utf-8")).get("name", "")
            if name.endswith("加算"):
                kasan.add(name)
        self.kasan = sorted(k for k in kasan if len(k) >= 4)
        self.words = sorted(set(re.findall(r"[一-龥ァ-ヶー]{2,12}", "".join(self.sentences))) | set(self.kasan)
                            | set(self.services))

    @staticmethod
    def _service_names(corpus_dir: Path) -> set[str]:
        path = corpus_dir / "services.toml"
        if not path.exists():
            return {"介護老人福祉施設", "介護老人保健施設", "介護医療院", "認知症対応型共同生活介護"}
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return {s["name"] for s in data.get("service", [])}


def _fill(rng: random.Random, vocab: Vocabulary, lo: int, hi: int) -> str:
    """Sentences drawn at random until the text is between lo and hi characters."""
    target = rng.randint(lo, hi)
    out = ""
    while len(out) < target:
        s = rng.choice(vocab.sentences)
        if len(out) + len(s) > hi and len(out) >= lo:
            break
        out += s
    return out[:hi]


def question(rng: random.Random, vocab: Vocabulary) -> str:
    lead = f"{rng.choice(vocab.services)}における{rng.choice(vocab.kasan)}について、"
    body = _fill(rng, vocab, max(20, 60 - len(lead)), 170 - len(lead))
    return (lead + body).rstrip("。") + "と考えてよいか。"


def answer(rng: random.Random, vocab: Vocabulary) -> str:
    opening = rng.choice(["貴見のとおり。", "お見込みのとおり。", "差し支えない。", "そのとおりである。", ""])
    return opening + _fill(rng, vocab, 100 - len(opening), 500 - len(opening))


def volume_text(rng: random.Random, vocab: Vocabulary, volume: int, n: int) -> str:
    lines = [f"{SERIES}（Vol.{volume}）", ""]
    for q in range(1, n + 1):
        if q == 1 or rng.random() < 0.15:
            lines += [f"【{rng.choice(SECTIONS)}】", ""]
        if q == 1 or rng.random() < 0.4:
            lines += [f"○ {rng.choice(vocab.kasan + vocab.services)}について", ""]
        lines += [f"問{q} {question(rng, vocab)}", "（答）", answer(rng, vocab), ""]
    return "\n".join(lines)


def _copy_seed(seed: Path, out: Path) -> None:
    shutil.copytree(seed / "documents", out / "documents", dirs_exist_ok=True)
    for name in ("services.toml", "thesaurus.toml"):
        if (seed / name).exists():
            shutil.copy2(seed / name, out / name)
    if (seed / "rules").is_dir():
        shutil.copytree(seed / "rules", out / "rules", dirs_exist_ok=True)


def generate(out: Path, qas: int, *, per_volume: int = 100, seed: int = 1, seed_corpus: Path = SEED_CORPUS) -> int:
    """Write the synthetic corpus into ``out``; returns the number of volume documents written."""
    out = Path(out)
    _copy_seed(seed_corpus, out)
    vocab = Vocabulary(seed_corpus)
    rng = random.Random(seed)
    volumes = (qas + per_volume - 1) // per_volume
    for i in range(volumes):
        write_volume(out, rng, vocab, FIRST_VOLUME + i, min(per_volume, qas - i * per_volume), seed)
    return volumes


def write_volume(out: Path, rng: random.Random, vocab: Vocabulary, volume: int, n: int, seed: int) -> str:
    """One volume document of ``n`` Q&As (text + metadata) in ``out/documents``; returns its id."""
    doc_id = f"synth-r6-qa-vol{volume}"
    date = START + dt.timedelta(days=7 * (volume - FIRST_VOLUME))
    (out / "documents" / f"{doc_id}.txt").write_text(volume_text(rng, vocab, volume, n), encoding="utf-8")
    meta = (f'id = "{doc_id}"\ntitle = "{SERIES}（Vol.{volume}）"\nkind = "Q&A"\n'
            f'issuer = "厚生労働省"\ndate = {date.isoformat()}\nseries = "{SERIES}"\nvolume = {volume}\n'
            f'note = "synthetic benchmark volume (bench/synth.py, seed {seed})"\n')
    (out / "documents" / f"{doc_id}.toml").write_text(meta, encoding="utf-8")
    return doc_id


def add_volume(out: Path, volume: int, n: int = 100, seed: int = 1, seed_corpus: Path = SEED_CORPUS) -> str:
    """Add one more volume (the next release) to a corpus made by :func:`generate`."""
    return write_volume(Path(out), random.Random(f"{seed}-{volume}"), Vocabulary(seed_corpus), volume, n, seed)


def file_under_new_name(out: Path, doc_id: str, name: str) -> None:
    """File the first topic of a volume :func:`add_volume` wrote under ``name`` (a 加算 no other
    document names): what a real new volume often brings, unlike the generator's topics, which all
    come from the seeds."""
    path = Path(out) / "documents" / f"{doc_id}.txt"
    lines = path.read_text(encoding="utf-8").split("\n")
    first = next(i for i, line in enumerate(lines) if line.startswith("○ "))
    lines[first] = f"○ {name}について"
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--qas", type=int, default=10000)
    ap.add_argument("--per-volume", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--check", action="store_true", help="load the corpus afterwards and print its counts")
    args = ap.parse_args(argv)
    n = generate(args.out, args.qas, per_volume=args.per_volume, seed=args.seed)
    print(f"wrote {n} volume documents ({args.qas} Q&As) to {args.out / 'documents'}")
    if args.check:
        from kb.corpus.load import load_corpus

        c = load_corpus(args.out)
        print(f"loaded: {len(c.documents)} documents, {len(c.clauses)} clauses, {len(c.qas)} Q&As")


if __name__ == "__main__":
    main()
