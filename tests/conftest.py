"""Shared fixtures of the core tests: small data sets and a CLI runner (the isolated store: ../conftest.py)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def sentiment_dir(tmp_path) -> Path:
    """A small generated sentiment data set in label-files format."""
    from zoo_core.data.synthetic import write_sentiment_files

    return write_sentiment_files(tmp_path / "sentiment", n=400, seed=3)


def run_zoo(*args: str, input: str | None = None, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run the `zoo` command in a fresh process (a user at a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "zoo_core.cli", *args], capture_output=True, text=True, input=input,
        env={**os.environ, **(env or {})}, timeout=timeout,
    )


TINY = ["--set", "embedding.dim=16", "--set", "encoder.hidden_size=16", "--set", "training.epochs=2", "--quiet"]
