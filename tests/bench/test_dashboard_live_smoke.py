"""The live dashboard figure (`python -m bench dashboard_live`) runs whole with two samples: it starts the built app,
signs in as the demo manager in headless Chromium, writes through the API and sees the figure change. A browser
test (it builds the frontend, minutes), so it runs with the others that drive Chromium; the latency itself is
measured by `make bench`, never asserted here."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing (make system-deps)")]


def test_the_live_figure_runs_with_two_samples(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINCRM_BENCH_")}
    env.update(FINCRM_BENCH_DIR=str(tmp_path), FINCRM_BENCH_LIVE_SAMPLES="2", FINCRM_BENCH_LIVE_CUSTOMERS="100",
               PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "bench", "dashboard_live"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-4000:]
    [line] = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
    assert line["figure"] == "dashboard_live" and line["samples"] == 2, line
    assert line["p95_ms"] > 0 and line["raw_api_write_p95_ms"] > 0 and line["ratio_p95_to_api_write"] > 0, line
