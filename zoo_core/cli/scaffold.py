"""`zoo plugins new NAME`: write a ready, installable plugin package with one example encoder
(stacked causal 1-D convolutions), one architecture using it, a README and conformance tests."""
from __future__ import annotations

import re
from pathlib import Path
from string import Template

from zoo_core._version import __version__
from zoo_core.errors import ZooError
from zoo_core.extension.registry import get_registry

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")

PYPROJECT = '''\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "$distribution"
version = "0.1.0"
description = "RNN Zoo plugin: the $name encoder and the $name-classifier architecture."
readme = "README.md"
requires-python = ">=3.10"
dependencies = ["zoo-core>=$zoo_version", "torch>=2.2"]

[project.optional-dependencies]
test = ["pytest>=7"]

# The zoo finds plugins through this entry point group; the name ($name) is the plugin's name.
[project.entry-points."zoo.plugins"]
$name = "$package.plugin"

[tool.setuptools]
packages = ["$package"]
'''

INIT = '''\
"""RNN Zoo plugin: the $name encoder."""
'''

CONFIGS = '''\
"""Configs of the $name encoder (light: imported when listing, so no torch)."""
from typing import Literal

from pydantic import Field

from zoo_core.plugin import StrictConfig


class ${cls}Config(StrictConfig):
    type: Literal["$name"] = "$name"
    hidden_size: int = Field(128, ge=1, le=4096, description="Channels of each convolution (the encoder's out_dim).")
    kernel_size: int = Field(3, ge=1, le=31, description="Tokens each convolution sees: this one and those before.")
    num_layers: int = Field(2, ge=1, le=16, description="Stacked convolutions; each widens the view by kernel_size - 1.")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="Dropout after each convolution during training.")
'''

PLUGIN = '''\
"""What this plugin offers. Light (no torch), so `zoo list` stays fast: the torch class is named
by a "module:Class" string and imported only when a model is built."""
from zoo_core.plugin import Architecture, Component, hookimpl
from $package.configs import ${cls}Config


@hookimpl
def register_components(register):
    register(Component("encoder", "$name", ${cls}Config, "$package.encoders:${cls}Encoder",
                       "Stacked causal 1-D convolutions over the tokens."))


@hookimpl
def register_architectures(register):
    register(Architecture(
        "$name-classifier",
        task="classify",
        description="Causal convolutional text classifier: state at the last token, then a linear layer.",
        defaults={
            "embedding": {"dim": 128},
            "encoder": {"type": "$name", "hidden_size": 128, "kernel_size": 3, "num_layers": 2},
            "head": {"type": "classify", "pooling": "last"},
        },
    ))
'''

ENCODERS = '''\
"""The $name encoder: stacked causal 1-D convolutions over the embedded tokens.

Causal: position t sees only tokens t-kernel_size+1 .. t. Padding comes after the real tokens,
so it never reaches a real position; states at padding are zeroed, and the summary is the state
at each sequence's own last real token.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from zoo_core.plugin import Encoder, EncoderOutput, last_real_state, lengths_to_mask


class ${cls}Encoder(Encoder):
    # The encoder contract (docs/plugins.md): position t sees only tokens up to t, and there is no
    # recurrent state to carry from one call to the next.
    bidirectional = False
    carries_state = False

    def __init__(self, config, input_dim: int):
        super().__init__(config, input_dim)
        sizes = [input_dim] + [config.hidden_size] * config.num_layers
        self.convolutions = nn.ModuleList(
            nn.Conv1d(size_in, size_out, config.kernel_size) for size_in, size_out in zip(sizes, sizes[1:]))
        self.dropout = nn.Dropout(config.dropout)
        self.out_dim = config.hidden_size

    def forward(self, inputs: Tensor, lengths: Tensor, state: Any = None) -> EncoderOutput:
        hidden = inputs.transpose(1, 2)  # Conv1d wants (batch, channels, time)
        for convolution in self.convolutions:
            # Pad on the left only, so no position sees a later (possibly padded) one.
            hidden = F.pad(hidden, (self.config.kernel_size - 1, 0))
            hidden = self.dropout(torch.tanh(convolution(hidden)))
        mask = lengths_to_mask(lengths, inputs.size(1)).unsqueeze(-1)
        states = hidden.transpose(1, 2) * mask
        return EncoderOutput(states=states, summary=last_real_state(states, lengths))
'''

