"""The Python API behind `zoo_core.create_model`, `train` and the CLI's `zoo train` / `zoo eval`."""
from __future__ import annotations

import contextlib
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Optional

from zoo_core.config.overrides import SECTIONS, check_keywords, keyword_overrides, merge_config
from zoo_core.config.sections import ModelConfig
from zoo_core.data.in_memory import is_in_memory, write_in_memory
from zoo_core.data.vocab import Vocab
from zoo_core.errors import ConfigError, ZooError
from zoo_core.extension.registry import get_registry
from zoo_core.io.reservations import check_output
from zoo_core.io.store import model_path, zoo_home
from zoo_core.modeling.loading import load_model
from zoo_core.modeling.model import ZooModel
from zoo_core.tasks.base import DataOptions
from zoo_core.training import distributed
from zoo_core.training.guards import check_memory
from zoo_core.training.loop import seed_everything
from zoo_core.training.session import TrainingRun, announce_stop
from zoo_core.training.transfer import initialize_from, load_pretrained_vectors


def resolve_config(name: str, overrides: Optional[dict] = None, config_file: Optional[dict] = None) -> ModelConfig:
    """Architecture ``name``'s validated config: its defaults, then ``config_file``, then ``overrides`` (nested
    dicts, deep-merged: a later source changes only the settings it names)."""
    return get_registry().resolve(name, merge_config(config_file or {}, overrides or {}))


DATA_KEYWORDS = ("format", "text_field", "label_field", "valid", "test")
TRAIN_KEYWORDS = ("architecture", "data", "out", "force", "overrides", "config_file", "progress", "init", "resume",
                  "keep_checkpoints")


def create_model(name: str, vocab=None, num_classes: Optional[int] = None, vocabs: Optional[dict] = None, **overrides):
    """An untrained model of architecture ``name``.

    ``vocab`` is a :class:`Vocab`, a list of tokens, or a size (placeholder tokens);
    ``num_classes`` (classification) makes labels "0".."N-1". ``vocabs`` gives every vocabulary
    by name for tasks that need more than one.
    """
    config = resolve_config(name, keyword_overrides({k: v for k, v in overrides.items() if "__" in k or k in SECTIONS}))
    check_keywords("create_model", [k for k in overrides if "__" not in k and k not in SECTIONS],
                   ["name", "vocab", "num_classes", "vocabs"], config)
    vocabs = dict(vocabs or {})
    if vocab is not None:
        vocabs["tokens"] = _as_vocab(vocab)
    vocabs.setdefault("tokens", _as_vocab(1000))
    if num_classes is not None:
        vocabs["labels"] = Vocab(str(i) for i in range(num_classes))
    if config.task == "classify":
        vocabs.setdefault("labels", Vocab(["0", "1"]))
    seed_everything(config.training.seed)
    return ZooModel(config, vocabs)


def placeholder_vocabs(size: int) -> dict[str, Vocab]:
    """Vocabularies of a given size for every role a task may ask for (parameter counts, tests)."""
    return {"tokens": _as_vocab(size), "target": _as_vocab(size), "labels": Vocab(["0", "1"])}


def _as_vocab(value) -> Vocab:
    if isinstance(value, Vocab):
        return value
    if isinstance(value, int):
        return Vocab(["<pad>", "<unk>", *(f"tok{i}" for i in range(max(value - 2, 0)))])
    return Vocab(value)


def data_options(data: Optional[str], **options) -> DataOptions:
    known = {k: options.pop(k) for k in list(options) if k in DataOptions.__dataclass_fields__}
    return DataOptions(path=data, **known, extra=options)


def prepare_data(task, options: DataOptions, announce: bool = True):
    """The splits of ``options.path``, or the task's embedded data set when no path is given."""
    if options.path is None:
        options.path = task.default_data(zoo_home() / "data")
        if announce:
            print(f"no --data given: using the embedded data set at {options.path}", file=sys.stderr)
    return task.load_splits(options)


