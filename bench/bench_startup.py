"""Wall time of `zoo list` (a fresh process each time), median of N runs.

    .venv/bin/python bench/bench_startup.py [--runs 10]
"""
import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    zoo = shutil.which("zoo") or str(Path(sys.executable).with_name("zoo"))
    commands = {"zoo list": [zoo, "list"], "zoo --help": [zoo, "--help"],
                "python -c 'import torch'": [sys.executable, "-c", "import torch"]}
    print(f"| command | median s | min s | max s | runs |\n|---|---|---|---|---|")
    for name, command in commands.items():
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
        print(f"| `{name}` | {statistics.median(times):.3f} | {min(times):.3f} | {max(times):.3f} | {args.runs} |")


if __name__ == "__main__":
    main()