TESTS = '''\
"""The zoo's conformance kit: one test per check, for the encoder and the architecture."""
import zoo_core
from zoo_core.testing import parametrize_with_checks


def test_plugin_is_discovered():
    assert "$name-classifier" in zoo_core.list_models()


@parametrize_with_checks(["encoder:$name", "$name-classifier"])
def test_conformance(target, check):
    check(target)
'''

README = '''\
# $distribution

An RNN Zoo plugin: the `$name` encoder (stacked causal 1-D convolutions)
and the `$name-classifier` architecture.

```sh
pip install -e .            # or: pip install $distribution
zoo plugins                 # $name ($distribution 0.1.0) ok
zoo list '$name*'           # $name-classifier
zoo info $name-classifier   # its config: defaults, bounds, descriptions
zoo train $name-classifier --epochs 2 --out my-$name
zoo run my-$name "a gripping film"
```

## Develop

- `$package/plugin.py` registers what the plugin offers (no torch there: listing stays fast).
- `$package/configs.py` holds the pydantic configs: defaults, bounds, descriptions.
- `$package/encoders.py` holds the torch code, imported only when a model is built.
- `pip install -e '.[test]' && pytest` runs the zoo's conformance kit on the encoder and the
  architecture: shapes, padding, gradients, save/load, configs, seeding; each check its own test.

## Versions

Saved models record this plugin's name, distribution and version. Loading a model needs this
plugin installed; a model saved with a newer major version warns. Bump the major version when a
change breaks saved models (renamed config fields, different weights).
'''

TEMPLATES = {
    "pyproject.toml": PYPROJECT,
    "README.md": README,
    "$package/__init__.py": INIT,
    "$package/configs.py": CONFIGS,
    "$package/plugin.py": PLUGIN,
    "$package/encoders.py": ENCODERS,
    "tests/test_conformance.py": TESTS,
}


def plugin_names(name: str) -> dict[str, str]:
    """The names a plugin NAME gets: its distribution, package and class prefix."""
    if not NAME_PATTERN.match(name) or len(name) > 40:
        raise ZooError(f"plugin name {name!r}: use lower-case letters and digits, words joined by '-' "
                       "(for example 'causal-conv'), at most 40 characters")
    return {
        "name": name,
        "distribution": f"zoo-{name}",
        "package": "zoo_" + name.replace("-", "_"),
        "cls": "".join(part.capitalize() for part in name.split("-")),
        "zoo_version": __version__,
    }


def render_plugin(name: str) -> dict[str, str]:
    """Relative path -> file text of the package for plugin NAME."""
    names = plugin_names(name)
    return {Template(path).substitute(names): Template(text).substitute(names) for path, text in TEMPLATES.items()}


def check_free(name: str) -> None:
    """Refuse a name the installed plugins already use: the new one would be ignored."""
    registry = get_registry()
    for taken, what in ((name in registry.plugins, f"plugin '{name}'"),
                        (("encoder", name) in registry.components, f"encoder '{name}'"),
                        (f"{name}-classifier" in registry.architectures, f"architecture '{name}-classifier'")):
        if taken:
            raise ZooError(f"{what} is already registered by an installed plugin; pick another NAME")


def write_plugin(name: str, directory: str | Path = ".") -> Path:
    """Write the package for plugin NAME into DIRECTORY/zoo-NAME; return that folder."""
    files = render_plugin(name)
    check_free(name)
    root = Path(directory) / plugin_names(name)["distribution"]
    if root.exists():
        raise ZooError(f"{root} already exists; remove it or give another --path")
    for relative, text in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root
