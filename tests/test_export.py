"""Models that leave the zoo (issue 17): ONNX export run on ONNX Runtime against torch for every task, the
Hugging Face-style folder and its card, hf:// from an offline hub cache, zoo push, and bad input."""
from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

import zoo_core
from conftest import run_zoo
from zoo_core.cli import main
from zoo_core.data.synthetic import write_sentiment_files
from zoo_core.export import onnx_export
from zoo_core.export.onnx_runner import OnnxModel
from zoo_core.modeling.interfaces import EncoderOutput
from zoo_core.plugin import pad

TINY = {"embedding": {"dim": 16}, "encoder": {"hidden_size": 16}, "training": {"epochs": 1, "batch_size": 16}}
PAIRS = {"text_field": "0", "label_field": "1"}
SEQ2SEQ_HEAD = {"hidden_size": 16, "embedding_dim": 8, "attention_dim": 8}
TEXTS = ["a gripping , beautifully shot film", "dull", "not bad at all , but the ending drags on and on", "fine"]
SENTENCES = ["the big cat sees a dog .", "a dog finds the old red book on the mat .", "cat"]
SOURCES = ["three hundred forty two", "nine", "seven hundred one", "twelve thousand"]


def conll(path: Path, n: int = 80) -> Path:
    rng = random.Random(0)
    lines = []
    for _ in range(n):
        for i, (word, tag) in enumerate([(rng.choice(["the", "a"]), "DT"), (rng.choice(["big", "red"]), "JJ"),
                                         (rng.choice(["cat", "dog", "mat"]), "NN"), (rng.choice(["sees", "finds"]), "VBZ"),
                                         (rng.choice(["cat", "dog", "book"]), "NN"), (".", ".")]):
            lines.append(f"{word} {tag} {'B-NP' if tag == 'DT' or (tag == 'NN' and i == 4) else 'I-NP' if tag in ('JJ', 'NN') else 'O'}")
        lines.append("")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """One tiny trained model per task (a few steps each), each exported to ONNX, in a store of this module."""
    from zoo_seq2seq.synthetic import write_number_pairs

    home = tmp_path_factory.mktemp("zoo-home")
    data = home / "data"
    data.mkdir()
    (data / "corpus.txt").write_text("the quick brown fox jumps over the lazy dog. " * 60)
    pairs = write_number_pairs(data, n=200, largest=999)
    jobs = {
        "classifier": ("bilstm-attn-classifier", write_sentiment_files(data / "sentiment", n=300, seed=3), TINY, {}),
        "tagger": ("bilstm-crf-tagger", conll(data / "train.conll"),
                   {**TINY, "data": {"chars": {"dim": 8, "filters": 8}}, "tokenizer": {"min_freq": 1}}, {}),
        "lm": ("char-lstm-lm", data / "corpus.txt", {**TINY, "data": {"chunk_length": 16}}, {}),
        "translator": ("gru-attn-seq2seq", pairs, {**TINY, "head": SEQ2SEQ_HEAD}, PAIRS),
        "luong": ("lstm-luong-seq2seq", pairs, {**TINY, "head": {"hidden_size": 16, "embedding_dim": 8}}, PAIRS),
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZOO_HOME", str(home))
        for name, (architecture, path, overrides, options) in jobs.items():
            zoo_core.train(architecture, str(path), out=name, overrides=overrides, progress=False, **options)
            result = CliRunner().invoke(main, ["export", name, "--format", "onnx", "--out", str(home / f"{name}.onnx")])
            assert result.exit_code == 0, result.output
    return home


@pytest.fixture
def models(store, monkeypatch):
    """(torch model, ONNX Runtime model) of a task's tiny model."""
    monkeypatch.setenv("ZOO_HOME", str(store))

    def pair(name: str):
        onnx_model = zoo_core.load(str(store / f"{name}.onnx"))
        assert isinstance(onnx_model, OnnxModel)
        return zoo_core.load(name), onnx_model
    return pair


def max_difference(a: torch.Tensor, b: torch.Tensor) -> float:
    assert a.shape == b.shape
    return float((a.double() - b.double()).abs().max())


def cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


# --- parity: every task, padded batches of mixed lengths ----------------------------------------------------

def test_classifier_logits_labels_and_cli_output_match_torch(models, store):
    torch_model, onnx_model = models("classifier")
    vocab = torch_model.vocabs["tokens"]
    ids = [vocab.encode(torch_model.task.tokens(text)) or [1] for text in TEXTS]
    tokens, lengths = pad(ids, "cpu")
    assert len(set(lengths.tolist())) > 2  # mixed lengths: most rows padded
    with torch.no_grad():
        expected = torch_model({"tokens": tokens, "lengths": lengths})[0]
    assert max_difference(onnx_model({"tokens": tokens, "lengths": lengths})[0], expected) <= 1e-5
    assert onnx_model.predict(TEXTS) == torch_model.predict(TEXTS)
    assert onnx_model.predict(TEXTS, batch_size=1) == torch_model.predict(TEXTS)  # ZooModel's own checks and options
    with pytest.raises(TypeError):
        onnx_model.predict(TEXTS, colour="red")
    for got, want in zip(onnx_model.predict_proba(TEXTS), torch_model.predict_proba(TEXTS)):
        assert got.keys() == want.keys() and all(abs(got[k] - want[k]) <= 1e-5 for k in got)
    assert cli("run", str(store / "classifier.onnx"), *TEXTS) == cli("run", "classifier", *TEXTS)


def test_tagger_emissions_and_crf_tags_match_torch(models, store):
    torch_model, onnx_model = models("tagger")
    task = torch_model.task
    words = [sentence.split() for sentence in SENTENCES]
    batch = task._batch([_encoded(task, torch_model, w) for w in words], "cpu")
    assert "chars" in batch and len(set(batch["lengths"].tolist())) == 3
    with torch.no_grad():
        expected = torch_model(batch)[0]
    got = onnx_model(batch)[0]
    assert max_difference(got, expected) <= 1e-5
    assert onnx_model.head.decode(got, batch["lengths"]) == torch_model.head.decode(expected, batch["lengths"])
    assert onnx_model.run(SENTENCES) == torch_model.run(SENTENCES)
    assert cli("run", str(store / "tagger.onnx"), *SENTENCES) == cli("run", "tagger", *SENTENCES)


def _encoded(task, model, words):
    from zoo_bidirectional.tag_task import EncodedSentence

    return EncodedSentence(*task.encode_words(words, model.vocabs), [], ())


def test_language_model_steps_and_generations_match_torch(models, store):
    torch_model, onnx_model = models("lm")
    generator = torch.Generator().manual_seed(0)
    tokens = torch.randint(3, len(torch_model.vocabs["tokens"]), (4, 9), generator=generator)
    full = torch.full((4,), 9)
    with torch.no_grad():
        expected = torch_model.encode(tokens, full)
        onnx_encoded = onnx_model.encode(tokens, full)
        assert max_difference(onnx_model.head(onnx_encoded, {}), torch_model.head(expected, {})) <= 1e-5
        # then one token a step, the state carried on both sides
        step = tokens[:, :1]
        torch_step = torch_model.encode(step, torch.ones(4, dtype=torch.long), expected.state)
        onnx_step = onnx_model.encode(step, torch.ones(4, dtype=torch.long), onnx_encoded.state)
        assert max_difference(onnx_model.head(onnx_step, {}), torch_model.head(torch_step, {})) <= 1e-5
        for got, want in zip(onnx_step.state, torch_step.state):
            assert max_difference(got, want) <= 1e-5
    for options in ({"sampler": "greedy", "max_tokens": 40}, {"temperature": 0.8, "seed": 7, "max_tokens": 40}):
        for got, want in zip(onnx_model.run(["the qu", ""], **options), torch_model.run(["the qu", ""], **options)):
            assert got["tokens"] == want["tokens"] and got["prediction"] == want["prediction"]
            assert max(abs(a - b) for a, b in zip(got["log_probs"], want["log_probs"])) <= 1e-5
    args = ("the qu", "--sampler", "greedy", "--max-tokens", "30")
    assert cli("run", str(store / "lm.onnx"), *args) == cli("run", "lm", *args)


@pytest.mark.parametrize("name", ["translator", "luong"])
def test_seq2seq_start_state_steps_greedy_and_beam_match_torch(models, store, name):
    torch_model, onnx_model = models(name)
    vocab = torch_model.vocabs["tokens"]
    tokens, lengths = pad([vocab.encode(s.split()) for s in SOURCES], "cpu")
    assert len(set(lengths.tolist())) > 2
    with torch.no_grad():
        torch_state = torch_model.head.start_state(torch_model.encode(tokens, lengths), lengths)
        onnx_state = onnx_model.head.start_state(onnx_model.encode(tokens, lengths), lengths)
        assert torch_state.keys() == onnx_state.keys()
        previous = torch.full((len(SOURCES),), 2)
        for _ in range(4):
            torch_logits, torch_state = torch_model.head.step(previous, torch_state)
            onnx_logits, onnx_state = onnx_model.head.step(previous, onnx_state)
            assert max_difference(onnx_logits, torch_logits) <= 1e-5
            previous = torch_logits.argmax(-1)
    for options in ({}, {"beam": 3}):
        got, want = onnx_model.run(SOURCES, **options), torch_model.run(SOURCES, **options)
        assert [r["prediction"] for r in got] == [r["prediction"] for r in want]
        assert all(abs(a["log_prob"] - b["log_prob"]) <= 1e-5 for a, b in zip(got, want))
    for args in (SOURCES, [*SOURCES, "--beam", "3"]):
        assert cli("run", str(store / f"{name}.onnx"), *args) == cli("run", name, *args)


def test_onnx_file_carries_the_model_files_metadata(store):
    import onnx

    from zoo_core.io.store import read_header

    props = {p.key: p.value for p in onnx.load(str(store / "translator.onnx")).metadata_props}
    stored = read_header(store / "models" / "translator.safetensors")["__metadata__"]
    assert {k: props[k] for k in stored} == stored  # config, vocabularies, plugins, version, training
    graphs = json.loads(props[onnx_export.GRAPHS_KEY])
    assert {"encoder", "step"} <= set(graphs)


def test_explain_and_eval_paths_outside_the_export_are_one_line(store, monkeypatch):
    monkeypatch.setenv("ZOO_HOME", str(store))
    result = CliRunner().invoke(main, ["run", str(store / "classifier.onnx"), "fine", "--explain"])
    assert result.exit_code == 1 and "inside the ONNX graph" in result.stderr and len(result.stderr.splitlines()) == 1


# --- the folder, its card, a new process ------------------------------------------------------------------

def test_folder_round_trip_in_a_new_process_gives_identical_predictions(store, tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_HOME", str(store))
    folder = tmp_path / "exported"
    cli("export", "classifier", "--format", "hf", "--out", str(folder))
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json", "model.safetensors",
                                                        "tokenizer_config.json", "vocab.json"]
    assert (folder / "model.safetensors").read_bytes() == (store / "models" / "classifier.safetensors").read_bytes()
    vocab = json.loads((folder / "vocab.json").read_text())
    assert vocab["labels"] == zoo_core.load("classifier").vocabs["labels"].tokens
    new_process = run_zoo("run", str(folder), *TEXTS, "--json", env={"ZOO_HOME": str(tmp_path / "empty-store")})
    assert new_process.returncode == 0, new_process.stderr
    assert [json.loads(line) for line in new_process.stdout.splitlines()] == zoo_core.load("classifier").run(TEXTS)
    assert zoo_core.load(str(folder)).predict(TEXTS) == zoo_core.load("classifier").predict(TEXTS)


def test_model_card_metrics_equal_the_models_summary(store, tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_HOME", str(store))
    folder = tmp_path / "card"
    cli("export", "tagger", "--format", "hf", "--out", str(folder))
    card = (folder / "README.md").read_text()
    model = zoo_core.load("tagger")
    summary = model.training_summary
    rows = [line.split("|")[1:-1] for line in card.splitlines() if line.startswith("| ") and "split" not in line]
    table = {(split.strip(), metric.strip()): float(value) for split, _, metric, value in rows}
    expected = {("valid", summary["best_metric"].removeprefix("valid_")): summary["best_value"],
                **{("test", k): v for k, v in summary.get("test", {}).items() if isinstance(v, (int, float))}}
    assert table.keys() == expected.keys()
    counts = {split.strip(): number.strip() for split, number, _, _ in rows}
    assert counts["valid"] == f"{summary['examples']['valid']:,}" and summary["examples"]["valid"] > 0
    assert all(abs(table[key] - value) <= 5e-5 for key, value in expected.items())
    assert f"parameters: {model.num_parameters():,}" in card and "bilstm-crf-tagger" in card
    assert "zoo train bilstm-crf-tagger" in card and "encoder.hidden_size=16" in card
    assert "license" in card.lower() and "\nlicense:" not in card  # left for the user
    config = json.loads((folder / "config.json").read_text())
    assert config["task"] == "tag" and config["config"] == model.config.to_dict()


# --- the Hub, offline ------------------------------------------------------------------------------------

def hub_cache(root: Path, repo: str, revisions: dict[str, Path]) -> Path:
    """A huggingface_hub cache holding ``repo`` with each of ``revisions`` (ref name -> folder)."""
    storage = root / "hub" / f"models--{repo.replace('/', '--')}"
    for number, (ref, folder) in enumerate(revisions.items()):
        commit = f"{number + 1:040x}"
        shutil.copytree(folder, storage / "snapshots" / commit)
        (storage / "refs").mkdir(parents=True, exist_ok=True)
        (storage / "refs" / ref).write_text(commit)
    return root


def test_hf_references_load_from_the_offline_cache_with_revisions(store, tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_HOME", str(store))
    cli("export", "classifier", "--format", "hf", "--out", str(tmp_path / "a"))
    cli("export", "tagger", "--format", "hf", "--out", str(tmp_path / "b"))
    root = hub_cache(tmp_path / "hf", "alice/tiny", {"main": tmp_path / "a", "v2": tmp_path / "b"})
    env = {"HF_HUB_OFFLINE": "1", "HF_HOME": str(root), "HF_HUB_CACHE": str(root / "hub"),
           "ZOO_HOME": str(tmp_path / "empty-store")}
    main_revision = run_zoo("run", "hf://alice/tiny", *TEXTS, "--json", env=env)
    assert main_revision.returncode == 0, main_revision.stderr
    assert [json.loads(line)["prediction"] for line in main_revision.stdout.splitlines()] == \
        zoo_core.load("classifier").predict(TEXTS)
    tagged = run_zoo("run", "hf://alice/tiny@v2", SENTENCES[0], "--json", env=env)
    assert tagged.returncode == 0, tagged.stderr
    assert json.loads(tagged.stdout)["prediction"] == zoo_core.load("tagger").predict(SENTENCES[:1])[0]
    # The rest in this process: huggingface_hub reads HF_HUB_OFFLINE and HF_HUB_CACHE when imported.
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(root / "hub"))
    by_commit = CliRunner().invoke(main, ["run", f"hf://alice/tiny@{2:040x}", SENTENCES[0], "--json"])  # v2's commit
    assert by_commit.exit_code == 0 and by_commit.stdout == tagged.stdout
    for reference, said in (("hf://alice/missing", "alice/missing is not in the Hugging Face cache"),
                            ("hf://alice/tiny@v9", "revision 'v9' of alice/tiny is not in the Hugging Face cache"),
                            ("hf://not-a-repo", "give a Hub repository as OWNER/NAME")):
        assert said in one_line_error("run", reference, "x")
    assert "HF_HUB_OFFLINE is set" in one_line_error("push", "classifier", "alice/tiny")


def test_push_uploads_the_exported_folder_with_hfapi(store, monkeypatch):
    import huggingface_hub

    monkeypatch.setenv("ZOO_HOME", str(store))
    calls = []

    def create_repo(self, repo_id, private=None, exist_ok=False, **kwargs):
        calls.append(("create_repo", repo_id, private, exist_ok))
        return f"https://huggingface.co/{repo_id}"

    def upload_folder(self, repo_id, folder_path, commit_message=None, **kwargs):
        folder = Path(folder_path)
        calls.append(("upload_folder", repo_id, sorted(p.name for p in folder.iterdir()), commit_message,
                      (folder / "model.safetensors").read_bytes() == (store / "models" / "lm.safetensors").read_bytes()))

    monkeypatch.setattr(huggingface_hub.HfApi, "create_repo", create_repo)
    monkeypatch.setattr(huggingface_hub.HfApi, "upload_folder", upload_folder)
    output = cli("push", "lm", "alice/char-lm", "--private")
    assert calls == [("create_repo", "alice/char-lm", True, True),
                     ("upload_folder", "alice/char-lm", ["README.md", "config.json", "model.safetensors",
                                                         "tokenizer_config.json", "vocab.json"],
                      "Upload from zoo push", True)]
    assert "hf://alice/char-lm" in output


# --- bad input ---------------------------------------------------------------------------------------------

def one_line_error(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 1, result.output
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr
    return result.stderr


def test_onnx_file_without_zoo_metadata_or_not_onnx_is_refused_in_one_line(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "plain",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    onnx.save(helper.make_model(graph), tmp_path / "plain.onnx")
    assert "not one exported by `zoo export` (no zoo.format_version metadata)" in \
        one_line_error("run", str(tmp_path / "plain.onnx"), "hello")
    (tmp_path / "junk.onnx").write_bytes(b"not a protobuf at all")
    assert "not a readable ONNX model" in one_line_error("run", str(tmp_path / "junk.onnx"), "hello")


def test_a_task_without_an_export_path_is_one_line_naming_it(store, monkeypatch, tmp_path):
    monkeypatch.setenv("ZOO_HOME", str(store))
    monkeypatch.delitem(onnx_export.EXPORT_PATHS, "tag")
    said = one_line_error("export", "tagger", "--format", "onnx", "--out", str(tmp_path / "t.onnx"))
    assert "task 'tag' has no ONNX export path" in said
    assert not (tmp_path / "t.onnx").exists()


class LengthLoopEncoder(torch.nn.Module):
    """An encoder whose states are scaled by a Python number read from the lengths: the tracer freezes it, so it
    has no ONNX export path."""

    def __init__(self, inner):
        super().__init__()
        self.inner, self.out_dim, self.bidirectional, self.carries_state = inner, inner.out_dim, True, False

    def forward(self, inputs, lengths, state=None):
        encoded = self.inner(inputs, lengths)
        scale = float(lengths.float().mean())  # frozen at the traced batch's value
        return EncoderOutput(encoded.states * scale, encoded.summary)


def test_a_component_without_an_export_path_is_one_line_naming_it(store, monkeypatch, tmp_path):
    from zoo_core.io.artifacts import read_metadata

    monkeypatch.setenv("ZOO_HOME", str(store))
    model = zoo_core.load("classifier")
    model.encoder = LengthLoopEncoder(model.encoder)
    metadata = read_metadata(store / "models" / "classifier.safetensors")
    with pytest.raises(onnx_export.ExportError) as raised:
        onnx_export.export_onnx(model, metadata, tmp_path / "frozen.onnx", "classifier")
    message = str(raised.value)
    assert "\n" not in message and "encoder 'lstm' (test_export.py:" in message and "no ONNX export path" in message
    assert not (tmp_path / "frozen.onnx").exists()


def test_export_refuses_to_overwrite_and_an_onnx_file_cannot_be_exported_again(store, monkeypatch, tmp_path):
    monkeypatch.setenv("ZOO_HOME", str(store))
    target = tmp_path / "x.onnx"
    target.write_text("keep me")
    assert "exists already" in one_line_error("export", "classifier", "--format", "onnx", "--out", str(target))
    assert target.read_text() == "keep me"
    assert "ends in .onnx" in one_line_error("export", "classifier", "--format", "onnx", "--out", str(tmp_path / "x"))
    (tmp_path / "folder").mkdir()
    assert "--force" in one_line_error("export", "classifier", "--format", "hf", "--out", str(tmp_path / "folder"))
    assert "export from the model's .safetensors" in one_line_error(
        "export", str(store / "lm.onnx"), "--format", "hf", "--out", str(tmp_path / "again"))
