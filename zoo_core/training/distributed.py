"""Data-parallel training on torch.distributed: one process per device, started by torchrun.

`zoo train --nproc-per-node N` starts torchrun's launcher in-process (so a failed process becomes one
line, not the launcher's traceback); `torchrun -m zoo_core.cli train ...` works as well. Each process
finds its rank in the environment torchrun sets, joins the group (NCCL on GPUs, gloo on CPUs) and
trains a DistributedDataParallel copy of the model on its own share of every epoch.
"""
from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Optional

import torch
import torch.distributed as dist

from zoo_core.errors import ConfigError, ZooError
from zoo_core.training.devices import select_device

LAUNCH_OPTIONS = ("nproc_per_node", "nnodes", "rdzv_endpoint", "rdzv_id", "oversubscribe")  # `zoo train` flags the launcher consumes


class PeerFailedError(ZooError):
    """This process stopped because another one failed: not the cause, so its own exit code."""

    exit_code = 3


@dataclass(frozen=True)
class ProcessGroup:
    """Where this process stands: its rank among ``world_size`` processes (one, when not distributed)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world_size > 1

    def sum(self, values: list[float], device: torch.device) -> list[float]:
        """Each value summed over every process (the train loss and token counts of an epoch)."""
        if not self.active:
            return list(values)
        tensor = torch.tensor(values, dtype=torch.float64, device=device)
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return tensor.tolist()

    def any(self, flag: bool, device: torch.device) -> bool:
        """True on every process if it is true on one (stop decisions must agree, or the others hang)."""
        if not self.active:
            return flag
        tensor = torch.tensor([1.0 if flag else 0.0], device=device)
        dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
        return bool(tensor.item())

    def from_main(self, value: float, device: torch.device) -> float:
        """Rank 0's value on every process (the validation score that early stopping reads)."""
        if not self.active:
            return value
        tensor = torch.tensor([value], dtype=torch.float64, device=device)
        dist.broadcast(tensor, src=0)
        return tensor.item()

    @contextlib.contextmanager
    def main_first(self):
        """Rank 0 runs the block first and the others after it (files one process should write)."""
        if self.active and not self.is_main:
            dist.barrier()
        yield
        if self.active and self.is_main:
            dist.barrier()


def from_environment() -> ProcessGroup:
    """The rank torchrun gave this process (RANK, WORLD_SIZE, LOCAL_RANK); one process otherwise."""
    return ProcessGroup(int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)),
                        int(os.environ.get("LOCAL_RANK", 0)))


def start(device_name: str) -> tuple[ProcessGroup, torch.device]:
    """Join the process group when torchrun started several processes; return it and this process's device."""
    group, device = from_environment(), select_device(device_name)
    if not group.active:
        return group, device
    if device.type == "cuda":
        device = torch.device("cuda", group.local_rank)  # one GPU per process
        torch.cuda.set_device(device)
    elif device.type != "cpu":
        raise ConfigError(f"training.device={device_name}: distributed training runs on CUDA or CPU; use --device cpu")
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo", timeout=timedelta(minutes=30))
    return group, device


@contextlib.contextmanager
def peer_failures_as_errors(group: ProcessGroup):
    """A collective that fails because another process died becomes one line: that process's own
    error is the one to read, and the launcher names it."""
    try:
        yield
    except RuntimeError as error:
        message = str(error)
        if not group.active or not (isinstance(error, dist.DistError) or any(
                sign in message for sign in ("Connection closed by peer", "Connection reset by peer", "NCCL"))):
            raise
        raise PeerFailedError(f"rank {group.rank} stopped: another process of this run failed") from None


def is_running() -> bool:
    return dist.is_available() and dist.is_initialized()


def stop() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


class SyncedModel:
    """A DistributedDataParallel model that still reads like the ZooModel inside it.

    Calling it runs DDP's forward (which syncs gradients on backward); attributes (``head``,
    ``encoder``, ``device``...) come from the model, so task code works unchanged.
    """

    def __init__(self, model, device: torch.device):
        from torch.nn.parallel import DistributedDataParallel

        ids = [device.index] if device.type == "cuda" else None
        self.ddp = DistributedDataParallel(model, device_ids=ids)

    def __call__(self, *args, **kwargs):
        return self.ddp(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.ddp.module, name)


def check_process_count(nproc_per_node: int, oversubscribe: bool = False) -> None:
    """More CPU processes than cores only slows a run down (and each holds a copy of the model and data)."""
    cores = os.cpu_count() or 1
    if nproc_per_node > cores and not torch.cuda.is_available() and not oversubscribe:
        raise ConfigError(f"--nproc-per-node {nproc_per_node}: this machine has {cores} CPU cores and no GPU; use at "
                          f"most {cores} (or add --oversubscribe to start them anyway)")


def launch(command_args: list[str], nproc_per_node: int, nnodes: int = 1, rdzv_endpoint: Optional[str] = None,
           rdzv_id: str = "zoo") -> None:
    """Run ``zoo <command_args>`` in ``nproc_per_node`` processes per node under torchrun's launcher.

    A process that fails stops the others; its own error line is already on stderr, and this raises
    one more line naming the rank.
    """
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    if nnodes > 1 and not rdzv_endpoint:
        raise ConfigError(f"--nnodes {nnodes}: several machines meet at a rendezvous; add --rdzv-endpoint HOST:PORT "
                          "(the same on every machine)")
    # Threads per process: the cores shared out, as torchrun does (two processes on two cores: one each).
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc_per_node)))
    # One machine without an endpoint: torchrun's --standalone (a private rendezvous on a free port).
    config = LaunchConfig(min_nodes=nnodes, max_nodes=nnodes, nproc_per_node=nproc_per_node,
                          run_id=rdzv_id if rdzv_endpoint else f"zoo-{uuid.uuid4()}", rdzv_backend="c10d",
                          rdzv_endpoint=rdzv_endpoint or "localhost:0", max_restarts=0, monitor_interval=0.2)
    logging.getLogger("torch.distributed.elastic").setLevel(logging.CRITICAL)  # failures are reported below
    try:
        elastic_launch(config, entrypoint=sys.executable)("-m", "zoo_core.cli", *command_args)
    except ChildFailedError as error:
        # The cause is the process that failed on its own, not those that then lost contact with it.
        causes = {rank: f for rank, f in error.failures.items() if f.exitcode != PeerFailedError.exit_code}
        rank, failure = min(causes.items()) if causes else error.get_first_failure()
        raise ZooError(f"training stopped: process rank {rank} failed ({describe_exit(failure.exitcode)}); "
                       "its error is above, and the other processes were stopped") from None


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"
