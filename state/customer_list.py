"""The customer list (/customers): its state.

Thin: every handler resolves the actor from the session cookie, validates its arguments, calls a service and
turns the (already masked) views into display strings in the user's locale. Only one page of rows is ever held
in state.
"""
from __future__ import annotations

import re
from typing import Any

import reflex as rx

from services.customers import custom_fields
from services.customers import service as customers
from services.customers.views import CustomerPage
from services.db import unit_of_work
from services.errors import DomainError
from services.i18n import format_number, translate
from services.validation.input import whole_number
from state import list_filters as lf
from state.i18n import label
from state.session import DataState

PAGE_SIZE = 20
MAX_QUERY = 100
MAX_PAGE = 10_000
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
    """/customers: search, list filters, one page of results, and links that export the same search."""

    query: str = ""
    page: int = 1
    rows: list[dict[str, str]] = []
    page_info: str = ""
    has_prev: bool = False
    has_next: bool = False
    list_error: str = ""
    loaded: bool = False
    # The filters panel (display data; the applied filters themselves stay in `_filters`).
    filters_open: bool = False
    filter_core_fields: list[lf.FilterOption] = []
    filter_custom_fields: list[lf.FilterOption] = []
    filter_rows: list[lf.FilterRow] = []
    filter_chips: list[dict[str, str]] = []  # {"index", "text"}
    filter_error: str = ""
    export_params: str = ""  # query string of /exports/customers.{csv,xlsx}; "" when there is nothing to export
    _filters: list[dict[str, Any]] = []  # as services.customers.filters takes them, already validated
    _specs: dict[str, Any] = {}  # field -> lf.FieldSpec, for the actor (visible custom fields only)
    _row_seq: int = 0

    def _purge(self) -> None:
        self.query = ""
        self.page = 1
        self.rows = []
        self.page_info = ""
        self.has_prev = False
        self.has_next = False
        self.list_error = ""
        self.loaded = False
        self.filters_open = False
        self.filter_core_fields = []
        self.filter_custom_fields = []
        self.filter_rows = []
        self.filter_chips = []
        self.filter_error = ""
        self.export_params = ""
        self._filters = []
        self._specs = {}
        self._row_seq = 0

    def _search_page(self, uow: Any, actor: Any, filters: list[dict[str, Any]]) -> CustomerPage:
        if not self._specs:
            self._specs = lf.field_specs(custom_fields.list_definitions(uow=uow, actor=actor))
        return customers.search_customers(uow=uow, actor=actor, query=self.query, page=self.page,
                                          page_size=PAGE_SIZE, filters=filters or None)

    def _show_filters(self, loc: str) -> None:
        """Labels of the panel, its rows and the chips, in the user's language."""
        self.filter_core_fields = lf.field_options(self._specs, loc, custom=False)
        self.filter_custom_fields = lf.field_options(self._specs, loc, custom=True)
        self.filter_rows = [lf.make_row(r.key, r.field, r.op, r.value, self._specs, loc) for r in self.filter_rows]
        self.filter_chips = [{"index": str(i), "text": lf.chip_text(f, self._specs, loc)}
                             for i, f in enumerate(self._filters)]

    def _fetch(self, *, refresh_specs: bool = False):
        """Load the current page for the current query and filters; returns a redirect when signed out."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        if refresh_specs:
            self._specs = {}
        try:
            with unit_of_work(readonly=True) as uow:
                result = self._search_page(uow, actor, self._filters)
        except DomainError as exc:
            self.rows = []
            self.has_prev = self.has_next = False
            self.page_info = ""
            self.export_params = ""
            self.list_error = lf.error_message(exc, loc)
            self.loaded = True
            self._show_filters(loc)
            self._mark_loaded(actor)
            return None
        self._show_page(result, loc)
        self._mark_loaded(actor)
        return None

    def _show_page(self, result: CustomerPage, loc: str) -> None:
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
        self.export_params = lf.export_query(self.query, self._filters) if result.total else ""
        self._show_filters(loc)

    @rx.event
    def load(self):
        """on_load of /customers (the custom fields the actor may filter on are read afresh)."""
        return self._fetch(refresh_specs=True)

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
            actor, stop = self._actor_or_redirect()
            if actor is None:
                return stop
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
        """Language switch on this page: set the locale, then re-format the rows and the filters."""
        self._apply_locale(locale)
        return self._fetch()

    # ---------------------------------------------------------------- filters panel

    def _row_index(self, key: Any) -> int | None:
        if not isinstance(key, str):
            return None
        for i, r in enumerate(self.filter_rows):
            if r.key == key:
                return i
        return None

    def _new_row(self, loc: str) -> bool:
        if len(self.filter_rows) >= lf.MAX_ROWS:
            self.filter_error = label("lf.too_many", loc, max=lf.MAX_ROWS)
            return False
        self._row_seq += 1
        first = next(iter(self._specs), "")
        self.filter_rows = self.filter_rows + [lf.make_row(f"r{self._row_seq}", first, "", "", self._specs, loc)]
        return True

    @rx.event
    def toggle_filters(self):
        """Open or close the panel; an empty panel opens with one condition row."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        self.filters_open = not self.filters_open
        if self.filters_open and not self.filter_rows:
            self._new_row(self._locale())
        return None

    @rx.event
    def add_filter_row(self):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        if self._new_row(self._locale()):
            self.filter_error = ""
        return None

    @rx.event
    def remove_filter_row(self, key: Any):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        index = self._row_index(key)
        if index is not None:
            self.filter_rows = self.filter_rows[:index] + self.filter_rows[index + 1:]
            self.filter_error = ""
        return None

    @rx.event
    def set_filter_field(self, key: Any, field: Any):
        """A row's field select changed: offer that field's operators and values, clear the value."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        index = self._row_index(key)
        if index is None or not isinstance(field, str) or field not in self._specs:
            self.filter_error = translate("error.validation", self._locale())
            return None
        rows = list(self.filter_rows)
        rows[index] = lf.make_row(rows[index].key, field, "", "", self._specs, self._locale())
        self.filter_rows = rows
        return None

    @rx.event
    def set_filter_op(self, key: Any, op: Any):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        index = self._row_index(key)
        spec = self._specs.get(self.filter_rows[index].field) if index is not None else None
        if spec is None or op not in spec.ops:
            self.filter_error = translate("error.validation", self._locale())
            return None
        rows = list(self.filter_rows)
        r = rows[index]
        rows[index] = lf.make_row(r.key, r.field, op, r.value, self._specs, self._locale())
        self.filter_rows = rows
        return None

    @rx.event
    def apply_filters(self, form_data: Any):
        """The panel's form: {"value-<row key>": str, ...}; fields and operators are the rows' own."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        if not isinstance(form_data, dict) or len(form_data) > 4 * lf.MAX_ROWS:
            self.filter_error = translate("error.validation", loc)
            return None
        values = [form_data.get(f"value-{r.key}", "") for r in self.filter_rows]
        candidate = [{"field": r.field, "op": r.op, "value": v} for r, v in zip(self.filter_rows, values)]
        previous_page, self.page = self.page, 1
        try:
            with unit_of_work(readonly=True) as uow:
                self._specs = lf.field_specs(custom_fields.list_definitions(uow=uow, actor=actor))
                filters = lf.build_filters(candidate, self._specs)
                result = self._search_page(uow, actor, filters)  # the service validates again
        except DomainError as exc:
            self.page = previous_page
            self.filter_error = lf.error_message(exc, loc)
            self._mark_loaded(actor)
            return None
        self.filter_rows = [lf.make_row(r.key, r.field, r.op, v if isinstance(v, str) else "", self._specs, loc)
                            for r, v in zip(self.filter_rows, values)]
        self._filters = filters
        self.filter_error = ""
        self.filters_open = False
        self._show_page(result, loc)
        self._mark_loaded(actor)
        return None

    @rx.event
    def clear_filters(self):
        self.filter_rows = []
        self._filters = []
        self.filter_error = ""
        self.page = 1
        return self._fetch()

    @rx.event
    def remove_filter(self, index: Any):
        """Remove one applied filter (its chip's ×)."""
        index = whole_number(index, low=0, high=len(self._filters))
        if index is not None:
            self._filters = self._filters[:index] + self._filters[index + 1:]
            self.filter_rows = []
            for f in self._filters:
                self._row_seq += 1
                field, op, value = lf.ui_row(f)
                self.filter_rows.append(lf.FilterRow(key=f"r{self._row_seq}", field=field, op=op, value=value))
            self.filter_error = ""
            self.page = 1
        return self._fetch()
