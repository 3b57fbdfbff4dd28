"""`python -m bench [figure ...]`: run the benchmarks, one JSON line per figure on stdout."""
from __future__ import annotations

import importlib
import os
import sys

# Benchmarks use their own generated data, files and keys (all in the bench directory), never the app's.
os.environ.setdefault("FINCRM_BENCH_DIR", "./data/bench")
os.environ["FINCRM_DATA_DIR"] = os.environ["FINCRM_BENCH_DIR"]
os.environ.setdefault("FINCRM_DEMO", "1")

# Each figure builds or finds the data it needs: any subset runs, in any order. Modules are imported
# when their figure runs.
FIGURES = {
    "customer_search": "bench.customer_search",
    "customer_360": "bench.customer_360",
    "tags": "bench.tags",  # incremental tag evaluation per arriving event, nightly pass
    "ingest": "bench.ingest",
    "imports": "bench.imports",
    "write_during_import": "bench.write_during_import",
    "aml_screening": "bench.aml_screening",  # names/s, recall, precision; rapidfuzz scan and nomenklatura alongside
    "aml_monitoring": "bench.aml_monitoring",  # rules over 1,000,000 transactions; cost added to a 10,000 batch
    "suitability_check": "bench.suitability_check",  # through the service and the API, p95 against its own SQL
    "disclosure_pdf": "bench.disclosure_pdf",  # 20 concurrent, against bare WeasyPrint; signing on its own
    "approvals": "bench.approvals",  # the approval inbox and a BPMN step at 10,000 running instances
    "pwa_offline": "bench.pwa_offline",  # agenda JS/CSS bytes, throttled mobile TTI, 500 offline notes synced (Chromium)
    "dashboards": "bench.dashboards",  # each dashboard figure at 10,000,000 transactions; rollup cost per row
    "dashboard_live": "bench.dashboard_live",  # API write to the figure changing in Chromium (starts the built app)
}


def main(argv: list[str]) -> int:
    from services import bootstrap

    bootstrap.configure()  # the domains' event subscriptions, as the app has them
    if argv == ["--list"]:
        print("\n".join(FIGURES))
        return 0
    names = argv or list(FIGURES)
    for name in names:
        if name not in FIGURES:
            print(f"unknown figure {name}; known: {', '.join(FIGURES)}", file=sys.stderr)
            return 2
    for name in names:
        importlib.import_module(FIGURES[name]).run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
