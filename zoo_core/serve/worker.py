"""One thread per served model: it gathers concurrent predict requests into batches and advances generations.

All of a model's inference happens on its own thread, so the event loop stays free for HTTP and no two
threads ever run one model (a language model's generation step changes torch's global thread settings).

Predict requests wait at most ``wait_ms`` for company (only while the server is busy: the last batch gathered
more than one request), up to ``max_batch`` inputs; the gathered inputs go
to the task's ``predict`` in one call, which sorts them into batches of similar lengths, and each request
gets its own slice of the records back. Requests with different options are run as separate groups. A
group that fails with a ZooError is retried one request at a time, so one bad request fails alone.

Generations advance one token per round, round robin, between batches; a cancelled one (its client went
away) is dropped at the next round, so it stops within one token.
"""
from __future__ import annotations

import json
import queue
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional

from zoo_core.errors import ZooError

#: Sent to a generation's sink when it has no more tokens.
END = object()


@dataclass
class PredictJob:
    inputs: list[str]
    options: dict
    future: Future = field(default_factory=Future)

    @property
    def group(self) -> str:
        return json.dumps(self.options, sort_keys=True)


@dataclass
class GenerationJob:
    """A generation: started on the worker (bad options fail its ``started`` future), then advanced one token
    per round; each token, then END (or the exception), goes to ``sink``."""

    start: Callable[[], Iterator[Any]]
    sink: Callable[[Any], None]
    started: Future = field(default_factory=Future)
    cancelled: threading.Event = field(default_factory=threading.Event)
    tokens: Optional[Iterator[Any]] = None
    made: int = 0

    def cancel(self) -> None:
        self.cancelled.set()


@dataclass
class WorkerStats:
    batches: int = 0
    requests: int = 0
    largest_batch: int = 0  # most requests gathered into one predict call
    generating: int = 0
    tokens_generated: int = 0


class ModelWorker:
    """Runs ``predict(inputs, **options) -> records`` in batches and ``GenerationJob``s, on one thread."""

    def __init__(self, name: str, predict: Callable[..., list[dict]], wait_ms: float = 5.0, max_batch: int = 64):
        if wait_ms < 0:
            raise ZooError(f"--batch-wait-ms {wait_ms}: give 0 or more milliseconds")
        if max_batch < 1:
            raise ZooError(f"--max-batch {max_batch}: give at least 1")
        self.name, self.predict = name, predict
        self.wait, self.max_batch = wait_ms / 1000, max_batch
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.held: deque = deque()  # jobs taken from the queue that did not fit the last batch
        self.generations: list[GenerationJob] = []
        self.stats = WorkerStats()
        self.closed = False
        self.busy = True  # the last batch gathered more than one request (so the first request waits once)
        self.thread = threading.Thread(target=self._serve, name=f"zoo-serve-{name}", daemon=True)
        self.thread.start()

    # called from the event loop (any thread) ------------------------------------------------------------
    def submit(self, inputs: list[str], options: dict) -> Future:
        """A future of the records for ``inputs``, in their order."""
        job = PredictJob(list(inputs), dict(options))
        self.jobs.put(job)
        return job.future

    def generate(self, start: Callable[[], Iterator[Any]], sink: Callable[[Any], None]) -> GenerationJob:
        """Start a generation on the worker; ``job.started`` fails if ``start`` raises (bad options)."""
        job = GenerationJob(start, sink)
        self.jobs.put(job)
        return job

    def close(self) -> None:
        self.closed = True
        self.jobs.put(None)
        self.thread.join(timeout=5)

    # the worker thread ----------------------------------------------------------------------------------
    def _serve(self) -> None:
        while not self.closed:
            first = self._next(block=not self.generations)
            if first is not None:
                self._run_batch(self._gather(first))
            self._advance_generations()

    def _next(self, block: bool, timeout: Optional[float] = None):
        """The next predict job (held ones first); None when there is none, or when a generation just started
        (so the caller goes on to advance it)."""
        if self.held:
            return self.held.popleft()
        try:
            job = self.jobs.get(timeout=timeout) if block else self.jobs.get_nowait()
        except queue.Empty:
            return None
        if isinstance(job, GenerationJob):
            self._start_generation(job)
            return None
        return job  # a PredictJob, or None from close()

    def _gather(self, first: PredictJob) -> list[PredictJob]:
        """``first`` and the requests that arrive within the wait, up to ``max_batch`` inputs."""
        batch, count = [first], len(first.inputs)
        # Wait for company only while the server is busy (the last batch had some): a lone client never waits.
        deadline = time.monotonic() + (self.wait if self.busy else 0.0)
        while count < self.max_batch and not self.closed:
            remaining = deadline - time.monotonic()
            job = self._next(block=remaining > 0, timeout=max(remaining, 0))
            if job is None:
                break
            if count + len(job.inputs) > self.max_batch:
                self.held.append(job)
                break
            batch.append(job)
            count += len(job.inputs)
        self.busy = len(batch) > 1
        return batch

    def _run_batch(self, batch: list[PredictJob]) -> None:
        groups: dict[str, list[PredictJob]] = {}
        for job in batch:
            groups.setdefault(job.group, []).append(job)
        for jobs in groups.values():
            self._run_group(jobs)
        self.stats.batches += 1
        self.stats.requests += len(batch)
        self.stats.largest_batch = max(self.stats.largest_batch, len(batch))

    def _run_group(self, jobs: list[PredictJob]) -> None:
        inputs = [text for job in jobs for text in job.inputs]
        try:
            records = self.predict(inputs, **jobs[0].options)
        except ZooError as error:
            if len(jobs) > 1:  # find the request it belongs to: each alone
                for job in jobs:
                    self._run_group([job])
                return
            jobs[0].future.set_exception(error)
            return
        except Exception as error:  # a bug, not a bad request: the client gets a 500 with one line
            for job in jobs:
                job.future.set_exception(error)
            return
        offset = 0
        for job in jobs:
            job.future.set_result(records[offset:offset + len(job.inputs)])
            offset += len(job.inputs)

    def _start_generation(self, job: GenerationJob) -> None:
        try:
            job.tokens = iter(job.start())
        except Exception as error:
            job.started.set_exception(error)
            return
        job.started.set_result(True)
        self.generations.append(job)

    def _advance_generations(self) -> None:
        """One token for each running generation; finished and cancelled ones are dropped."""
        running = []
        for job in self.generations:
            if job.cancelled.is_set():
                continue
            try:
                token = next(job.tokens)
            except StopIteration:
                job.sink(END)
                continue
            except Exception as error:
                job.sink(error)
                continue
            job.made += 1
            self.stats.tokens_generated += 1
            job.sink(token)
            running.append(job)
        self.generations = running
        self.stats.generating = len(running)
