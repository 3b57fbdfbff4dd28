"""Test configuration: every database test runs on SQLite and, when
FINCRM_TEST_DATABASE_URL is set (CI sets it), on PostgreSQL too.

Each run migrates its own databases with Alembic (a fresh SQLite file, and a
freshly created PostgreSQL database that is dropped afterwards); each test runs
inside a transaction that is rolled back, so no test sees another's data.
"""
from __future__ import annotations

import base64
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import date

import pytest

# Settings for the whole run, set before any service module reads them.
_TMP_ROOT = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"fincrm-tests-{os.getpid()}")
os.makedirs(_TMP_ROOT, exist_ok=True)
os.environ["FINCRM_DATABASE_URL"] = f"sqlite:///{_TMP_ROOT}/unused.db"
os.environ["FINCRM_DEMO"] = "1"
os.environ["FINCRM_DATA_DIR"] = _TMP_ROOT
os.environ["FINCRM_SECRET_KEY"] = secrets.token_urlsafe(32)
os.environ["FINCRM_ENCRYPTION_KEYS"] = (
    f"k1:{base64.b64encode(secrets.token_bytes(32)).decode()},"
    f"index:{base64.b64encode(secrets.token_bytes(32)).decode()}"
)
os.environ["FINCRM_LOCALE"] = "en"

from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from services import bootstrap, migrations  # noqa: E402
from services.db import UnitOfWork, make_engine  # noqa: E402
from services.settings import reset_settings  # noqa: E402

reset_settings()
bootstrap.configure()

# The running app (production build) and Chromium, shared by tests/browser and tests/security.
pytest_plugins = ["live_app", "api_app"]

PG_URL = os.environ.get("FINCRM_TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"]


def _create_pg_database() -> tuple[str, callable]:
    base = make_url(PG_URL)
    name = f"fincrm_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


@pytest.fixture(scope="session")
def database_urls():
    """Lazily migrated databases, one per backend, for the whole run."""
    made: dict[str, tuple[str, object]] = {}
    drops = []

    def get(backend: str):
        if backend not in made:
            if backend == "sqlite":
                url = f"sqlite:///{_TMP_ROOT}/test-{uuid.uuid4().hex[:8]}.db"
            else:
                url, drop = _create_pg_database()
                drops.append(drop)
            migrations.upgrade(url)
            made[backend] = (url, make_engine(url))
        return made[backend]

    yield get
    for _, engine in made.values():
        engine.dispose()
    for drop in drops:
        drop()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    if request.param == "postgresql" and not PG_URL:
        pytest.skip("PostgreSQL not configured: set FINCRM_TEST_DATABASE_URL to run these tests on it too")
    return request.param


@pytest.fixture
def empty_database_url(backend):
    """A new, empty (unmigrated) database of the backend, dropped after the test."""
    if backend == "sqlite":
        yield f"sqlite:///{_TMP_ROOT}/empty-{uuid.uuid4().hex[:8]}.db"
        return
    url, drop = _create_pg_database()
    try:
        yield url
    finally:
        drop()


@pytest.fixture
def engine(backend, database_urls):
    return database_urls(backend)[1]


@pytest.fixture
def connection(engine):
    """A connection inside a transaction that is rolled back after the test."""
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            yield conn
        finally:
            outer.rollback()


@pytest.fixture(autouse=True)
def _fresh_refusal_limits():
    """Each test starts with the audit's refusal rate limits unused (they are per process)."""
    from services.security.refusals import limiter

    limiter.reset()
    yield


@pytest.fixture
def uow_factory(connection):
    """Units of work joined to the test's transaction: their commit() only releases a savepoint."""
    return lambda: UnitOfWork(connection)


@dataclass
class Org:
    branch_a: int
    branch_b: int
    team_a1: int
    team_a2: int
    team_b1: int
    users: dict[str, int]


PASSWORD = "correct horse 1"


@pytest.fixture(scope="session")
def password_hash() -> str:
    from services.security.passwords import hash_password

    return hash_password(PASSWORD)


