"""Generation: samplers, seeds, the carried state, bad options and prompts, and `zoo run` streaming."""
import json
import os
import subprocess
import sys
import warnings
from typing import Literal

import pytest
import torch

import zoo_core as zoo
from zoo_core.plugin import Component, ConfigError, StrictConfig, UnknownNameError, Vocab
from zoo_core.testing import registry as get_registry
from zoo_recurrent import generation as generation_module
from zoo_recurrent.samplers import TopKSampler, TopPSampler

CHARS = sorted(set("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ:.,\n"))


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    vocab = Vocab(["<pad>", "<unk>", "<s>", *CHARS])
    return zoo.create_model("char-lstm-lm", vocab=vocab, embedding__dim=8, encoder__hidden_size=32).eval()


def text(model, prompt="ROMEO:", **options):
    return "".join(model.generate(prompt, **{"max_tokens": 40, **options}))


@pytest.mark.parametrize("sampler", ["temperature", "top-k", "top-p"])
def test_same_seed_same_text_and_other_seed_other_text(model, sampler):
    first = text(model, sampler=sampler, seed=7)
    assert len(first) == 40
    assert text(model, sampler=sampler, seed=7) == first
    assert text(model, sampler=sampler, seed=8) != first


def test_temperature_zero_is_greedy(model):
    assert text(model, temperature=0) == text(model, sampler="greedy")


def test_generation_carries_state_exactly_like_one_pass_over_the_whole_text(model):
    """Each new token is one step on the carried state, and gives what a full re-run would."""
    record = model.run(["ROMEO:"], max_tokens=25, seed=3)[0]
    vocab = model.vocabs["tokens"]
    ids = [vocab.id("<s>"), *vocab.encode(list("ROMEO:" + record["prediction"]))]
    with torch.no_grad():
        logits, _ = model({"tokens": torch.tensor([ids]), "lengths": torch.tensor([len(ids)])})
    logits[..., [0, 1, 2]] = float("-inf")  # specials are never generated
    log_probs = logits.log_softmax(-1)[0, 6:-1].gather(-1, torch.tensor(ids[7:]).unsqueeze(-1)).squeeze(-1)
    assert torch.allclose(log_probs, torch.tensor(record["log_probs"]), atol=1e-4)
    calls = []
    handle = model.encoder.forward_rnn.register_forward_hook(lambda *args: calls.append(args[1][0].shape[1]))
    step = model.encoder.step
    model.encoder.step = lambda inputs, state: (calls.append(("step", inputs.shape[1])), step(inputs, state))[1]
    list(model.generate("ROMEO:", max_tokens=25, seed=3))
    handle.remove()
    del model.encoder.step
    # The prompt once (start token + 5 characters), then one single-token step a token.
    assert calls == [6] + [("step", 1)] * 25


def test_top_k_keeps_the_k_most_likely():
    sampler = TopKSampler(type("C", (), {"top_k": 2, "temperature": 1.0})())
    kept = sampler.filter(torch.tensor([[1.0, 3.0, 2.0, 0.0]]))
    assert torch.isfinite(kept).tolist() == [[False, True, True, False]]


def test_top_p_keeps_the_fewest_tokens_reaching_p():
    logits = torch.tensor([[0.5, 0.3, 0.15, 0.05]]).log()
    keep = lambda p: torch.isfinite(TopPSampler(type("C", (), {"top_p": p, "temperature": 1.0})()).filter(logits)).tolist()[0]
    assert keep(0.5) == [True, False, False, False]
    assert keep(0.75) == [True, True, False, False]
    assert keep(1.0) == [True, True, True, True]


def test_empty_prompt_starts_from_the_start_token(model):
    assert len(text(model, "", seed=1)) == 40


def test_unknown_characters_become_unk_with_one_warning(model):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = text(model, "caf\u00e9 \u2603\u2603", seed=1)
    assert len(caught) == 1 and "'\u00e9'" in str(caught[0].message) and "<unk>" in str(caught[0].message)
    assert len(result) == 40 and "<unk>" not in result


@pytest.mark.parametrize("options,message", [
    ({"max_tokens": 0}, "--max-tokens 0: give at least 1"),
    ({"temperature": -0.5}, "--temperature: input should be greater than or equal to 0"),
    ({"top_p": 0.0}, "--top-p: input should be greater than 0"),
    ({"top_p": 1.5}, "--top-p: input should be less than or equal to 1"),
    ({"sampler": "greedy", "top_k": 5}, "--top-k does not apply to sampler 'greedy'"),
])
def test_bad_options_are_one_clear_error_before_any_token(model, options, message):
    with pytest.raises(ConfigError, match=message):
        model.generate("ROMEO:", **options)


def test_unknown_sampler_names_the_known_ones(model):
    with pytest.raises(UnknownNameError, match="top-p"):
        model.generate("ROMEO:", sampler="nucleus")


def test_huge_max_tokens_is_capped_and_said(model, monkeypatch):
    monkeypatch.setattr(generation_module, "MAX_TOKENS_LIMIT", 12)
    with pytest.warns(UserWarning, match="above the limit of 12"):
        tokens = list(model.generate("ROMEO:", max_tokens=10**9, seed=1))
    assert len(tokens) == 12


class PluginGreedyConfig(StrictConfig):
    type: Literal["plugin-greedy"] = "plugin-greedy"


def test_a_plugin_sampler_is_used_by_name(model, monkeypatch):
    registry = get_registry()
    component = Component("sampler", "plugin-greedy", PluginGreedyConfig, "zoo_core.modeling.components.samplers:GreedySampler")
    monkeypatch.setitem(registry.components, ("sampler", "plugin-greedy"), component)
    assert text(model, sampler="plugin-greedy") == text(model, sampler="greedy")


def zoo_cli(*args):
    return subprocess.run([sys.executable, "-m", "zoo_core.cli", *args], capture_output=True, text=True,
                          env=dict(os.environ), timeout=120)


def test_zoo_run_streams_text_and_json_log_probs(model):
    model.save("tiny-lm")  # a store name, as zoo.load and zoo run read it
    plain = zoo_cli("run", "tiny-lm", "ROMEO:", "--max-tokens", "30", "--sampler", "top-k", "--top-k", "5", "--seed", "4")
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout == text(model, sampler="top-k", top_k=5, seed=4, max_tokens=30) + "\n"
    as_json = zoo_cli("run", "tiny-lm", "ROMEO\u00e9", "--max-tokens", "30", "--seed", "4", "--json")
    record = json.loads(as_json.stdout)
    assert len(record["log_probs"]) == len(record["tokens"]) == 30 and record["seed"] == 4
    assert all(value <= 0 for value in record["log_probs"])
    assert as_json.stderr.count("zoo: warning:") == 1
    bad = zoo_cli("run", "tiny-lm", "ROMEO:", "--top-p", "1.5")
    assert bad.returncode == 1 and bad.stderr.startswith("zoo: error: --top-p") and "Traceback" not in bad.stderr


def test_inverse_cdf_sampling_follows_the_weights_and_never_picks_zero_weight():
    from zoo_recurrent.samplers import sample

    generator = torch.Generator().manual_seed(0)
    weights = torch.tensor([[0.0, 0.5, 0.0, 0.3, 0.2, 0.0]])
    drawn = torch.stack([sample(weights, generator) for _ in range(4000)]).flatten()
    frequencies = torch.bincount(drawn, minlength=6) / 4000
    assert frequencies[[0, 2, 5]].sum() == 0
    assert torch.allclose(frequencies, weights[0], atol=0.03)
