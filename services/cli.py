"""The `fincrm` command: database, demo data, users, API clients, audit.

Every sub-command reads the same FINCRM_* settings as the app.
"""
from __future__ import annotations

import argparse
import getpass
import sys

from services.errors import DomainError
from services import bootstrap
from services.settings import ConfigurationError, configure_logging, get_settings


def _cmd_db_upgrade(args) -> int:
    from services import migrations

    migrations.upgrade(revision=args.revision)
    print(f"database at revision {args.revision}")
    return 0


def _cmd_seed(args) -> int:
    # The one door from production code into services.demo: demo code is imported only here, only when asked.
    settings = get_settings()
    if not args.demo:
        print("only demo data can be seeded: use `fincrm seed --demo`", file=sys.stderr)
        return 2
    if not settings.demo_mode:
        print("refusing to seed demo data outside demo mode: set FINCRM_DEMO=1 (make run does) for a demo "
              "installation", file=sys.stderr)
        return 2
    from services.demo import seed

    options = {"seed": args.seed} if args.seed is not None else {}
    result = seed.seed_demo(customers=args.customers, anchor=args.anchor, if_empty=args.if_empty, **options)
    print(result)
    return 0


def _day(text: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _cmd_user_create(args) -> int:
    from services.db import unit_of_work
    from services.security.actor import SYSTEM
    from services.security.users import create_user

    password = args.password or getpass.getpass("Password: ")
    data = {"username": args.username, "display_name": args.display_name or args.username,
            "password": password, "roles": args.role, "branch_code": args.branch, "team_id": args.team}
    with unit_of_work() as uow:
        user = create_user(uow=uow, actor=SYSTEM, data=data)
        uow.commit()
        print(f"created user {user.username} (id {user.id}) with roles {', '.join(user.roles)}")
    return 0


def _cmd_client_create(args) -> int:
    """Register another system as an API client; its secret is printed once and only its hash is kept."""
    from sqlalchemy import select

    from services.db import unit_of_work
    from services.errors import FieldError, ValidationFailed
    from services.integration.clients import create_client
    from services.security.actor import SYSTEM
    from services.security.models import User

    with unit_of_work() as uow:
        owner_id = None
        unknown: list[FieldError] = []
        if args.owner:
            owner_id = uow.session.execute(select(User.id).where(User.username == args.owner)).scalar()
            if owner_id is None:
                unknown.append(FieldError("default_owner_id", "value.not_an_rm"))
        try:
            made = create_client(uow=uow, actor=SYSTEM, data={
                "client_id": args.client_id, "name": args.name or args.client_id, "scopes": args.scope,
                "default_owner_id": owner_id})
        except ValidationFailed as exc:  # every fault at once, the unknown owner included
            raise ValidationFailed(exc.errors + unknown) from None
        if unknown:
            raise ValidationFailed(unknown)  # nothing is committed
        uow.commit()
    print(f"created API client {made.client_id} (scopes: {' '.join(made.scopes)})")
    print(f"client secret (shown once, store it now): {made.client_secret}")
    return 0


def _cmd_audit_verify(args) -> int:
    from services.db import unit_of_work
    from services.security.audit import verify

    with unit_of_work() as uow:
        result = verify(uow.session)
    if result.ok:
        print(f"audit chain intact: {result.checked} events verified")
        return 0
    print(f"audit chain BROKEN at event {result.broken_seq}: {result.reason} "
          f"({result.checked} events verified before it)")
    return 1


def _cmd_scheduler(args) -> int:
    from services import scheduler

    if args.list:
        for job in scheduler.all_jobs():
            print(f"{job.id}\t{job.trigger}\t{job.trigger_args}")
        return 0
    if args.run:
        jobs = {j.id: j for j in scheduler.all_jobs()}
        if args.run not in jobs:
            print(f"unknown job {args.run}; known: {', '.join(jobs) or 'none'}", file=sys.stderr)
            return 2
        jobs[args.run].func()
        return 0
    scheduler.run_forever()
    return 0


def _cmd_aml_load_list(args) -> int:
    """Import a watchlist file (format detected), then re-screen every customer against the lists in force."""
    from pathlib import Path

    from services.aml import jobs
    from services.aml.service import load_list
    from services.db import unit_of_work
    from services.security.actor import SYSTEM

    content = Path(args.file).read_bytes()
    with unit_of_work() as uow:
        loaded = load_list(uow=uow, actor=SYSTEM, content=content, code=args.code, name=args.name,
                           rescreen=not args.no_rescreen)
        uow.commit()
    if loaded.unchanged:
        print(f"{loaded.code}: unchanged (version {loaded.version}, {loaded.entries} entries)")
        return 0
    print(f"{loaded.code}: version {loaded.version}, {loaded.entries} entries "
          f"({loaded.added} added, {loaded.removed} removed)")
    if loaded.run_id is not None:
        chunks = jobs.run_rescreens()
        print(f"re-screened every customer ({chunks} chunks)")
    return 0


def _cmd_aml_screen(args) -> int:
    """Screen a CSV of names (`name`, optional `birth_date`, `nationality`): one JSON line per row."""
    import csv
    import json
    from pathlib import Path

    from services.aml.service import screen_rows
    from services.db import unit_of_work
    from services.security.actor import SYSTEM

    raw = Path(args.file).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        print("the file is not UTF-8 text", file=sys.stderr)
        return 2
    reader = csv.DictReader(text.splitlines())
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    if "name" not in fields:
        print("the CSV needs a header with a `name` column (optional: birth_date, nationality)", file=sys.stderr)
        return 2
    rows = [{k.strip().lower(): (v or "") for k, v in r.items() if k} for r in reader]
    with unit_of_work() as uow:
        results = screen_rows(uow=uow, actor=SYSTEM, rows=rows, limit=args.limit)
        uow.commit()
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    try:
        for r in results:
            out.write(json.dumps(r.as_json(), ensure_ascii=False) + "\n")
    finally:
        if args.output:
            out.close()
    return 0


def _cmd_documents_verify(args) -> int:
    """Check the digital signatures of a signed document (a disclosure): intact, covering the whole file (nothing
    appended after signing), by a trusted certificate (the firm's, or the --trust files). Exit 0 only if all hold."""
    from pathlib import Path

    from services.suitability import signing

    roots = None
    if args.trust:
        from asn1crypto import pem, x509

        roots = []
        for name in args.trust:
            raw = Path(name).read_bytes()
            blocks = [der for _, _, der in pem.unarmor(raw, multiple=True)] if pem.detect(raw) else [raw]
            roots += [x509.Certificate.load(der) for der in blocks]
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"{args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    result = signing.verify_pdf(data, trust_roots=roots)
    if result.error:
        print(f"{args.file}: NOT VERIFIED: {result.error}")
        return 1
    yes = {True: "yes", False: "NO"}
    for sig in result.signatures:
        print(f"{args.file}: signature {sig.field} by {sig.signer}, signed {sig.signed_at or '?'}\n"
              f"  intact: {yes[sig.intact]}  valid: {yes[sig.valid]}  trusted: {yes[sig.trusted]}  "
              f"covers the whole file: {yes[sig.whole_file]}  unchanged since: {yes[sig.unchanged]}")
    print(f"{args.file}: {'VERIFIED' if result.ok else 'NOT VERIFIED (changed after signing, or not signed by a trusted certificate)'}")
    return 0 if result.ok else 1


def _cmd_metrics_rebuild(args) -> int:
    """Recompute the dashboards' rollup from the source tables (after bulk loads, a restore, an upgrade)."""
    from services.analytics import rebuild
    from services.db import unit_of_work
    from services.security.actor import SYSTEM

    with unit_of_work() as uow:
        counts = rebuild.rebuild(uow=uow, actor=SYSTEM)
        uow.commit()
    print(f"metrics rebuilt: {counts['customers']:,} customers, {counts['opportunities']:,} opportunities, "
          f"{counts['facts']:,} rollup rows")
    return 0


def _cmd_metrics_grant(args) -> int:
    """Let an API client read the figures of the whole firm, one branch or one team (GET /api/v1/metrics)."""
    from sqlalchemy import select

    from services.analytics import grants
    from services.db import unit_of_work
    from services.integration.models import ApiClient
    from services.security.actor import SYSTEM

    with unit_of_work() as uow:
        pk = uow.session.execute(select(ApiClient.id).where(ApiClient.client_id == args.client_id)).scalar()
        if pk is None:
            print(f"no API client is called {args.client_id}")
            return 1
        made = grants.grant(uow=uow, actor=SYSTEM, client_pk=pk, branch_code=args.branch,
                            team_id=args.team, everything=args.all)
        uow.commit()
    print(f"API client {args.client_id} reads the figures of: {made}")
    return 0


def _cmd_metrics_subscribe(args) -> int:
    """Send a manager the weekly report by e-mail (or stop sending it)."""
    from services.analytics import report
    from services.db import unit_of_work
    from services.security.actor import SYSTEM

    with unit_of_work() as uow:
        report.subscribe(uow=uow, actor=SYSTEM, username=args.username, email=args.email, locale=args.locale,
                         active=not args.stop)
        uow.commit()
    print(f"weekly report for {args.username}: {'stopped' if args.stop else args.email}")
    return 0


def _cmd_metrics_report(args) -> int:
    """Write a manager's weekly report (last week's, or the week holding --week) to a PDF file, as it is mailed."""
    from datetime import date, timedelta
    from pathlib import Path

    from sqlalchemy import select

    from services import clock
    from services.analytics import report
    from services.db import unit_of_work
    from services.security import audit
    from services.security.actor import SYSTEM
    from services.security.models import User

    try:
        day = date.fromisoformat(args.week) if args.week else clock.today() - timedelta(days=7)
    except ValueError:
        print(f"--week must be a date (YYYY-MM-DD), not {args.week!r}", file=sys.stderr)
        return 2
    week = report.week_of(day)
    with unit_of_work() as uow:
        user = uow.session.execute(select(User).where(User.username == args.username)).scalar_one_or_none()
        if user is None or not user.is_active:
            print(f"no active user {args.username!r}", file=sys.stderr)
            return 1
        _subject, _body, pdf = report.build(uow.session, user, week, args.locale)
        audit.record(uow.session, SYSTEM, "report.preview", entity_type="user", entity_id=user.id,
                     changes={"week": week.isoformat(), "locale": args.locale})
        uow.commit()
    Path(args.out).write_bytes(pdf)
    print(f"weekly report of {week.isoformat()} for {args.username}: {args.out} ({len(pdf):,} bytes)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="fincrm", description="FinCRM administration")
    sub = p.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    up = db.add_parser("upgrade", help="migrate the database to the latest schema")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=_cmd_db_upgrade)

    seed = sub.add_parser("seed", help="load demo data")
    seed.add_argument("--demo", action="store_true", help="the deterministic demo data set")
    seed.add_argument("--customers", type=int, default=5000)
    seed.add_argument("--seed", type=int, default=None, help="random seed (default 20261129)")
    seed.add_argument("--anchor", type=_day, default=None, metavar="YYYY-MM-DD",
                      help="the day the demo data is a snapshot of (default: today in FINCRM_TIMEZONE)")
    seed.add_argument("--if-empty", action="store_true", help="do nothing when data already exists")
    seed.set_defaults(func=_cmd_seed)

    user = sub.add_parser("user", help="staff users").add_subparsers(dest="user_command", required=True)
    uc = user.add_parser("create", help="create a user")
    uc.add_argument("username")
    uc.add_argument("--role", action="append", required=True,
                    help="rm, team_lead, branch_manager, compliance, approver, ops, admin, auditor (repeatable)")
    uc.add_argument("--display-name")
    uc.add_argument("--branch", help="branch code")
    uc.add_argument("--team", type=int, help="team id (required for rm)")
    uc.add_argument("--password", help="omit to be prompted")
    uc.set_defaults(func=_cmd_user_create)

    client = sub.add_parser("client", help="API clients (other systems)").add_subparsers(
        dest="client_command", required=True)
    cc = client.add_parser("create", help="register a system for OAuth2 client credentials")
    cc.add_argument("client_id")
    cc.add_argument("--name", help="what the system is, e.g. 'Core banking'")
    cc.add_argument("--scope", action="append", required=True,
                    help="customers:read, customers:write, accounts:write, transactions:write, events:write, "
                         "interactions:write, products:read, suitability:read, sales:write, metrics:read "
                         "(repeatable)")
    cc.add_argument("--owner", help="user name of the RM who gets customers the system creates without one")
    cc.set_defaults(func=_cmd_client_create)

    audit = sub.add_parser("audit", help="audit trail").add_subparsers(dest="audit_command", required=True)
    av = audit.add_parser("verify", help="check the hash chain; exit 1 at the first broken link")
    av.set_defaults(func=_cmd_audit_verify)
    aml = sub.add_parser("aml", help="anti-money laundering: watchlists and screening").add_subparsers(
        dest="aml_command", required=True)
    ll = aml.add_parser("load-list", help="import a watchlist (OFAC SDN CSV, UN XML or an internal CSV; format "
                                          "detected) and re-screen every customer")
    ll.add_argument("file")
    ll.add_argument("--code", help="the list's code (default: its format: ofac_sdn, un_sc, internal)")
    ll.add_argument("--name", help="the list's display name")
    ll.add_argument("--no-rescreen", action="store_true", help="load only; the scheduler re-screens later")
    ll.set_defaults(func=_cmd_aml_load_list)
    sc = aml.add_parser("screen", help="screen a CSV of names (name[, birth_date, nationality]): one JSON line "
                                       "per row with its best hits and a verdict (hit, possible, clear)")
    sc.add_argument("file")
    sc.add_argument("--output", help="write the JSON lines here instead of standard output")
    sc.add_argument("--limit", type=int, default=3, help="hits per row (default 3)")
    sc.set_defaults(func=_cmd_aml_screen)
    documents = sub.add_parser("documents", help="signed documents").add_subparsers(dest="documents_command",
                                                                                  required=True)
    dv = documents.add_parser("verify", help="check a signed PDF (a disclosure); exit 1 if it was changed after "
                                             "signing or is not signed by a trusted certificate")
    dv.add_argument("file")
    dv.add_argument("--trust", action="append", metavar="CERT",
                    help="trust this certificate (PEM or DER; repeatable) instead of the firm's own")
    dv.set_defaults(func=_cmd_documents_verify)
    metrics = sub.add_parser("metrics", help="dashboards: the rollup, API clients' figures, the weekly report"
                             ).add_subparsers(dest="metrics_command", required=True)
    mr = metrics.add_parser("rebuild", help="recompute the dashboards' rollup from the source tables (audited)")
    mr.set_defaults(func=_cmd_metrics_rebuild)
    mg = metrics.add_parser("grant", help="let an API client read the figures of the firm, a branch or a team")
    mg.add_argument("client_id")
    who = mg.add_mutually_exclusive_group(required=True)
    who.add_argument("--all", action="store_true", help="the whole firm")
    who.add_argument("--branch", help="branch code")
    who.add_argument("--team", type=int, help="team id")
    mg.set_defaults(func=_cmd_metrics_grant)
    ms = metrics.add_parser("subscribe", help="e-mail a manager the weekly report (PDF)")
    ms.add_argument("username")
    ms.add_argument("email")
    ms.add_argument("--locale", default="zh_CN", choices=["zh_CN", "en"])
    ms.add_argument("--stop", action="store_true", help="stop sending it")
    ms.set_defaults(func=_cmd_metrics_subscribe)
    mp = metrics.add_parser("report", help="write a manager's weekly report (PDF with charts) to a file")
    mp.add_argument("username")
    mp.add_argument("out", help="the PDF file to write")
    mp.add_argument("--locale", default="zh_CN", choices=["zh_CN", "en"])
    mp.add_argument("--week", help="a day of the week to report (default: last week)")
    mp.set_defaults(func=_cmd_metrics_report)
    sch = sub.add_parser("scheduler", help="run scheduled jobs (one process is elected leader)")
    sch.add_argument("--list", action="store_true", help="list the jobs and exit")
    sch.add_argument("--run", metavar="JOB", help="run one job now and exit")
    sch.set_defaults(func=_cmd_scheduler)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        get_settings().check_startable()
        configure_logging()
        bootstrap.configure()
        return args.func(args)
    except ConfigurationError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except DomainError as exc:
        print(exc.message(get_settings().locale), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
