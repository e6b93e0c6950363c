"""Plugins written straight into a folder as bare dist-info directories (no pip, no build): put the folder on
PYTHONPATH (a `zoo` subprocess) or sys.path (this process) and the zoo discovers them like installed ones.

- ``versioned`` (zoo-versioned 2.0.0): encoder ``wide-bag``, whose setting ``width`` was called ``hidden_size``
  in 1.x (the config maps the old name, as docs/plugins.md shows) and whose 1.x setting ``mode`` was removed;
  architectures ``versioned-bag-classifier`` (task classify: always available), ``versioned-bag-lm`` (task lm,
  from plugin recurrent) and ``versioned-mystery-tagger`` (task mystery, which no plugin provides).
- ``badarch`` (zoo-badarch 1.0.0): one architecture whose defaults do not validate (a genuine error).
"""
from __future__ import annotations

import textwrap
from pathlib import Path

VERSIONED_PLUGIN = '''
"""A plugin at 2.0.0 that renamed a setting of its encoder (hidden_size -> width) and removed one (mode)."""
from typing import Literal

from pydantic import Field, model_validator

from zoo_core.plugin import Architecture, Component, StrictConfig, hookimpl


class WideBagConfig(StrictConfig):
    type: Literal["wide-bag"] = "wide-bag"
    width: int = Field(8, ge=1, description="Size of each state (called hidden_size before 2.0).")

    @model_validator(mode="before")
    @classmethod
    def _renamed_settings(cls, data):
        # Models saved with 1.x store hidden_size; read it as width so they still load.
        if isinstance(data, dict) and "hidden_size" in data:
            if "width" in data:
                raise ValueError("give width only (hidden_size is its name before 2.0)")
            data = {**data, "width": data["hidden_size"]}
            del data["hidden_size"]
        return data


@hookimpl
def register_components(register):
    register(Component("encoder", "wide-bag", WideBagConfig, "zoo_versioned.encoder:WideBagEncoder", "Running mean."))


@hookimpl
def register_architectures(register):
    bag = {"encoder": {"type": "wide-bag"}, "head": {"type": "classify"}}
    register(Architecture("versioned-bag-classifier", "classify", "Running-mean classifier (test plugin).", bag))
    register(Architecture("versioned-bag-lm", "lm", "Needs task lm, from plugin recurrent.",
                          {"encoder": "wide-bag", "head": "lm"}))
    register(Architecture("versioned-mystery-tagger", "mystery", "Needs task mystery, which nothing provides.", bag))
'''

VERSIONED_ENCODER = '''
import torch
from torch import nn

from zoo_core.plugin import Encoder, EncoderOutput, last_real_state, lengths_to_mask


class WideBagEncoder(Encoder):
    bidirectional = False
    carries_state = False

    def __init__(self, config, input_dim):
        super().__init__(config, input_dim)
        self.project = nn.Linear(input_dim, config.width)
        self.out_dim = config.width

    def forward(self, inputs, lengths, state=None):
        mask = lengths_to_mask(lengths, inputs.size(1)).unsqueeze(-1).float()
        projected = torch.tanh(self.project(inputs)) * mask
        steps = torch.arange(1, inputs.size(1) + 1, device=inputs.device).view(1, -1, 1)
        states = projected.cumsum(1) / steps * mask
        return EncoderOutput(states, last_real_state(states, lengths), None)
'''

BADARCH_PLUGIN = '''
"""An architecture whose defaults break its encoder's bound: reported as an error of this plugin."""
from zoo_core.plugin import Architecture, hookimpl


@hookimpl
def register_architectures(register):
    register(Architecture("badarch-classifier", "classify", "Invalid defaults (test plugin).",
                          {"encoder": {"type": "wide-bag", "width": 0}, "head": {"type": "classify"}}))
'''


def write_distribution(site: Path, distribution: str, version: str, plugin: str, modules: dict[str, str]) -> None:
    """A bare installed distribution: its dist-info (METADATA, entry point) and its package's modules."""
    package = distribution.replace("-", "_")
    info = site / f"{package}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[zoo.plugins]\n{plugin} = {package}.plugin\n")
    (site / package).mkdir()
    (site / package / "__init__.py").write_text("")
    for module, source in modules.items():
        (site / package / f"{module}.py").write_text(textwrap.dedent(source).lstrip())


def write_plugin_site(site: Path) -> Path:
    write_distribution(site, "zoo-versioned", "2.0.0", "versioned",
                       {"plugin": VERSIONED_PLUGIN, "encoder": VERSIONED_ENCODER})
    write_distribution(site, "zoo-badarch", "1.0.0", "badarch", {"plugin": BADARCH_PLUGIN})
    return site
