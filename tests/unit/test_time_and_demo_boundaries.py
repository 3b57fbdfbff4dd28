"""Source rules of issue 8's "one clock": services read the time only through services.clock, and
production code never imports the demo package.

Both are read from the source (AST), so a call or an import inside a function that no test runs is
caught as well as one at module level.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# ---------------------------------------------------------------- the clock

# Calls that read the time behind the clock's back: server-zone or wall-clock "now" and "today".
DIRECT_TIME_CALLS = {
    "datetime.date.today", "datetime.datetime.today", "datetime.datetime.now", "datetime.datetime.utcnow",
    "time.time", "time.localtime", "time.strftime", "time.ctime", "services.types.utcnow",
}
CLOCK_EXEMPT = {"services/clock.py", "services/types.py"}  # the clock itself; utcnow is the models' default
CLOCK_EXEMPT_DIRS = ("services/demo/",)  # the seed fixes the clock; its own dates derive from the anchor
# Temporary (issue 8, "one clock"): another change is rewriting these files right now; each still reads the
# time directly (the list of lines and what to use is in that notes). Remove a file from this list
# when it is converted -- the test fails on an entry that no longer has a direct call, so the list can only
# shrink.
NOT_YET_ON_THE_CLOCK: set[str] = set()
# Reviewed exceptions: (file, call) -> why it is not the firm's clock.
ALLOWED_TIME_CALLS = {
    ("services/imports/jobs.py", "time.time"): "compared with file modification times, the file system's clock",
}


def _py_files(*tops: str) -> list[Path]:
    return sorted(p for top in tops for p in (ROOT / top).rglob("*.py") if "__pycache__" not in p.parts)


def _rel(p: Path) -> str:
    return p.relative_to(ROOT).as_posix()


def _aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> what it stands for, from the module's imports (`from datetime import date as d`)."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                names[(a.asname or a.name).split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                names[a.asname or a.name] = f"{node.module}.{a.name}"
    return names


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def direct_time_calls(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    aliases = _aliases(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        dotted = _dotted(node.func)
        if dotted is None:
            continue
        head, _, rest = dotted.partition(".")
        full = aliases.get(head, head) + (f".{rest}" if rest else "")
        if full in DIRECT_TIME_CALLS or full.endswith(".utcnow") or full == "utcnow":
            found.append((node.lineno, full))
    return found


def test_the_scanner_finds_every_spelling(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import datetime as dt\nimport time\nfrom datetime import date, datetime\n"
        "from datetime import datetime as D\nfrom services.types import utcnow\n"
        "def f():\n"
        "    date.today(); datetime.now(); datetime.utcnow(); dt.date.today(); dt.datetime.now(dt.timezone.utc)\n"
        "    D.now(); time.time(); time.strftime('%Y'); utcnow(); datetime(2026, 1, 1); date.fromisoformat('x')\n")
    calls = [c for _, c in direct_time_calls(sample)]
    assert calls.count("datetime.date.today") == 2 and calls.count("datetime.datetime.now") == 3
    assert {"datetime.datetime.utcnow", "time.time", "time.strftime", "services.types.utcnow"} <= set(calls)
    assert len(calls) == 9  # constructing a date or parsing one is not reading the clock


def test_services_read_the_time_only_through_the_clock():
    offenders = []
    for path in _py_files("services"):
        rel = _rel(path)
        if rel in CLOCK_EXEMPT or rel.startswith(CLOCK_EXEMPT_DIRS) or rel in NOT_YET_ON_THE_CLOCK:
            continue
        offenders += [f"{rel}:{line}: {call}()" for line, call in direct_time_calls(path)
                      if (rel, call) not in ALLOWED_TIME_CALLS]
    assert not offenders, "use services.clock (now, today, local_now, local_date) instead of:\n" + "\n".join(offenders)


@pytest.mark.parametrize("rel", sorted(NOT_YET_ON_THE_CLOCK))
def test_the_temporary_exclusions_are_still_needed(rel):
    path = ROOT / rel
    assert path.exists(), f"{rel} is gone: remove it from NOT_YET_ON_THE_CLOCK"
    assert direct_time_calls(path), (
        f"{rel} reads the time only through the clock now: remove it from NOT_YET_ON_THE_CLOCK")


def test_allowed_exceptions_are_still_there():
    for (rel, call), why in ALLOWED_TIME_CALLS.items():
        assert call in [c for _, c in direct_time_calls(ROOT / rel)], f"{rel} no longer calls {call} ({why})"


# ---------------------------------------------------------------- demo code stays out of production

PRODUCTION = ("services", "fincrm_app", "state", "components")
DEMO_PACKAGE = "services.demo"
DEMO_DOOR = {"services/cli.py"}  # `fincrm seed --demo`, the one way in
# Temporary (issue 8): services/tags/rules.py's default_as_of still imports services.demo.seed in demo mode;
# it is being rewritten to read clock.now(). Remove it here with that change (the test below insists).
NOT_YET_OUT_OF_DEMO: set[str] = set()


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def demo_imports(path: Path, module: str | None = None) -> list[tuple[int, str]]:
    """(line, what) for each import of the demo package in `path` (whose dotted name is `module`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module = module or _module_of(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []

    def is_demo(name: str) -> bool:  # the demo package, or demo code left in a domain (services.x.demo)
        return name.startswith("services.") and "demo" in name.split(".")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if is_demo(a.name)]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - (node.level - 1)] + ([node.module] if node.module else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
            found += [(node.lineno, t) for t in targets if is_demo(t)][:1]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and is_demo(node.value):
            found.append((node.lineno, f"{node.value!r} (a module name, for importlib)"))
    return found


def test_the_import_scanner_finds_every_spelling(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("import services.demo.seed\nfrom services import demo\nfrom services.demo.tags import RULES\n"
                     "from ..demo import seed\nimport importlib\nimportlib.import_module('services.demo.seed')\n"
                     "from services import clock\nfrom services.tags import demo_rules\nfrom . import demo\n"
                     "from services.integration.demo import SECRET\n")
    lines = sorted(line for line, _ in demo_imports(probe, module="services.tags.probe"))
    assert lines == [1, 2, 3, 4, 6, 9, 10]  # `from . import demo` in services.tags: demo code left in a domain


def test_all_demo_code_lives_in_the_demo_package():
    strays = [_rel(p) for p in _py_files(*PRODUCTION) if "demo" in p.stem.split("_")
              and not _rel(p).startswith("services/demo/")]
    assert not strays, f"demo code belongs in services/demo/: {strays}"


def test_production_code_never_imports_the_demo_package():
    offenders = []
    for path in _py_files(*PRODUCTION):
        rel = _rel(path)
        if rel.startswith("services/demo/") or rel in DEMO_DOOR or rel in NOT_YET_OUT_OF_DEMO:
            continue
        offenders += [f"{rel}:{line}: {what}" for line, what in demo_imports(path)]
    assert not offenders, ("production code imports demo code (only `fincrm seed` may; demo data that a "
                           "feature needs belongs in services/demo/):\n" + "\n".join(offenders))


@pytest.mark.parametrize("rel", sorted(NOT_YET_OUT_OF_DEMO))
def test_the_temporary_demo_exclusions_are_still_needed(rel):
    assert demo_imports(ROOT / rel), f"{rel} no longer imports demo code: remove it from NOT_YET_OUT_OF_DEMO"


def test_the_cli_imports_demo_code_only_inside_the_seed_command():
    tree = ast.parse((ROOT / "services" / "cli.py").read_text(encoding="utf-8"))
    top_level = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert not any(demo_imports_in(n) for n in top_level)
    seed_cmd = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "_cmd_seed")
    assert any(demo_imports_in(n) for n in ast.walk(seed_cmd) if isinstance(n, (ast.Import, ast.ImportFrom)))


def demo_imports_in(node: ast.AST) -> bool:
    if isinstance(node, ast.Import):
        return any(a.name.startswith(DEMO_PACKAGE) for a in node.names)
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").startswith(DEMO_PACKAGE) or (
            node.module == "services" and any(a.name == "demo" for a in node.names))
    return False
