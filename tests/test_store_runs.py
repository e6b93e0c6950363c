"""Concurrent runs and the store (issue 15 item 3): a name is reserved while a run writes it, the store and the
name are checked before any data is read, leftovers of a killed run are removed by the next one, and the
metrics file always belongs to the model beside it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from zoo_core.io.reservations import Reservation, lock_path, repair_metrics
from zoo_core.io.store import read_header

TINY = ["--threads", "1", "--quiet", "--set", "embedding.dim=8", "--set", "encoder.hidden_size=8"]


def zoo(*args, env=None, **popen):
    return subprocess.Popen([sys.executable, "-m", "zoo_core.cli", *args], text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}, **popen)


def history_in_model(path) -> list:
    return json.loads(read_header(path)["__metadata__"]["zoo.training"])["history"]


def metrics_rows(path) -> list:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_second_run_to_the_same_name_is_refused_at_once(zoo_home, sentiment_dir):
    models = zoo_home / "models"
    first = zoo("train", "gru-classifier", "--data", str(sentiment_dir), "--out", "same", "--epochs", "10000",
                "--set", "training.patience=null", "--set", "training.max_minutes=0.05", *TINY)  # 3 s
    deadline = time.monotonic() + 60
    while not lock_path(models / "same.safetensors").exists():
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    started = time.monotonic()
    second = zoo("train", "gru-classifier", "--data", str(sentiment_dir), "--out", "same", "--epochs", "1", *TINY)
    _, err = second.communicate(timeout=60)
    assert second.returncode == 1
    assert err.startswith("zoo: error: model 'same' is being trained by process") and "Traceback" not in err
    assert time.monotonic() - started < 30  # refused before reading data or training
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert "saved" in out
    assert metrics_rows(models / "same.metrics.jsonl") == history_in_model(models / "same.safetensors")
    assert not lock_path(models / "same.safetensors").exists()


def test_an_unwritable_store_or_a_long_name_fails_before_data_is_read(tmp_path, sentiment_dir):
    not_a_folder = tmp_path / "home-file"
    not_a_folder.write_text("")
    dangling = tmp_path / "dangling"
    (dangling).mkdir()
    (dangling / "models").symlink_to(tmp_path / "gone")
    (tmp_path / "gone").mkdir()
    (tmp_path / "gone").rmdir()
    for home in (not_a_folder, dangling):
        process = zoo("train", "gru-classifier", "--out", "m", *TINY, env={"ZOO_HOME": str(home)})
        _, err = process.communicate(timeout=60)
        assert process.returncode == 1 and err.startswith("zoo: error: cannot write models to"), err
        assert "embedded data set" not in err and "Traceback" not in err
    process = zoo("train", "gru-classifier", "--data", str(sentiment_dir), "--out", "n" * 230, *TINY)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1 and "is 230 bytes; use at most 200" in err and "training" not in err


def test_a_killed_runs_leftovers_go_and_metrics_agree_with_the_model(zoo_home, sentiment_dir):
    models = zoo_home / "models"
    models.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    import socket

    # What kill -9 during a --force save leaves: temporary files, its lock, and (killed between the two
    # renames) a metrics file of another run than the model beside it.
    leftovers = [models / ".run.safetensors.k1l2m3.tmp", models / ".run.metrics.jsonl.x9y8.tmp",
                 models / ".run.checkpoint.q1w2.tmp"]
    for path in leftovers:
        path.write_bytes(b"\0" * 1000)
    lock_path(models / "run.safetensors").write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname()}))
    other = models / ".other.safetensors.a1.tmp"  # another name's: not this run's to remove
    other.write_bytes(b"")
    process = zoo("train", "gru-classifier", "--data", str(sentiment_dir), "--out", "run", "--epochs", "1", *TINY)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert not any(path.exists() for path in leftovers) and other.exists()
    assert not lock_path(models / "run.safetensors").exists()
    (models / "run.metrics.jsonl").write_text('{"epoch": 1, "train_loss": 9.0}\n')  # a newer run's, say
    with Reservation(models / "run.safetensors", "next-run"):
        pass
    assert metrics_rows(models / "run.metrics.jsonl") == history_in_model(models / "run.safetensors")
    assert not repair_metrics(models / "run.safetensors")  # agreeing files are left alone


def test_a_live_lock_is_kept_and_a_stale_one_taken_over(zoo_home):
    from zoo_core.io.reservations import NameInUseError

    target = zoo_home / "models" / "held.safetensors"
    target.parent.mkdir(parents=True)
    with Reservation(target, "first"):
        try:
            with Reservation(target, "second"):
                raise AssertionError("a second reservation of a held name succeeded")
        except NameInUseError as error:
            assert f"process {os.getpid()}" in str(error)
    assert not lock_path(target).exists()
    lock_path(target).write_text("{trunc")  # a lock cut short by a kill is stale too
    with Reservation(target, "third"):
        assert json.loads(lock_path(target).read_text())["run"] == "third"
