"""End to end on the embedded number task: train a tiny model, translate with `zoo run`, bad input."""
import json

import pytest
from click.testing import CliRunner

from zoo_core import create_model, train
from zoo_core.cli import main
from zoo_core.plugin import Vocab, ZooError
from zoo_seq2seq.synthetic import number_words, write_number_pairs
from zoo_seq2seq.translate import translate

TINY = {"embedding": {"dim": 16}, "encoder": {"hidden_size": 16}, "training": {"epochs": 1, "batch_size": 16, "lr": 0.01},
        "head": {"hidden_size": 24, "embedding_dim": 12, "attention_dim": 12}}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    home = tmp_path_factory.mktemp("zoo-home")
    data = write_number_pairs(home, n=300, largest=999)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZOO_HOME", str(home))
        train("gru-attn-seq2seq", str(data), out="numbers", overrides={**TINY, "data": {"max_length": 5}},
              progress=False, text_field="0", label_field="1")
    return home


@pytest.fixture
def zoo(trained, monkeypatch):
    monkeypatch.setenv("ZOO_HOME", str(trained))

    def invoke(*args, stdin=None):
        return CliRunner().invoke(main, list(args), input=stdin)
    return invoke


def test_number_words():
    assert number_words(0) == "zero"
    assert number_words(342) == "three hundred forty two"
    assert number_words(12005) == "twelve thousand five"
    assert number_words(700001) == "seven hundred thousand one"


def test_run_translates_each_input_greedy_and_with_beam(zoo):
    result = zoo("run", "numbers", "three hundred forty two", "nine")
    assert result.exit_code == 0, result.output
    lines = result.stdout.split("\n")[:-1]
    assert len(lines) == 2 and all(set(line) <= set("0123456789 ") for line in lines)
    beamed = zoo("run", "numbers", "three hundred forty two", "--beam", "3", "--json")
    record = json.loads(beamed.stdout)
    assert record["sampler"] == "beam" and record["prediction"] == " ".join(record["tokens"])
    greedy = json.loads(zoo("run", "numbers", "three hundred forty two", "--json").stdout)
    assert record["log_prob"] >= greedy["log_prob"] - 1e-4


def test_run_reads_stdin_and_applies_the_trained_lowercasing(zoo):
    result = zoo("run", "numbers", "-", stdin="FOUR HUNDRED\nfour hundred\n")
    assert result.exit_code == 0, result.output
    upper, lower = result.stdout.split("\n")[:-1]
    assert upper == lower


def test_long_sentence_is_truncated_and_said_once(zoo):
    result = zoo("run", "numbers", "one two three four five six seven", "one two three four five six eight")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("truncated") == 1
    assert "2 input sentence(s) longer than the model's limit of 5 tokens" in result.stderr


def test_attention_png_is_written(zoo, tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "attention.png"
    result = zoo("run", "numbers", "three hundred forty two", "--attention-png", str(png))
    assert result.exit_code == 0, result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_beam_zero_is_a_one_line_error(zoo):
    result = zoo("run", "numbers", "nine", "--beam", "0")
    assert result.exit_code == 1
    assert result.stderr.strip() == "zoo: error: --beam 0: the beam width must be at least 1 (1 is greedy search)"


def test_a_model_of_another_task_is_refused(zoo, trained):
    classifier = create_model("lstm-classifier", vocab=20, embedding__dim=4, encoder__hidden_size=4)
    classifier.save(trained / "models" / "clf.safetensors")
    result = zoo("run", "clf", "nine", "--beam", "5")
    assert result.exit_code == 1 and "--beam does not apply to model 'clf' (task classify" in result.stderr
    with pytest.raises(ZooError, match="is a classify model; translation needs a seq2seq model"):
        translate(classifier, ["nine"])


def test_eval_reports_bleu_and_perplexity(zoo, trained):
    data = write_number_pairs(trained, n=300, largest=999)
    result = zoo("eval", "numbers", "--data", str(data), "--json")
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert 0.0 <= metrics["bleu"] <= 100.0 and metrics["perplexity"] == pytest.approx(2.718281828 ** metrics["loss"])


def test_attention_png_of_a_model_without_attention_is_refused(zoo, trained, tmp_path):
    plain = create_model("gru-seq2seq", vocabs={"tokens": Vocab(["<pad>", "<unk>", "nine"]),
                                                "target": Vocab(["<pad>", "<unk>", "<s>", "</s>", "9"])},
                         embedding__dim=4, encoder__hidden_size=4, head__hidden_size=4, head__embedding_dim=4)
    plain.save(trained / "models" / "plain.safetensors")
    assert zoo("run", "plain", "nine", "--beam", "2").exit_code == 0
    result = zoo("run", "plain", "nine", "--attention-png", str(tmp_path / "a.png"))
    assert result.exit_code == 1 and "has no attention (head.attention=none)" in result.stderr


def test_detokenized_hypotheses_read_as_text_and_score_as_the_tokens():
    import sacrebleu

    from zoo_seq2seq.translate import detokenize

    tokens = "je n ' ai pas vu le chat , ni le chien .".split()
    text = detokenize(tokens, "word")
    assert text == "je n'ai pas vu le chat, ni le chien."
    assert detokenize("qui est là ?".split(), "word") == "qui est là ?"  # French spacing kept
    reference = [["je n'ai pas vu le chat, ni le chien."]]
    spaced = "je n'ai pas vu le chat , ni le chien ."  # full stop and comma left detached
    assert sacrebleu.corpus_bleu([text], reference).score == sacrebleu.corpus_bleu([spaced], reference).score