def train(architecture: str, data: Optional[str] = None, *, out: Optional[str] = None, force: bool = False,
          overrides: Optional[dict] = None, config_file: Optional[dict] = None, progress: bool = True,
          init: Optional[str] = None, resume: bool = False, keep_checkpoints: bool = False,
          log: Optional[str] = None, on_epoch: Optional[Callable[[dict], None]] = None, **options: Any):
    """Train like `zoo train`: returns the trained model (saved too when ``out`` is given).

    ``overrides`` is a nested dict of config changes; keyword ``training__epochs=3`` works too.
    ``init`` (``training.init``) starts from a saved model's weights (docs/transfer.md).
    ``resume`` continues the run saved under ``out`` from its last checkpoint; ``keep_checkpoints`` keeps the
    checkpoint when the run completes; ``log`` is "tensorboard" (runs/) or "mlflow" (mlruns/) (docs/training.md);
    ``on_epoch`` is called with each epoch's metrics row.
    Data options: ``format``, ``text_field``, ``label_field``, ``valid``, ``test``.
    """
    setting_kwargs = {k: options.pop(k) for k in list(options) if "__" in k or k in SECTIONS}
    # Deep merge, keywords last: overrides={"training": {"lr": 0.01}} and training__epochs=3 both apply.
    if init is not None:
        setting_kwargs["training__init"] = init
    config = resolve_config(architecture, merge_config(overrides or {}, keyword_overrides(setting_kwargs)), config_file)
    check_keywords("train", options, [*DATA_KEYWORDS, *TRAIN_KEYWORDS], config)  # before any work: a typo costs nothing
    target = writable_target(out, force or resume)
    owns_group = not distributed.is_running()  # a caller's own process group is the caller's to end
    group, device = distributed.start(config.training.device)  # one process unless torchrun started several
    # Before any data is read: the store is writable, the name fits, and no other run holds it.
    run = TrainingRun(target, config, resume=resume, keep_checkpoints=keep_checkpoints, group=group, log=log,
                      on_epoch=on_epoch)
    with in_memory_files(config.task, data, options) as (data, options), \
            distributed.peer_failures_as_errors(group), run.reserved():
        model = _train(architecture, config, data, run, group, device, progress, options)
    if owns_group:  # after a failure the group is left alone: tearing it down can abort the process
        distributed.stop()
    return model


@contextlib.contextmanager
def in_memory_files(task: str, data, options: dict):
    """(data, options) with any Python lists given as data, valid or test written to temporary files the task's
    reader takes (`data/in_memory.py`); removed when training ends."""
    given = {"data": data, **{k: options[k] for k in ("valid", "test") if k in options}}
    if not any(is_in_memory(value) for value in given.values()):
        yield data, options
        return
    with tempfile.TemporaryDirectory(prefix="zoo-in-memory-") as folder:
        written = {key: write_in_memory(value, task, Path(folder), key) if is_in_memory(value) else value
                   for key, value in given.items()}
        yield written.pop("data"), {**options, **written}


