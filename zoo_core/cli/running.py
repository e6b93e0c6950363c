"""`zoo run`: a saved model on inputs given as arguments or one a line on stdin."""
from __future__ import annotations

import sys

import click

from zoo_core.errors import ZooError


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
def run(model, inputs, as_json, **options):
    """Run MODEL on INPUTS (or '-' to read one input a line from stdin)."""
    from zoo_core.modeling.loading import load_model

    options = {k: v for k, v in options.items() if v is not None and v is not False}
    loaded = load_model(model)
    unsupported = sorted(set(options) - set(loaded.task.run_options))
    if unsupported:
        flag = "--" + unsupported[0].replace("_", "-")
        raise ZooError(f"{flag} does not apply to model '{model}' (task {loaded.config.task}"
                       f"{', architecture ' + loaded.config.architecture}); `zoo run --help` says which task takes it")
    texts = [line.rstrip("\n") for line in sys.stdin] if inputs == ("-",) else list(inputs)
    loaded.task.run_cli(loaded, texts, as_json, **options)
