"""Live figures across workers (services/analytics/live.py): a change committed in one process is heard in another
through Redis within 2 seconds, with the cells it touched, and bumps the version the figures' cache is keyed on (so
an API-only worker answers the new figure); without Redis a process hears its own commits at once."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from services.analytics import live
from services.settings import reset_settings

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path, monkeypatch):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        import redis

        for _ in range(50):
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                time.sleep(0.1)
        monkeypatch.setenv("FINCRM_REDIS_URL", url)
        reset_settings()
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        monkeypatch.delenv("FINCRM_REDIS_URL")
        reset_settings()


def test_another_workers_change_is_heard_through_redis(redis_url):
    heard: list = []
    stop = live.subscribe(heard.append)
    try:
        time.sleep(0.5)  # the listener thread subscribes
        before = live.version()
        script = ("from services.analytics import live; live.announce(frozenset({(1, 2, 3), (1, 2, 4)}))")
        env = dict(os.environ, FINCRM_REDIS_URL=redis_url, PYTHONPATH=ROOT)
        started = time.monotonic()
        subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, timeout=60)
        sent = time.monotonic()
        while not heard and time.monotonic() - sent < 2.0:
            time.sleep(0.02)
        assert heard, "nothing heard within 2 s of the other process's announcement"
        assert heard[-1] == frozenset({(1, 2, 3), (1, 2, 4)})
        assert live.version() > before
        assert time.monotonic() - started < 60
        assert live.touches(heard[-1], branch_id=1, team_id=2, owner_id=None)
        assert not live.touches(heard[-1], branch_id=2, team_id=None, owner_id=None)
    finally:
        stop()
