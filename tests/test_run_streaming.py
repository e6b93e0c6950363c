"""`zoo run MODEL -` streams: results of each batch print while stdin is still open, in input order; empty lines
give empty results; --batch-size, --device; bad bytes on stdin are one line naming the line."""
import json
import os
import select
import subprocess
import sys
import threading
import time

import pytest
from click.testing import CliRunner

import zoo_core as zoo
from zoo_core.cli import main
from zoo_core.cli.line_batches import line_batches


@pytest.fixture
def model(zoo_home):
    model = zoo.create_model("lstm-classifier", vocab=["<pad>", "<unk>", "good", "bad", "film"], num_classes=2,
                             embedding__dim=4, encoder__hidden_size=4)
    model.save("m")
    return model


def read_line(stream, timeout: float) -> bytes:
    ready, _, _ = select.select([stream], [], [], timeout)
    assert ready, f"no output within {timeout} s"
    return stream.readline()


def test_first_result_comes_before_stdin_is_closed(model):
    process = subprocess.Popen([sys.executable, "-m", "zoo_core.cli", "run", "m", "-", "--json"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        process.stdin.write(b"good film\n")
        process.stdin.flush()
        first = json.loads(read_line(process.stdout, 120))
        assert first["input"] == "good film" and process.poll() is None  # still running: stdin is open
        process.stdin.write(b"bad film\n")
        process.stdin.flush()
        assert json.loads(read_line(process.stdout, 60))["input"] == "bad film"
        process.stdin.close()
        assert process.wait(60) == 0
    finally:
        process.kill()


def test_empty_lines_are_empty_results_in_input_order(model):
    lines = ["good film", "", "bad", "   ", "film good bad"] * 30  # 150 lines: several batches
    result = CliRunner().invoke(main, ["run", "m", "-", "--json", "--batch-size", "7"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["input"] for r in records] == [line if line.strip() else "" for line in lines]
    assert all(r["prediction"] is None for r, line in zip(records, lines) if not line.strip())
    expected = model.predict([line for line in lines if line.strip()])
    assert [r["prediction"] for r in records if r["input"]] == expected
    text = CliRunner().invoke(main, ["run", "m", "-", "--device", "auto"], input="good\n\nbad\n").stdout.split("\n")
    assert text[1] == "" and text[0].endswith("\tgood") and text[2].endswith("\tbad")


def test_non_utf8_stdin_is_one_line_naming_the_line(model):
    result = CliRunner().invoke(main, ["run", "m", "-"], input=b"good\nbad \xff film\n")
    assert result.exit_code == 1
    assert result.stderr.strip() == ("zoo: error: stdin:2: not valid UTF-8 (byte 0xff at column 5); convert the input "
                                     "to UTF-8, e.g. with `iconv -f latin1 -t utf-8`")


def test_a_flag_the_task_does_not_take_is_refused(model):
    result = CliRunner().invoke(main, ["run", "m", "good", "--tokenized"])
    assert result.exit_code == 1 and "--tokenized does not apply to model 'm'" in result.stderr


def test_batches_come_as_lines_arrive_and_memory_is_bounded():
    read_end, write_end = os.pipe()
    reader = os.fdopen(read_end, "rb")
    writer = os.fdopen(write_end, "wb")
    seen = []

    def produce():
        writer.write(b"one\r\ntwo\n")
        writer.flush()
        while not seen:  # the first batch is out before the rest is written
            time.sleep(0.01)
        writer.write(b"".join(b"line %d\n" % i for i in range(1000)))
        writer.close()

    thread = threading.Thread(target=produce)
    thread.start()
    batches = []
    for batch in line_batches(reader, size=64):
        seen.append(batch)
        batches.append(batch)
    thread.join()
    assert batches[0] == ["one", "two"]
    flat = [line for batch in batches for line in batch]
    assert flat == ["one", "two", *(f"line {i}" for i in range(1000))]
    assert max(len(batch) for batch in batches) == 64
