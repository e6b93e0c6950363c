"""The generation step through torch's cell functions equals the fused layer, for every cell type and depth."""
import pytest
import torch

import zoo_core as zoo


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("layers", [1, 2])
def test_one_step_at_a_time_equals_the_whole_sequence(cell, layers):
    model = zoo.create_model("char-lstm-lm", vocab=30, encoder__type=cell, encoder__num_layers=layers,
                             encoder__hidden_size=16, embedding__dim=8).eval()
    inputs = torch.randn(3, 5, 8)
    with torch.inference_mode():
        whole, final = model.encoder.forward_rnn(inputs)
        state, outputs = None, []
        for t in range(5):
            output, state = model.encoder.step(inputs[:, t:t + 1], state)
            outputs.append(output)
    assert torch.allclose(torch.cat(outputs, 1), whole, atol=1e-6)
    for ours, theirs in zip(state if cell == "lstm" else [state], final if cell == "lstm" else [final]):
        assert ours.shape == theirs.shape and torch.allclose(ours, theirs, atol=1e-6)
