"""bench/synth.py: the synthetic corpus the benchmark rebuilds, and the volume it files under a 加算 no
other document names (the rebuild that must not compile the user dictionary again)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import synth  # noqa: E402


def test_a_volume_filed_under_a_new_name_loads_with_that_topic_and_only_it_names_it(tmp_path):
    from kb.search.inputs import load_inputs

    corpus = tmp_path / "corpus"
    synth.generate(corpus, 200)
    doc_id = synth.add_volume(corpus, 903)
    name = "試行903号連携推進加算"
    synth.file_under_new_name(corpus, doc_id, name)
    qas = load_inputs(corpus).corpus.qas
    named = [q for q in qas if name in q.topic]
    assert named and {q.doc_id for q in named} == {doc_id}
    assert len([q for q in qas if q.doc_id == doc_id]) == 100  # (no ruling lost to the edit)
