"""Telling open dashboards that their figures changed, in this process and in every other worker.

The rollup writer notes the cells (branch, team, RM) a transaction changed (`note_changed`); when that
transaction commits, the cells are announced (`announce`): to this process's listeners at once, and, when
Redis is configured (FINCRM_REDIS_URL), on a Redis channel every worker listens to (one thread per process,
started by the first listener). A dashboard listens (`subscribe`) and reloads only when a changed cell lies in
what it shows (`touches`). What is sent is small: cell ids, never figures or customers.

Without Redis only this process hears: that is the one-worker set-up (Reflex runs one worker without Redis),
and the scheduler or the command line, which write from processes of their own, are heard by dashboards at
their next periodic refresh.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from typing import Callable, Iterable

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from services.settings import get_settings

log = logging.getLogger(__name__)

CHANNEL = "fincrm:metrics:changed"
_KEY = "fincrm.metrics.touched"
_ORIGIN = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
Cells = frozenset  # of (branch_id, team_id, owner_id)

_listeners: list[Callable[[Cells], None]] = []
_lock = threading.Lock()
_version = 0
_redis_thread: threading.Thread | None = None
_redis_client = None


def version() -> int:
    """Bumped on every change heard (here or from another worker): what cached figures are keyed on."""
    return _version


def note_changed(session, cells: Iterable) -> None:
    session.info.setdefault(_KEY, set()).update((c.branch_id, c.team_id, c.owner_id) for c in cells)


@event.listens_for(OrmSession, "after_commit")
def _committed(session) -> None:
    cells = session.info.pop(_KEY, None)
    if cells:
        announce(frozenset(cells))


@event.listens_for(OrmSession, "after_rollback")
def _rolled_back(session) -> None:
    if not session.in_transaction():
        session.info.pop(_KEY, None)


def announce(cells: Cells) -> None:
    _deliver(cells)
    url = get_settings().redis_url
    if url:
        try:
            _redis(url).publish(CHANNEL, json.dumps({"origin": _ORIGIN, "cells": sorted(cells)}))
        except Exception:  # the change is committed; a dashboard elsewhere refreshes on its timer instead
            log.warning("could not announce a figures change on Redis", exc_info=True)


def _deliver(cells: Cells) -> None:
    global _version
    with _lock:
        _version += 1
        listeners = list(_listeners)
    for listener in listeners:
        try:
            listener(cells)
        except Exception:
            log.exception("a figures listener failed")


def subscribe(listener: Callable[[Cells], None]) -> Callable[[], None]:
    """Call `listener(cells)` on every change (from any thread); returns the function that stops it."""
    with _lock:
        _listeners.append(listener)
    url = get_settings().redis_url
    if url:
        _listen_on_redis(url)

    def stop() -> None:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return stop


def ensure_listening() -> None:
    """With Redis, hear the other workers' changes even with no dashboard open here: the figures' cache is keyed on
    `version()`, so an API-only worker must hear them too (called by figures.compute)."""
    url = get_settings().redis_url
    if url and (_redis_thread is None or not _redis_thread.is_alive()):
        _listen_on_redis(url)


def touches(cells: Cells, *, branch_id: int | None, team_id: int | None, owner_id: int | None) -> bool:
    """Whether a change of `cells` shows in a figure limited to this branch / team / RM (None: any)."""
    for b, t, o in cells:
        if branch_id is not None and b != branch_id:
            continue
        if team_id is not None and t != team_id:
            continue
        if owner_id is not None and o != owner_id:
            continue
        return True
    return False


def _redis(url: str):
    global _redis_client
    if _redis_client is None:
        import redis

        _redis_client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return _redis_client


def _listen_on_redis(url: str) -> None:
    global _redis_thread
    with _lock:
        if _redis_thread is not None and _redis_thread.is_alive():
            return
        _redis_thread = threading.Thread(target=_redis_loop, args=(url,), name="fincrm-metrics-redis", daemon=True)
        _redis_thread.start()


def _redis_loop(url: str) -> None:
    import time

    import redis

    while get_settings().redis_url == url:  # a reconfigured process (tests) lets the old listener go
        try:
            client = redis.Redis.from_url(url, socket_connect_timeout=2)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(CHANNEL)
            for message in pubsub.listen():
                try:
                    body = json.loads(message["data"])
                except (TypeError, ValueError):
                    continue
                if body.get("origin") == _ORIGIN:
                    continue  # delivered here already
                cells = frozenset(tuple(int(x) for x in c) for c in body.get("cells", ()) if len(c) == 3)
                _deliver(cells)
        except Exception:
            log.warning("figures listener lost Redis; retrying", exc_info=True)
            time.sleep(2)
