"""Beam search as a sampler: batched over sentences (every sentence's beams are rows of one batch),
length-normalised, and stopping once each sentence's likeliest hypothesis has ended.

A finished hypothesis stays in its beam and may only continue with the end token at no cost, so
it competes with the live ones on equal terms; the final pick ranks by log-prob / length**alpha.
"""
from __future__ import annotations

from typing import Any, Iterator, Optional

import torch
from torch import Tensor

from zoo_core.plugin import ConfigError, DecodedSequence, SampledStep, Sampler


class BeamSampler(Sampler):
    def _search(self, step, state: Any, start_tokens: Tensor, end_token: Optional[int], max_tokens: int,
                reorder) -> list[tuple[list[int], list[float]]]:
        """Per sentence: the best hypothesis's tokens (the end token included when it ended) and
        each token's log-probability."""
        if reorder is None:
            raise ConfigError("sampler 'beam' needs a model whose decoding state can be reordered (seq2seq); "
                              "use greedy, temperature, top-k or top-p here")
        width, alpha = self.config.width, self.config.alpha
        batch, device = start_tokens.size(0), start_tokens.device
        offsets = torch.arange(batch, device=device).unsqueeze(1) * width
        state = reorder(state, torch.arange(batch, device=device).repeat_interleave(width))
        tokens = start_tokens.repeat_interleave(width)
        scores = torch.full((batch, width), float("-inf"), device=device)
        scores[:, 0] = 0.0  # the beams start identical: expand only the first
        finished = torch.zeros(batch * width, dtype=torch.bool, device=device)
        done = torch.zeros(batch, dtype=torch.bool, device=device)
        lengths = torch.zeros(batch * width, dtype=torch.long, device=device)
        history = torch.empty(batch * width, 0, dtype=torch.long, device=device)
        history_log_probs = torch.empty(batch * width, 0, device=device)
        for _ in range(max_tokens):
            logits, state = step(tokens, state)
            log_probs = torch.log_softmax(logits.float(), dim=-1)
            vocab = log_probs.size(-1)
            # Ended hypotheses, and every hypothesis of a done sentence, stay as they are: they may
            # only continue with the end token, at no cost.
            held = finished | done.repeat_interleave(width)
            if bool(held.any()):
                only_end = torch.full_like(log_probs[0], float("-inf"))
                only_end[end_token] = 0.0
                log_probs = torch.where(held.unsqueeze(1), only_end, log_probs)
            candidates = (scores.view(-1, 1) + log_probs).view(batch, width * vocab)
            new_scores, flat = candidates.topk(width, dim=-1)
            origin = ((flat // vocab) + offsets).view(-1)
            tokens = (flat % vocab).view(-1)
            chosen = new_scores.view(-1) - scores.view(-1).index_select(0, origin)
            scores = new_scores
            state = reorder(state, origin)
            history = torch.cat([history.index_select(0, origin), tokens.unsqueeze(1)], 1)
            history_log_probs = torch.cat([history_log_probs.index_select(0, origin), chosen.unsqueeze(1)], 1)
            was_held = held.index_select(0, origin)
            lengths = lengths.index_select(0, origin) + (~was_held).long()
            finished = finished.index_select(0, origin) | (~was_held & (tokens == end_token))
            # A sentence is done once its likeliest hypothesis has ended: the others can only lose
            # probability (the usual stopping rule, as in OpenNMT).
            done |= finished.view(batch, width)[:, 0]
            if bool(done.all()):
                break
        normalised = scores.view(-1) / lengths.clamp(min=1).float().pow(alpha)
        ended = finished.view(batch, width)
        # Rank only hypotheses that ended, where a sentence has any.
        normalised = normalised.masked_fill(~ended.view(-1) & ended.any(-1).repeat_interleave(width), float("-inf"))
        best = (normalised.view(batch, width).argmax(-1) + offsets.view(-1)).tolist()
        kept = lengths.tolist()
        return [(history[row, :kept[row]].tolist(), history_log_probs[row, :kept[row]].tolist()) for row in best]

    def decode_sequences(self, step, state: Any, start_tokens: Tensor, end_token: Optional[int], max_tokens: int,
                         reorder=None, generator=None) -> list[DecodedSequence]:
        results = []
        for tokens, log_probs in self._search(step, state, start_tokens, end_token, max_tokens, reorder):
            if tokens and tokens[-1] == end_token:
                tokens = tokens[:-1]
            results.append(DecodedSequence(tokens, float(sum(log_probs))))
        return results

    def decode(self, step, state: Any, start_tokens: Tensor, end_token: Optional[int], max_tokens: int,
               reorder=None, generator=None) -> Iterator[SampledStep]:
        """The best hypotheses as steps, once the search is over (ended rows repeat the end token)."""
        found = self._search(step, state, start_tokens, end_token, max_tokens, reorder)
        device = start_tokens.device
        for position in range(max((len(tokens) for tokens, _ in found), default=0)):
            tokens = [row[position] if position < len(row) else end_token for row, _ in found]
            log_probs = [scores[position] if position < len(scores) else 0.0 for _, scores in found]
            yield SampledStep(torch.tensor(tokens, device=device), torch.tensor(log_probs, device=device))
