"""Beam search against greedy on fixed step tables (no model needed)."""
import pytest
import torch

from zoo_core.plugin import ConfigError
from zoo_seq2seq.beam import BeamSampler
from zoo_seq2seq.configs import BeamSamplerConfig
from zoo_seq2seq.translate import choose_sampler

END = 0


def beam(width, alpha=0.0):
    return BeamSampler(BeamSamplerConfig(width=width, alpha=alpha))


def table_step(table):
    """The next-token logits depend on the previous token only; the state counts steps per row."""
    def step(tokens, state):
        return table[tokens], state + 1
    return step


def reorder(state, index):
    return state[index]


def decode(sampler, table, rows=3, max_tokens=8):
    start = torch.arange(1, rows + 1) % table.size(0)
    return sampler.decode_sequences(table_step(table), torch.zeros(rows), start, END, max_tokens, reorder)


def test_width_one_is_greedy():
    table = torch.randn(9, 9, generator=torch.Generator().manual_seed(1))
    greedy = decode(choose_sampler()[1], table)
    assert [s.tokens for s in decode(beam(1), table)] == [s.tokens for s in greedy]
    assert [s.log_prob for s in decode(beam(1), table)] == pytest.approx([s.log_prob for s in greedy], abs=1e-5)


def test_beam_finds_a_likelier_sequence_than_greedy():
    # From token 1, token 2 looks best (0.6) but leads anywhere (uniform); token 3 (0.4) then ends surely.
    probs = torch.full((5, 5), 1e-6)
    probs[1, 2], probs[1, 3] = 0.6, 0.4
    probs[2, :] = 0.2
    probs[3, END] = 1.0
    probs[4, END] = 1.0
    probs[0, END] = 1.0
    table = probs.log()
    start = torch.tensor([1])
    greedy = choose_sampler()[1].decode_sequences(table_step(table), torch.zeros(1), start, END, 4, reorder)
    found = beam(3).decode_sequences(table_step(table), torch.zeros(1), start, END, 4, reorder)
    assert found[0].tokens == [3]
    assert found[0].log_prob > greedy[0].log_prob


def test_batched_beams_equal_one_sentence_at_a_time():
    table = torch.randn(11, 11, generator=torch.Generator().manual_seed(2))
    together = decode(beam(4, alpha=1.0), table, rows=5)
    alone = [beam(4, alpha=1.0).decode_sequences(table_step(table), torch.zeros(1), torch.tensor([(i + 1) % 11]),
                                                  END, 8, reorder)[0] for i in range(5)]
    assert [s.tokens for s in together] == [s.tokens for s in alone]
    assert [s.log_prob for s in together] == pytest.approx([s.log_prob for s in alone], abs=1e-5)


def test_beam_stops_when_every_hypothesis_ended():
    table = torch.full((4, 4), -10.0)
    table[:, END] = 0.0
    calls = []

    def step(tokens, state):
        calls.append(1)
        return table[tokens], state

    found = beam(3).decode_sequences(step, torch.zeros(2), torch.tensor([1, 2]), END, 50, reorder)
    assert [s.tokens for s in found] == [[], []]
    assert len(calls) == 1


def test_beam_width_zero_and_missing_reorder_are_one_line_errors():
    with pytest.raises(ConfigError, match="--beam 0: the beam width must be at least 1"):
        choose_sampler(beam=0)
    with pytest.raises(ConfigError, match="--beam: input should be less than or equal to 256"):
        choose_sampler(beam=1000)
    with pytest.raises(ConfigError, match="needs a model whose decoding state can be reordered"):
        list(beam(2).decode(table_step(torch.zeros(3, 3)), torch.zeros(1), torch.tensor([1]), END, 3, None))
