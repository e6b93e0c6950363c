"""Every first-party component and architecture passes the conformance kit, one test per check."""
from pathlib import Path

from zoo_core.extension.registry import get_registry
from zoo_core.testing import parametrize_with_checks, repository_targets

REPO = Path(__file__).resolve().parents[1]
# Settings that take another code path than the defaults: the backward direction reads padding; a stack of
# one-direction layers carries a (num_layers, batch, hidden) state.
VARIANTS = [(f"encoder:{name}", settings) for name in ("rnn", "lstm", "gru")
            for settings in ({"bidirectional": True, "num_layers": 2}, {"num_layers": 2})
            if ("encoder", name) in get_registry().components]


@parametrize_with_checks([*repository_targets(REPO), *VARIANTS])
def test_first_party_conformance(target, check):
    check(target)
