"""The one clock: UTC now, the firm's today, and a process-wide fix for tests and the demo seed."""
from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from services import clock
from services.settings import DEFAULT_DATABASE_URL, Settings, reset_settings
from services.types import utcnow

# 20:30 UTC on 30 November is already 1 December in Shanghai, and still 30 November in New York.
LATE_EVENING_UTC = datetime(2026, 11, 30, 20, 30, tzinfo=timezone.utc)


@pytest.fixture
def zone(monkeypatch):
    def use(name: str) -> None:
        monkeypatch.setenv("FINCRM_TIMEZONE", name)
        reset_settings()

    yield use
    reset_settings()  # monkeypatch restores the variable next; the settings are read again after that


def test_now_is_aware_utc():
    at = clock.now()
    assert at.tzinfo is not None and at.utcoffset() == timedelta(0)
    assert abs(at - datetime.now(timezone.utc)) < timedelta(minutes=1)


def test_today_is_the_firms_date_not_the_servers(zone):
    zone("Asia/Shanghai")
    with clock.fixed(LATE_EVENING_UTC):
        assert clock.today() == date(2026, 12, 1)
        assert clock.local_now().hour == 4 and clock.local_now().utcoffset() == timedelta(hours=8)
        assert clock.local_date(LATE_EVENING_UTC) == date(2026, 12, 1)
    zone("America/New_York")
    with clock.fixed(LATE_EVENING_UTC):
        assert clock.today() == date(2026, 11, 30)


def test_start_of_day_is_local_midnight_in_utc(zone):
    zone("Asia/Shanghai")
    assert clock.start_of_day(date(2026, 11, 1)) == datetime(2026, 10, 31, 16, tzinfo=timezone.utc)
    assert clock.local_date(clock.start_of_day(date(2026, 11, 1))) == date(2026, 11, 1)
    assert clock.local_date(clock.start_of_day(date(2026, 11, 1)) - timedelta(microseconds=1)) == date(2026, 10, 31)


def test_fixed_nests_restores_and_accepts_a_day(zone):
    zone("Asia/Shanghai")
    with clock.fixed(LATE_EVENING_UTC) as outer:
        assert clock.now() == outer == LATE_EVENING_UTC
        with clock.fixed(date(2026, 1, 1)) as inner:
            assert inner == datetime(2025, 12, 31, 16, tzinfo=timezone.utc) == clock.now()
            assert clock.today() == date(2026, 1, 1)
        assert clock.now() == LATE_EVENING_UTC
    assert abs(clock.now() - datetime.now(timezone.utc)) < timedelta(minutes=1)


def test_fixed_is_restored_when_the_block_fails():
    with pytest.raises(RuntimeError):
        with clock.fixed(LATE_EVENING_UTC):
            raise RuntimeError("boom")
    assert clock.now() != LATE_EVENING_UTC


def test_a_fixed_clock_is_seen_by_other_threads():
    """Reflex runs page handlers in worker threads: a fix made by a test must reach them."""
    seen: list[datetime] = []
    with clock.fixed(LATE_EVENING_UTC):
        t = threading.Thread(target=lambda: seen.append(clock.now()))
        t.start()
        t.join()
    assert seen == [LATE_EVENING_UTC]


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        clock.local_date(datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        with clock.fixed(datetime(2026, 1, 1)):
            pass


def test_model_default_times_read_the_clock():
    with clock.fixed(LATE_EVENING_UTC):
        assert utcnow() == LATE_EVENING_UTC


def test_an_unknown_time_zone_is_refused_when_settings_are_read(monkeypatch):
    monkeypatch.setenv("FINCRM_TIMEZONE", "Mars/Olympus_Mons")
    with pytest.raises(ValidationError, match="unknown time zone"):
        Settings()


def test_demo_mode_is_never_guessed_from_the_database(monkeypatch):
    monkeypatch.delenv("FINCRM_DEMO", raising=False)
    monkeypatch.delenv("FINCRM_DATABASE_URL", raising=False)
    s = Settings()
    assert s.database_url == DEFAULT_DATABASE_URL and s.demo_mode is False
    monkeypatch.setenv("FINCRM_DEMO", "1")
    assert Settings().demo_mode is True
    monkeypatch.setenv("FINCRM_DEMO", "0")
    assert Settings().demo_mode is False
