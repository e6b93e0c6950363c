"""Data-parallel training (torchrun + gloo on this CPU), mixed precision and gradient accumulation."""
from __future__ import annotations

import importlib
import json
import textwrap
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from conftest import run_zoo

# Small, dropout-free and early-stopping-free, so two runs can only differ by how they split the work.
EXACT = ["--set", "embedding.dim=16", "--set", "encoder.hidden_size=16", "--set", "training.batch_size=16",
         "--set", "training.patience=null", "--set", "training.lr=0.01", "--epochs", "2", "--seed", "3", "--quiet"]


def weights(path: Path) -> dict[str, torch.Tensor]:
    return load_file(str(path))


def test_two_processes_match_one_process_on_the_same_global_batch(tmp_path, sentiment_dir):
    """2 gloo processes with batch 16 each against 1 process accumulating 2 batches of 16 per step."""
    two, one = tmp_path / "two", tmp_path / "one"
    ran = run_zoo("train", "lstm-classifier", "--data", str(sentiment_dir), *EXACT, "--nproc-per-node", "2",
                  "--out", "ddp", env={"ZOO_HOME": str(two)}, timeout=600)
    assert ran.returncode == 0, ran.stderr
    ran = run_zoo("train", "lstm-classifier", "--data", str(sentiment_dir), *EXACT, "--accumulate", "2",
                  "--out", "single", env={"ZOO_HOME": str(one)}, timeout=600)
    assert ran.returncode == 0, ran.stderr

    written = sorted(p.name for p in (two / "models").iterdir())
    assert written == ["ddp.metrics.jsonl", "ddp.safetensors"]  # rank 0 alone wrote the model and metrics
    distributed, single = weights(two / "models" / "ddp.safetensors"), weights(one / "models" / "single.safetensors")

    from zoo_core.modeling.loading import load_model
    from zoo_core.workflows import create_model

    start = create_model("lstm-classifier", vocabs=load_model(str(one / "models" / "single.safetensors")).vocabs,
                         embedding__dim=16, encoder__hidden_size=16, training__seed=3).state_dict()
    tolerance = 1e-4
    moved = max((single[k] - start[k]).abs().max().item() for k in single)
    differs = max((single[k] - distributed[k]).abs().max().item() for k in single)
    assert moved > 100 * tolerance, "training did not move the weights enough for the comparison to mean anything"
    assert differs < tolerance, f"2-process weights differ from 1-process ones by {differs}"

    rows = [json.loads(line) for line in (two / "models" / "ddp.metrics.jsonl").read_text().splitlines()]
    single_rows = [json.loads(line) for line in (one / "models" / "single.metrics.jsonl").read_text().splitlines()]
    assert rows[0]["processes"] == 2 and single_rows[0]["processes"] == 1
    assert rows[0]["optimizer_steps"] == single_rows[0]["optimizer_steps"]
    assert rows[-1]["train_loss"] == pytest.approx(single_rows[-1]["train_loss"], rel=1e-4)  # reduced over processes


FAILING_PLUGIN = '''
    import os
    from typing import Literal

    from zoo_core import Architecture, Component, hookimpl
    from zoo_core.config.sections import StrictConfig
    from zoo_core.errors import ZooError
    from zoo_core.modeling.interfaces import Encoder, EncoderOutput


    class FailingConfig(StrictConfig):
        type: Literal["fails-on-rank-1"] = "fails-on-rank-1"


    class FailingEncoder(Encoder):
        bidirectional = False
        carries_state = False

        def __init__(self, config, input_dim):
            super().__init__(config, input_dim)
            import torch
            self.scale = torch.nn.Parameter(torch.ones(()))
            self.out_dim = input_dim

        def forward(self, inputs, lengths, state=None):
            if self.training and os.environ.get("RANK") == "1":
                raise ZooError("rank 1 broke on purpose")
            states = inputs * self.scale
            return EncoderOutput(states, states[:, 0], None)


    @hookimpl
    def register_components(register):
        register(Component("encoder", "fails-on-rank-1", FailingConfig, "zoo_failing:FailingEncoder", "Test only."))


    @hookimpl
    def register_architectures(register):
        register(Architecture("failing-classifier", "classify", "Test only.", {"encoder": "fails-on-rank-1", "head": "classify"}))
'''


def install_failing_plugin(site: Path) -> Path:
    """A plugin importable from ``site`` with its entry point, without pip (a bare dist-info folder)."""
    (site / "zoo_failing.py").parent.mkdir(parents=True, exist_ok=True)
    (site / "zoo_failing.py").write_text(textwrap.dedent(FAILING_PLUGIN))
    info = site / "zoo_failing-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: zoo-failing\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[zoo.plugins]\nfailing = zoo_failing\n")
    return site


def test_a_failing_process_stops_all_with_its_error(tmp_path, sentiment_dir):
    site = install_failing_plugin(tmp_path / "site")
    import os

    path = os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])
    ran = run_zoo("train", "failing-classifier", "--data", str(sentiment_dir), "--quiet", "--out", "never",
                  "--nproc-per-node", "2", env={"PYTHONPATH": path}, timeout=300)
    assert ran.returncode == 1
    assert "zoo: error: rank 1 broke on purpose" in ran.stderr  # the failing process's own line
    assert "process rank 1 failed (exit code 1)" in ran.stderr
    assert "Traceback" not in ran.stderr
    assert not (tmp_path / "zoo-home" / "models" / "never.safetensors").exists()


