"""`zoo run`: a saved model on inputs given as arguments or one a line on stdin; results as they are ready."""
from __future__ import annotations

import contextlib
import itertools
import sys
import warnings
from typing import Iterable, Iterator

import click

from zoo_core.cli.presentation import echo_record, use_color
from zoo_core.errors import ZooError

RUN_BATCH = 64  # inputs predicted together: output starts before a long stdin is done
#: Flags that only change what the CLI shows, and the predict option each needs from the task.
PRESENTATION_FLAGS = {"explain": ("token_weights", "explain"), "explain_png": ("token_weights", "explain"),
                      "attention_png": ("attention_maps", "attention")}


@click.command()
@click.argument("model")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input (schema: README).")
@click.option("--max-tokens", type=int, help="lm/seq2seq: most tokens to generate.")
@click.option("--sampler", help="lm/seq2seq: decoding strategy (greedy, temperature, top-k, top-p, beam...).")
@click.option("--temperature", type=float, help="lm: sampling temperature.")
@click.option("--top-k", type=int, help="lm: sample from the K most likely tokens.")
@click.option("--top-p", type=float, help="lm: sample from the smallest set of tokens with probability >= P.")
@click.option("--seed", type=int, help="lm: seed for repeatable sampling.")
@click.option("--beam", type=int, help="seq2seq: beam search of this width.")
@click.option("--explain", is_flag=True, help="classify: show each token's attention weight.")
@click.option("--explain-png", help="classify: write a picture of the attention weights to this PNG.")
@click.option("--attention-png", help="seq2seq: write the attention matrix to this PNG.")
def run(model, inputs, as_json, explain, explain_png, attention_png, **options):
    """Run MODEL on INPUTS (or '-' to read one input a line from stdin)."""
    from zoo_core.cli.pictures import write_attention_png, write_token_weights_png
    from zoo_core.experiments.plots import check_plotting
    from zoo_core.export.references import load_reference as load_model  # any reference: name, file, folder, hf://
    from zoo_core.tasks.records import json_record

    options = {k: v for k, v in options.items() if v is not None}
    loaded = load_model(model)
    task = loaded.task
    shown = {name: value for name, value in (("explain", explain), ("explain_png", explain_png),
                                             ("attention_png", attention_png)) if value}
    for name in shown:  # a flag the CLI turns into a predict option the task declares
        ability, option = PRESENTATION_FLAGS[name]
        if not getattr(task.abilities, ability):
            refuse(name, model, loaded)
        options[option] = True
    unsupported = sorted(set(options) - set(task.run_options) - {"explain", "attention"})
    if unsupported:
        refuse(unsupported[0], model, loaded)
    if explain_png or attention_png:
        check_plotting("--explain-png" if explain_png else "--attention-png")
    texts = (line.rstrip("\n") for line in sys.stdin) if inputs == ("-",) else iter(inputs)
    if task.abilities.generation and not as_json:
        return stream_generations(loaded, texts, options)
    color = use_color()
    drawn = []
    for batch in batched(texts, 1 if task.abilities.generation else RUN_BATCH):
        with warnings_as_lines():
            records = task.predict(loaded, batch, **options)
        for record in records:
            if explain_png or attention_png:
                drawn.append(record)
            echo_record(json_record(record), as_json,
                        loaded.config.task, color and explain)
    if drawn:
        written = write_token_weights_png(drawn, explain_png) if explain_png else write_attention_png(drawn, attention_png)
        click.echo(f"wrote {written}", err=True)


def stream_generations(model, prompts: Iterable[str], options: dict) -> None:
    """Each prompt's continuation written token by token as it is generated, one line per prompt."""
    for prompt in prompts:
        with warnings_as_lines():
            tokens = model.task.generate(model, prompt, **options)
        for token in tokens:
            sys.stdout.write(token.text)
            sys.stdout.flush()
        sys.stdout.write("\n")
        sys.stdout.flush()


@contextlib.contextmanager
def warnings_as_lines() -> Iterator[None]:
    """Each warning of the block as one `zoo: warning:` line on stderr, before the block's results are printed."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for warning in caught:
        click.echo(f"zoo: warning: {warning.message}", err=True)


def batched(items: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def refuse(option: str, reference: str, model) -> None:
    flag = "--" + option.replace("_", "-")
    raise ZooError(f"{flag} does not apply to model '{reference}' (task {model.config.task}, architecture "
                   f"{model.config.architecture}); `zoo run --help` says which task takes it")
