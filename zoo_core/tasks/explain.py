"""Token weights for `zoo run --explain`: the attention pooler's weight on each token a classifier read."""
from __future__ import annotations

import torch

from zoo_core.errors import ZooError
from zoo_core.modeling.batching import pad
from zoo_core.modeling.interfaces import Pooler


def require_attention(model) -> None:
    """One clear line when the model's pooler has no attention to show."""
    pooler = getattr(model.head, "pooler", None)
    if pooler is None or type(pooler).attention is Pooler.attention:  # the base class has none
        pooling = getattr(getattr(model.config.head, "pooling", None), "type", "none")
        raise ZooError(
            f"--explain needs attention pooling; this {model.config.architecture} model pools with '{pooling}' "
            "(train one with attention, e.g. bilstm-attn-classifier or --set head.pooling=attention)"
        )


@torch.no_grad()
def attention_weights(model, texts: list[str]) -> list[tuple[list[str], list[float]]]:
    """Each text's tokens (as the model sees them) and the pooler's weight on each."""
    require_attention(model)
    task, vocab = model.task, model.vocabs["tokens"]
    tokens = [task.tokens(text) or ["<unk>"] for text in texts]
    ids = [vocab.encode(words) for words in tokens]
    model.eval()
    padded, lengths = pad(ids, model.device)
    batch = {"tokens": padded, "lengths": lengths}
    encoded = model.encode(padded, lengths, batch=batch)
    weights = model.head.pooler.attention(encoded, model.mask(batch))
    if weights is None:
        raise ZooError(f"--explain: the '{model.config.head.pooling.type}' pooler of this model gave no attention "
                       "weights; use a model that pools with attention (e.g. bilstm-attn-classifier)")
    return [(words, weights[row, : len(words)].float().cpu().tolist()) for row, words in enumerate(tokens)]
