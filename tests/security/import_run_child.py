"""A backend worker running an import that stops in the middle of its apply phase, for
test_import_interrupted.py to SIGKILL: `python import_run_child.py <batch id> <owner id>`, with
FINCRM_DATABASE_URL (and the data dir and keys) in the environment.

The run is real (the same run_import, its run lock, its short transactions under the batch's write hold);
the first chunk of new customers is written and committed (held, invisible), then the second chunk is held
up, after announcing "applying" on stdout, so the kill lands mid-apply with rows already committed.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlmodel import Session  # noqa: E402

from services.customers import service as customers  # noqa: E402
from services.db import UnitOfWork, get_engine  # noqa: E402
from services.imports import service as imports  # noqa: E402
from services.security.auth import actor_for_user  # noqa: E402
from services.security.models import User  # noqa: E402


_create = customers.create_customer_records
_calls = {"n": 0}


def held_up(**kwargs):
    _calls["n"] += 1
    if _calls["n"] == 1:
        return _create(**kwargs)
    print("applying", flush=True)
    time.sleep(3600)


def main(batch_id: int, owner_id: int) -> None:
    from services import bootstrap

    bootstrap.configure()  # as every entry point does: the new customers' events have their subscribers
    with Session(get_engine()) as s:
        ops = actor_for_user(s.query(User).filter(User.username == "ops_a").one())
    customers.create_customer_records = held_up
    imports.CREATE_CHUNK = 2
    imports.run_import(uow_factory=UnitOfWork, actor=ops, batch_id=batch_id, default_owner_id=owner_id)
    print("finished", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
