"""Token accuracy of a saved tagger on test words it never saw in training, and on the others.

Usage: python bench/tagging_oov.py MODEL TRAIN TEST  (columns as the model was trained on)
"""
import json
import sys

from zoo_core.modeling.loading import load_model

store_name, train_path, test_path = sys.argv[1:4]
model = load_model(store_name)
task = model.task
seen = {token for sentence in task.read(train_path) for token in sentence.tokens}
sentences = task.read(test_path)
predicted = task.tag_ids(model, task.encode(sentences, model.vocabs))
labels = model.vocabs["labels"].tokens
counts = {"unseen": [0, 0], "seen": [0, 0]}
for sentence, row in zip(sentences, predicted):
    for token, gold, tag in zip(sentence.tokens, sentence.tags, row):
        bucket = counts["seen" if token in seen else "unseen"]
        bucket[0] += labels[tag] == gold
        bucket[1] += 1
total = sum(n for _, n in counts.values())
print(json.dumps({kind: {"tokens": n, "share": n / total, "accuracy": right / n} for kind, (right, n) in counts.items()},
                 indent=2))
