"""`zoo eval` on a language model: every token of --data, or a split's share; what was scored is stated."""
import json

from click.testing import CliRunner

import zoo_core as zoo
from zoo_core.cli import main
from zoo_core.plugin import Vocab

TEXT = "To be, or not to be, that is the question.\n" * 30


def test_eval_states_tokens_and_split(tmp_path, zoo_home):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(TEXT)
    vocab = Vocab(["<pad>", "<unk>", "<s>", *sorted(set(TEXT))])
    zoo.create_model("char-lstm-lm", vocab=vocab, embedding__dim=8, encoder__hidden_size=8).save("lm")
    result = CliRunner().invoke(main, ["eval", "lm", "--data", str(corpus), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["examples"] == len(TEXT)  # the start token and every character: len(TEXT) next-token targets
    assert report["split"] == "all" and len(TEXT) - 16 < report["tokens_scored"] <= len(TEXT)
    valid = json.loads(CliRunner().invoke(main, ["eval", "lm", "--data", str(corpus), "--split", "valid",
                                                 "--json"]).stdout)
    assert valid["examples"] == (len(TEXT) + 1) - int((len(TEXT) + 1) * 0.9) - 1
    refused = CliRunner().invoke(main, ["eval", "lm", "--data", str(corpus), "--split", "test"])
    assert refused.exit_code == 1 and "holds out only a validation share" in refused.output
