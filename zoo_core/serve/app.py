"""The HTTP API of `zoo serve` (FastAPI): models, predict, generate (server-sent events), health, the page.

A model name in a URL is only ever a key into the models loaded at start-up; nothing from a request is run
or opened as a path. Bad requests get a 4xx with ``{"error": "one line"}``; a 500 means a bug.
"""
from __future__ import annotations

import asyncio
import json
import random
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any, Optional

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from zoo_core.errors import ZooError
from zoo_core.serve.limits import Limits, RequestError
from zoo_core.serve.served import ServedModel
from zoo_core.serve.worker import END, ModelWorker
from zoo_core.tasks.records import json_record

#: The page's files, by the only names a request can ask for.
PAGE_FILES = {"/": ("index.html", "text/html"), "/page.css": ("page.css", "text/css"),
              "/page.js": ("page.js", "text/javascript")}


class SamplingOptions(BaseModel):
    """Options of language models and translation, as the `zoo run` flags of the same names."""

    model_config = ConfigDict(extra="forbid")
    max_tokens: Optional[int] = Field(None, description="Most tokens to generate (at most the server's limit).")
    sampler: Optional[str] = Field(None, description="greedy, temperature, top-k, top-p, beam (translation).")
    temperature: Optional[float] = Field(None, description="Sampling temperature; 0 is greedy.")
    top_k: Optional[int] = Field(None, description="Sample from the K most likely tokens.")
    top_p: Optional[float] = Field(None, description="Sample from the fewest tokens with probability >= P.")
    seed: Optional[int] = Field(None, description="Seed for repeatable sampling.")
    beam: Optional[int] = Field(None, description="Translation: beam search of this width.")


class PredictRequest(SamplingOptions):
    inputs: list[str] = Field(description="Texts to classify or tag, prompts, sentences to translate.")
    explain: bool = Field(False, description="Classification with attention pooling: each token's weight.")
    attention: bool = Field(False, description="Translation with attention: the target x source matrix.")


class GenerateRequest(SamplingOptions):
    prompt: str = Field(description="A language model's prompt (may be empty) or a sentence to translate.")
    stream: bool = Field(True, description="Server-sent events, a token each as made; false: one JSON record.")


class ModelInfo(BaseModel):
    name: str
    architecture: str
    task: str
    labels: Optional[list[str]] = None
    metrics: dict[str, Any]
    options: list[str] = Field(description="The request options this model takes.")
    generate: bool
    explain: bool
    attention: bool


class PredictResponse(BaseModel):
    model: str
    results: list[dict[str, Any]] = Field(description="One `zoo run --json` object per input, in order.")


class ErrorResponse(BaseModel):
    error: str


ERRORS = {status: {"model": ErrorResponse} for status in (400, 404, 413, 422)}


def create_app(models: dict[str, ServedModel], limits: Limits = Limits(), wait_ms: float = 5.0,
               max_batch: int = 64) -> FastAPI:
    """The app serving ``models``; one worker thread per model, started now, stopped when the app shuts down."""
    workers = {name: ModelWorker(name, _predictor(served), wait_ms, max_batch) for name, served in models.items()}

    @asynccontextmanager
    async def lifespan(app):
        yield
        for worker in workers.values():
            worker.close()

    app = FastAPI(title="RNN Zoo", summary="Saved zoo models behind an HTTP API (docs/serve.md).",
                  lifespan=lifespan, docs_url=None, redoc_url=None)  # the docs pages load from a CDN; the schema is /openapi.json
    app.state.workers = workers
    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes)
    add_error_handlers(app)

    def lookup(name: str) -> ServedModel:
        if name not in models:
            raise RequestError(f"no model named {name[:100]!r} is served here; GET /v1/models lists them "
                               f"({', '.join(models)})", 404)
        return models[name]

    def options_of(served: ServedModel, body: SamplingOptions, *skip: str) -> dict:
        options = {key: value for key, value in body.model_dump(exclude=set(skip)).items()
                   if value is not None and value is not False}
        served.check_options(options)
        if served.task.abilities.generation:  # language models: always bounded
            options["max_tokens"] = limits.check_max_tokens(options.get("max_tokens"))
        elif "max_tokens" in options:
            limits.check_max_tokens(options["max_tokens"])
        if options.get("beam", 0) > limits.max_beam:
            raise RequestError(f"beam: {options['beam']} is above this server's limit of {limits.max_beam}", 413)
        return options

    @app.get("/health")
    async def health() -> dict:
        """Liveness, and per model what its worker has done (batches, the largest, generations running)."""
        return {"status": "ok", "models": {name: vars(worker.stats) for name, worker in workers.items()}}

    @app.get("/v1/models", response_model=list[ModelInfo])
    async def list_models() -> list[dict]:
        """The served models: name, architecture, task, labels, the metrics of their training."""
        return [served.info() for served in models.values()]

    @app.get("/v1/models/{name}", response_model=ModelInfo, responses=ERRORS)
    async def model_info(name: str) -> dict:
        return lookup(name).info()

    @app.post("/v1/models/{name}/predict", response_model=PredictResponse, responses=ERRORS)
    async def predict(name: str, body: PredictRequest) -> JSONResponse:
        """One `zoo run --json` record per input; concurrent requests to a model are batched together."""
        served = lookup(name)
        limits.check_inputs(body.inputs)
        options = options_of(served, body, "inputs")
        records = await asyncio.wrap_future(workers[name].submit(body.inputs, options))
        # A JSONResponse as it is: FastAPI would otherwise re-validate every record against the schema.
        return JSONResponse({"model": name, "results": [json_record(record, pictures=body.attention) for record in records]})

    @app.post("/v1/models/{name}/generate", responses={**ERRORS, 200: {
        "content": {"text/event-stream": {}}, "description": "Events `token` (one per token), then `done` or `error`."}})
    async def generate(name: str, body: GenerateRequest, request: Request):
        """A language model's continuation or a translation, streamed as server-sent events (``stream``)."""
        served = lookup(name)
        if not served.can_generate:
            raise RequestError(f"model '{name}' (task {served.model.config.task}) does not generate text; "
                               f"use POST /v1/models/{name}/predict", 400)
        language_model = served.task.abilities.generation
        limits.check_text(body.prompt, "prompt", allow_empty=language_model)
        options = options_of(served, body, "prompt", "stream")
        worker = workers[name]
        if not body.stream or not language_model:  # a translation is decoded whole, then streamed
            records = await asyncio.wrap_future(worker.submit([body.prompt], options))
            record = json_record(records[0])
            if not body.stream:
                return record
            return event_stream(translation_events(record))
        options.setdefault("seed", random.SystemRandom().randrange(2**31))  # told to the client in `done`
        loop, tokens = asyncio.get_running_loop(), asyncio.Queue()
        job = worker.generate(lambda: served.task.generate(served.model, body.prompt, **options),
                              lambda item: loop.call_soon_threadsafe(tokens.put_nowait, item))
        await asyncio.wrap_future(job.started)  # bad sampling options fail here, as a 4xx
        return event_stream(generation_events(request, job, tokens, body.prompt, options["seed"]))

    for path, (filename, media_type) in PAGE_FILES.items():
        app.add_api_route(path, page_file(filename, media_type), methods=["GET"], include_in_schema=False)
    return app


