"""Linear-chain CRF (Lafferty et al. 2001) as in Huang et al. 2015 and Lample et al. 2016:
the forward algorithm for the loss and Viterbi for decoding, batched over padded sequences."""
from __future__ import annotations

import torch
from torch import Tensor, nn


class CRF(nn.Module):
    def __init__(self, num_tags: int, allowed=None):
        """``allowed``: (transitions [previous][next], start, end) booleans; Viterbi never takes a forbidden one
        (an E- after O in IOBES), however little training the transition scores had. None allows all."""
        super().__init__()
        self.transitions = nn.Parameter(torch.zeros(num_tags, num_tags))  # [previous tag, next tag]
        self.start = nn.Parameter(torch.zeros(num_tags))
        self.end = nn.Parameter(torch.zeros(num_tags))
        penalties = [torch.zeros(num_tags, num_tags), torch.zeros(num_tags), torch.zeros(num_tags)]
        if allowed is not None:  # not part of the state dict: rebuilt from the labels when loaded
            penalties = [torch.where(torch.tensor(a), 0.0, float("-inf")) for a in allowed]
        for name, penalty in zip(("forbidden_transitions", "forbidden_start", "forbidden_end"), penalties):
            self.register_buffer(name, penalty, persistent=False)

    def gold_score(self, emissions: Tensor, tags: Tensor, mask: Tensor) -> Tensor:
        """Score of the given tag sequences: (batch,). ``tags`` may hold anything at padding."""
        tags = tags.clamp(min=0) * mask
        emitted = emissions.gather(2, tags.unsqueeze(-1)).squeeze(-1)
        score = self.start[tags[:, 0]] + (emitted * mask).sum(1)
        steps = self.transitions[tags[:, :-1], tags[:, 1:]] * mask[:, 1:]
        last = tags.gather(1, (mask.sum(1) - 1).clamp(min=0).unsqueeze(1)).squeeze(1)
        return score + steps.sum(1) + self.end[last]

    def log_partition(self, emissions: Tensor, mask: Tensor) -> Tensor:
        """log of the summed scores of every tag sequence (forward algorithm): (batch,)."""
        alpha = self.start + emissions[:, 0]
        unpadded = bool(mask.all())  # then no step keeps a finished row's alpha: skip the select
        for t in range(1, emissions.size(1)):
            step = torch.logsumexp(alpha.unsqueeze(2) + self.transitions + emissions[:, t].unsqueeze(1), dim=1)
            alpha = step if unpadded else torch.where(mask[:, t].unsqueeze(1), step, alpha)
        return torch.logsumexp(alpha + self.end, dim=1)

    def nll(self, emissions: Tensor, tags: Tensor, mask: Tensor) -> Tensor:
        """Negative log-likelihood summed over the batch."""
        mask = mask.long()
        return (self.log_partition(emissions, mask.bool()) - self.gold_score(emissions, tags, mask)).sum()

    @torch.no_grad()
    def decode(self, emissions: Tensor, lengths: Tensor) -> list[list[int]]:
        """The best tag sequence of each row (Viterbi), cut to its length."""
        mask = torch.arange(emissions.size(1), device=emissions.device).unsqueeze(0) < lengths.unsqueeze(1)
        score = self.start + self.forbidden_start + emissions[:, 0]
        transitions = self.transitions + self.forbidden_transitions
        pointers = []
        for t in range(1, emissions.size(1)):
            best, previous = (score.unsqueeze(2) + transitions).max(dim=1)
            pointers.append(previous)
            score = torch.where(mask[:, t].unsqueeze(1), best + emissions[:, t], score)
        score = score + self.end + self.forbidden_end
        paths = []
        last_tags = score.argmax(-1).tolist()
        pointers = [p.tolist() for p in pointers]
        for row, length in enumerate(lengths.tolist()):
            tag = last_tags[row]
            path = [tag]
            for t in range(length - 1, 0, -1):
                tag = pointers[t - 1][row][tag]
                path.append(tag)
            paths.append(path[::-1])
        return paths
