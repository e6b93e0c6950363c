"""The Python API refuses what it cannot do: unknown keywords (with the close match), one string to predict;
honours options and restores the model's mode; trains on Python lists; lists the store."""
import pytest

import zoo_core as zoo
from zoo_core.errors import DataError
from zoo_core.io.store import model_path

TINY = {"embedding": {"dim": 8}, "encoder": {"hidden_size": 8}, "training": {"epochs": 1}}
REVIEWS = [("a great film", "pos"), ("dull and slow", "neg"), ("superb acting", "pos"), ("a boring mess", "neg")] * 10


@pytest.fixture
def model():
    return zoo.create_model("lstm-classifier", vocab=["<pad>", "<unk>", "good", "bad"], num_classes=2,
                            embedding__dim=4, encoder__hidden_size=4)


@pytest.mark.parametrize("call, message", [
    (lambda: zoo.train("lstm-classifier", "x.csv", text_feild="review"), "'text_feild'; did you mean 'text_field'"),
    (lambda: zoo.train("lstm-classifier", "x.csv", pretrained="v.txt"), "did you mean 'embedding__pretrained'"),
    (lambda: zoo.train("lstm-classifier", "x.csv", foo=1), "'foo' (it takes"),
    (lambda: zoo.create_model("lstm-classifier", num_clases=3), "did you mean 'num_classes'"),
])
def test_unknown_keywords_are_type_errors_with_the_close_match(call, message):
    with pytest.raises(TypeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


def test_predict_refuses_a_string_and_unknown_options(model):
    with pytest.raises(TypeError, match=r"takes a list of texts, not one string .*pass \['good'\]"):
        model.predict("good")
    with pytest.raises(TypeError, match="'explian'; did you mean 'explain'"):
        model.predict(["good"], explian=True)
    with pytest.raises(ValueError, match="batch_size=0"):
        model.predict(["good"], batch_size=0)


def test_predict_honours_batch_size_and_restores_the_mode(model):
    model.train()
    texts = ["good", "bad good", "bad"] * 7
    assert model.predict(texts, batch_size=2) == model.predict(texts)
    assert model.training and model.task.inference_batch_size == 256
    model.eval()
    model.predict_proba(texts)
    assert not model.training


def test_keyword_settings_deep_merge_over_overrides_and_win(sentiment_dir):
    trained = zoo.train("lstm-classifier", str(sentiment_dir), progress=False, training__lr=0.02,
                        overrides={**TINY, "training": {"epochs": 1, "lr": 0.5}})
    assert (trained.config.training.epochs, trained.config.training.lr) == (1, 0.02)


def test_save_and_load_use_the_same_name_rule(model, zoo_home):
    model.save("m2")
    assert model_path("m2").exists() and model_path("m2").parent == zoo_home / "models"
    assert zoo.load("m2", device="auto").predict(["good"]) == model.predict(["good"])
    rows = zoo.list_saved()
    assert [row["name"] for row in rows] == ["m2"] and rows[0]["architecture"] == "lstm-classifier"


def test_train_on_python_lists():
    pairs = zoo.train("lstm-classifier", REVIEWS, progress=False, overrides=TINY)
    columns = zoo.train("lstm-classifier", ([t for t, _ in REVIEWS], [label for _, label in REVIEWS]),
                        progress=False, overrides=TINY)
    assert pairs.vocabs["labels"].tokens == columns.vocabs["labels"].tokens == ["neg", "pos"]
    assert pairs.predict(["a great film"]) == columns.predict(["a great film"])  # same data, same seed
    tagged = [(["the", "cat", "sat"], ["B-NP", "I-NP", "B-VP"]), (["a", "dog"], ["B-NP", "I-NP"])] * 10
    tagger = zoo.train("bilstm-tagger", tagged, progress=False, overrides=TINY)
    assert len(tagger.predict(["the dog sat"])[0]) == 3
    with pytest.raises(DataError, match="2 tokens but 1 tags"):
        zoo.train("bilstm-tagger", [(["the", "cat"], ["B-NP"])], progress=False, overrides=TINY)