def test_several_machines_need_a_rendezvous_endpoint(sentiment_dir):
    ran = run_zoo("train", "lstm-classifier", "--data", str(sentiment_dir), "--nproc-per-node", "1", "--nnodes", "2")
    assert ran.returncode == 1
    assert ran.stderr.strip().splitlines() == [ran.stderr.strip()]
    assert "--rdzv-endpoint HOST:PORT" in ran.stderr


def test_machines_without_processes_per_machine_is_one_line(sentiment_dir):
    ran = run_zoo("train", "lstm-classifier", "--data", str(sentiment_dir), "--nnodes", "2")
    assert ran.returncode == 1 and "add --nproc-per-node N" in ran.stderr and len(ran.stderr.splitlines()) == 1


def test_forwarded_arguments_keep_the_command_and_drop_launcher_flags():
    import click

    from zoo_core.cli.training import forwarded_arguments, train

    args = ["lstm-classifier", "--data", "d", "--set", "a=1", "--set", "b=2", "--quiet", "--nproc-per-node", "2",
            "--precision", "bf16", "--rdzv-id", "job"]
    with click.Context(train, info_name="train") as ctx:
        train.parse_args(ctx, list(args))
        forwarded = forwarded_arguments(ctx)
    assert forwarded[:2] == ["train", "lstm-classifier"]
    assert forwarded.count("--set") == 2 and "a=1" in forwarded and "b=2" in forwarded
    assert "--quiet" in forwarded and ["--precision", "bf16"] == forwarded[forwarded.index("--precision"):][:2]
    assert "--nproc-per-node" not in forwarded and "--rdzv-id" not in forwarded and "--nnodes" not in forwarded


@pytest.mark.skipif(not importlib.import_module("zoo_core.training.precision").cpu_has_native_bf16(),
                    reason="this CPU has no native bfloat16")
def test_bf16_on_cpu_trains_saves_and_records_precision(zoo_home, sentiment_dir):
    ran = run_zoo("train", "lstm-classifier", "--data", str(sentiment_dir), "--set", "embedding.dim=16",
                  "--set", "encoder.hidden_size=16", "--epochs", "2", "--precision", "bf16", "--out", "half", "--quiet")
    assert ran.returncode == 0, ran.stderr
    rows = [json.loads(line) for line in (zoo_home / "models" / "half.metrics.jsonl").read_text().splitlines()]
    assert [row["precision"] for row in rows] == ["bf16", "bf16"]
    assert rows[-1]["train_loss"] < rows[0]["train_loss"]
    from zoo_core.modeling.loading import load_model

    model = load_model("half")
    assert model.config.training.precision == "bf16"
    assert all(p.dtype == torch.float32 for p in model.parameters())  # autocast: weights stay fp32
    assert run_zoo("run", "half", "a fine film").returncode == 0


def test_bf16_on_a_cpu_without_it_is_one_clear_line(monkeypatch):
    from zoo_core.errors import ConfigError
    from zoo_core.training import precision

    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: False)
    with pytest.raises(ConfigError, match=r"no native bfloat16 \(avx512_bf16 or AMX\).*use --precision fp32"):
        precision.check_precision("bf16", torch.device("cpu"))
    with pytest.raises(ConfigError, match="use --precision bf16 on CPU"):
        precision.check_precision("fp16", torch.device("cpu"))
    precision.check_precision("fp32", torch.device("cpu"))  # always fine


def test_fp16_on_cpu_is_refused_by_the_cli(sentiment_dir):
    ran = run_zoo("train", "lstm-classifier", "--data", str(sentiment_dir), "--precision", "fp16", "--quiet")
    assert ran.returncode == 1
    assert ran.stderr.startswith("zoo: error: training.precision=fp16") and "Traceback" not in ran.stderr


def test_accumulation_takes_one_optimizer_step_per_k_batches(sentiment_dir):
    from zoo_core.workflows import train

    steps = {}
    for accumulate in (1, 3):
        model = train("lstm-classifier", str(sentiment_dir), progress=False, embedding__dim=8,
                      encoder__hidden_size=8, training__epochs=1, training__accumulate=accumulate)
        steps[accumulate] = model.training_summary["optimizer_steps"]
    batches = steps[1]
    assert batches > 3
    assert steps[3] == -(-batches // 3)  # a short last group still steps


def test_torchrun_itself_runs_the_cli_module(tmp_path, sentiment_dir):
    import subprocess
    import sys

    home = tmp_path / "home"
    ran = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                          "-m", "zoo_core.cli", "train", "lstm-classifier", "--data", str(sentiment_dir), *EXACT,
                          "--epochs", "1", "--out", "via-torchrun"],
                         capture_output=True, text=True, timeout=600,
                         env={**__import__("os").environ, "ZOO_HOME": str(home), "OMP_NUM_THREADS": "1"})
    assert ran.returncode == 0, ran.stderr
    assert sorted(p.name for p in (home / "models").iterdir()) == ["via-torchrun.metrics.jsonl", "via-torchrun.safetensors"]
    assert json.loads((home / "models" / "via-torchrun.metrics.jsonl").read_text().splitlines()[0])["processes"] == 2
    assert ran.stdout.count("saved ") == 1  # rank 0 alone reports


def test_streaming_a_task_that_loads_whole_is_refused(tmp_path):
    ran = run_zoo("train", "bilstm-tagger", "--stream", "--quiet")
    assert ran.returncode == 1
    assert ran.stderr.strip() == ("zoo: error: training.stream: the tag task loads its data whole "
                                  "(streaming: classify and lm tasks); train without --stream")
