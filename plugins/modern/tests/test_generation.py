"""Each char LM generates with its recurrent form (the state carried, one step a token) exactly the text
that re-running the whole prompt and generated text gives at every step."""
import pytest
import torch

import zoo_core as zoo
from zoo_core.plugin import Vocab
from zoo_modern.plugin import ENCODERS

CHARS = sorted(set("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ:.,\n"))
SIZES = {"mlstm": {"heads": 2}, "rwkv": {"ffn_size": 32}, "lru": {"state_size": 8}}


@pytest.mark.parametrize("name", list(ENCODERS))
def test_generated_text_equals_rerunning_the_prompt(name):
    torch.manual_seed(0)
    vocab = Vocab(["<pad>", "<unk>", "<s>", *CHARS])
    overrides = {f"encoder__{key}": value for key, value in SIZES.get(name, {}).items()}
    model = zoo.create_model(f"char-{name}-lm", vocab=vocab, embedding__dim=8, encoder__hidden_size=16,
                             encoder__num_layers=2 if name in ("mingru", "rwkv") else 1, **overrides).eval()
    record = model.run(["ROMEO:"], max_tokens=20, sampler="greedy")[0]
    generated = record["prediction"]
    assert len(generated) == 20
    log_probs = []
    ids = [vocab.id("<s>"), *vocab.encode(list("ROMEO:"))]
    with torch.no_grad():
        for _ in range(20):  # greedy, each step from a full re-run over everything so far
            logits, _ = model({"tokens": torch.tensor([ids]), "lengths": torch.tensor([len(ids)])})
            logits[..., [0, 1, 2]] = float("-inf")  # specials are never generated
            ids.append(int(logits[0, -1].argmax()))
            log_probs.append(float(logits[0, -1].log_softmax(-1)[ids[-1]]))
    assert "".join(vocab.tokens[i] for i in ids[7:]) == generated
    # The same probabilities too, so a state that is dropped or stale cannot pass by luck.
    assert torch.allclose(torch.tensor(log_probs), torch.tensor(record["log_probs"]), atol=1e-4)
