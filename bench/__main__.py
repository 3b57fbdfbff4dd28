"""`python -m bench [figure ...]`: run the benchmarks, one JSON line per figure on stdout."""
from __future__ import annotations

import os
import sys

# Benchmarks use their own generated data and keys, never the app's database.
os.environ.setdefault("FINCRM_DEMO", "1")
os.environ.setdefault("FINCRM_DATA_DIR", "./data/bench")

from bench import customer_360, customer_search, ingest  # noqa: E402
from bench import imports as import_bench  # noqa: E402
from bench import tags as tag_bench  # noqa: E402

FIGURES = {"customer_search": customer_search.run, "customer_360": customer_360.run,
           "ingest": ingest.run, "imports": import_bench.run}
FIGURES["tags"] = tag_bench.run  # incremental tag evaluation per arriving event, nightly pass


def main(argv: list[str]) -> int:
    names = argv or list(FIGURES)
    for name in names:
        if name not in FIGURES:
            print(f"unknown figure {name}; known: {', '.join(FIGURES)}", file=sys.stderr)
            return 2
        FIGURES[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
