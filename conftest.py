"""Fixtures every test of the repository gets, core and plugins alike."""
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def zoo_home(tmp_path, monkeypatch) -> Path:
    """Every test gets its own model store (ZOO_HOME), so no test sees another's models or the user's."""
    home = tmp_path / "zoo-home"
    monkeypatch.setenv("ZOO_HOME", str(home))
    return home
