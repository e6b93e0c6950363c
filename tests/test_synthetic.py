"""The synthetic sentiment task: deterministic, balanced, and not a keyword lookup."""

import math
from collections import Counter

from zoo_core.data.readers import detect_format, read_classification, split_examples
from zoo_core.data.synthetic import (
    NEG_WORDS,
    POS_WORDS,
    _generate,
    generate_sentiment,
    write_sentiment_files,
)


def word_count_label(text):
    """The naive rule: more positive than negative words means positive."""
    words = text.split()
    score = sum(w in POS_WORDS for w in words) - sum(w in NEG_WORDS for w in words)
    return "pos" if score > 0 else "neg"


def clause_score(words):
    """Sentiment of a clause: each sentiment word, flipped by a negator just before it."""
    score = 0
    for i, w in enumerate(words):
        pol = (w in POS_WORDS) - (w in NEG_WORDS)
        if not pol:
            continue
        tail = " ".join(words[max(0, i - 3):i])
        negated = any(w in ("not", "never", "hardly") for w in tail.split()) or any(
            n in tail for n in ("far from", "anything but"))
        emphatic = "have been more" in tail  # "could not have been more dull" does not flip
        score += -pol if negated and not emphatic else pol
    return score


def order_aware_label(text):
    """Read the sentence like the generator's grammar: find the clause that decides."""
    words = text.split()
    decisive = words
    for marker in ("but", "yet", "however", "still"):
        hits = [i for i, w in enumerate(words) if w == marker and words[i - 1] != "anything"]
        if hits:
            decisive = words[hits[-1] + 1:]
            break
    else:
        for i, w in enumerate(words):
            if w in ("although", "though", "while", "despite"):
                if clause_score(words[:i]):  # "Y , although X": Y came first
                    decisive = words[:i]
                else:  # "although X , Y": Y follows the next comma
                    rest = words[i:]
                    decisive = rest[rest.index(",") + 1:] if "," in rest else rest
                break
    return "pos" if clause_score(decisive) > 0 else "neg"


def test_deterministic_in_seed():
    assert generate_sentiment(300, seed=7) == generate_sentiment(300, seed=7)
    assert generate_sentiment(300, seed=7) != generate_sentiment(300, seed=8)


def test_balanced_labels_and_lengths():
    data = generate_sentiment(1001, seed=0)
    counts = Counter(label for _, label in data)
    assert set(counts) == {"pos", "neg"} and abs(counts["pos"] - counts["neg"]) <= 1
    n_words = [sum(t[0].isalnum() for t in text.split()) for text, _ in data]
    assert min(n_words) >= 5 and max(n_words) <= 30
    assert len(set(n_words)) > 15  # varied lengths


def test_label_noise_is_about_five_percent():
    triples = _generate(2000, seed=3)
    noisy = sum(label != clean for _, label, clean in triples)
    assert 80 <= noisy <= 120


def test_has_negation_and_contrast_that_defeat_word_counting():
    data = generate_sentiment(2000, seed=1)
    texts = [t.split() for t, _ in data]
    assert sum("not" in t or "never" in t for t in texts) > 400
    assert sum("but" in t or "although" in t for t in texts) > 400
    differs = sum(word_count_label(t) != label for t, label in data) / len(data)
    assert differs > 0.20


def test_order_aware_reading_beats_bag_of_words():
    """A rule that reads clause order gets near the noise ceiling; a unigram model does not."""
    train, test = generate_sentiment(4000, seed=10), generate_sentiment(2000, seed=11)
    rule_acc = sum(order_aware_label(t) == label for t, label in test) / len(test)
    assert rule_acc > 0.9

    # Multinomial naive Bayes on word counts: the bag-of-words baseline.
    counts = {"pos": Counter(), "neg": Counter()}
    for text, label in train:
        counts[label].update(text.split())
    vocab = set(counts["pos"]) | set(counts["neg"])
    totals = {k: sum(c.values()) + len(vocab) for k, c in counts.items()}

    def nb(text):
        score = {k: sum(math.log((counts[k][w] + 1) / totals[k]) for w in text.split() if w in vocab)
                 for k in counts}
        return max(score, key=score.get)

    bow_acc = sum(nb(t) == label for t, label in test) / len(test)
    assert bow_acc < 0.75
    assert rule_acc - bow_acc > 0.2


def test_write_files_round_trip(tmp_path):
    prefix = write_sentiment_files(tmp_path / "syn", n=100, seed=5)
    assert prefix == tmp_path / "syn" / "synthetic-sentiment"
    assert sorted(p.name for p in prefix.parent.iterdir()) == ["synthetic-sentiment.neg", "synthetic-sentiment.pos"]
    assert detect_format(prefix) == "label-files"
    ex = read_classification(prefix)
    assert sorted((e.text, e.label) for e in ex) == sorted(generate_sentiment(100, seed=5))
    s = split_examples(ex)
    assert (len(s.train), len(s.valid), len(s.test)) == (80, 10, 10)
