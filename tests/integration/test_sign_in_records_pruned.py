"""The sign-in records are kept as long as the throttle counts them (services/security/jobs.py)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from services import clock
from services.security.jobs import prune_sign_in_records
from services.security.models import AuditEvent, CredentialThrottle, LoginAttempt
from services.settings import get_settings


def test_old_attempts_and_ended_throttles_go_and_what_counts_stays(uow_factory, connection):
    settings = get_settings()
    now = clock.now()
    window = timedelta(minutes=settings.lockout_window_minutes)
    trust = timedelta(days=settings.lockout_trust_days)
    rows = {  # username: (at, success, kept)
        "fresh-failure": (now - window / 2, False, True),
        "edge-failure": (now - window * 1.5, False, True),  # kept one more window: never lost at the edge
        "old-failure": (now - window * 3, False, False),
        "trusted-success": (now - trust + timedelta(days=1), True, True),
        "old-success": (now - trust - timedelta(days=1), True, False),
    }
    with uow_factory() as uow:
        for name, (at, success, _) in rows.items():
            uow.session.add(LoginAttempt(username=name, at=at, success=success, ip="203.0.113.9"))
        uow.session.add(CredentialThrottle(key="pair:ended", started_at=now - window, until=now - timedelta(seconds=1)))
        uow.session.add(CredentialThrottle(key="pair:running", started_at=now, until=now + window))
        uow.commit()
    with uow_factory() as uow:
        done = prune_sign_in_records(uow.session)
        uow.commit()
    assert done == {"login_attempts": 2, "throttles_ended": 1}
    left = set(connection.execute(select(LoginAttempt.username)).scalars())
    assert left == {name for name, (_, _, kept) in rows.items() if kept}
    assert set(connection.execute(select(CredentialThrottle.key)).scalars()) == {"pair:running"}
    assert connection.execute(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "security.sign_in_records_pruned")).scalar_one() == 1
    with uow_factory() as uow:  # nothing left to prune: nothing written, nothing audited
        assert prune_sign_in_records(uow.session) == {"login_attempts": 0, "throttles_ended": 0}
        uow.commit()
    assert connection.execute(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "security.sign_in_records_pruned")).scalar_one() == 1
