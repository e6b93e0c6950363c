"""What this plugin offers; the torch code lives in zoo_recurrent.encoders and loads only when used."""
from zoo_core.plugin import Architecture, Component, Task, hookimpl
from zoo_recurrent.configs import GRUConfig, LSTMConfig, RNNConfig
from zoo_recurrent.lm_configs import (
    LMDataConfig,
    LMHeadConfig,
    TemperatureSamplerConfig,
    TopKSamplerConfig,
    TopPSamplerConfig,
)

ENCODERS = {
    "rnn": (RNNConfig, "Vanilla (Elman) RNN with tanh."),
    "lstm": (LSTMConfig, "Long short-term memory (Hochreiter & Schmidhuber 1997)."),
    "gru": (GRUConfig, "Gated recurrent unit (Cho et al. 2014)."),
}

SAMPLERS = {
    "temperature": (TemperatureSamplerConfig, "TemperatureSampler", "Sample from softmax(logits / T); T=0 is greedy."),
    "top-k": (TopKSamplerConfig, "TopKSampler", "Sample among the K most likely tokens."),
    "top-p": (TopPSamplerConfig, "TopPSampler", "Nucleus sampling: the fewest tokens whose probability reaches P."),
}

CHAR_LM_DEFAULTS = {
    "tokenizer": {"type": "char", "lowercase": False, "max_size": None},
    "embedding": {"dim": 64},
    "head": {"type": "lm"},
    "data": {"chunk_length": 128},
    "training": {"batch_size": 32, "lr": 2e-3, "epochs": 20, "patience": 3},
}


@hookimpl
def register_tasks(register):
    register(Task("lm", "zoo_recurrent.lm_task:LanguageModelTask",
                  "Language modelling on plain text, and text generation.", data_config=LMDataConfig))


@hookimpl
def register_components(register):
    for name, (config, description) in ENCODERS.items():
        register(Component("encoder", name, config, "zoo_recurrent.encoders:RecurrentEncoder", description))
    register(Component("head", "lm", LMHeadConfig, "zoo_recurrent.lm_head:LMHead",
                       "Next-token logits at every position; optional weights tied to the embedding."))
    for name, (config, impl, description) in SAMPLERS.items():
        register(Component("sampler", name, config, f"zoo_recurrent.samplers:{impl}", description))


@hookimpl
def register_architectures(register):
    for name, label in (("rnn", "vanilla RNN"), ("lstm", "LSTM"), ("gru", "GRU")):
        register(Architecture(
            f"{name}-classifier",
            task="classify",
            description=f"{label} text classifier: final hidden state, then a linear layer.",
            defaults={
                "embedding": {"dim": 128},
                "encoder": {"type": name, "hidden_size": 256},
                "head": {"type": "classify", "pooling": "last"},
            },
        ))
        register(Architecture(
            f"char-{name}-lm",
            task="lm",
            description=f"Character-level {label} language model (char-rnn style), trained on whole chunks.",
            defaults={**CHAR_LM_DEFAULTS, "encoder": {"type": name, "hidden_size": 512}},
        ))
    register(Architecture(
        "word-lstm-lm",
        task="lm",
        description="Word-level 2-layer LSTM language model with tied input and output embeddings.",
        defaults={
            "tokenizer": {"type": "word", "lowercase": True, "max_size": 30000},
            "embedding": {"dim": 256, "dropout": 0.2},
            "encoder": {"type": "lstm", "hidden_size": 256, "num_layers": 2, "dropout": 0.2},
            "head": {"type": "lm", "tie_weights": True},
            "data": {"chunk_length": 35},
            "training": {"batch_size": 20, "lr": 2e-3, "epochs": 20, "patience": 3},
        },
    ))
