"""The zoo's conformance kit on this plugin, one test per check.

The one-direction encoders and every preset are discovered and checked by the repository's
tests/test_conformance.py (zoo_core.testing.repository_targets); here: each encoder made bidirectional
through the zoo-bidirectional wrapper, and the scan paths of the element-wise recurrences.
"""
import pytest

import zoo_core
from zoo_core.testing import parametrize_with_checks, registry
from zoo_modern.plugin import ENCODERS

WRAPPED = [("encoder:bidirectional", {"inner": {"type": name, "hidden_size": 8}}) for name in ENCODERS]
# The kit's sequences are short, so auto takes the sequential path; the other two on one encoder each
# (tests/test_recurrences.py checks that every path gives the same states on every scan encoder).
PATHS = [("encoder:mingru", {"mode": "chunked"}), ("encoder:minlstm", {"mode": "scan"})]


def test_every_encoder_and_preset_is_discovered():
    models = zoo_core.list_models()
    for name in ENCODERS:
        assert ("encoder", name) in registry().components
        assert f"{name}-classifier" in models and f"char-{name}-lm" in models


@pytest.mark.skipif(("encoder", "bidirectional") not in registry().components, reason="needs zoo-bidirectional")
@parametrize_with_checks([*WRAPPED, *PATHS])
def test_conformance(target, check):
    check(target)
