"""The phone figures (`python -m bench pwa_offline`) run whole on tiny settings: the built app started, the agenda's
first-load bytes counted in Chromium, one throttled load each way, 20 notes queued in IndexedDB and sent by the
device's own sync, each once. A browser test (it builds the frontend, minutes), so it runs with the others that drive
Chromium; the figures themselves are measured by `make bench`, never asserted here."""
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
LINES = {"agenda_first_load_bytes", "agenda_tti_mobile", "offline_sync_500"}


def test_the_phone_figures_run_on_tiny_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINCRM_BENCH_")}
    env.update(FINCRM_BENCH_DIR=str(tmp_path), FINCRM_BENCH_SYNC_NOTES="20", FINCRM_BENCH_TTI_RUNS="1",
               FINCRM_BENCH_PWA_CUSTOMERS="100", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "bench", "pwa_offline"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=1500)
    assert proc.returncode == 0, proc.stderr[-4000:]
    lines = {x["figure"]: x for x in (json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{"))}
    assert set(lines) == LINES, proc.stdout
    for line in lines.values():
        ratios = [v for k, v in line.items() if k.startswith("ratio")]
        baselines = [v for k, v in line.items() if k.startswith(("baseline", "raw_"))]
        assert ratios and all(isinstance(v, (int, float)) and v > 0 for v in ratios), line
        assert baselines and all(isinstance(v, (int, float)) and v > 0 for v in baselines), line
    sync = lines["offline_sync_500"]
    assert sync["queued"] == sync["delivered"] == sync["delivered_distinct"] == sync["recorded_after_resend"] == 20
    assert sync["all_once"] is True
    assert lines["agenda_first_load_bytes"]["js_bytes"] > 0 and lines["agenda_first_load_bytes"]["css_bytes"] > 0
