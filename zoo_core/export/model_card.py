"""The README.md model card of an exported folder, generated from the model file: what it is, what it was
trained on and how, its metrics with the split and the number of examples, its size and its limits. The
license is left for the user to choose."""
from __future__ import annotations

import json
import shlex

from zoo_core.config.overrides import flatten
from zoo_core.errors import ZooError

PIPELINES = {"classify": "text-classification", "tag": "token-classification", "lm": "text-generation",
             "seq2seq": "translation"}
LIMITS = {
    "classify": "Texts longer than data.max_length ({max_length}) tokens are cut before classifying.",
    "tag": "Input is split into words by the zoo's own rule (or at tabs); tags the training data lacked are never "
           "predicted.",
    "lm": "It continues text in the style of its training corpus; it knows nothing beyond it and may produce "
          "fluent nonsense.",
    "seq2seq": "Sources longer than data.max_length ({max_length}) tokens are truncated; it translates only the "
               "language pair and domain of its training pairs.",
}


def model_card(name: str, metadata: dict, model, registry) -> str:
    config, summary = model.config, model.training_summary
    task = config.task
    description = registry.architectures[config.architecture].description \
        if config.architecture in registry.architectures else ""
    tokens = len(model.vocabs["tokens"])
    tokenizer = config.tokenizer
    lines = [
        "---",
        "library_name: rnn-zoo",
        f"pipeline_tag: {PIPELINES.get(task, task)}",
        f"tags: [rnn-zoo, {config.architecture}, {config.encoder.type}]",
        "# license: choose one (e.g. apache-2.0, mit, cc-by-4.0) before publishing; the zoo does not pick it",
        "---",
        "",
        f"# {name}",
        "",
        f"A {task} model of architecture `{config.architecture}`{f' ({description})' if description else ''}, "
        f"trained with RNN Zoo {metadata.get('zoo.version', '?')}.",
        "",
        "## Architecture",
        "",
        f"- task: {task}",
        f"- embedding: {config.embedding.dim} dimensions over a vocabulary of {tokens:,} tokens",
        f"- encoder: {component(config.encoder)}",
        f"- head: {component(config.head)}",
        f"- parameters: {model.num_parameters():,}",
        f"- tokenizer: {tokenizer.type}, lowercase={str(tokenizer.lowercase).lower()}",
        "",
        "The full config is in `config.json` (`config`) and, with the vocabularies, in the metadata of "
        "`model.safetensors`.",
        "",
        "## Data",
        "",
        f"- trained on: {summary.get('data', 'not recorded')}",
        "",
        "## Training",
        "",
        "```",
        training_command(name, config, summary, registry),
        "```",
        "",
        f"- epochs: {summary.get('epochs', '?')} (best {summary.get('best_epoch', '?')}, stopped: "
        f"{summary.get('stopped', '?')}), {summary.get('seconds', 0):.0f} s on {summary.get('device', '?')}",
        "",
        "## Metrics",
        "",
        "| split | examples | metric | value |",
        "|---|---|---|---|",
        *metric_rows(summary),
        "",
        "Measured during the training run recorded in the model file, not again at export.",
        "",
        "## Limitations",
        "",
        f"- Trained and evaluated only on the data above; expect lower scores on text unlike it.",
        f"- Tokens outside its vocabulary of {tokens:,} are read as `<unk>`.",
        f"- {LIMITS.get(task, 'See the task documentation.').format(max_length=getattr(config.data, 'max_length', '?'))}",
        "- A recurrent network reads left to right (both ways when bidirectional); it has no pretraining beyond "
        "its own data unless the training command says so.",
        "",
        "## Use",
        "",
        "```",
        "pip install zoo-core  # and the plugins listed in config.json (plugins)",
        f"zoo run hf://OWNER/{name} \"some input\"      # or: zoo run ./{name} ...",
        "```",
        "",
        "## License",
        "",
        "Not set: add `license:` to the front matter above before publishing.",
        "",
    ]
    return "\n".join(lines)


def component(section) -> str:
    settings = {k: v for k, v in section.model_dump(mode="json").items() if k != "type"}
    shown = ", ".join(f"{k}={json.dumps(v) if isinstance(v, (dict, list)) else v}" for k, v in settings.items())
    return f"`{section.type}` ({shown})" if shown else f"`{section.type}`"


def metric_rows(summary: dict) -> list[str]:
    """One row per metric: the validation value that chose the weights, then every test metric."""
    examples = summary.get("examples") or {}
    rows = []
    metric, value = summary.get("best_metric"), summary.get("best_value")
    if metric and isinstance(value, (int, float)):
        split, _, short = metric.partition("_") if metric.startswith(("valid_", "train_")) else ("valid", "", metric)
        rows.append(f"| {split} | {count(examples, split)} | {short} | {value:.4f} |")
    for short, value in (summary.get("test") or {}).items():
        if isinstance(value, (int, float)):
            rows.append(f"| test | {count(examples, 'test')} | {short} | {value:.4f} |")
    return rows or ["| - | - | no metrics recorded | - |"]


def count(examples: dict, split: str) -> str:
    """A split's size as the training run recorded it (an LM counts tokens or characters)."""
    number, unit = examples.get(split), examples.get("unit", "examples")
    if isinstance(number, int):
        return f"{number:,}" if unit == "examples" else f"{number:,} {unit}"
    return str(number) if number else "not recorded"


def training_command(name: str, config, summary: dict, registry) -> str:
    """`zoo train` with the settings that differ from the architecture's defaults."""
    command = ["zoo", "train", config.architecture]
    data = summary.get("data")
    if data and data != "embedded":
        command += ["--data", data]
    try:
        defaults = flatten(registry.resolve(config.architecture).to_dict())
    except ZooError:  # the architecture is gone: every setting
        defaults = {}
    stored = flatten(config.to_dict())
    changed = sorted((key for key in stored if stored[key] != defaults.get(key) and key not in ("architecture", "task")),
                     key=lambda key: (not key.endswith(".type"), key))
    for key in changed:
        value = stored[key]
        command += ["--set", f"{key}={value if isinstance(value, str) else json.dumps(value)}"]
    return shlex.join([*command, "--out", name])