def _predictor(served: ServedModel):
    def predict(inputs, **options):
        return served.task.predict(served.model, inputs, **options)
    return predict


def page_file(filename: str, media_type: str):
    content = resources.files("zoo_core.serve").joinpath("static", filename).read_bytes()

    async def serve_file() -> Response:
        return (HTMLResponse if media_type == "text/html" else Response)(content, media_type=media_type)
    return serve_file


def sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def event_stream(events) -> StreamingResponse:
    return StreamingResponse(events, media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def translation_events(record: dict):
    for token in record["tokens"]:
        yield sse("token", {"token": token})
    yield sse("done", record)


async def generation_events(request: Request, job, tokens: asyncio.Queue, prompt: str, seed: int):
    """`token` events as the worker makes them, then `done`; the generation is cancelled when the client
    goes away (checked after every token, and every second while waiting for one)."""
    text = []
    try:
        while True:
            try:
                item = await asyncio.wait_for(tokens.get(), timeout=1.0)
            except asyncio.TimeoutError:
                if await request.is_disconnected():
                    return
                continue
            if item is END:
                yield sse("done", {"input": prompt, "prediction": "".join(text), "token_count": len(text),
                                   "seed": seed})
                return
            if isinstance(item, Exception):
                yield sse("error", {"error": one_line(item)})
                return
            text.append(item.text)
            yield sse("token", {"text": item.text, "log_prob": round(item.log_prob, 6)})
            if await request.is_disconnected():
                return
    finally:
        job.cancel()


def one_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestError)
    async def request_error(request, error: RequestError):
        return error_response(error.status, one_line(error))

    @app.exception_handler(ZooError)  # a task refusing an option value (a sampler's bounds...)
    async def zoo_error(request, error: ZooError):
        return error_response(422, one_line(error))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request, error: RequestValidationError):
        return error_response(*describe_validation(error.errors()))

    @app.exception_handler(HTTPException)
    async def http_error(request, error: HTTPException):
        if isinstance(error.__cause__, RequestError):  # raised while FastAPI read the body (BodyLimit)
            return error_response(error.__cause__.status, one_line(error.__cause__))
        if error.status_code == 404:
            return error_response(404, f"no such path {request.url.path[:100]!r}; GET /openapi.json describes the API")
        return error_response(error.status_code, str(error.detail))

    @app.exception_handler(Exception)
    async def internal_error(request, error: Exception):
        return error_response(500, f"internal error: {type(error).__name__}: {one_line(error)}")


def describe_validation(errors) -> tuple[int, str]:
    """The first problem of a request body as (status, one line): 400 for a body that is not JSON."""
    first = errors[0] if errors else {"loc": ("body",), "msg": "invalid request", "type": ""}
    if first.get("type") == "json_invalid":
        reason = (first.get("ctx") or {}).get("error", "")
        return 400, f"the request body is not valid JSON ({reason}); send an object such as {{\"inputs\": [\"text\"]}}"
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}"
                    for part in first.get("loc", ()) if part != "body").lstrip(".") or "body"
    message = first.get("msg", "invalid")
    if first.get("type") == "extra_forbidden":
        message = "not a field of this request (docs/serve.md lists them)"
    given = first.get("input")
    shown = f" (got {json.dumps(given, default=str)[:60]})" if first.get("type") not in ("missing", "extra_forbidden") and given is not None else ""
    return 422, f"{where}: {message}{shown}"


class BodyLimit:
    """Refuses a body larger than the limits allow: by its declared length before it is read, and while it is
    read when it comes in chunks without one (the route then answers 413 through the RequestError handler)."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or ()).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            response = error_response(413, self.message(length.decode(errors="replace")[:20]))
            return await response(scope, receive, send)
        received = 0

        async def counted():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise RequestError(self.message(f"more than {received:,}"), 413)
            return message

        await self.app(scope, counted, send)

    def message(self, size: str) -> str:
        return f"the request body has {size} bytes, above this server's limit of {self.max_bytes:,}"