@pytest.fixture
def org(connection, password_hash) -> Org:
    """Two branches, three teams, and one user of every role."""
    from services.org.models import Branch, Team
    from services.security.models import User

    c = connection
    c.execute(insert(Branch), [
        {"id": 1, "code": "BJ", "name": "北京分行", "name_en": "Beijing Branch", "city": "北京"},
        {"id": 2, "code": "SH", "name": "上海分行", "name_en": "Shanghai Branch", "city": "上海"},
    ])
    c.execute(insert(Team), [
        {"id": 1, "branch_id": 1, "name": "财富一组", "name_en": "Wealth 1"},
        {"id": 2, "branch_id": 1, "name": "财富二组", "name_en": "Wealth 2"},
        {"id": 3, "branch_id": 2, "name": "浦东组", "name_en": "Pudong"},
    ])
    spec = {
        "rm_a1": (["rm"], 1, 1), "rm_a1b": (["rm"], 1, 1), "rm_a2": (["rm"], 1, 2), "rm_b1": (["rm"], 2, 3),
        "lead_a1": (["team_lead"], 1, 1), "bm_a": (["branch_manager"], 1, None),
        "compliance": (["compliance"], None, None), "admin": (["admin"], None, None),
        "auditor": (["auditor"], None, None), "ops_a": (["ops"], 1, None), "approver_a": (["approver"], 1, None),
    }
    users = {}
    for i, (name, (roles, branch, team)) in enumerate(spec.items(), start=1):
        c.execute(insert(User).values(id=i, username=name, display_name=name.upper(), password_hash=password_hash,
                                      roles=roles, branch_id=branch, team_id=team, is_active=True, is_demo=False,
                                      created_at=_now()))
        users[name] = i
    if c.dialect.name == "postgresql":
        for table in ("branch", "team", "app_user"):
            c.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    return Org(branch_a=1, branch_b=2, team_a1=1, team_a2=2, team_b1=3, users=users)


def _now():
    from services.types import utcnow

    return utcnow()


@pytest.fixture
def actors(connection, org):
    """Actors for the org fixture's users, built the way a session would build them."""
    from services.security.auth import actor_for_user
    from services.security.models import User
    from sqlmodel import Session

    with Session(connection) as s:
        return {name: actor_for_user(s.get(User, uid)) for name, uid in org.users.items()}


def valid_id(seq: int, birth: date = date(1985, 6, 15), region: str = "110105") -> str:
    from services.validation.identity import make_id_number

    return make_id_number(region, birth, seq)


@pytest.fixture
def new_customer(uow_factory, actors):
    """Create a customer through the service as `owner` (an actor name from `actors`)."""
    from services.customers import service

    counter = iter(range(1, 999))

    def make(owner: str = "rm_a1", **fields):
        seq = next(counter)
        data = {"name": "张三", "id_type": "resident_id", "id_number": valid_id(seq),
                "phone": f"1380013{seq:04d}", "email": f"c{seq}@example.com"}
        data.update(fields)
        with uow_factory() as uow:
            profile = service.create_customer(uow=uow, actor=actors[owner], data=data)
            uow.commit()
        return profile

    return make


@pytest.fixture
def page_state(connection, monkeypatch):
    """make(StateClass, actor): the page's State in a Reflex state tree, its units of work on the test's
    transaction, signed in as `actor` (cookie resolution itself is covered by tests/security)."""
    def make(state_cls, actor):
        import reflex as rx

        import services.db as db

        monkeypatch.setattr(db, "get_engine", lambda url=None: connection)
        monkeypatch.setattr(state_cls, "_require_actor", lambda self: actor)
        root = rx.State(_reflex_internal_init=True)
        return root.get_substate(state_cls.get_full_name().split(".")[1:])

    return make


def pytest_collection_modifyitems(config, items):
    """Tests that drive Chromium run last. Playwright's synchronous API keeps its event loop running in the main
    thread from the first browser test to the end of the session, and code that calls asyncio.run() (pyhanko,
    the Reflex state tests' handler calls) refuses such a thread: every test after the browser tests failed in
    CI. The order within each group stays as collected."""
    def drives_a_browser(item) -> bool:
        return "browser" in getattr(item, "fixturenames", ()) or "/tests/browser/" in str(item.path)

    items[:] = [i for i in items if not drives_a_browser(i)] + [i for i in items if drives_a_browser(i)]
