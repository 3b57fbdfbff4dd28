"""Browser tests: the real production build of the app in headless system Chromium.

Fixtures
- ``live_app`` (session): fresh SQLite database in a temp dir, migrated and seeded with demo data,
  the app served in production mode (frontend, websocket and REST on one port). Yields an object
  with ``.url`` (``http://localhost:<port>``), ``.db_url``, ``.data_dir``, ``.port``, ``.log_path``
  and ``.env`` (the environment the server runs with, for ``fincrm`` commands against the same DB).
- ``browser`` (session): Playwright Chromium at /usr/bin/chromium, headless.
- ``phone_page`` (390x844, mobile, touch) and ``desktop_page`` (1366x900): a new context and page
  each, ``base_url`` set to the live app, so ``page.goto("/customers")`` works.

On a failing test the report gets the page's console messages, page errors, failed requests,
the server log written during the test, and a screenshot path.

Every test in this directory is marked ``browser`` and skipped when /usr/bin/chromium is missing.
Environment knobs: ``FINCRM_TEST_APP_TIMEOUT`` (seconds to wait for the app, default 240),
``FINCRM_TEST_SEED_CUSTOMERS`` (default 400).
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[1]
BROWSER_DIR = Path(__file__).resolve().parent / "browser"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
APP_TIMEOUT = float(os.environ.get("FINCRM_TEST_APP_TIMEOUT", "240"))
SEED_CUSTOMERS = os.environ.get("FINCRM_TEST_SEED_CUSTOMERS", "400")
WEB_DIR_SLOTS = 4  # concurrent test sessions, each with its own reusable .web-test-<n> build dir

try:  # the playwright python package; never run `playwright install`, we use system Chromium
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover
    sync_playwright = None


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (install it: make system-deps)"
    if sync_playwright is None:
        return "the playwright python package is not installed (make venv)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _skip_reason()
    for item in items:
        if BROWSER_DIR not in Path(str(item.path)).resolve().parents:
            continue
        item.add_marker(pytest.mark.browser)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


# ------------------------------------------------------------------------------------ live app


@dataclasses.dataclass
class LiveApp:
    url: str
    db_url: str
    data_dir: Path
    port: int
    log_path: Path
    env: dict[str, str]

    def log_text(self, start: int = 0) -> str:
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(start)
                return fh.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0


def _bin(name: str) -> str:
    """A console script of this venv (the one running pytest), else <root>/.venv/bin, else PATH."""
    for candidate in (Path(sys.executable).parent / name, ROOT / ".venv" / "bin" / name):
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"`{name}` not found; run `make venv`")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(text: str, lines: int = 150) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _run_cli(args: list[str], env: dict[str, str], timeout: float = 600) -> None:
    cmd = [_bin("fincrm"), *args]
    try:
        proc = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"`{' '.join(cmd)}` timed out after {timeout}s\n{exc.stdout or ''}\n{exc.stderr or ''}")
    if proc.returncode != 0:
        pytest.fail(
            f"`{' '.join(cmd)}` failed with exit code {proc.returncode}\n"
            f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}",
            pytrace=False,
        )


def _lock_web_dir() -> tuple[Path, IO[str]]:
    """Take a reusable frontend build dir that no other running test session uses.

    The production server serves files from its build dir; a second session rebuilding the same
    dir (with its own port baked into env.json) would break the first one. The lock is held for
    the whole session.
    """
    for slot in range(WEB_DIR_SLOTS):
        lock_path = ROOT / f".web-test-{slot}.lock"
        fh = open(lock_path, "w")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            continue
        return ROOT / f".web-test-{slot}", fh
    pytest.fail(f"all {WEB_DIR_SLOTS} .web-test-* build dirs are in use by other test sessions")


def _get(url: str, timeout: float = 5) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    tmp = tmp_path_factory.mktemp("live_app")
    data_dir = tmp / "data"
    data_dir.mkdir()
    db_url = f"sqlite:///{tmp / 'fincrm.db'}"
    port = _free_port()
    url = f"http://localhost:{port}"
    web_dir, web_lock = _lock_web_dir()

    env = dict(os.environ)
    # A server started here must not pick up the developer's or CI's own services.
    for key in ("FINCRM_REDIS_URL", "REFLEX_REDIS_URL", "REDIS_URL", "REFLEX_API_URL",
                "REFLEX_DEPLOY_URL", "REFLEX_FRONTEND_PORT", "REFLEX_BACKEND_PORT"):
        env.pop(key, None)
    env.update(
        FINCRM_DATABASE_URL=db_url,
        FINCRM_DEMO="1",
        FINCRM_LOCALE="zh_CN",  # what a new user gets; the unit-test session itself runs in English
        FINCRM_DATA_DIR=str(data_dir),
        FINCRM_PUBLIC_URL=url,
        FINCRM_PORT=str(port),
        FINCRM_HOST="127.0.0.1",
        PATH=f"{ROOT / '.tools' / 'node_modules' / '.bin'}{os.pathsep}{env.get('PATH', '')}",
        REFLEX_USE_SYSTEM_BUN="1",
        NPM_CONFIG_REGISTRY=env.get("NPM_CONFIG_REGISTRY", "https://registry.npmjs.org/"),
        REFLEX_WEB_WORKDIR=str(web_dir),
        REFLEX_STATES_WORKDIR=str(tmp / "states"),
        PYTHONUNBUFFERED="1",
    )

    _run_cli(["db", "upgrade"], env)
    _run_cli(["seed", "--demo", "--customers", SEED_CUSTOMERS], env)

    log_path = tmp / "server.log"
    log = open(log_path, "wb")
    cmd = [_bin("reflex"), "run", "--env", "prod", "--single-port",
           "--frontend-port", str(port), "--backend-host", "127.0.0.1"]
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True,
    )
    app = LiveApp(url=url, db_url=db_url, data_dir=data_dir, port=port, log_path=log_path, env=env)
    try:
        deadline = started + APP_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"the app exited with code {proc.returncode} before answering\n"
                    f"command: {' '.join(cmd)}\n--- server log\n{_tail(app.log_text())}",
                    pytrace=False,
                )
            try:
                ping, _ = _get(f"{url}/ping")
                page, _ = _get(f"{url}/") if ping == 200 else (0, b"")
                if ping == 200 and page == 200:
                    break
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the app did not answer on {url} within {APP_TIMEOUT:.0f}s\n"
                    f"command: {' '.join(cmd)}\n--- server log\n{_tail(app.log_text())}",
                    pytrace=False,
                )
            time.sleep(0.5)
        sys.stderr.write(f"\n[live_app] {url} ready in {time.monotonic() - started:.1f}s "
                         f"(build dir {web_dir.name}, log {log_path})\n")
        yield app
    finally:
        _stop(proc)
        log.close()
        web_lock.close()


# ------------------------------------------------------------------------------------ browser


@pytest.fixture(scope="session")
def browser() -> Iterator["Browser"]:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    pw = sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
    finally:
        pw.stop()


def _record(page: "Page", logs: list[str], name: str) -> None:
    page.on("console", lambda m: logs.append(f"[{name}] console.{m.type}: {m.text}"))
    page.on("pageerror", lambda e: logs.append(f"[{name}] pageerror: {e}"))
    page.on("requestfailed", lambda r: logs.append(f"[{name}] requestfailed: {r.method} {r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and logs.append(f"[{name}] HTTP {r.status}: {r.request.method} {r.url}"))


# Every page reports Content-Security-Policy violations; a browser test that caused one fails: the app
# sends a strict CSP (fincrm_app/security_headers.py), and anything it blocks is a broken page.
_CSP_MARK = "fincrm-csp-violation"
_CSP_LISTENER = ("document.addEventListener('securitypolicyviolation', e => console.error("
                 f"'{_CSP_MARK} ' + e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')))")


def _open_page(request: pytest.FixtureRequest, browser: "Browser", live_app: LiveApp,
               name: str, **context_args) -> Iterator["Page"]:
    context = browser.new_context(base_url=live_app.url, **context_args)
    context.set_default_timeout(15_000)
    context.add_init_script(_CSP_LISTENER)
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: _CSP_MARK in m.text and violations.append(m.text))
    item = request.node
    item.stash.setdefault(_PAGES, []).append((name, page))
    item.stash.setdefault(_LOGS, [])
    item.stash[_APP] = (live_app, live_app.log_size())
    _record(page, item.stash[_LOGS], name)
    try:
        yield page
    finally:
        context.close()
    if violations:
        pytest.fail(f"the {name} page broke the Content-Security-Policy:\n" + "\n".join(violations), pytrace=False)


_PAGES = pytest.StashKey[list]()
_LOGS = pytest.StashKey[list]()
_APP = pytest.StashKey[tuple]()


@pytest.fixture
def phone_page(request: pytest.FixtureRequest, browser: "Browser", live_app: LiveApp) -> Iterator["Page"]:
    yield from _open_page(request, browser, live_app, "phone",
                          viewport={"width": 390, "height": 844}, is_mobile=True,
                          has_touch=True, device_scale_factor=3)


@pytest.fixture
def desktop_page(request: pytest.FixtureRequest, browser: "Browser", live_app: LiveApp) -> Iterator["Page"]:
    yield from _open_page(request, browser, live_app, "desktop", viewport={"width": 1366, "height": 900})


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if not report.failed or report.when not in ("setup", "call"):
        return
    logs = item.stash.get(_LOGS, None)
    if logs:
        report.sections.append(("browser console", "\n".join(logs[-300:])))
    app_info = item.stash.get(_APP, None)
    if app_info:
        app, start = app_info
        server_log = app.log_text(start)
        if server_log.strip():
            report.sections.append(("server log during test", _tail(server_log, 200)))
    shots = []
    for name, page in item.stash.get(_PAGES, []):
        try:
            if page.is_closed():
                continue
            cache = getattr(item.config, "cache", None)
            shot_dir = (Path(str(cache.mkdir("browser-screenshots"))) if cache
                        else Path(tempfile.gettempdir()) / "fincrm-browser-screenshots")
            shot_dir.mkdir(parents=True, exist_ok=True)
            path = shot_dir / f"{item.name.replace('/', '_')}-{name}.png"
            page.screenshot(path=str(path), full_page=True)
            shots.append(f"{name}: {path} (url {page.url})")
        except Exception as exc:  # a broken page must not hide the real failure
            shots.append(f"{name}: screenshot failed: {exc}")
    if shots:
        report.sections.append(("browser screenshots", "\n".join(shots)))
