"""The app's HTTP routes under a real server (granian, as in production) for test_auth_off_event_loop.py.

It serves `fincrm_app.app.api` (our routes) next to a `/ping` like Reflex's own (a plain async route on
the same event loop), and notes in the file FINCRM_PROBE_MARKS each time a request takes a database
connection, which it does just before it begins its transaction (and, on SQLite, may wait for the write
lock): the test then knows that the request has reached the database.
The full Reflex backend is not needed for that, and would build the frontend first.
"""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import event
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

import services.db as db
from fincrm_app.app import api

MARKS = Path(os.environ["FINCRM_PROBE_MARKS"])


def _note_connection_taken(*_args) -> None:
    with MARKS.open("a") as fh:
        fh.write("checkout\n")


event.listen(db.get_engine(), "checkout", _note_connection_taken)


async def ping(_request) -> PlainTextResponse:
    return PlainTextResponse("pong")


app = Starlette(routes=[Route("/ping", ping), Mount("/", app=api)])
