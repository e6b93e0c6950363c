"""scripts/torch_source.sh: which torch build setup installs (CPU wheels where no NVIDIA GPU answers)."""
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def torch_source(tmp_path, gpu: str | None, **env) -> subprocess.CompletedProcess:
    """Run the script with a PATH whose nvidia-smi (if any) exits 0 (a GPU) or 1 (a driver without a GPU)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    if gpu is not None:
        fake = bin_dir / "nvidia-smi"
        fake.write_text(f"#!/bin/sh\nexit {0 if gpu == 'works' else 1}\n")
        fake.chmod(0o755)
    path = f"{bin_dir}:/usr/bin:/bin"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ZOO_TORCH")}
    return subprocess.run([str(ROOT / "scripts" / "torch_source.sh")], capture_output=True, text=True,
                          env={**clean, "PATH": path, **env}, timeout=60)


@pytest.mark.parametrize("gpu", [None, "broken"])
def test_without_a_working_nvidia_gpu_the_cpu_index_is_used(tmp_path, gpu):
    result = torch_source(tmp_path, gpu, ZOO_TORCH_INDEX="https://download.pytorch.org/whl/cpu")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["torch==2.13.0", "--index-url", "https://download.pytorch.org/whl/cpu",
                                     "--extra-index-url", "https://pypi.org/simple"]
    assert "cpu build" in result.stderr


def test_with_an_nvidia_gpu_the_default_build_is_used(tmp_path):
    result = torch_source(tmp_path, "works")
    assert result.returncode == 0 and result.stdout.split() == ["torch==2.13.0"]
    assert "cuda build" in result.stderr


def test_overrides_pick_the_build_and_refuse_a_bad_value(tmp_path):
    forced = torch_source(tmp_path, "works", ZOO_TORCH="cpu", ZOO_TORCH_INDEX="file:///tmp/wheels")
    assert forced.stdout.split()[1:3] == ["--index-url", "file:///tmp/wheels"]
    bad = torch_source(tmp_path, None, ZOO_TORCH="rocm")
    assert bad.returncode == 2 and "ZOO_TORCH=rocm: give cpu or cuda" in bad.stderr
