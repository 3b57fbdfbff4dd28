"""Calling a page state's event handler in a test, as Reflex would: plain handlers run in a worker thread
(state.session._off_the_loop), so every handler is a coroutine function. The coroutine runs on an event loop
of its own in another thread: Playwright's sync API (the browser tests of the same session) keeps a loop
running in the main thread, where asyncio.run() refuses to start."""
from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
from typing import Any


def call_handler(state: Any, name: str, *args: Any) -> Any:
    out = getattr(type(state), name).fn(state, *args)
    if not inspect.iscoroutine(out):
        return out
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, out).result()
