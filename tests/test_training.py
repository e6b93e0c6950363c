"""Training: Ctrl-C keeps what was learned, seeds reproduce, per-epoch metrics are written."""
import json
import signal
import subprocess
import sys
import time

import zoo_core
from zoo_core.io.store import read_header


def test_ctrl_c_keeps_the_model(sentiment_dir, zoo_home):
    command = [sys.executable, "-m", "zoo_core.cli", "train", "gru-classifier", "--data", str(sentiment_dir),
               "--out", "interrupted", "--set", "embedding.dim=8", "--set", "encoder.hidden_size=8",
               "--set", "training.epochs=10000", "--set", "training.patience=10000"]
    # A shell starts background jobs with SIGINT ignored, and Python keeps it so; a terminal would not.
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    for line in process.stderr:  # wait until one epoch has finished
        if line.startswith("epoch 1:") or time.monotonic() > deadline:
            break
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "resume with the same command plus --resume" in stderr
    metadata = read_header(zoo_home / "models" / "interrupted.safetensors")["__metadata__"]
    summary = json.loads(metadata["zoo.training"])
    assert summary["stopped"] == "signal SIGINT"
    assert summary["epochs"] >= 1
    lines = (zoo_home / "models" / "interrupted.metrics.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["epoch"] == 1


def test_same_seed_same_model(sentiment_dir):
    settings = {"embedding": {"dim": 8}, "encoder": {"hidden_size": 8}, "training": {"epochs": 1, "seed": 7}}
    first = zoo_core.train("rnn-classifier", str(sentiment_dir), progress=False, overrides=settings)
    second = zoo_core.train("rnn-classifier", str(sentiment_dir), progress=False, overrides=settings)
    texts = ["not good", "a superb film"]
    assert first.predict_proba(texts) == second.predict_proba(texts)
    settings["training"]["seed"] = 8
    third = zoo_core.train("rnn-classifier", str(sentiment_dir), progress=False, overrides=settings)
    assert third.predict_proba(texts) != first.predict_proba(texts)


def test_create_model_api():
    model = zoo_core.create_model("gru-classifier", vocab=500, num_classes=3, encoder__hidden_size=12)
    assert model.encoder.out_dim == 12
    assert model.head.output[-1].out_features == 3
    assert len(model.predict(["anything at all"])) == 1


def test_word_dropout_drops_whole_tokens_in_training_only():
    import torch

    from zoo_core.workflows import create_model

    model = create_model("lstm-classifier", vocab=50, embedding__dim=6, encoder__hidden_size=4,
                         embedding__word_dropout=0.5)
    seen = []
    forward = model.encoder.forward
    model.encoder.forward = lambda inputs, lengths, state=None: seen.append(inputs) or forward(inputs, lengths, state)
    tokens = torch.randint(2, 50, (4, 30))
    batch = {"tokens": tokens, "lengths": torch.full((4,), 30)}
    model.train()
    model(batch)
    model.eval()
    model(batch)
    trained, evaluated = seen
    assert torch.equal(evaluated, model.embedding(tokens))  # no dropout at evaluation
    dropped = trained.abs().sum(-1) == 0
    assert 0.3 < dropped.float().mean() < 0.7  # about half of the 120 tokens, each dropped whole
    assert torch.allclose(trained[~dropped], 2 * evaluated[~dropped])  # the rest scaled by 1 / (1 - p)
