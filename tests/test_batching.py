"""pad(): right-padded id tensors from id lists, whatever mix of lengths."""
import torch

from zoo_core.modeling.batching import pad
from zoo_core.modeling.interfaces import is_unpadded


def test_pad_matches_padding_by_hand():
    rows = [[5, 6, 7], [8], [], (9, 10)]
    tokens, lengths = pad(rows, pad_id=-100)
    assert tokens.dtype == torch.long and tokens.shape == (4, 3)
    assert tokens.tolist() == [[5, 6, 7], [8, -100, -100], [-100, -100, -100], [9, 10, -100]]
    assert lengths.tolist() == [3, 1, 0, 2]


def test_pad_of_equal_lengths_and_of_nothing():
    tokens, lengths = pad([[1, 2], [3, 4]])
    assert tokens.tolist() == [[1, 2], [3, 4]] and is_unpadded(lengths, tokens.size(1))
    assert not is_unpadded(pad([[1, 2], [3]])[1], 2)
    tokens, lengths = pad([])
    assert tokens.shape == (0, 1) and lengths.shape == (0,) and not is_unpadded(lengths, 1)


def test_padded_tensor_owns_its_values():
    rows = [[1, 2, 3]]
    tokens, _ = pad(rows)
    rows[0][0] = 99
    del rows
    assert tokens.tolist() == [[1, 2, 3]]
    tokens += 1  # writable, as torch.tensor's result was
    assert tokens.tolist() == [[2, 3, 4]]
