"""Each encoder's paths agree: scan modes, mLSTM's parallel and recurrent forms, RWKV's chunked and
stepped WKV, the hand-written backward passes against autograd; and padding keeps each sequence's state."""
import pytest
import torch
from torch.nn import functional as F

from zoo_core.plugin import ConfigError
from zoo_core.testing import registry
from zoo_modern import mlstm, rwkv
from zoo_modern.indrnn import IndependentReLURecurrence
from zoo_modern.sru import SRUCells


def build(name, **settings):
    config = registry().validate_component("encoder", {"type": name, "hidden_size": 8, **settings}, "encoder")
    torch.manual_seed(0)
    return registry().component("encoder", name).load()(config, input_dim=5).eval()


def encode(encoder, inputs, lengths=None, state=None):
    lengths = torch.full((inputs.size(0),), inputs.size(1)) if lengths is None else lengths
    with torch.no_grad():
        return encoder(inputs, lengths, state)


@pytest.mark.parametrize("name", ["mingru", "minlstm", "qrnn", "lru"])
def test_scan_modes_give_the_same_states(name):
    inputs = torch.randn(3, 150, 5)  # longer than a chunk, not a multiple of it
    lengths = torch.tensor([150, 90, 1])
    sequential = encode(build(name, mode="sequential", num_layers=2), inputs, lengths)
    for mode in ("chunked", "scan", "auto"):
        other = encode(build(name, mode=mode, num_layers=2), inputs, lengths)
        assert torch.allclose(other.states, sequential.states, rtol=1e-5, atol=1e-5), mode


def test_mlstm_parallel_form_equals_its_recurrent_form():
    torch.manual_seed(1)
    batch, heads, time, size = 2, 3, 11, 4
    q, k, v = (torch.randn(batch, heads, time, size) for _ in range(3))
    log_write = torch.randn(batch, heads, time) * 2
    log_forget = F.logsigmoid(torch.randn(batch, heads, time) + 2)
    start = (torch.randn(batch, heads, size, size), torch.randn(batch, heads, size).abs(), torch.randn(batch, heads))
    h_parallel, state_parallel = mlstm.parallel(q, k, v, log_write, log_forget, start)
    h_recurrent, state_recurrent = mlstm.recurrent(q, k, v, log_write, log_forget, start)
    assert (h_parallel - h_recurrent).abs().max() < 1e-5
    for mine, theirs in zip(state_parallel, state_recurrent):
        assert (mine - theirs).abs().max() < 1e-4


def test_mlstm_chunk_size_does_not_change_the_states():
    inputs = torch.randn(2, 20, 5)
    whole = encode(build("mlstm", heads=2, chunk_size=20), inputs).states
    assert (encode(build("mlstm", heads=2, chunk_size=3), inputs).states - whole).abs().max() < 1e-5


def test_rwkv_chunked_wkv_equals_its_recurrent_step():
    torch.manual_seed(2)
    batch, time, size = 2, 13, 6
    w = torch.rand(batch, time, size) * 5
    w[1, 9:] = 0.0  # padded steps: no decay, nothing written
    k, v, u = torch.randn(batch, time, size) * 3, torch.randn(batch, time, size), torch.randn(size)
    k[1, 9:] = rwkv.BLOCKED
    start = (torch.randn(batch, size), torch.rand(batch, size) + 0.1, torch.randn(batch, size))
    stepped, stepped_state = rwkv.wkv_sequential(w, u, k, v, start)
    chunked, chunked_state = rwkv.wkv_chunk(w, u, k, v, start)
    assert (stepped - chunked).abs().max() < 1e-5
    # (a, b) are stored scaled by e^-p, each path with its own p: compare a e^p and b e^p.
    scale = lambda state: (state[0] * state[2].exp(), state[1] * state[2].exp())  # noqa: E731
    for mine, theirs in zip(scale(stepped_state), scale(chunked_state)):
        assert torch.allclose(mine, theirs, rtol=1e-5, atol=1e-6)


def autograd_reference(function, *inputs):
    inputs = [t.clone().requires_grad_() for t in inputs]
    out = function(*inputs)
    weights = torch.randn(out.shape, generator=torch.Generator().manual_seed(3))
    (out * weights).sum().backward()
    return out.detach(), [t.grad for t in inputs]


def indrnn_loop(pre, u, h0):
    h, states = h0, []
    for t in range(pre.size(0)):
        h = torch.relu(pre[t] + u * h)
        states.append(h)
    return torch.stack(states)


def sru_loop(u, x, v, c0):
    c, cells = c0, []
    for t in range(x.size(0)):
        f = torch.sigmoid(u[t] + v * c)
        c = f * c + (1 - f) * x[t]
        cells.append(c)
    return torch.stack(cells)


