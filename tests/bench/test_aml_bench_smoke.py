"""The AML figures run whole on tiny data (as `make bench` runs them, each alone in an empty bench directory),
print their JSON lines, and every line carries a baseline measured in the same run. The numbers themselves
are not checked: performance is measured by `make bench`, never asserted in tests."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TINY = {"FINCRM_BENCH_AML_NAMES": "60", "FINCRM_BENCH_AML_TRANSACTIONS": "3000", "FINCRM_BENCH_INGEST_BATCH": "200",
        "FINCRM_BENCH_AML_INGEST_BATCHES": "1"}
EXPECTED = {"aml_screening": {"aml_screening", "aml_screening_nomenklatura"},
            "aml_monitoring": {"aml_monitoring_rules", "aml_monitoring_ingest_cost"}}


@pytest.mark.parametrize("figure", sorted(EXPECTED))
def test_aml_figure_runs_on_tiny_data(figure, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINCRM_BENCH_")}
    env.update(TINY, FINCRM_BENCH_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-m", "bench", figure], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert {line["figure"] for line in lines} == EXPECTED[figure]
    for line in lines:
        assert line.get("skipped") or ("baseline" in line and "ratio" in line or "ratio_recall" in line), line
