"""Every benchmark figure runs whole on tiny data, so a benchmark can never break unseen.

Each figure runs as `make bench` runs it (`python -m bench <figure>`), alone, in an empty bench directory
of its own: none may rely on data another figure built. Each must print its JSON lines, and every line
a ratio against a baseline measured in the same run. The numbers themselves mean nothing at this size and
are not checked (performance is measured by `make bench`, not asserted in tests).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TINY = {
    "FINCRM_BENCH_CUSTOMERS": "300",
    "FINCRM_BENCH_TRANSACTIONS": "3000",
    "FINCRM_BENCH_INGEST_BATCHES": "1",
    "FINCRM_BENCH_INGEST_BATCH": "200",
    "FINCRM_BENCH_INGEST_CUSTOMERS": "20",
    "FINCRM_BENCH_IMPORT_ROWS": "60",
    "FINCRM_BENCH_REPEAT": "5",
    "FINCRM_BENCH_DASHBOARD_CUSTOMERS": "300",
    "FINCRM_BENCH_DASHBOARD_TRANSACTIONS": "3000",
    "FINCRM_BENCH_DASHBOARD_RAW_REPEAT": "2",
}
# The lines each figure prints (by their "figure" field).
EXPECTED = {
    "customer_search": {"customer_search"},
    "customer_360": {"customer_360"},
    "tags": {"tags_nightly", "tags_incremental"},
    "ingest": {"ingest_transactions_service", "ingest_transactions_service_without_tag_rules",
               "ingest_transactions_api"},
    "imports": {"import_rows_per_second"},
    "write_during_import": {"write_during_import"},
    "suitability_check": {"suitability_check"},
    "disclosure_pdf": {"disclosure_pdf", "disclosure_signing"},
    "approvals": {"approval_inbox", "approval_step"},
    "dashboards": {"dashboard_query", "forecast_fit", "rollup_maintenance"},
}


def _env(bench_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINCRM_BENCH_")}
    env.update(TINY, FINCRM_BENCH_DIR=str(bench_dir), PYTHONPATH=str(ROOT))
    return env


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Every figure started at once, each alone in its own empty bench directory (they share nothing, so
    they may run side by side; the machine's cores then keep the whole check short)."""
    root = tmp_path_factory.mktemp("bench")
    started = {figure: subprocess.Popen(
        [sys.executable, "-m", "bench", figure], cwd=ROOT, env=_env(root / figure), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True) for figure in sorted(EXPECTED)}
    done: dict[str, tuple[int, str, str]] = {}

    def result(figure: str) -> tuple[int, str, str]:
        if figure not in done:
            out, err = started[figure].communicate(timeout=300)
            done[figure] = (started[figure].returncode, out, err)
        return done[figure]

    yield result
    for proc in started.values():
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_every_figure_has_a_smoke_run(tmp_path):
    listed = subprocess.run([sys.executable, "-m", "bench", "--list"], cwd=ROOT, env=_env(tmp_path),
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    # The AML figures have their own smoke runs (test_aml_bench_smoke.py: they need the bench extra's packages).
    aml = {"aml_screening", "aml_monitoring"}
    # The live dashboard figure and the phone figures start the built app and drive Chromium (a frontend build,
    # minutes): their smoke runs are browser tests (test_dashboard_live_smoke.py, test_pwa_bench_smoke.py).
    browser = {"dashboard_live", "pwa_offline"}
    assert set(listed.stdout.split()) == set(EXPECTED) | aml | browser


@pytest.mark.parametrize("figure", sorted(EXPECTED))
def test_figure_runs_alone_on_tiny_data(figure, runs):
    returncode, stdout, stderr = runs(figure)
    assert returncode == 0, f"python -m bench {figure} failed:\n{stderr[-4000:]}"
    lines = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    assert {line["figure"] for line in lines} == EXPECTED[figure], stdout
    for line in lines:
        ratios = {k: v for k, v in line.items() if k.startswith("ratio")}
        baselines = {k: v for k, v in line.items() if k.startswith(("baseline", "raw_"))}
        assert ratios and all(isinstance(v, (int, float)) and v > 0 for v in ratios.values()), line
        assert baselines and all(isinstance(v, (int, float)) and v > 0 for v in baselines.values()), line
