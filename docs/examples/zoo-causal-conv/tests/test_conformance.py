"""The zoo's conformance kit: one test per check, for the encoder and the architecture."""
import zoo_core
from zoo_core.testing import parametrize_with_checks


def test_plugin_is_discovered():
    assert "causal-conv-classifier" in zoo_core.list_models()


@parametrize_with_checks(["encoder:causal-conv", "causal-conv-classifier"])
def test_conformance(target, check):
    check(target)
