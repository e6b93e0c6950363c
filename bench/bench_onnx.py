"""ONNX Runtime against torch on the zoo's own paths (issue 17): batch-1 classification latency, batch-64
classification throughput and char-LM generation tokens/s, on default-size models (random weights: speed does
not depend on training). Both sides run the same task code (tokenising, batching, sampling); only the model
call differs. Repetitions are interleaved (torch, ORT, torch, ...); the table gives medians and the ratio.

    flock /tmp/zoo-heavy.lock .venv/bin/python bench/bench_onnx.py            # 1 thread each side
    .venv/bin/python bench/bench_onnx.py --reps 3 --quick                      # a smoke run
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path


def timed(function, calls: int) -> float:
    """Seconds per call of ``function`` over ``calls`` calls."""
    started = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - started) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7, help="interleaved repetitions (medians over them)")
    parser.add_argument("--threads", type=int, default=1, help="torch and ONNX Runtime intra-op threads")
    parser.add_argument("--quick", action="store_true", help="fewer calls per repetition")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-onnx-"))
    os.environ["ZOO_HOME"] = str(home)

    import torch

    import zoo_core
    from zoo_core.data.synthetic import generate_sentiment
    from zoo_core.data.vocab import Vocab, tokenize
    from zoo_core.export.onnx_export import export_file
    from zoo_core.export.onnx_runner import load_onnx
    from zoo_core.io.store import model_path

    torch.set_num_threads(args.threads)
    texts = [text for text, _ in generate_sentiment(400, seed=1)]
    vocab = Vocab.build((tokenize(text, "word", True) for text in texts), 1, 50_000)
    classifier = zoo_core.create_model("lstm-classifier", vocab=vocab, num_classes=2)
    classifier.save("classifier")
    characters = Vocab.build([list("abcdefghijklmnopqrstuvwxyz .,;'\n")], 1, 1000, specials=("<pad>", "<unk>", "<s>"))
    lm = zoo_core.create_model("char-lstm-lm", vocabs={"tokens": characters})
    lm.save("lm")
    for name in ("classifier", "lm"):
        export_file(model_path(name), home / f"{name}.onnx", name)
    torch_classifier, onnx_classifier = zoo_core.load("classifier"), load_onnx(home / "classifier.onnx", args.threads)
    torch_lm, onnx_lm = zoo_core.load("lm"), load_onnx(home / "lm.onnx", args.threads)
    sentence, batch = texts[0], texts[:64]
    assert torch_classifier.predict(batch) == onnx_classifier.predict(batch)
    greedy = {"sampler": "greedy", "max_tokens": 200}
    assert list(torch_lm.generate("the ", **greedy)) == list(onnx_lm.generate("the ", **greedy))

    calls = 20 if args.quick else 200
    cases = {
        "classify, batch 1: ms per call": (lambda m: timed(lambda: m.predict([sentence]), calls), 1e3),
        "classify, batch 64: sentences/s": (lambda m: 64 / timed(lambda: m.predict(batch), max(calls // 20, 2)), 1),
        "char-LM greedy, 200 tokens: tokens/s": (
            lambda m: 200 / timed(lambda: list(m.generate("the ", **greedy)), max(calls // 50, 1)), 1),
    }
    pairs = {"classify, batch 1: ms per call": (torch_classifier, onnx_classifier),
             "classify, batch 64: sentences/s": (torch_classifier, onnx_classifier),
             "char-LM greedy, 200 tokens: tokens/s": (torch_lm, onnx_lm)}
    results = {case: ([], []) for case in cases}
    for _ in range(args.reps):
        for case, (measure, scale) in cases.items():
            for side, model in zip(results[case], pairs[case]):
                side.append(measure(model) * scale)
    print(f"torch {torch.__version__}, onnxruntime {__import__('onnxruntime').__version__}, {args.threads} thread(s), "
          f"{args.reps} interleaved repetitions, medians")
    print(f"{'case':40} {'torch':>10} {'ORT':>10} {'ORT speed-up':>13}")
    for case, (torch_side, onnx_side) in results.items():
        t, o = statistics.median(torch_side), statistics.median(onnx_side)
        speedup = t / o if case.endswith("ms per call") else o / t
        print(f"{case:40} {t:10.3f} {o:10.3f} {speedup:12.2f}x")
    # the bare model call, without the task's tokenising and batching
    ids = torch.tensor([vocab.encode(tokenize(sentence, "word", True))])
    lengths = torch.tensor([ids.size(1)])
    bare = {"tokens": ids, "lengths": lengths}
    torch_times, onnx_times = [], []
    with torch.inference_mode():
        for _ in range(args.reps):
            torch_times.append(timed(lambda: torch_classifier(bare), calls) * 1e3)
            onnx_times.append(timed(lambda: onnx_classifier(bare), calls) * 1e3)
    t, o = statistics.median(torch_times), statistics.median(onnx_times)
    print(f"{'classify forward only, batch 1: ms':40} {t:10.3f} {o:10.3f} {t / o:12.2f}x")
    print(f"(classifier: {torch_classifier.num_parameters():,} parameters, a {ids.size(1)}-token sentence; "
          f"char-LM: {torch_lm.num_parameters():,} parameters)")


if __name__ == "__main__":
    main()
