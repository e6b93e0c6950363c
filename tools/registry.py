"""Write (or check) registry.json and the generated tables of docs/results.md.

    .venv/bin/python -m tools.registry          # rewrite both from the installed plugins and results/
    .venv/bin/python -m tools.registry --check  # exit 1 with one line when either is stale
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tools.registry_catalog import check_catalog, write_catalog
from zoo_core.experiments.reference_results import DOCS, sync_results_docs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.registry", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if registry.json or docs/results.md is stale")
    parser.add_argument("--path", default="registry.json", help="where the catalog lives (default: registry.json)")
    args = parser.parse_args(argv)
    root = Path(args.path).resolve().parent
    if args.check:
        problem = check_catalog(args.path) or sync_results_docs(root, check=True)
        if problem:
            print(f"tools.registry: {problem}", file=sys.stderr)
            return 1
        print(f"{args.path} and {DOCS} are up to date")
        return 0
    print(f"wrote {write_catalog(args.path)}")
    sync_results_docs(root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