def _train(architecture, config, data, run, group, device, progress, options):
    registry = get_registry()
    task = registry.task(config.task).load()(config)
    if config.training.stream and not task.abilities.streaming_data:
        raise ConfigError(f"training.stream: the {config.task} task loads its data whole (streaming: classify and "
                          "lm tasks); train without --stream")
    with group.main_first():  # rank 0 writes the embedded data set before the others read it
        splits = prepare_data(task, data_options(data, **options), announce=group.is_main)
    vocabs = task.build_vocabs(splits.train)
    train_set, valid_set = task.encode(splits.train, vocabs), task.encode(splits.valid, vocabs)
    test_set = task.encode(splits.test, vocabs) if splits.test else []
    check_memory(lambda: ZooModel(config, vocabs, registry, task=task), config, device)  # before allocating
    seed_everything(config.training.seed)
    model = ZooModel(config, vocabs, registry, task=task).to(device)
    transfer = None
    if config.embedding.pretrained:
        line = load_pretrained_vectors(model, config.embedding.pretrained)
        if progress and group.is_main:
            print(line, file=sys.stderr)
    if config.training.init:
        transfer = initialize_from(model, load_model(config.training.init), config.training.init).line()
        if progress and group.is_main:
            print(transfer, file=sys.stderr)
    if progress and group.is_main:
        processes = f" in {group.world_size} processes" if group.active else ""
        print(f"training {architecture}: {model.num_parameters():,} parameters, {describe_size(train_set)} train / "
              f"{describe_size(valid_set)} valid / {describe_size(test_set)} test {size_unit(task, config)} on {device}{processes}",
              file=sys.stderr)
    with run.signals() as stop:  # a signal from here on ends with a checkpoint and the best weights saved
        summary = run.fit(model, train_set, valid_set, progress=progress)
        if test_set and group.is_main and not stop.received:
            summary["test"] = task.evaluate(model, test_set)
        summary["data"] = str(data) if data else "embedded"
        # How many examples each split held (an LM: tokens or characters), for the model card (docs/deploy.md).
        summary["examples"] = {"train": example_count(train_set), "valid": example_count(valid_set),
                               "test": example_count(test_set), "unit": size_unit(task, config)}
        summary["device"] = str(device)
        summary["run_id"] = run.run_id
        if transfer:
            summary["init"] = transfer
        model.training_summary = dict(summary)  # with its history: the metrics file beside it is a copy
        run.publish(model, summary)  # one model file, however many processes trained it
    if stop.received and group.is_main:
        announce_stop(run, summary)
    return model


def writable_target(out: Optional[str], force: bool) -> Optional[Path]:
    """Where ``--out`` saves the model; an existing model there is an error unless ``force``."""
    target = model_path(out) if out else None
    if target is not None:
        check_output(target)  # the name fits and the folder is writable, before any data is read
    if target is not None and target.exists() and not force:
        raise ZooError(f"model '{out}' already exists at {target}; pick another --out or add --force to replace it")
    return target


def size_unit(task, config) -> str:
    """What the data sizes count: a generating task (a language model) reads one stream of tokens."""
    if not task.abilities.generation:
        return "examples"
    return "characters" if config.tokenizer.type == "char" else "tokens"


def example_count(examples):
    """How many examples, or "streamed" for data read as a stream."""
    try:
        return len(examples)
    except TypeError:
        return "streamed"


def describe_size(examples) -> str:
    """How many examples, or "streamed" for data read as a stream (its size is not known up front)."""
    try:
        return f"{len(examples):,}"
    except TypeError:
        return "streamed"


def evaluate(reference: str, data: str, *, split: Optional[str] = None, device: str = "cpu",
             batch_size: Optional[int] = None, **options) -> dict:
    """Metrics of a saved model on every example of ``data`` (or, with ``split``, on the examples the data's
    split rule puts in train, valid or test), led by what was scored: ``data``, ``split``, ``examples``.

    ``options``: data options (``format``, ``text_field``, ``label_field``) and the task's ``eval_options``
    (``beam`` for seq2seq)."""
    model = load_model(reference, device=device)
    task = model.task
    unknown = sorted(set(options) - set(DataOptions.__dataclass_fields__) - set(task.eval_options))
    if unknown:
        flag = "--" + unknown[0].replace("_", "-")
        raise ZooError(f"{flag} does not apply to model '{reference}' (task {model.config.task}); "
                       f"`zoo eval --help` says which task takes it")
    eval_options = {k: options.pop(k) for k in list(options) if k in task.eval_options}
    if batch_size is not None:
        task.inference_batch_size = check_batch_size(batch_size)
    examples = task.load_eval(data_options(data, split=split, **options))
    report = task.evaluate_report(model, task.encode(examples, model.vocabs), **eval_options)
    return {"data": str(data), "split": split or "all", "examples": task.count_examples(examples), **report}


def check_batch_size(batch_size: int) -> int:
    if not 1 <= batch_size <= 1_000_000:
        raise ConfigError(f"--batch-size {batch_size}: give a number from 1 to 1000000")
    return batch_size
