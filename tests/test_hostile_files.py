"""Model files made to break the loader: each is one clean line (no traceback, no hang), checksums catch a changed
byte, `zoo models` and `zoo info` list broken files as broken and never crash. A fuzz test mutates a real file."""
import json
import os
import random
import struct
import subprocess
import sys
import warnings
from collections import Counter

import pytest
from click.testing import CliRunner

import zoo_core as zoo
from zoo_core.cli import main
from zoo_core.errors import ArtifactError
from zoo_core.io.artifacts import HEADER_KEY, WEIGHTS_KEY, seal
from zoo_core.io.store import read_header, read_header_bytes
from zoo_core.modeling.loading import load_model

ESCAPE = "\x1b]0;owned\x07\x1b[31m"


@pytest.fixture
def saved(tmp_path):
    model = zoo.create_model("lstm-classifier", vocab=30, num_classes=2, embedding__dim=4, encoder__hidden_size=4)
    return model.save(tmp_path / "tiny.safetensors")


def parts(path):
    """(header, tensor data) of a safetensors file."""
    raw = path.read_bytes()
    size = struct.unpack("<Q", raw[:8])[0]
    return json.loads(raw[8:8 + size]), raw[8 + size:]


def write(path, header, data: bytes, sealed=True):
    """A safetensors file from a header and data, resealed (as a crafted file would be) unless ``sealed`` is off."""
    if sealed and isinstance(header.get("__metadata__"), dict):
        header["__metadata__"].pop(HEADER_KEY, None)
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + data)
    if sealed and isinstance(header.get("__metadata__"), dict):
        seal(path)
    return path


def edited(saved, tmp_path, change, sealed=True, name="edited.safetensors"):
    header, data = parts(saved)
    result = change(header, data)
    data = result if isinstance(result, bytes) else data
    return write(tmp_path / name, header, data, sealed)


