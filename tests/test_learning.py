"""The embedded data set is a real learning problem: a trained model beats the majority class by a
clear margin on freshly generated held-out data (a different seed than training)."""
from collections import Counter

import zoo_core
from zoo_core.data.synthetic import generate_sentiment


def test_trained_classifier_beats_majority_baseline(tmp_path):
    from zoo_core.data.synthetic import write_sentiment_files

    data = write_sentiment_files(tmp_path / "train", n=5000, seed=101)
    model = zoo_core.train("lstm-classifier", str(data), progress=False,
                           overrides={"embedding": {"dim": 32}, "encoder": {"hidden_size": 48},
                                      "training": {"epochs": 6, "batch_size": 64, "lr": 3e-3, "patience": 6}})
    held_out = generate_sentiment(600, seed=999)
    texts, gold = [t for t, _ in held_out], [y for _, y in held_out]
    predicted = model.predict(texts)
    accuracy = sum(p == g for p, g in zip(predicted, gold)) / len(gold)
    majority = Counter(gold).most_common(1)[0][1] / len(gold)
    assert accuracy > majority + 0.15, (accuracy, majority)
