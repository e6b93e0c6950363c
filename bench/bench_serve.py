"""Load test of `zoo serve` against a hand-written FastAPI endpoint that runs the same model one request at a time.

Both servers run `lstm-classifier` at its default size (embedding 128, hidden 256), trained one epoch on the
embedded sentiment data, each in its own process on 127.0.0.1 (free ports), with the same torch threads.
Clients are asyncio connections with keep-alive in this process, each sending one review sentence a request
(mixed lengths) and waiting for its answer before the next; every answer is checked (status 200, its own
input echoed, a label). At 1, 8 and 64 concurrent clients: requests/s, p50 and p99 latency; repetitions
interleave the two servers; medians of the repetitions. Bounded: `--requests` per client count and level
(scaled by the clients, at most --max-requests) and `--seconds` per run, whichever ends first.

    flock /tmp/zoo-heavy.lock .venv/bin/python bench/bench_serve.py [--reps 3] [--threads 1]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from pydantic import BaseModel

LEVELS = (1, 8, 64)
HOST = "127.0.0.1"
MODEL = "bench-clf"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# --- the hand-written baseline server -------------------------------------------------------------------
class Body(BaseModel):
    inputs: list[str]


def baseline_app(reference: str):
    """What one writes by hand: load the model, one endpoint, one request at a time under a lock."""
    import threading

    from fastapi import FastAPI

    import zoo_core

    model = zoo_core.load(reference)
    lock = threading.Lock()
    app = FastAPI()

    @app.post("/v1/models/{name}/predict")
    def predict(name: str, body: Body):
        with lock:
            return {"model": name, "results": model.run(body.inputs)}

    @app.get("/health")
    def health():
        return {"status": "ok"}

    return app


def run_baseline(reference: str, port: int, threads: int) -> None:
    import torch
    import uvicorn

    torch.set_num_threads(threads)
    uvicorn.run(baseline_app(reference), host=HOST, port=port, log_level="warning")


# --- the load generator --------------------------------------------------------------------------------
async def one_client(port: int, texts: list[str], take, latencies: list, failures: list, deadline: float) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        while (index := take()) is not None and time.perf_counter() < deadline:
            text = texts[index % len(texts)]
            body = json.dumps({"inputs": [text]}).encode()
            request = (f"POST /v1/models/{MODEL}/predict HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
                       f"Content-Length: {len(body)}\r\n\r\n").encode() + body
            started = time.perf_counter()
            writer.write(request)
            await writer.drain()
            status = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            answer = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            try:
                result = json.loads(answer)["results"][0]
                ok = status.split()[1] == b"200" and result["input"] == text and result["prediction"] in ("pos", "neg")
            except (ValueError, KeyError, IndexError):
                ok = False
            if not ok:
                failures.append((status, answer[:200]))
    finally:
        writer.close()


async def load(port: int, clients: int, requests: int, seconds: float, texts: list[str]) -> dict:
    counter = iter(range(requests))
    latencies: list[float] = []
    failures: list = []
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    await asyncio.gather(*(one_client(port, texts, lambda: next(counter, None), latencies, failures, deadline)
                           for _ in range(clients)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {"requests": len(latencies), "failed": len(failures), "rps": len(latencies) / elapsed,
            "p50": latencies[len(latencies) // 2] * 1000, "p99": latencies[int(len(latencies) * 0.99)] * 1000}


def wait_until_up(port: int, process: subprocess.Popen, what: str) -> None:
    for _ in range(600):
        if process.poll() is not None:
            sys.exit(f"{what} exited with {process.returncode}")
        try:
            urllib.request.urlopen(f"http://{HOST}:{port}/health", timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"{what} did not start")


def prepare_model() -> list[str]:
    """Train lstm-classifier (default size) for one epoch into the store; the texts to send."""
    import zoo_core
    from zoo_core.data.synthetic import write_sentiment_files

    folder = write_sentiment_files(Path(os.environ["ZOO_HOME"]) / "data", n=1200, seed=5)
    zoo_core.train("lstm-classifier", str(folder), out=MODEL, progress=False, force=True,
                   overrides={"training": {"epochs": 1}})
    texts = [line for path in sorted(folder.parent.glob(f"{folder.name}*")) if path.is_file()
             for line in path.read_text().splitlines() if line.strip()]
    random.Random(0).shuffle(texts)
    return texts


def batching_ceiling(texts: list[str], threads: int, reps: int = 5) -> tuple[float, float]:
    """The model alone, in this process: milliseconds for 64 texts one call each, and in one call (medians of
    interleaved repetitions). Their ratio bounds what any batching server can gain over one at a time."""
    import torch

    import zoo_core

    torch.set_num_threads(threads)
    model, batch = zoo_core.load(MODEL), texts[:64]
    alone, together = [], []
    for _ in range(reps):
        started = time.perf_counter()
        for text in batch:
            model.run([text])
        alone.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        model.run(batch)
        together.append((time.perf_counter() - started) * 1000)
    return statistics.median(alone), statistics.median(together)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--requests", type=int, default=40, help="requests per client at each level")
    parser.add_argument("--max-requests", type=int, default=2000, help="at most this many requests a run")
    parser.add_argument("--seconds", type=float, default=10.0, help="at most this long a run")
    parser.add_argument("--threads", type=int, default=1, help="torch threads in each server")
    parser.add_argument("--batch-wait-ms", type=float, default=5.0)
    parser.add_argument("--baseline-server", nargs=2, metavar=("MODEL", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_server:
        return run_baseline(args.baseline_server[0], int(args.baseline_server[1]), args.threads)

    os.environ["ZOO_HOME"] = tempfile.mkdtemp(prefix="bench-serve-")
    texts = prepare_model()
    lengths = sorted(len(t.split()) for t in texts)
    print(f"texts: {len(texts)}, words p50 {lengths[len(lengths) // 2]}, max {lengths[-1]}; "
          f"torch threads per server: {args.threads}", file=sys.stderr)
    alone, together = batching_ceiling(texts, args.threads)
    ceiling = f"model alone: 64 inputs one call each {alone:.1f} ms, in one call {together:.1f} ms ({alone / together:.2f}x)"
    print(ceiling, file=sys.stderr)
    zoo_port, base_port = free_port(), free_port()
    servers = {
        "zoo serve": (zoo_port, subprocess.Popen(
            [sys.executable, "-m", "zoo_core.cli", "serve", MODEL, "--port", str(zoo_port), "--threads", str(args.threads),
             "--batch-wait-ms", str(args.batch_wait_ms)])),
        "hand-written": (base_port, subprocess.Popen(
            [sys.executable, __file__, "--baseline-server", MODEL, str(base_port), "--threads", str(args.threads)])),
    }
    try:
        for name, (port, process) in servers.items():
            wait_until_up(port, process, name)
        results: dict = {(name, level): [] for name in servers for level in LEVELS}
        for rep in range(args.reps):
            for level in LEVELS:
                order = list(servers) if rep % 2 == 0 else list(reversed(servers))
                for name in order:
                    asyncio.run(load(servers[name][0], level, 4, 5, texts))  # warm the connections and caches
                    requests = min(args.requests * level, args.max_requests)
                    outcome = asyncio.run(load(servers[name][0], level, requests, args.seconds, texts))
                    results[name, level].append(outcome)
                    print(f"rep {rep} {name:>12} c={level:<3} {outcome['rps']:8.1f} req/s  p50 {outcome['p50']:6.1f} ms  "
                          f"p99 {outcome['p99']:6.1f} ms  failed {outcome['failed']}", file=sys.stderr)
    finally:
        for _, process in servers.values():
            process.terminate()
            process.wait(timeout=10)
    print("\n| clients | server | req/s | p50 ms | p99 ms | requests | failed |")
    print("|---|---|---|---|---|---|---|")
    for level in LEVELS:
        for name in servers:
            runs = results[name, level]
            print(f"| {level} | {name} | {statistics.median(r['rps'] for r in runs):.1f} | "
                  f"{statistics.median(r['p50'] for r in runs):.1f} | {statistics.median(r['p99'] for r in runs):.1f} | "
                  f"{sum(r['requests'] for r in runs)} | {sum(r['failed'] for r in runs)} |")
    for level in LEVELS:
        ratios = [z["rps"] / b["rps"] for z, b in zip(results["zoo serve", level], results["hand-written", level])]
        print(f"\nzoo serve / hand-written req/s at {level} clients: {statistics.median(ratios):.2f}x "
              f"(median of {len(ratios)} interleaved repetitions)", end="")
    print(f"\n{ceiling}: the most batching can gain on this model and CPU")


if __name__ == "__main__":
    main()
