"""`zoo eval` on a translation model: every pair of --data scored, --split, --beam."""
import json

import pytest
import sacrebleu
from click.testing import CliRunner

from zoo_core import create_model
from zoo_core.cli import main
from zoo_core.plugin import Vocab
from zoo_seq2seq.data import read_pairs, split_bucket
from zoo_seq2seq.synthetic import write_number_pairs
from zoo_seq2seq.translate import translate


@pytest.fixture
def model_and_data(zoo_home, tmp_path):
    data = write_number_pairs(tmp_path, n=120, largest=999)
    pairs = read_pairs(str(data))
    words = sorted({w for p in pairs for w in p.source.split()})
    targets = sorted({w for p in pairs for w in p.target.split()})
    model = create_model("gru-attn-seq2seq", vocabs={"tokens": Vocab(["<pad>", "<unk>", *words]),
                                                     "target": Vocab(["<pad>", "<unk>", "<s>", "</s>", *targets])},
                         embedding__dim=8, encoder__hidden_size=8, head__hidden_size=8, head__embedding_dim=8,
                         head__attention_dim=8, data__max_words=2)
    model.save("numbers")
    return model, data, pairs


def evaluate(*args):
    result = CliRunner().invoke(main, ["eval", "numbers", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_every_pair_is_scored_long_ones_too(model_and_data):
    model, data, pairs = model_and_data
    assert any(len(p.source.split()) > 2 for p in pairs)  # data.max_words filters training only
    report = evaluate("--data", str(data))
    assert (report["examples"], report["split"], report["decoding"]) == (len(pairs), "all", "greedy")
    test = evaluate("--data", str(data), "--split", "test")
    assert test["examples"] == sum(split_bucket(p.source) == 0 for p in pairs)


def test_beam_scores_the_beam_translations(model_and_data):
    model, data, pairs = model_and_data
    report = evaluate("--data", str(data), "--beam", "3")
    hypotheses = translate(model, [p.source for p in pairs], beam=3)
    expected = sacrebleu.corpus_bleu(hypotheses, [[p.target for p in pairs]]).score
    assert report["decoding"] == "beam 3" and report["bleu"] == pytest.approx(expected)
