"""/admin/webhooks: the webhook endpoints and their delivery log (admins manage; compliance views).

Thin: every handler resolves the actor from the session cookie, validates its arguments
and calls services.integration.webhooks, which enforces who may see and change what.
"""
from __future__ import annotations

import logging
from typing import Any

import reflex as rx

from services.db import unit_of_work
from services.errors import DomainError
from services.i18n import format_datetime, format_number
from services.integration import webhooks
from services.integration.outbox import EVENT_TYPES
from services.security.policy import Permission, permits
from services.validation.input import whole_number
from state.i18n import label
from state.session import DataState

log = logging.getLogger(__name__)

PAGE_SIZE = 20
DASH = "—"


class WebhooksState(DataState):
    endpoints: list[dict[str, str]] = []
    rows: list[dict[str, str]] = []
    status_filter: str = ""
    page: int = 1
    page_info: str = ""
    has_prev: bool = False
    has_next: bool = False
    error: str = ""
    new_secret: str = ""  # shown once after creating an endpoint
    can_manage: bool = False
    loaded: bool = False

    def _purge(self) -> None:
        self.endpoints = []
        self.rows = []
        self.status_filter = ""
        self.page = 1
        self.page_info = ""
        self.has_prev = self.has_next = False
        self.error = ""
        self.new_secret = ""
        self.can_manage = False
        self.loaded = False

    def _fetch(self):
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        loc = self._locale()
        try:
            with unit_of_work(readonly=True) as uow:
                eps = webhooks.list_endpoints(uow=uow, actor=actor)
                result = webhooks.list_deliveries(uow=uow, actor=actor, status=self.status_filter or None,
                                                  page=self.page, page_size=PAGE_SIZE)
        except DomainError as exc:
            self.endpoints, self.rows = [], []
            self.error = exc.message(loc)
            self.loaded = True
            self._mark_loaded(actor)
            return None
        self.can_manage = permits(actor, Permission.WEBHOOK_MANAGE)
        self.endpoints = [{"id": str(e.id), "name": e.name, "url": e.url, "events": ", ".join(e.events),
                           "active": "1" if e.active else "",
                           "state": label("webhooks.active" if e.active else "webhooks.inactive", loc)}
                          for e in eps]
        self.rows = [{
            "id": str(d.id), "event": d.event_type, "endpoint": d.endpoint_name, "status": d.status,
            "status_label": label(f"webhooks.status.{d.status}", loc),
            "attempts": format_number(d.attempts, loc),
            "last": (str(d.last_status_code) if d.last_status_code else "") + (
                (" " + d.last_error[:120]) if d.last_error else "") or DASH,
            "next": format_datetime(d.next_attempt_at, loc) if d.next_attempt_at else DASH,
            "created": format_datetime(d.created_at, loc),
        } for d in result.items]
        pages = max(1, -(-result.total // PAGE_SIZE))
        self.page_info = label("webhooks.page_info", loc, page=format_number(result.page, loc),
                               pages=format_number(pages, loc), total=format_number(result.total, loc))
        self.has_prev = result.page > 1
        self.has_next = result.page < pages
        self.error = ""
        self.loaded = True
        self._mark_loaded(actor)
        return None

    @rx.event
    def load(self):
        self.new_secret = ""
        return self._fetch()

    @rx.event
    def set_filter(self, value: Any):
        """Filter the log by status: "", pending, delivered, failed."""
        if value in ("", "all"):
            value = ""
        if not isinstance(value, str) or (value and value not in webhooks.STATUSES):
            return self._fetch()
        self.status_filter = value
        self.page = 1
        return self._fetch()

    @rx.event
    def next_page(self):
        if self.has_next and self.page < 10_000:
            self.page += 1
        return self._fetch()

    @rx.event
    def prev_page(self):
        if self.page > 1:
            self.page -= 1
        return self._fetch()

    @rx.event
    def create_endpoint(self, form_data: Any):
        """New endpoint form: {"name", "url", "events": comma list}; the secret is shown once."""
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        form = form_data if isinstance(form_data, dict) else {}
        events = [e for e in EVENT_TYPES if form.get(f"event_{e}") in ("on", "true", True)]
        data = {"name": form.get("name"), "url": form.get("url"), "events": events}
        try:
            with unit_of_work() as uow:
                made = webhooks.create_endpoint(uow=uow, actor=actor, data=data)
                uow.commit()
        except DomainError as exc:
            self.error = exc.message(self._locale())
            return None
        self._fetch()
        self.new_secret = made.secret
        return None

    @rx.event
    def toggle_endpoint(self, endpoint_id: Any, active: Any):
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        try:
            eid = whole_number(endpoint_id) or endpoint_id  # the service names a bad id in its error
            with unit_of_work() as uow:
                webhooks.set_endpoint_active(uow=uow, actor=actor, endpoint_id=eid, active=active)
                uow.commit()
        except DomainError as exc:
            self.error = exc.message(self._locale())
            return None
        self.new_secret = ""
        return self._fetch()

    @rx.event
    def change_locale(self, locale: Any):
        self._apply_locale(locale)
        return self._fetch()
