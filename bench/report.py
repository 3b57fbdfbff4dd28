"""Timing helpers and the JSON-lines output every benchmark shares."""
from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from typing import Callable


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    s = sorted(samples_ms)
    q = statistics.quantiles(s, n=100, method="inclusive")
    return {"p50_ms": round(q[49], 3), "p95_ms": round(q[94], 3), "n": len(s)}


def repeat_count(given: int | None, default: int) -> int:
    """Samples per figure: as given, else FINCRM_BENCH_REPEAT (the smoke test's few), else the figure's default."""
    if given:
        return given
    return int(os.environ.get("FINCRM_BENCH_REPEAT") or default)


def time_calls(fn: Callable[[], object], repeat: int, warmup: int = 5,
               cpu: list[float] | None = None) -> list[float]:
    """Wall-clock milliseconds per call; with `cpu`, this process's CPU milliseconds per call are appended
    there too (SQLite runs in-process, so its work counts: on a shared, loaded machine the CPU figure is the
    steadier one, wall clock also counts the time other processes had the core)."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - c0) * 1000)
    return out


def load_average() -> float | None:
    """The 1-minute load average while the figure ran (other people's work on a shared machine shows here)."""
    try:
        return round(os.getloadavg()[0], 1)
    except OSError:
        return None


def emit(figure: str, **fields) -> None:
    line = {"figure": figure, **fields, "load_average": load_average(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "machine": platform.machine()}
    print(json.dumps(line, ensure_ascii=False), flush=True)


def note(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
