"""`zoo serve`'s API through FastAPI's test client: every endpoint, every bad request, streaming, batching."""
from __future__ import annotations

import asyncio
import json
import re
import sys
import threading

import pytest

pytest.importorskip("fastapi", reason="the serve extra (fastapi) is not installed")

from click.testing import CliRunner  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from serve_models import NAMES, train_models  # noqa: E402

from zoo_core.cli import main  # noqa: E402
from zoo_core.errors import ZooError  # noqa: E402
from zoo_core.serve.app import create_app  # noqa: E402
from zoo_core.serve.limits import Limits  # noqa: E402
from zoo_core.serve.served import load_served  # noqa: E402
from zoo_core.serve.worker import ModelWorker  # noqa: E402

LIMITS = Limits(max_chars=200, max_inputs=8, max_tokens=40)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    home = tmp_path_factory.mktemp("zoo-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZOO_HOME", str(home))
        train_models(home)
    return home


@pytest.fixture
def zoo_home(store, monkeypatch):
    monkeypatch.setenv("ZOO_HOME", str(store))
    return store


@pytest.fixture
def served(zoo_home):
    return load_served(list(NAMES))


@pytest.fixture
def client(served):
    with TestClient(create_app(served, LIMITS)) as test_client:
        yield test_client


def zoo_run_json(*args) -> list[dict]:
    result = CliRunner().invoke(main, ["run", *args, "--json"])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def events_of(lines) -> list[tuple[str, dict]]:
    """(event, data) pairs of a server-sent event stream, in order."""
    events, name = [], None
    for line in lines:
        if line.startswith("event: "):
            name = line[len("event: "):]
        elif line.startswith("data: "):
            events.append((name, json.loads(line[len("data: "):])))
    return events


# --- endpoints ----------------------------------------------------------------------------------------------
def test_models_lists_name_architecture_task_labels_metrics(client):
    listed = {info["name"]: info for info in client.get("/v1/models").json()}
    assert list(listed) == list(NAMES)
    assert listed["clf"]["architecture"] == "lstm-classifier" and listed["clf"]["task"] == "classify"
    assert sorted(listed["clf"]["labels"]) == ["neg", "pos"]
    assert "valid_accuracy" in listed["clf"]["metrics"] and "test_accuracy" in listed["clf"]["metrics"]
    assert set(listed["tagger"]["labels"]) == {"B-NP", "I-NP", "B-VP", "O"}
    assert listed["lm"]["labels"] is None and listed["lm"]["generate"] and not listed["clf"]["generate"]
    assert listed["attn"]["explain"] and not listed["clf"]["explain"] and listed["mt"]["attention"]
    assert client.get("/v1/models/tagger").json() == listed["tagger"]


def test_predict_returns_what_zoo_run_json_prints(client):
    texts = ["a gripping , beautifully shot film", "dull"]
    answer = client.post("/v1/models/clf/predict", json={"inputs": texts}).json()
    assert answer == {"model": "clf", "results": zoo_run_json("clf", *texts)}
    explained = client.post("/v1/models/attn/predict", json={"inputs": texts[:1], "explain": True}).json()["results"]
    assert explained == zoo_run_json("attn", texts[0], "--explain")
    assert len(explained[0]["weights"]) == len(explained[0]["tokens"]) == 6


def test_predict_tags_with_spans(client):
    record = client.post("/v1/models/tagger/predict", json={"inputs": ["the cat sees a dog ."]}).json()["results"][0]
    assert record == zoo_run_json("tagger", "the cat sees a dog .")[0]
    assert record["tokens"] == ["the", "cat", "sees", "a", "dog", "."] and len(record["prediction"]) == 6
    assert "spans" in record


