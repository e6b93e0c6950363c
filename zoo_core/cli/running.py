"""`zoo run`: a saved model on inputs given as arguments or one a line on stdin; results as they are ready."""
from __future__ import annotations

import contextlib
import itertools
import json
import sys
import time
import warnings
from typing import Iterable, Iterator, Optional

import click

from zoo_core.cli.line_batches import line_batches
from zoo_core.cli.options import batch_size_option, device_option
from zoo_core.cli.presentation import echo_record, use_color
from zoo_core.errors import ZooError

STREAM_FLUSH_SECONDS = 0.02  # generated text reaches a pipe at least this often
RUN_BATCH = 64  # stdin lines predicted together (at most): results print batch by batch as input arrives
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
@click.option("--tokenized", is_flag=True, default=None,
              help="tag: each input is already tokenized, tokens separated by tabs (a line without a tab is one token).")
@device_option
@batch_size_option
def run(model, inputs, as_json, explain, explain_png, attention_png, device, batch_size, **options):
    """Run MODEL on INPUTS (or '-' to read one input a line from stdin, results printed as each batch is
    ready; an empty line gives an empty result)."""
    from zoo_core.cli.pictures import write_attention_png, write_token_weights_png
    from zoo_core.experiments.plots import check_plotting
    from zoo_core.export.references import load_reference as load_model  # any reference: name, file, folder, hf://
    from zoo_core.tasks.records import json_record
    from zoo_core.workflows import check_batch_size

    options = {k: v for k, v in options.items() if v is not None}
    size = check_batch_size(batch_size) if batch_size is not None else RUN_BATCH
    loaded = load_model(model, device=device)
    task = loaded.task
    if batch_size is not None:
        task.inference_batch_size = size
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
    from_stdin = inputs == ("-",)
    if task.abilities.generation:  # one prompt at a time; an empty prompt is a prompt (generate from the start)
        prompts = (line for batch in line_batches(sys.stdin.buffer, 1) for line in batch) if from_stdin else iter(inputs)
        if not as_json:
            return stream_generations(loaded, prompts, options)
        batches: Iterable[list[str]] = ([prompt] for prompt in prompts)
    else:
        batches = line_batches(sys.stdin.buffer, size) if from_stdin else batched(inputs, size)
    color = use_color()
    drawn = []
    with progress_bar(from_stdin) as progress:
        for batch in batches:
            for record in predict_batch(loaded, batch, options, skip_empty=not task.abilities.generation):
                if record is None:  # an empty input line: an empty result, in its place
                    click.echo(json.dumps({"input": "", "prediction": None}) if as_json else "")
                    continue
                if explain_png or attention_png:
                    drawn.append(record)
                echo_record(json_record(record), as_json, loaded.config.task, color and explain)
            sys.stdout.flush()  # a pipe reads each batch's results now, not at exit
            progress.update(len(batch))
    if drawn:
        written = write_token_weights_png(drawn, explain_png) if explain_png else write_attention_png(drawn, attention_png)
        click.echo(f"wrote {written}", err=True)


def predict_batch(model, batch: list[str], options: dict, skip_empty: bool = True) -> list[Optional[dict]]:
    """The task's records for a batch, in order; None in place of an empty (or blank) input."""
    wanted = [text for text in batch if text.strip()] if skip_empty else batch
    with warnings_as_lines():
        records = iter(model.task.predict(model, wanted, **options)) if wanted else iter(())
    return [next(records) if (text.strip() or not skip_empty) else None for text in batch]


@contextlib.contextmanager
def progress_bar(enabled: bool):
    """Lines done and lines/s on stderr while reading stdin, only when stderr is a terminal."""
    from tqdm import tqdm

    with tqdm(unit=" lines", file=sys.stderr, disable=not (enabled and sys.stderr.isatty()), leave=False,
              mininterval=0.5) as bar:
        yield bar


def stream_generations(model, prompts: Iterable[str], options: dict) -> None:
    """Each prompt's continuation written token by token as it is generated, one line per prompt."""
    for prompt in prompts:
        with warnings_as_lines():
            tokens = model.task.generate(model, prompt, **options)
        # A terminal sees every token at once; a pipe or file gets them at least every 20 ms (a flush a token
        # costs about 8% of generation speed there, docs/benchmarks.md).
        every = 0.0 if sys.stdout.isatty() else STREAM_FLUSH_SECONDS
        flushed = time.monotonic()
        for token in tokens:
            sys.stdout.write(token.text)
            if time.monotonic() - flushed >= every:
                sys.stdout.flush()
                flushed = time.monotonic()
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
