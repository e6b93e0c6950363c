"""What this plugin offers; the torch code lives in zoo_pooling.poolers and loads only when used."""
from zoo_core.plugin import Architecture, Component, hookimpl
from zoo_pooling.configs import (
    AttentionPoolerConfig,
    ConcatPoolerConfig,
    EndsPoolerConfig,
    MaxPoolerConfig,
    MeanPoolerConfig,
)

POOLERS = {
    "mean": (MeanPoolerConfig, "MeanPooler", "Average of the states over the real tokens."),
    "max": (MaxPoolerConfig, "MaxPooler", "Element-wise maximum of the states over the real tokens (InferSent)."),
    "attention": (AttentionPoolerConfig, "AttentionPooler",
                  "Learned weights over the real tokens, one or more heads (Lin et al. 2017)."),
    "concat": (ConcatPoolerConfig, "ConcatPooler", "Mean, max and last state, concatenated (ULMFiT's concat pooling)."),
    "ends": (EndsPoolerConfig, "EndsPooler",
             "Both directions' states at both ends of the text; needs a bidirectional encoder."),
}

PRESETS = {
    "bilstm-max-classifier": ("lstm", True, "max", "BiLSTM text classifier: max pooling over time (InferSent)."),
    "bilstm-attn-classifier": ("lstm", True, "attention",
                               "BiLSTM text classifier: self-attentive pooling (Lin et al. 2017); `zoo run --explain`."),
    "bigru-mean-classifier": ("gru", True, "mean", "BiGRU text classifier: mean pooling over time."),
    "lstm-concat-classifier": ("lstm", False, "concat",
                               "LSTM text classifier: concat of mean, max and last state (ULMFiT)."),
}


@hookimpl
def register_components(register):
    for name, (config, class_name, description) in POOLERS.items():
        register(Component("pooler", name, config, f"zoo_pooling.poolers:{class_name}", description))


@hookimpl
def register_architectures(register):
    for name, (encoder, bidirectional, pooling, description) in PRESETS.items():
        register(Architecture(
            name,
            task="classify",
            description=description,
            defaults={
                "embedding": {"dim": 128, "dropout": 0.3},
                "encoder": {"type": encoder, "hidden_size": 128, "bidirectional": bidirectional},
                "head": {"type": "classify", "pooling": pooling, "dropout": 0.3},
            },
        ))