def test_predict_translates_with_attention_only_when_asked(client):
    plain = client.post("/v1/models/mt/predict", json={"inputs": ["forty two"], "seed": 1}).json()["results"][0]
    assert plain == zoo_run_json("mt", "forty two", "--seed", "1")[0]
    assert "attention" not in plain
    pictured = client.post("/v1/models/mt/predict", json={"inputs": ["forty two"], "attention": True}).json()["results"][0]
    assert pictured["source_tokens"] == ["forty", "two"]
    assert len(pictured["attention"]) == len(pictured["tokens"]) + 1  # and the end token
    assert all(len(row) == 2 and abs(sum(row) - 1) < 1e-3 for row in pictured["attention"])


def test_generate_streams_tokens_in_order_then_done(client):
    request = {"prompt": "the ", "max_tokens": 12, "seed": 7, "sampler": "top-k", "top_k": 5}
    with client.stream("POST", "/v1/models/lm/generate", json=request) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = events_of(response.iter_lines())
    names = [name for name, _ in events]
    assert names == ["token"] * 12 + ["done"]
    text = "".join(data["text"] for _, data in events[:-1])
    done = events[-1][1]
    assert done["prediction"] == text and done["token_count"] == 12 and done["seed"] == 7
    # the same sampler and seed without streaming, and `zoo run`, make the same text
    whole = client.post("/v1/models/lm/generate", json={**request, "stream": False}).json()
    options = ["--max-tokens", "12", "--seed", "7", "--sampler", "top-k", "--top-k", "5"]
    assert whole == zoo_run_json("lm", "the ", *options)[0]
    assert whole["prediction"] == text
    assert [round(t["log_prob"], 5) for _, t in events[:-1]] == [round(p, 5) for p in whole["log_probs"]]


def test_generate_a_language_model_by_default_stays_within_the_token_limit(client):
    with client.stream("POST", "/v1/models/lm/generate", json={"prompt": ""}) as response:
        events = events_of(response.iter_lines())
    assert events[-1][0] == "done" and events[-1][1]["token_count"] == LIMITS.max_tokens


def test_generate_a_translation_streams_its_tokens_then_the_record(client):
    with client.stream("POST", "/v1/models/mt/generate", json={"prompt": "forty two", "seed": 1}) as response:
        events = events_of(response.iter_lines())
    record = client.post("/v1/models/mt/predict", json={"inputs": ["forty two"], "seed": 1}).json()["results"][0]
    assert [data["token"] for name, data in events if name == "token"] == record["tokens"]
    assert events[-1] == ("done", record)


def test_health_counts_batches(client):
    client.post("/v1/models/clf/predict", json={"inputs": ["fine"]})
    health = client.get("/health").json()
    assert health["status"] == "ok" and set(health["models"]) == set(NAMES)
    assert health["models"]["clf"]["batches"] >= 1 and health["models"]["clf"]["requests"] >= 1


