"""Customer list and customer 360 page states.

Thin: every handler resolves the actor from the session cookie, validates its
arguments, calls a service and turns the (already masked) views into display
strings in the user's locale. Only one page of rows is ever held in state.
"""
from __future__ import annotations

import logging
import re
from typing import Any

import reflex as rx

from services.customers import service as customers
from services.customers.views import CustomerDetail, CustomerPage
from services.db import unit_of_work
from services.errors import DomainError, NotFound, NotPermitted, SessionInvalid, ValidationFailed
from services.i18n import format_date, format_datetime, format_money, format_number, translate
from state.i18n import label
from state.session import DataState

log = logging.getLogger(__name__)

PAGE_SIZE = 20
MAX_QUERY = 100
MAX_PAGE = 10_000
_CUSTOMER_PATH = re.compile(r"^/customers/(\d{1,12})/?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
DASH = "—"


def clean_query(value: Any) -> str | None:
    """A search query from the browser, or None when it is not an acceptable one."""
    if not isinstance(value, str) or len(value) > MAX_QUERY:
        return None
    return _CONTROL.sub("", value).strip()


def _or_dash(value: Any) -> str:
    return DASH if value in (None, "") else str(value)


class CustomersState(DataState):
    """/customers: search and one page of results."""

    query: str = ""
    page: int = 1
    rows: list[dict[str, str]] = []
    page_info: str = ""
    has_prev: bool = False
    has_next: bool = False
    list_error: str = ""
    loaded: bool = False

    def _purge(self) -> None:
        self.query = ""
        self.page = 1
        self.rows = []
        self.page_info = ""
        self.has_prev = False
        self.has_next = False
        self.list_error = ""
        self.loaded = False

    def _fetch(self):
        """Load the current page for the current query; returns a redirect when signed out."""
        try:
            actor = self._require_actor()
        except SessionInvalid:
            self._purge_all()
            return self._signed_out()
        loc = self._locale()
        try:
            with unit_of_work() as uow:
                result: CustomerPage = customers.search_customers(
                    uow=uow, actor=actor, query=self.query, page=self.page, page_size=PAGE_SIZE)
        except DomainError as exc:
            self.rows = []
            self.has_prev = self.has_next = False
            self.page_info = ""
            self.list_error = exc.message(loc)
            self.loaded = True
            self._mark_loaded(actor)
            return None
        pages = max(1, -(-result.total // PAGE_SIZE))
        self.rows = [{
            "id": str(c.id),
            "name": c.name,
            "customer_no": c.customer_no,
            "segment": label(f"segment.{c.segment}", loc),
            "status": label(f"status.{c.status}", loc),
            "kind": label(f"kind.{c.kind}", loc),
            "phone": _or_dash(c.phone),
            "owner": _or_dash(c.owner_name),
            "branch": _or_dash(c.branch_name),
        } for c in result.items]
        total = format_number(result.total, loc)
        if result.total_is_capped:
            self.page_info = label("page.info_capped", loc, page=format_number(result.page, loc), total=total)
            self.has_next = len(result.items) == PAGE_SIZE
        else:
            self.page_info = label("page.info", loc, page=format_number(result.page, loc),
                                   pages=format_number(pages, loc), total=total)
            self.has_next = result.page < pages
        self.has_prev = result.page > 1
        self.list_error = ""
        self.loaded = True
        self._mark_loaded(actor)
        return None

    @rx.event
    def load(self):
        """on_load of /customers."""
        return self._fetch()

    @rx.event
    def search(self, form_data: Any):
        """Search form submitted (enter or the button): {"q": str}."""
        value = form_data.get("q") if isinstance(form_data, dict) else None
        return self._search(value)

    @rx.event
    def search_as_typed(self, value: Any):
        """Debounced input in the search box."""
        return self._search(value)

    def _search(self, value: Any):
        query = clean_query(value)
        if query is None:
            try:
                self._require_actor()
            except SessionInvalid:
                self._purge_all()
                return self._signed_out()
            self.list_error = translate("error.validation", self._locale())
            return None
        self.query = query
        self.page = 1
        return self._fetch()

    @rx.event
    def next_page(self):
        if self.has_next and self.page < MAX_PAGE:
            self.page += 1
        return self._fetch()

    @rx.event
    def prev_page(self):
        if self.page > 1:
            self.page -= 1
        return self._fetch()

    @rx.event
    def change_locale(self, locale: Any):
        """Language switch on this page: set the locale, then re-format the rows."""
        self._apply_locale(locale)
        return self._fetch()


class CustomerState(DataState):
    """/customers/[customer_id]: the customer 360 view."""

    found: bool = False
    page_error: str = ""
    header: dict[str, str] = {}
    id_number: str = ""
    phone: str = ""
    can_reveal_id_number: bool = False
    can_reveal_phone: bool = False
    profile_items: list[dict[str, str]] = []
    accounts: list[dict[str, str]] = []
    holdings: list[dict[str, str]] = []
    transactions: list[dict[str, str]] = []
    relationships: list[dict[str, str]] = []
    interactions: list[dict[str, str]] = []
    reveal_error: str = ""

    _customer_id: int = 0

    def _purge(self) -> None:
        self.found = False
        self.page_error = ""
        self.header = {}
        self.id_number = ""
        self.phone = ""
        self.can_reveal_id_number = False
        self.can_reveal_phone = False
        self.profile_items = []
        self.accounts = []
        self.holdings = []
        self.transactions = []
        self.relationships = []
        self.interactions = []
        self.reveal_error = ""
        self._customer_id = 0

    def _route_customer_id(self) -> int | None:
        match = _CUSTOMER_PATH.match(self._current_path())
        if match is None:
            return None
        value = int(match.group(1))
        return value if 0 < value < 2**63 else None

    def _show(self, detail: CustomerDetail, loc: str) -> None:
        p = detail.profile
        self.header = {
            "name": p.name,
            "customer_no": p.customer_no,
            "segment": label(f"segment.{p.segment}", loc),
            "status": label(f"status.{p.status}", loc),
            "kind": label(f"kind.{p.kind}", loc),
            "aum": format_money(detail.aum, detail.currency, loc),
            "liabilities": format_money(detail.liabilities, detail.currency, loc),
            "owner": _or_dash(p.owner_name),
        }
        self.id_number = _or_dash(p.id_number)
        self.phone = _or_dash(p.phone)
        self.can_reveal_id_number = "id_number" in p.revealable and p.id_number is not None
        self.can_reveal_phone = "phone" in p.revealable and p.phone is not None
        items = [
            ("detail.id_type", label(f"id_type.{p.id_type}", loc)),
            ("detail.gender", label(f"gender.{p.gender}", loc) if p.gender else DASH),
            ("detail.birth_date", format_date(p.birth_date, loc) or DASH),
            ("detail.email", _or_dash(p.email)),
            ("detail.address", _or_dash(p.address)),
            ("detail.occupation", _or_dash(p.occupation)),
            ("detail.owner", _or_dash(p.owner_name)),
            ("detail.branch", _or_dash(p.branch_name)),
            ("detail.team", _or_dash(p.team_name)),
            ("detail.source", label(f"channel.{p.source_channel}", loc)),
            ("detail.since", format_date(p.created_at.date(), loc)),
        ]
        self.profile_items = [{"label": label(k, loc), "value": v} for k, v in items]
        self.accounts = [{
            "id": str(a.id),
            "kind": label(f"account.{a.kind}", loc),
            "account_no": _or_dash(a.account_no),
            "balance": format_money(a.balance, a.currency, loc),
            "status": label(f"status.{a.status}", loc),
            "opened": format_date(a.opened_on, loc),
            "liability": "1" if a.is_liability else "",
        } for a in detail.accounts]
        self.holdings = [{
            "id": str(h.id),
            "product": h.product_name_en if loc == "en" and h.product_name_en else h.product_name,
            "code": h.product_code,
            "type": label(f"product.{h.product_type}", loc),
            "risk": h.risk_level,
            "quantity": format_number(h.quantity, loc),
            "market_value": format_money(h.market_value, h.currency, loc),
            "as_of": format_date(h.as_of, loc),
        } for h in detail.holdings]
        self.transactions = [{
            "id": str(t.id),
            "kind": label(f"tx.{t.kind}", loc),
            "amount": format_money(t.amount, t.currency, loc),
            "when": format_datetime(t.booked_at, loc),
            "channel": label(f"channel.{t.channel}", loc),
            "description": _or_dash(t.product_name or t.description),
        } for t in detail.recent_transactions]
        self.relationships = [{
            "kind": label(f"rel.{r.kind}", loc),
            "name": r.related_name,
            "href": f"/customers/{r.related_customer_id}" if r.related_customer_id is not None else "",
        } for r in detail.relationships]
        self.interactions = [{
            "id": str(i.id),
            "kind": label(f"interaction.{i.kind}", loc),
            "when": format_datetime(i.occurred_at, loc),
            "subject": i.subject,
            "notes": i.notes or "",
            "user": _or_dash(i.user_name),
        } for i in detail.interactions]

    def _load(self):
        try:
            actor = self._require_actor()
        except SessionInvalid:
            self._purge_all()
            return self._signed_out()
        loc = self._locale()
        # Never show the previous customer while (or instead of) loading this one.
        self._purge()
        self._mark_loaded(actor)
        customer_id = self._route_customer_id()
        if customer_id is None:
            self.page_error = label("error.invalid_id", loc)
            return None
        try:
            with unit_of_work() as uow:
                detail = customers.get_customer(uow=uow, actor=actor, customer_id=customer_id)
        except (NotPermitted, NotFound, ValidationFailed) as exc:
            self.page_error = exc.message(loc)
            return None
        except DomainError as exc:
            self.page_error = exc.message(loc)
            return None
        self._customer_id = customer_id
        self._show(detail, loc)
        self.found = True
        return None

    @rx.event
    def load(self):
        """on_load of /customers/[customer_id]: the id comes from the URL path and is validated."""
        return self._load()

    @rx.event
    def change_locale(self, locale: Any):
        """Language switch on this page: set the locale, then re-format the customer."""
        self._apply_locale(locale)
        return self._load()

    @rx.event
    def reveal(self, field: Any):
        """Show one masked field in full (id_number or phone); the service checks the role and audits it."""
        try:
            actor = self._require_actor()
        except SessionInvalid:
            self._purge_all()
            return self._signed_out()
        loc = self._locale()
        if field not in ("id_number", "phone") or not self.found or self._customer_id <= 0:
            self.reveal_error = translate("error.validation", loc)
            return None
        try:
            with unit_of_work() as uow:
                value = customers.reveal_field(uow=uow, actor=actor, customer_id=self._customer_id, field=field)
                uow.commit()  # the audit event of the reveal
        except DomainError as exc:
            self.reveal_error = exc.message(loc)
            return None
        self.reveal_error = ""
        if field == "id_number":
            self.id_number = _or_dash(value)
            self.can_reveal_id_number = False
        else:
            self.phone = _or_dash(value)
            self.can_reveal_phone = False
        return None
