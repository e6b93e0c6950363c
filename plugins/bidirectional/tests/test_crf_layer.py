"""The CRF's forward algorithm and Viterbi against brute force over every tag sequence."""
import itertools

import torch

from zoo_bidirectional.crf import CRF


def brute_force(crf: CRF, emissions, length: int):
    scores = {}
    for path in itertools.product(range(emissions.size(-1)), repeat=length):
        score = crf.start[path[0]] + crf.end[path[-1]] + sum(emissions[t, tag] for t, tag in enumerate(path))
        score = score + sum(crf.transitions[a, b] for a, b in zip(path, path[1:]))
        scores[path] = score
    return scores


def random_crf(tags: int = 3) -> CRF:
    torch.manual_seed(0)
    crf = CRF(tags)
    with torch.no_grad():
        for parameter in crf.parameters():
            parameter.normal_()
    return crf


def test_nll_and_viterbi_match_brute_force_on_padded_batches():
    crf = random_crf()
    emissions = torch.randn(2, 4, 3)
    emissions[0, 2:] = 100.0  # padding of the first row must not count
    lengths = torch.tensor([2, 4])
    mask = torch.arange(4).unsqueeze(0) < lengths.unsqueeze(1)
    tags = torch.tensor([[2, 0, -100, -100], [1, 1, 0, 2]])
    paths = crf.decode(emissions, lengths)
    total = 0.0
    for row, length in enumerate(lengths.tolist()):
        scores = brute_force(crf, emissions[row], length)
        log_z = torch.logsumexp(torch.stack(list(scores.values())), 0)
        total += log_z - scores[tuple(tags[row, :length].tolist())]
        assert tuple(paths[row]) == max(scores, key=lambda p: scores[p].item())
    assert torch.allclose(crf.nll(emissions, tags, mask), total, atol=1e-4)


def test_training_the_crf_learns_transitions():
    """Emissions that cannot tell tags apart; only the transitions (0 -> 1 -> 0 ...) can."""
    crf = CRF(2)
    optimizer = torch.optim.Adam(crf.parameters(), lr=0.1)
    emissions = torch.zeros(1, 6, 2)
    tags = torch.tensor([[0, 1, 0, 1, 0, 1]])
    mask = torch.ones(1, 6, dtype=torch.bool)
    for _ in range(50):
        optimizer.zero_grad()
        crf.nll(emissions, tags, mask).backward()
        optimizer.step()
    assert crf.decode(emissions, torch.tensor([6])) == [[0, 1, 0, 1, 0, 1]]
