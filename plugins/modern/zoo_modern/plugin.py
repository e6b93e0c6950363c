"""What this plugin offers; the torch code lives in one module per encoder and loads only when used."""
from zoo_core.plugin import Architecture, Component, hookimpl
from zoo_modern.configs import (
    IndRNNConfig,
    LRUConfig,
    MinGRUConfig,
    MinLSTMConfig,
    MLSTMConfig,
    QRNNConfig,
    RWKVConfig,
    SLSTMConfig,
    SRUConfig,
)

# name: (config, "module:Class", label, description)
ENCODERS = {
    "mingru": (MinGRUConfig, "zoo_modern.mingru:MinGRUEncoder", "minGRU",
               "minGRU (Feng et al. 2024): gates from the input only, an element-wise scan over time."),
    "minlstm": (MinLSTMConfig, "zoo_modern.minlstm:MinLSTMEncoder", "minLSTM",
                "minLSTM (Feng et al. 2024): normalised input-only gates, an element-wise scan over time."),
    "mlstm": (MLSTMConfig, "zoo_modern.mlstm:MLSTMEncoder", "mLSTM",
              "mLSTM (xLSTM, Beck et al. 2024): matrix memory; parallel form in training, recurrent in generation."),
    "slstm": (SLSTMConfig, "zoo_modern.slstm:SLSTMEncoder", "sLSTM",
              "sLSTM (xLSTM, Beck et al. 2024): exponential gating with a stabiliser, recurrent matrix."),
    "rwkv": (RWKVConfig, "zoo_modern.rwkv:RWKVEncoder", "RWKV-4",
             "RWKV-4 (Peng et al. 2023): time-mix (WKV) and channel-mix blocks, chunked log-space WKV."),
    "lru": (LRUConfig, "zoo_modern.lru:LRUEncoder", "LRU",
            "Linear recurrent unit (Orvieto et al. 2023): diagonal complex recurrence, ring init."),
    "qrnn": (QRNNConfig, "zoo_modern.qrnn:QRNNEncoder", "QRNN",
             "Quasi-recurrent network (Bradbury et al. 2017): causal convolutions, fo-pooling."),
    "sru": (SRUConfig, "zoo_modern.sru:SRUEncoder", "SRU",
            "Simple recurrent unit (Lei et al. 2018): element-wise cell with peepholes, highway output."),
    "indrnn": (IndRNNConfig, "zoo_modern.indrnn:IndRNNEncoder", "IndRNN",
               "Independently recurrent network (Li et al. 2018): ReLU with one recurrent weight per unit."),
}

# The same training settings as char-lstm-lm (zoo-recurrent), so the comparison is the encoder's.
CHAR_LM_DEFAULTS = {
    "tokenizer": {"type": "char", "lowercase": False, "max_size": None},
    "embedding": {"dim": 64},
    "head": {"type": "lm"},
    "data": {"chunk_length": 128},
    "training": {"batch_size": 32, "lr": 2e-3, "epochs": 20, "patience": 3},
}
# Sizes of the presets: each near char-lstm-lm's parameter count (LSTM 512: 1.22M with the embedding and
# output layer), so a comparison at equal budget compares recurrences, not sizes.
LM_ENCODERS = {
    "mingru": {"hidden_size": 768, "num_layers": 2},
    "minlstm": {"hidden_size": 576, "num_layers": 2},
    "mlstm": {"hidden_size": 512, "heads": 4, "num_layers": 2},
    "slstm": {"hidden_size": 512, "num_layers": 1},
    "rwkv": {"hidden_size": 224, "num_layers": 2},
    "lru": {"hidden_size": 512, "state_size": 256, "num_layers": 2},
    "qrnn": {"hidden_size": 384, "num_layers": 2},
    "sru": {"hidden_size": 576, "num_layers": 2},
    "indrnn": {"hidden_size": 1024, "num_layers": 2},
}


@hookimpl
def register_components(register):
    for name, (config, impl, _, description) in ENCODERS.items():
        register(Component("encoder", name, config, impl, description))


@hookimpl
def register_architectures(register):
    for name, (_, _, label, _) in ENCODERS.items():
        register(Architecture(
            f"{name}-classifier",
            task="classify",
            description=f"{label} text classifier: state at the last token, then a linear layer.",
            defaults={
                "embedding": {"dim": 128},
                "encoder": {"type": name, "hidden_size": 256},
                "head": {"type": "classify", "pooling": "last"},
            },
        ))
        register(Architecture(
            f"char-{name}-lm",
            task="lm",
            description=f"Character-level {label} language model, trained on whole chunks with the state carried.",
            defaults={**CHAR_LM_DEFAULTS, "encoder": {"type": name, **LM_ENCODERS[name]}},
        ))
