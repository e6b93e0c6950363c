"""What this plugin offers; the torch code lives in zoo_recurrent.encoders and loads only when used."""
from zoo_core import Architecture, Component, hookimpl
from zoo_recurrent.configs import GRUConfig, LSTMConfig, RNNConfig

ENCODERS = {
    "rnn": (RNNConfig, "Vanilla (Elman) RNN with tanh."),
    "lstm": (LSTMConfig, "Long short-term memory (Hochreiter & Schmidhuber 1997)."),
    "gru": (GRUConfig, "Gated recurrent unit (Cho et al. 2014)."),
}


@hookimpl
def register_components(register):
    for name, (config, description) in ENCODERS.items():
        register(Component("encoder", name, config, "zoo_recurrent.encoders:RecurrentEncoder", description))


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
