"""The search box in the header of every page: customers by name, pinyin, initials, phone or ID last 4 (the
customer search use case, in the actor's scope), and the customers he viewed last (kept on the server, per user).
The panel under the box opens while the box (or the panel) has the keyboard focus: plain CSS, no round trip."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

import reflex as rx

from services.customer_list import recent
from services.customers import service as customers
from services.db import unit_of_work
from services.errors import DomainError
from state.customer_list import short_time
from state.session import DataState

MAX_QUERY = 100
RESULTS = 8


def clean(value: Any) -> str | None:
    if not isinstance(value, str) or len(value) > MAX_QUERY:
        return None
    return "".join(ch for ch in value if ch >= " " and ch != "\x7f").strip()


class HeaderSearchState(DataState):
    query: str = ""
    results: list[dict[str, str]] = []  # {id, name, customer_no, detail}
    recent: list[dict[str, str]] = []  # {id, name, customer_no, when}
    searched: bool = False  # a query was searched (so "nothing found" can be told from "not yet")
    error: str = ""
    all_results_href: str = "/customers"

    def _purge(self) -> None:
        self.query = ""
        self.results = []
        self.recent = []
        self.searched = False
        self.error = ""
        self.all_results_href = "/customers"

    @rx.event
    def opened(self):
        """The box got the focus: the recently viewed customers, fresh from the server."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        try:
            with unit_of_work(readonly=True) as uow:
                items = recent.recently_viewed(uow=uow, actor=actor)
        except DomainError as exc:
            self.error = exc.message(loc)
            return None
        self.recent = [{"id": str(r.customer_id), "name": r.name, "customer_no": r.customer_no,
                        "when": short_time(r.viewed_at, loc)} for r in items]
        self._mark_loaded(actor)
        return None

    @rx.event
    def search(self, value: Any):
        """Typed in the box (debounced)."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        query = clean(value)
        if query is None:
            return None
        self.query = query
        self.all_results_href = "/customers?q=" + quote(query) if query else "/customers"
        if not query:
            self.results = []
            self.searched = False
            self.error = ""
            return None
        try:
            with unit_of_work(readonly=True) as uow:
                page = customers.search_customers(uow=uow, actor=actor, query=query, page=1, page_size=RESULTS)
        except DomainError as exc:
            self.results = []
            self.error = exc.message(loc)
            return None
        self.results = [{"id": str(c.id), "name": c.name, "customer_no": c.customer_no,
                         "detail": " · ".join(x for x in (c.phone, c.owner_name) if x)} for c in page.items]
        self.searched = True
        self.error = ""
        self._mark_loaded(actor)
        return None

    @rx.event
    def submit(self, form_data: Any):
        """Enter: the first customer found, else the customer list with this search."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        value = form_data.get("hq") if isinstance(form_data, dict) else None
        query = clean(value)
        if query is None:
            return None
        if query and query == self.query and self.results:
            return rx.redirect(f"/customers/{self.results[0]['id']}")
        return rx.redirect("/customers?q=" + quote(query) if query else "/customers")
