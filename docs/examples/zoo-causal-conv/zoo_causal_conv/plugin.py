"""What this plugin offers. Light (no torch), so `zoo list` stays fast: the torch class is named
by a "module:Class" string and imported only when a model is built."""
from zoo_core.plugin import Architecture, Component, hookimpl
from zoo_causal_conv.configs import CausalConvConfig


@hookimpl
def register_components(register):
    register(Component("encoder", "causal-conv", CausalConvConfig, "zoo_causal_conv.encoders:CausalConvEncoder",
                       "Stacked causal 1-D convolutions over the tokens."))


@hookimpl
def register_architectures(register):
    register(Architecture(
        "causal-conv-classifier",
        task="classify",
        description="Causal convolutional text classifier: state at the last token, then a linear layer.",
        defaults={
            "embedding": {"dim": 128},
            "encoder": {"type": "causal-conv", "hidden_size": 128, "kernel_size": 3, "num_layers": 2},
            "head": {"type": "classify", "pooling": "last"},
        },
    ))
