"""Checkpoint overhead, the light way (seconds of CPU, for a loaded machine): lstm-classifier with rt-polarity's
vocabulary, 40 training steps timed (1 thread) and scaled to the epoch's step count, then 5 checkpoints of
the same contents the trainer writes (weights, best weights, AdamW state, RNG states) timed.
bench/bench_checkpoints.py measures the same inside real epochs.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_checkpoint_save.py
"""
import random
import statistics
import tempfile
import time
from pathlib import Path

import torch

from zoo_core.extension.registry import get_registry
from zoo_core.modeling.model import ZooModel
from zoo_core.training.checkpoints import capture_rng, save_checkpoint
from zoo_core.workflows import data_options, prepare_data, resolve_config

torch.set_num_threads(1)
config = resolve_config("lstm-classifier")
registry = get_registry()
task = registry.task(config.task).load()(config)
splits = prepare_data(task, data_options(str(Path(__file__).resolve().parents[2] / "shared" / "data" / "rt-polarity")), announce=False)
vocabs = task.build_vocabs(splits.train)
train = task.encode(splits.train, vocabs)
model = ZooModel(config, vocabs, registry, task=task)
model.train()
opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
rng = random.Random(0)
batches = task.batches(train, 32, torch.device("cpu"), True, rng)
steps_per_epoch = -(-len(train) // 32)
start = time.perf_counter()
for _, batch in zip(range(40), batches):
    loss, _ = task.train_step(model, batch, None)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    opt.step()
    opt.zero_grad()
step_s = (time.perf_counter() - start) / 40
epoch_s = step_s * steps_per_epoch
contents = {"model": model.state_dict(), "best": {k: v.clone() for k, v in model.state_dict().items()},
            "optimizer": opt.state_dict(), "rng": capture_rng(rng.getstate()), "position": {"epoch": 1}}
times = []
with tempfile.TemporaryDirectory() as d:
    for _ in range(5):
        t = time.perf_counter()
        save_checkpoint(Path(d) / "x.checkpoint", contents)
        times.append(time.perf_counter() - t)
    size = (Path(d) / "x.checkpoint").stat().st_size
print(f"params {model.num_parameters():,}; train {len(train):,} examples, {steps_per_epoch} steps/epoch; "
      f"step {step_s*1000:.1f} ms -> epoch ~{epoch_s:.1f} s; checkpoint {size/2**20:.1f} MiB, median "
      f"{statistics.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f}) = "
      f"{100*statistics.median(times)/epoch_s:.2f}% of an epoch")