def one_line_error(reference, *fragments):
    """`zoo run REFERENCE x` fails with one `zoo: error:` line containing ``fragments``, no traceback."""
    result = CliRunner().invoke(main, ["run", str(reference), "a film"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert result.output.count("\n") == 1 and result.output.startswith("zoo: error: "), result.output
    for fragment in fragments:
        assert fragment in result.output, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    return result.output


def set_metadata(key, value):
    def change(header, data):
        header["__metadata__"][key] = value
    return change


def deep(depth):
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("change, fragments", [
    (set_metadata("zoo.vocabs", json.dumps(["a", "b"])), ["corrupt zoo.vocabs metadata"]),
    (set_metadata("zoo.vocabs", json.dumps({"tokens": [1, 2]})), ["corrupt zoo.vocabs metadata"]),
    (set_metadata("zoo.plugins", json.dumps({"plugin": "x"})), ["corrupt zoo.plugins metadata"]),
    (set_metadata("zoo.plugins", json.dumps([{"plugin": ["x"]}])), ["corrupt zoo.plugins metadata"]),
    (set_metadata("zoo.config", deep(100_000)), ["corrupt zoo.config metadata", "nested too deep"]),
    (set_metadata("zoo.training", json.dumps([1])), ["corrupt zoo.training metadata"]),
    (set_metadata("zoo.plugins", json.dumps([{"plugin": "evil" + ESCAPE, "distribution": "zoo-evil", "version": "1",
                                              "provides": []}])), ["needs plugin 'evil\\x1b]0;owned\\x07"]),
    (lambda header, data: header.update({"__metadata__": ["zoo"]}), ["not a table of strings"]),
    (lambda header, data: header["__metadata__"].update({"zoo.task": 7}), ["not a table of strings"]),
    (lambda header, data: header["__metadata__"].update(
        {"zoo.vocabs": json.dumps({"tokens": json.loads(header["__metadata__"]["zoo.vocabs"])["tokens"]})}),
     ["lack 'labels'"]),
    (lambda header, data: header.pop("head.output.1.bias"), ["missing head.output.1.bias"]),
    (lambda header, data: header["embedding.weight"].update(dtype="I32"), ["stored as int32", "float32"]),
    (lambda header, data: header["embedding.weight"].update(shape=[4, 30]), ["stored shape [4, 30]"]),
    (lambda header, data: header["__metadata__"].update({"zoo.config": json.dumps(with_seed(header, 2**70))}),
     ["stored config does not validate", "training.seed"]),
    (set_metadata("zoo.format_version", "9"), ["format version 9 is not supported"]),
])
def test_hostile_metadata_is_one_line(saved, tmp_path, change, fragments):
    one_line_error(edited(saved, tmp_path, change), *fragments)


def with_seed(header, seed):
    config = json.loads(header["__metadata__"]["zoo.config"])
    config["training"]["seed"] = seed
    return config


def test_header_nested_too_deep_and_bytes_after_it(saved, tmp_path):
    path = tmp_path / "deep.safetensors"
    body = ('{"x": ' + deep(100_000) + "}").encode()
    path.write_bytes(struct.pack("<Q", len(body)) + body)
    one_line_error(path, "not a safetensors file")
    header, data = parts(saved)
    raw = read_header_bytes(saved)
    tabbed = tmp_path / "tabbed.safetensors"
    tabbed.write_bytes(struct.pack("<Q", len(raw)) + raw[:-1] + b"\t" + data)  # padding space -> tab
    one_line_error(tabbed, "bytes around its header")


def test_a_changed_byte_is_reported_not_loaded(saved, tmp_path):
    raw = bytearray(saved.read_bytes())
    raw[-3] ^= 0x01  # inside the tensor data
    (tmp_path / "data.safetensors").write_bytes(raw)
    one_line_error(tmp_path / "data.safetensors", "the weights changed after saving")
    raw = bytearray(saved.read_bytes())
    where = raw.index(b"lstm-classifier")
    raw[where] = ord("L")  # inside a metadata string
    (tmp_path / "meta.safetensors").write_bytes(raw)
    one_line_error(tmp_path / "meta.safetensors", "header", "changed after saving")


def test_checksums_removed_from_a_format_2_file(saved, tmp_path):
    def strip(header, data):
        del header["__metadata__"][WEIGHTS_KEY]
    one_line_error(edited(saved, tmp_path, strip, sealed=False), f"the {WEIGHTS_KEY} checksum is missing")


def test_format_1_file_without_checksums_loads_with_a_warning(saved, tmp_path):
    def as_format_1(header, data):
        metadata = header["__metadata__"]
        metadata["zoo.format_version"] = "1"
        del metadata[WEIGHTS_KEY], metadata[HEADER_KEY]
    old = edited(saved, tmp_path, as_format_1, sealed=False)
    with pytest.warns(UserWarning, match="format 1 model file, saved before checksums"):
        model = load_model(str(old))
    assert model.predict(["a film"]) == load_model(str(saved)).predict(["a film"])


def test_a_fifo_named_like_a_model_does_not_hang(tmp_path, zoo_home):
    (zoo_home / "models").mkdir(parents=True)
    fifo = zoo_home / "models" / "pipe.safetensors"
    os.mkfifo(fifo)
    for args in (["run", str(fifo), "x"], ["run", "pipe", "x"], ["info", "pipe"], ["models"]):
        result = subprocess.run([sys.executable, "-m", "zoo_core.cli", *args], capture_output=True, text=True,
                                timeout=60)
        assert "Traceback" not in result.stderr
        assert "not a regular file" in result.stderr + result.stdout, args


def test_listing_shows_good_models_and_broken_rows(saved, tmp_path, zoo_home):
    models = zoo_home / "models"
    models.mkdir(parents=True)
    (models / "good.safetensors").write_bytes(saved.read_bytes())
    (models / "dangling.safetensors").symlink_to(tmp_path / "gone.safetensors")
    (models / "junk.safetensors").write_bytes(b"\x00" * 3)
    edited(saved, tmp_path, set_metadata("zoo.training", "{" + ESCAPE), name="x.safetensors")
    (models / "escape.safetensors").write_bytes((tmp_path / "x.safetensors").read_bytes())
    result = CliRunner().invoke(main, ["models"])
    assert result.exit_code == 0, result.output
    lines = {line.split("  ")[0]: line for line in result.output.splitlines()}
    assert set(lines) == {"good", "dangling", "junk", "escape"}
    assert "BROKEN" not in lines["good"] and "lstm-classifier" in lines["good"]
    assert "dangling symlink" in lines["dangling"] and "too short" in lines["junk"]
    assert "BROKEN" in lines["escape"] and "\x1b" not in result.output
    rows = json.loads(CliRunner().invoke(main, ["models", "--json"]).output)
    assert [row["name"] for row in rows if "error" not in row] == ["good"]
    for name in ("dangling", "junk", "escape"):
        info = CliRunner().invoke(main, ["info", name])
        assert info.exit_code == 1 and info.output.startswith("zoo: error: ") and info.output.count("\n") == 1
    assert CliRunner().invoke(main, ["models", "rm", "dangling"]).exit_code == 0
    assert not (models / "dangling.safetensors").is_symlink()


def test_checksum_cost_is_measured_not_asserted(saved):
    """The header and weights are hashed on every load; the checksums are in the file the loader verified."""
    metadata = read_header(saved)["__metadata__"]
    assert len(metadata[WEIGHTS_KEY]) == 64 and len(metadata[HEADER_KEY]) == 64


def test_fuzz_mutations_of_a_real_model_file_are_each_rejected_in_one_line(saved, tmp_path, capsys):
    """300 random byte changes, half in the header and half in the tensor data: every one is refused with one
    ArtifactError line (the checksums see what the structure checks do not); none loads, none raises anything else."""
    original = saved.read_bytes()
    header_end = 8 + struct.unpack("<Q", original[:8])[0]
    rng = random.Random(14)
    outcomes = Counter()
    for trial in range(300):
        raw = bytearray(original)
        position = rng.randrange(header_end) if trial % 2 == 0 else rng.randrange(header_end, len(raw))
        raw[position] = (raw[position] + rng.randrange(1, 256)) % 256
        path = tmp_path / "mutant.safetensors"
        path.write_bytes(raw)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a format-1 downgrade would warn: count it as loaded
            try:
                load_model(str(path))
                outcomes["loaded"] += 1
            except ArtifactError as error:
                assert "\n" not in str(error)
                outcomes[reason(str(error))] += 1
    with capsys.disabled():
        print(f"\nfuzz, 300 single-byte mutations: {dict(sorted(outcomes.items()))}")
    assert outcomes["loaded"] == 0
    assert sum(outcomes.values()) == 300


def reason(message: str) -> str:
    for fragment, name in (("weights changed", "weights checksum"), ("header (config", "header checksum"),
                           ("bad header size", "header size"), ("unreadable header", "header JSON"),
                           ("bytes around", "header padding"), ("not a table of strings", "metadata type"),
                           ("not a zoo model", "required key"), ("format version", "format version"),
                           ("checksum is missing", "checksum key"), ("tensor table", "tensor table")):
        if fragment in message:
            return name
    return "other: " + message[:60]