def test_page_and_openapi_schema(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script src="/page.js">' in page.text and '<link rel="stylesheet" href="/page.css">' in page.text
    assert client.get("/page.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/page.css").status_code == 200
    for path in ("/", "/page.js", "/page.css"):  # works offline: nothing is fetched from elsewhere
        assert not re.search(r"(https?:)?//[a-z]", client.get(path).text.replace("// ", "")), path
    schema = client.get("/openapi.json").json()
    assert {"/v1/models", "/v1/models/{name}/predict", "/v1/models/{name}/generate", "/health"} <= set(schema["paths"])
    assert "PredictRequest" in schema["components"]["schemas"]


# --- bad requests ------------------------------------------------------------------------------------------
BAD_REQUESTS = [
    # (what, model, endpoint, body as bytes or JSON, status, words the one-line error must have)
    ("not JSON", "clf", "predict", b"{inputs: [", 400, "not valid JSON"),
    ("not an object", "clf", "predict", [1, 2], 422, "body"),
    ("missing field", "clf", "predict", {"texts": ["a"]}, 422, "inputs: Field required"),
    ("unknown field", "clf", "predict", {"inputs": ["a"], "temprature": 1}, 422, "temprature: not a field"),
    ("wrong type", "clf", "predict", {"inputs": "a film"}, 422, "inputs: Input should be a valid list"),
    ("not a string", "clf", "predict", {"inputs": ["a", 3]}, 422, "inputs[1]: Input should be a valid string (got 3)"),
    ("no inputs", "clf", "predict", {"inputs": []}, 422, "at least one input"),
    ("empty input", "clf", "predict", {"inputs": ["fine", "  "]}, 422, "inputs[1]: the input is empty"),
    ("input too long", "clf", "predict", {"inputs": ["a" * 201]}, 413, "inputs[0]: 201 characters"),
    ("too many inputs", "clf", "predict", {"inputs": ["a"] * 9}, 413, "9 inputs"),
    ("unknown model", "nope", "predict", {"inputs": ["a"]}, 404, "no model named 'nope'"),
    ("path as model", "..%2F..%2Fetc%2Fpasswd", "predict", {"inputs": ["a"]}, 404, "no such path"),
    ("dots as model", "..", "predict", {"inputs": ["a"]}, 404, "no such path"),
    ("option of another task", "clf", "predict", {"inputs": ["a"], "beam": 2}, 400, "beam: does not apply"),
    ("explain without attention", "clf", "predict", {"inputs": ["a"], "explain": True}, 400, "explain: does not apply"),
    ("too many tokens", "lm", "predict", {"inputs": ["a"], "max_tokens": 41}, 413, "above this server's limit of 40"),
    ("bad sampler value", "lm", "generate", {"prompt": "a", "top_p": 7}, 422, "top-p"),
    ("unknown sampler", "lm", "generate", {"prompt": "a", "sampler": "nucleus"}, 422, "nucleus"),
    ("beam too wide", "mt", "predict", {"inputs": ["one"], "beam": 99}, 413, "beam: 99"),
    ("generate a label", "clf", "generate", {"prompt": "a"}, 400, "does not generate"),
    ("empty sentence to translate", "mt", "generate", {"prompt": " "}, 422, "prompt: the input is empty"),
    ("prompt too long", "lm", "generate", {"prompt": "a" * 201}, 413, "prompt: 201 characters"),
    ("unknown model generate", "nope", "generate", {"prompt": "a"}, 404, "no model named"),
]


@pytest.mark.parametrize("what, model, endpoint, body, status, words", BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS])
def test_bad_request_is_a_4xx_with_a_one_line_json_error(client, what, model, endpoint, body, status, words):
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = client.post(f"/v1/models/{model}/{endpoint}", content=content,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == status, response.text
    error = response.json()
    assert list(error) == ["error"] and "\n" not in error["error"]
    assert words in error["error"]


def test_oversized_body_is_refused_before_it_is_read(client):
    response = client.post("/v1/models/clf/predict", content=b"x" * (LIMITS.max_body_bytes + 1),
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and "limit" in response.json()["error"]
    chunks = (b"x" * 65536 for _ in range(LIMITS.max_body_bytes // 65536 + 2))  # no Content-Length
    response = client.post("/v1/models/clf/predict", content=chunks, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and "more than" in response.json()["error"]


def test_unknown_path_and_method_are_json_errors(client):
    assert "no such path '/v1/nothing'" in client.get("/v1/nothing").json()["error"]
    assert client.get("/v1/models/clf/predict").status_code == 405


def test_model_info_of_unknown_model(client):
    response = client.get("/v1/models/nope")
    assert response.status_code == 404 and "GET /v1/models lists them" in response.json()["error"]


# --- batching -------------------------------------------------------------------------------------------
def test_64_concurrent_requests_of_mixed_lengths_are_batched_and_each_gets_its_own_answer(served):
    import httpx

    words = "a gripping , beautifully shot film but the plot is dull and lifeless".split()
    texts = [" ".join(words[: 1 + i % len(words)] + [str(i)] * (i // len(words))) for i in range(64)]
    # A generous wait: the batch runs as soon as 64 inputs are in, so the wait only matters on a slow machine.
    app = create_app({"clf": served["clf"]}, LIMITS, wait_ms=2000, max_batch=64)

    async def send_all():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            answers = await asyncio.gather(*(http.post("/v1/models/clf/predict", json={"inputs": [t]}) for t in texts))
            return [answer.json()["results"] for answer in answers], (await http.get("/health")).json()

    answers, health = asyncio.run(send_all())
    model = served["clf"].model
    for text, results in zip(texts, answers):
        alone = model.run([text])[0]
        assert len(results) == 1 and results[0]["input"] == text
        assert results[0]["prediction"] == model.predict([text])[0]
        assert results[0]["probabilities"] == pytest.approx(alone["probabilities"], abs=1e-5)
    stats = health["models"]["clf"]
    assert stats["requests"] == 64 and stats["largest_batch"] > 1 and stats["batches"] < 64
    app.state.workers["clf"].close()


def worker_calls(wait_ms=300, max_batch=3):
    calls = []

    def predict(inputs, **options):
        calls.append((list(inputs), options))
        if "bad" in inputs:
            raise ZooError("bad input")
        return [{"input": text, "prediction": text.upper(), **options} for text in inputs]
    return ModelWorker("fake", predict, wait_ms, max_batch), calls


def test_worker_runs_different_options_apart_and_a_failing_request_alone():
    worker, calls = worker_calls(wait_ms=2000, max_batch=5)
    futures = [worker.submit(["a"], {}), worker.submit(["bad"], {}), worker.submit(["b", "c"], {"seed": 1}),
               worker.submit(["d"], {})]
    assert [r["prediction"] for r in futures[0].result(10)] == ["A"]
    with pytest.raises(ZooError, match="bad input"):
        futures[1].result(10)
    assert [r["prediction"] for r in futures[2].result(10)] == ["B", "C"] and futures[2].result()[0]["seed"] == 1
    assert [r["prediction"] for r in futures[3].result(10)] == ["D"]
    # one call for the {} group (which failed), then each of its requests alone; one for the seed group
    assert calls[0] == (["a", "bad", "d"], {}) and (["b", "c"], {"seed": 1}) in calls
    assert (["a"], {}) in calls and (["d"], {}) in calls
    worker.close()


def test_worker_keeps_a_request_that_does_not_fit_for_the_next_batch():
    worker, calls = worker_calls(wait_ms=2000, max_batch=3)
    futures = [worker.submit(["a", "b"], {}), worker.submit(["c", "d"], {}), worker.submit(["e"], {})]
    assert [len(f.result(10)) for f in futures] == [2, 2, 1]
    assert calls == [(["a", "b"], {}), (["c", "d", "e"], {})]
    worker.close()


def test_worker_cancels_a_generation_within_a_token():
    worker, _ = worker_calls()
    made, stopped = [], threading.Event()

    def endless():
        try:
            while True:
                yield len(made)
        finally:
            stopped.set()

    job = worker.generate(endless, made.append)
    job.started.result(10)
    while len(made) < 5:
        threading.Event().wait(0.01)
    job.cancel()
    worker.submit(["x"], {}).result(10)  # a round has passed
    count = len(made)
    worker.submit(["y"], {}).result(10)
    assert len(made) == count and worker.stats.generating == 0
    worker.close()


# --- the command -------------------------------------------------------------------------------------------
def test_serve_command_stops_in_one_line_when_a_model_does_not_load(zoo_home):
    result = CliRunner().invoke(main, ["serve", "clf", "no-such-model", "--port", "8123"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zoo: error: cannot serve 'no-such-model'")


def test_serve_command_refuses_two_models_under_one_name(zoo_home):
    result = CliRunner().invoke(main, ["serve", "clf", str(zoo_home / "models" / "clf.safetensors")])
    assert result.exit_code == 1 and "two models would be served as 'clf'" in result.output


def test_serve_command_without_the_serve_extra_says_what_to_install(zoo_home, monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if not installed
    result = CliRunner().invoke(main, ["serve", "clf"])
    assert result.exit_code == 1
    assert result.output.strip() == ("zoo: error: zoo serve needs the serve extra (uvicorn is missing): "
                                     "pip install 'zoo-core[serve]'")
