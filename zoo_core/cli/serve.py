"""`zoo serve`: saved models behind an HTTP API and a web page (docs/serve.md)."""
from __future__ import annotations

import click

from zoo_core.errors import ZooError


@click.command("serve")
@click.argument("models", nargs=-1, required=True)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 opens the server to the network).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--device", default="cpu", show_default=True, help="Where the models run: cpu, cuda, cuda:N, mps, auto.")
@click.option("--batch-wait-ms", default=5.0, show_default=True, type=click.FloatRange(0, 1000),
              help="How long a request waits for others to share its batch.")
@click.option("--max-batch", default=64, show_default=True, type=click.IntRange(1, 4096),
              help="Most inputs in one batch.")
@click.option("--max-chars", default=2000, show_default=True, type=click.IntRange(1), help="Characters per input.")
@click.option("--max-inputs", default=64, show_default=True, type=click.IntRange(1), help="Inputs per request.")
@click.option("--max-tokens", default=256, show_default=True, type=click.IntRange(1),
              help="Tokens per generation (and a language model's default).")
@click.option("--threads", type=click.IntRange(1, 256), help="torch CPU threads (default: torch's own choice).")
def serve(models, host, port, device, batch_wait_ms, max_batch, max_chars, max_inputs, max_tokens, threads):
    """Serve MODELS (store names or paths) over HTTP: /v1/models, predict, generate, /health, a page at /.

    Example: zoo serve my-sentiment my-tagger --port 8000, then open http://127.0.0.1:8000/
    """
    try:
        import fastapi  # noqa: F401
        import uvicorn
    except ImportError as error:
        raise ZooError(f"zoo serve needs the serve extra ({error.name} is missing): "
                       "pip install 'zoo-core[serve]'") from None
    from zoo_core.serve.app import create_app
    from zoo_core.serve.limits import Limits
    from zoo_core.serve.served import load_served

    if threads:
        import torch

        torch.set_num_threads(threads)
    limits = Limits(max_chars=max_chars, max_inputs=max_inputs, max_tokens=max_tokens)
    served = load_served(list(models), device=device)  # all of them before listening: a bad one stops here
    app = create_app(served, limits, wait_ms=batch_wait_ms, max_batch=max_batch)
    click.echo(f"serving {', '.join(served)} on http://{host}:{port}/ (Ctrl-C stops)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