@pytest.mark.parametrize("custom,loop,inputs", [
    (IndependentReLURecurrence.apply, indrnn_loop, lambda: (torch.randn(9, 3, 4), torch.rand(4), torch.randn(3, 4))),
    (SRUCells.apply, sru_loop, lambda: (torch.randn(9, 3, 4), torch.randn(9, 3, 4), torch.randn(4), torch.randn(3, 4))),
])
def test_hand_written_backward_passes_equal_autograd(custom, loop, inputs):
    torch.manual_seed(4)
    given = inputs()
    out, grads = autograd_reference(custom, *given)
    expected_out, expected_grads = autograd_reference(loop, *given)
    assert (out - expected_out).abs().max() < 1e-5
    for grad, expected in zip(grads, expected_grads):
        assert (grad - expected).abs().max() < 1e-5


def test_slstm_stabiliser_changes_nothing_but_the_scale():
    """The stabilised cell equals the plain exponential-gate sLSTM where the plain one does not overflow."""
    encoder = build("slstm")
    layer = encoder.layers[0]
    inputs = torch.randn(2, 7, 5)
    states = encode(encoder, inputs).states
    pre = layer.input(inputs)
    h = c = n = torch.zeros(2, 8)
    expected = []
    with torch.no_grad():
        for t in range(7):
            z, i, f, o = (pre[:, t] + h @ layer.recurrent.weight.t()).chunk(4, dim=-1)
            c = torch.sigmoid(f) * c + torch.exp(i) * torch.tanh(z)
            n = torch.sigmoid(f) * n + torch.exp(i)
            h = torch.sigmoid(o) * c / n
            expected.append(h)
    assert (states - torch.stack(expected, dim=1)).abs().max() < 1e-5


@pytest.mark.parametrize("name", ["mingru", "minlstm", "mlstm", "slstm", "rwkv", "lru", "qrnn", "sru", "indrnn"])
def test_padding_keeps_each_sequences_own_state(name):
    """The state returned for a padded batch is each sequence's own: it continues the sequence exactly."""
    encoder = build(name, num_layers=2)
    inputs, more = torch.randn(2, 6, 5), torch.randn(2, 3, 5)
    padded = inputs.clone()
    padded[1, 4:] = 50.0  # loud padding after the second sequence's 4 tokens
    state = encode(encoder, padded, torch.tensor([6, 4])).state
    continued = encode(encoder, more, None, state).states[1]
    whole = encode(encoder, torch.cat([inputs[1:, :4], more[1:]], dim=1)).states[0, 4:]
    assert (continued - whole).abs().max() < 1e-5


def test_heads_that_do_not_divide_the_size_are_one_clear_error():
    with pytest.raises(ConfigError, match="hidden_size 10 is not a multiple of heads 4"):
        registry().validate_component("encoder", {"type": "mlstm", "hidden_size": 10, "heads": 4}, "encoder")


def test_mlstm_stays_finite_when_the_gates_have_decayed_everything():
    """Very small input and forget gates once drove the stabiliser below -88 and exp(-m) to infinity (NaN)."""
    batch, heads, time, size = 1, 2, 40, 3
    q, k, v = (torch.randn(batch, heads, time, size, requires_grad=True) for _ in range(3))
    log_write = torch.full((batch, heads, time), -100.0, requires_grad=True)
    log_forget = torch.full((batch, heads, time), -5.0, requires_grad=True)
    start = (torch.zeros(batch, heads, size, size), torch.zeros(batch, heads, size), torch.zeros(batch, heads))
    for form in (mlstm.parallel, mlstm.recurrent):
        h, _ = form(q, k, v, log_write, log_forget, start)
        h.sum().backward()
        assert torch.isfinite(h).all() and all(torch.isfinite(t.grad).all() for t in (q, k, v, log_write, log_forget))


def test_indrnn_state_stays_bounded_over_a_long_stream():
    """With |u| < 1 the ReLU state carried chunk to chunk cannot grow without bound (at |u| = 1 it did, and a
    char LM diverged): after 40 chunks it stays under max input / (1 - limit)."""
    from zoo_modern.indrnn import RECURRENT_LIMIT

    encoder = build("indrnn")
    layer = encoder.layers[0]
    with torch.no_grad():
        layer.recurrent.fill_(5.0)  # training may push u past the limit; the clip holds it
        layer.projection.bias.fill_(1.0)  # positive inputs: the case that accumulates
    state, largest, largest_input = None, 0.0, 0.0
    for _ in range(40):
        inputs = torch.randn(2, 16, 5)
        state = encode(encoder, inputs, None, state).state
        largest = max(largest, float(state[0].max()))
        with torch.no_grad():
            largest_input = max(largest_input, float(torch.relu(layer.projection(inputs)).max()))
    assert 0 < largest <= largest_input / (1 - RECURRENT_LIMIT) * 1.001  # h <= sum_k u^k max input
