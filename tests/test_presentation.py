"""`zoo run`'s text forms (zoo_core/cli/presentation.py): tasks return records, the CLI renders them."""
from zoo_core.cli.presentation import render, render_token_weights, shade


def test_shading_is_darkest_on_the_heaviest_token():
    line = render_token_weights({"prediction": "pos", "probabilities": {"pos": 0.9}, "tokens": ["dull", "superb"],
                                 "weights": [0.0, 0.8]}, color=True)
    assert shade("dull", 0.0) in line and shade("superb", 1.0) in line
    assert "48;2;255;255;255m" in shade("x", 0.0) and "48;2;255;140;0m" in shade("x", 1.0)


def test_first_party_tasks_render_their_own_way_and_others_show_the_prediction():
    record = {"input": "a film", "prediction": "pos", "probabilities": {"pos": 0.75, "neg": 0.25}}
    assert render(record, "classify") == "pos\t0.750\ta film"
    tagged = {"input": "He ran", "tokens": ["He", "ran"], "prediction": ["B-NP", "B-VP"]}
    assert render(tagged, "tag") == "He   B-NP\nran  B-VP\n"
    assert render({"input": "x", "prediction": ["a", 1]}, "someone-elses-task") == "['a', 1]"
