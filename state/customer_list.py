"""The customer list (/customers): its state.

Thin: every handler resolves the actor from the session cookie, validates its arguments, calls a service and turns
the (already masked) views into display strings in the user's locale. Only one page of rows is ever held in state.

What the list shows (search, filters, sort, page, saved view) lives in the URL: `load` (on_load, also after the
browser's back and forward buttons) reads it, and every change shows the new list and writes its URL into the
browser's history, so reload, back and a shared link all show the same list. Bulk actions run as background tasks:
a large one takes longer than a page event may hold the state.
"""
from __future__ import annotations

import asyncio
import json
import re
from typing import Any
from urllib.parse import urlencode

import reflex as rx
from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime

from services import clock
from services.customer_list import bulk, listing, saved_views
from services.customer_list.listing import DEFAULT_DIRECTION, MAX_SELECTION, SORTS
from services.customer_list.views import CustomerListPage, SavedViewView
from services.customers import custom_fields
from services.customers import reassign
from services.customers.export import MAX_ROWS as EXPORT_MAX_ROWS
from services.db import unit_of_work
from services.errors import DomainError, FieldError, ValidationFailed
from services.i18n import format_date, format_money, format_number, translate
from services.security.actor import Actor
from services.tags import manual as manual_tags
from services.validation.input import whole_number
from services.validation.json_input import load_json
from state import list_filters as lf
from state.i18n import label
from state.session import DataState

PAGE_SIZE = 20
MAX_QUERY = 100
MAX_PAGE = 10_000
MAX_URL_FILTERS = 8192
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
DASH = "—"
SORT_CHOICES = ("aum:desc", "aum:asc", "segment:desc", "risk:desc", "risk:asc", "risk_valid:asc", "kyc:asc",
                "last_contact:asc", "last_contact:desc", "next_task:asc")
BULK_ACTIONS = ("reassign", "tag")


def clean_query(value: Any) -> str | None:
    """A search query from the browser, or None when it is not an acceptable one."""
    if not isinstance(value, str) or len(value) > MAX_QUERY:
        return None
    return _CONTROL.sub("", value).strip()


def _or_dash(value: Any) -> str:
    return DASH if value in (None, "") else str(value)


def list_url(params: dict[str, Any], view_id: int | None = None) -> str:
    """/customers?... for these list parameters (defaults left out, so the plain list is plain /customers)."""
    query: dict[str, str] = {}
    if view_id:
        query["view"] = str(view_id)
    if params.get("q"):
        query["q"] = params["q"]
    if params.get("filters"):
        query["f"] = json.dumps(params["filters"], ensure_ascii=False, separators=(",", ":"))
    if params.get("sort"):
        query["sort"] = params["sort"]
        query["dir"] = params.get("dir") or "asc"
    if (params.get("page") or 1) > 1:
        query["page"] = str(params["page"])
    return "/customers" + ("?" + urlencode(query) if query else "")


def params_from_query(query: Any) -> tuple[dict[str, Any], int | None]:
    """The list parameters and the saved view's id a URL's query string names (ValidationFailed when they are
    not acceptable; the service checks them again)."""
    if not isinstance(query, dict):
        return {}, None
    out: dict[str, Any] = {}
    view = query.get("view")
    view_id = whole_number(view, low=1, high=2**31) if view not in (None, "") else None
    if view not in (None, "") and view_id is None:
        raise ValidationFailed([FieldError("view_id", "value.invalid")])
    if query.get("q"):
        q = clean_query(query["q"])
        if q is None:
            raise ValidationFailed([FieldError("q", "value.too_long", {"max": MAX_QUERY})])
        out["q"] = q
    raw = query.get("f")
    if raw:
        if not isinstance(raw, str) or len(raw) > MAX_URL_FILTERS:
            raise ValidationFailed([FieldError("filters", "value.too_long", {"max": MAX_URL_FILTERS})])
        out["filters"] = load_json(raw, field="filters", max_depth=4)
    if query.get("sort"):
        out["sort"] = query["sort"]
        out["dir"] = query.get("dir") or DEFAULT_DIRECTION.get(str(query["sort"]), "asc")
    if query.get("page"):
        page = whole_number(query["page"], low=1, high=MAX_PAGE + 1)
        if page is None:
            raise ValidationFailed([FieldError("page", "value.invalid")])
        out["page"] = page
    listing.parse_params(out)  # refused here, before anything is shown, if not acceptable
    return out, view_id


def short_date(value: Any, loc: str) -> str:
    """A date short enough for a list cell: 2027/4/30, Apr 30, 2027."""
    if value is None:
        return ""
    return babel_date(value, "short", locale="zh_Hans_CN") if loc != "en" else format_date(value, loc)


def short_time(value: Any, loc: str) -> str:
    """A time in the firm's zone, short: 2026/11/7 14:00, 11/7/26, 2:00 PM."""
    return babel_datetime(value, "short", tzinfo=clock.zone(), locale="en_US" if loc == "en" else "zh_Hans_CN")


def row_view(r: Any, loc: str, selected: bool) -> dict[str, str]:
    """One list row as display strings."""
    valid_until = short_date(r.risk_valid_until, loc)
    if r.risk_level is None:
        risk, risk_valid, risk_class = label("cl.not_assessed", loc), "", "muted"
    elif r.risk_expired:
        risk, risk_valid, risk_class = r.risk_level, label("cl.expired_on", loc, date=valid_until), "danger"
    else:
        risk, risk_valid, risk_class = r.risk_level, label("cl.valid_until", loc, date=valid_until), ""
    contact = r.last_contact_at
    return {
        "id": str(r.id),
        "name": r.name,
        "customer_no": r.customer_no,
        "phone": r.phone or "",
        "segment": label(f"segment.{r.segment}", loc),
        "aum": format_money(r.aum, "CNY", loc),
        "risk": risk,
        "risk_valid": risk_valid,
        "risk_class": risk_class,
        "kyc": label(f"c360.kyc.{r.kyc_status}", loc),
        "kyc_class": "danger" if r.kyc_status in ("expired", "rejected") else "",
        "last_contact": short_date(clock.local_date(contact), loc) if contact else label("cl.never", loc),
        "next_task": short_time(r.next_task_due_at, loc) if r.next_task_due_at else label("cl.no_task", loc),
        "owner": _or_dash(r.owner_name),
        "selected": "1" if selected else "",
    }


def _view_option(v: SavedViewView, loc: str) -> dict[str, str]:
    name = v.name if v.mine else label("cl.view.team_suffix", loc, name=v.name, owner=v.owner_name)
    return {"id": str(v.id), "label": name, "mine": "1" if v.mine else ""}


def _run_bulk(actor: Actor, action: str, selection: dict, argument: Any) -> Any:
    """A bulk action in its own unit of work (in a worker thread: it may take a while)."""
    with unit_of_work() as uow:
        if action == "reassign":
            result = bulk.bulk_reassign(uow=uow, actor=actor, selection=selection, owner_id=argument)
        else:
            result = bulk.bulk_tag(uow=uow, actor=actor, selection=selection, tag_code=argument)
        uow.commit()
    return result


class CustomersState(DataState):
    """/customers: search, filters, sort, one page of rows, saved views, selection and bulk actions."""

    query: str = ""
    page: int = 1
    sort: str = ""
    direction: str = "asc"
    sort_choice: str = ""  # "aum:desc" for the phone's sort select; "" for the default order
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
    # Saved views.
    views: list[dict[str, str]] = []  # {"id", "label", "mine"}
    current_view: str = ""  # the id of the view the list shows, "" for none
    current_view_mine: bool = False
    view_form_open: bool = False
    view_error: str = ""
    can_share: bool = False  # the actor has a team to share views with
    # Selection and bulk actions.
    selected_count: int = 0
    all_matching: bool = False  # everything the list matches is selected (not only ticked rows)
    matching_count: str = ""  # how many that is ("3,456"), "" while not known
    too_many: bool = False  # more than a bulk action may take
    page_selected: bool = False  # every row of this page is ticked
    selection_text: str = ""  # "3 selected", in the user's language
    bulk_open: str = ""  # "reassign" | "tag" | ""
    bulk_options: list[dict[str, str]] = []  # {"value", "label"}
    bulk_error: str = ""
    bulk_running: bool = False
    bulk_message: str = ""

    _filters: list[dict[str, Any]] = []  # as services.customers.filters takes them, already validated
    _specs: dict[str, Any] = {}  # field -> lf.FieldSpec, for the actor (visible custom fields only)
    _row_seq: int = 0
    _selected: list[int] = []  # ticked customer ids (across pages)
    _page_ids: list[int] = []
    _view_id: int = 0

    def _purge(self) -> None:
        self.query = ""
        self.page = 1
        self.sort = ""
        self.direction = "asc"
        self.sort_choice = ""
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
        self.views = []
        self.current_view = ""
        self.current_view_mine = False
        self.view_form_open = False
        self.view_error = ""
        self.can_share = False
        self._filters = []
        self._specs = {}
        self._row_seq = 0
        self._page_ids = []
        self._view_id = 0
        self._clear_selection()

    def _clear_selection(self) -> None:
        self._selected = []
        self.selected_count = 0
        self.all_matching = False
        self.matching_count = ""
        self.too_many = False
        self.page_selected = False
        self.selection_text = ""
        self.bulk_open = ""
        self.bulk_options = []
        self.bulk_error = ""
        self.bulk_message = ""

    # ---------------------------------------------------------------- the list's parameters and URL

    def _params(self, **changes: Any) -> dict[str, Any]:
        params = {"q": self.query, "filters": self._filters, "sort": self.sort or None,
                  "dir": self.direction, "page": self.page}
        params.update(changes)
        return params

    def _set_params(self, params: dict[str, Any]) -> None:
        self.query = params.get("q") or ""
        self._filters = list(params.get("filters") or [])
        self.sort = params.get("sort") or ""
        self.direction = params.get("dir") or "asc"
        self.page = params.get("page") or 1
        self.sort_choice = f"{self.sort}:{self.direction}" if self.sort else ""

    def _go(self, *, push: bool = True) -> Any:
        """Write the list's URL into the browser's history (the list itself is already shown)."""
        url = list_url(self._params(), self._view_id or None)
        method = "pushState" if push else "replaceState"
        return rx.call_script(f"window.history.{method}(null, '', {json.dumps(url)})")

    # ---------------------------------------------------------------- reading and showing

    def _fetch(self, actor: Actor, *, refresh_specs: bool = False) -> bool:
        """Load the current page for the current parameters; False (with the message shown) if refused."""
        loc = self._locale()
        if refresh_specs:
            self._specs = {}
        try:
            with unit_of_work(readonly=True) as uow:
                if not self._specs:
                    self._specs = lf.field_specs(custom_fields.list_definitions(uow=uow, actor=actor))
                result = listing.list_customers(uow=uow, actor=actor, params=self._params(), page_size=PAGE_SIZE)
        except DomainError as exc:
            self.rows = []
            self._page_ids = []
            self.has_prev = self.has_next = False
            self.page_info = ""
            self.export_params = ""
            self.list_error = lf.error_message(exc, loc)
            self.loaded = True
            self._show_filters(loc)
            self._mark_loaded(actor)
            return False
        self._show_page(result, loc, actor)
        self._mark_loaded(actor)
        return True

    def _show_filters(self, loc: str) -> None:
        """Labels of the panel, its rows and the chips, in the user's language."""
        self.filter_core_fields = lf.field_options(self._specs, loc, custom=False)
        self.filter_custom_fields = lf.field_options(self._specs, loc, custom=True)
        self.filter_rows = [lf.make_row(r.key, r.field, r.op, r.value, self._specs, loc) for r in self.filter_rows]
        self.filter_chips = [{"index": str(i), "text": lf.chip_text(f, self._specs, loc)}
                             for i, f in enumerate(self._filters)]

    def _show_page(self, result: CustomerListPage, loc: str, actor: Actor) -> None:
        pages = max(1, -(-result.total // PAGE_SIZE))
        chosen = set(self._selected)
        self._page_ids = [r.id for r in result.items]
        self.rows = [row_view(r, loc, self.all_matching or r.id in chosen) for r in result.items]
        self.page_selected = bool(self._page_ids) and (self.all_matching or chosen.issuperset(self._page_ids))
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
        self.export_params = lf.export_query(self.query, self._filters) if self._exportable(result, actor) else ""
        self._show_filters(loc)

    def _exportable(self, result: CustomerListPage, actor: Actor) -> bool:
        """Whether the export links may offer this list: something to export, and not more than an export takes
        (counted only when the list's own count stopped at its cap)."""
        if not result.total:
            return False
        if not result.total_is_capped:
            return True
        with unit_of_work(readonly=True) as uow:
            count = listing.count_selection(uow=uow, actor=actor, selection={
                "matching": {k: v for k, v in self._params().items() if k != "page"}})
        return count <= EXPORT_MAX_ROWS

    def _show_views(self, actor: Actor, uow: Any) -> None:
        loc = self._locale()
        found = saved_views.list_saved_views(uow=uow, actor=actor)
        self.views = [_view_option(v, loc) for v in found]
        self.can_share = actor.team_id is not None
        mine = {v.id for v in found if v.mine}
        self.current_view = str(self._view_id) if self._view_id else ""
        self.current_view_mine = self._view_id in mine

    def _apply_url(self, actor: Actor) -> None:
        """The list the URL asks for (a saved view's parameters when it names only a view)."""
        loc = self._locale()
        try:
            query = dict(self.router.url.query_parameters)
        except AttributeError:
            query = {}
        self._view_id = 0
        try:
            params, view_id = params_from_query(query)
            if view_id is not None:
                with unit_of_work(readonly=True) as uow:
                    view = saved_views.get_saved_view(uow=uow, actor=actor, view_id=view_id)
                self._view_id = view_id
                if not params:
                    params = dict(view.params)
        except DomainError as exc:
            self._set_params({})
            self.list_error = label("cl.bad_link", loc, error=lf.error_message(exc, loc)) \
                if isinstance(exc, ValidationFailed) else label("cl.view.unknown", loc)
            return
        self._set_params(params)
        self.filter_rows = []
        for f in self._filters:
            self._row_seq += 1
            field, op, value = lf.ui_row(f)
            self.filter_rows.append(lf.FilterRow(key=f"r{self._row_seq}", field=field, op=op, value=value))

    # ---------------------------------------------------------------- handlers: the list

    @rx.event
    def load(self):
        """on_load of /customers, and after back / forward: the list the URL asks for."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        self._clear_selection()  # a selection is of the list it was made in
        self._apply_url(actor)
        bad_link = self.list_error
        if self._fetch(actor, refresh_specs=True) and bad_link:
            self.list_error = bad_link
        try:
            with unit_of_work(readonly=True) as uow:
                self._show_views(actor, uow)
        except DomainError:
            self.views = []
        self.view_form_open = False
        self.bulk_open = ""
        return None

    def _change(self, *, push: bool = True, keep_selection: bool = True, **changes: Any):
        """Show the list with these parameters changed, and write its URL (a new entry unless `push` is off)."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        previous = self._params()
        self._set_params({**previous, **changes})
        if not keep_selection:
            self._clear_selection()
        if "q" in changes or "filters" in changes:
            self._view_id = 0
            self.current_view = ""
            self.current_view_mine = False
        if not self._fetch(actor):
            return None
        return self._go(push=push)

    @rx.event
    def search(self, form_data: Any):
        """Search form submitted (enter or the button): {"q": str}."""
        value = form_data.get("q") if isinstance(form_data, dict) else None
        return self._search(value, push=True)

    @rx.event
    def search_as_typed(self, value: Any):
        """Debounced input in the search box (one history entry per search, not per keystroke)."""
        return self._search(value, push=False)

    def _search(self, value: Any, *, push: bool):
        query = clean_query(value)
        if query is None:
            actor, stop = self._actor_or_redirect()
            if actor is None:
                return stop
            self.list_error = translate("error.validation", self._locale())
            return None
        return self._change(push=push, keep_selection=query == self.query, q=query, page=1)

    @rx.event
    def next_page(self):
        page = self.page + 1 if self.has_next and self.page < MAX_PAGE else self.page
        return self._change(page=page)

    @rx.event
    def prev_page(self):
        return self._change(page=max(1, self.page - 1))

    @rx.event
    def sort_by(self, key: Any):
        """A column header: sort by it (in the direction people look for first), or turn the order around."""
        if key not in SORTS:
            return self._change()
        if key == self.sort:
            return self._change(dir="asc" if self.direction == "desc" else "desc", page=1)
        return self._change(sort=key, dir=DEFAULT_DIRECTION[key], page=1)

    @rx.event
    def choose_sort(self, value: Any):
        """The phone's sort select: "aum:desc", ... or "" for the default order."""
        if value == "" or value is None:
            return self._change(sort=None, dir="asc", page=1)
        if value not in SORT_CHOICES:
            return self._change()
        key, direction = value.split(":")
        return self._change(sort=key, dir=direction, page=1)

    @rx.event
    def change_locale(self, locale: Any):
        """Language switch on this page: set the locale, then re-format the rows, filters and views."""
        self._apply_locale(locale)
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        self._fetch(actor)
        try:
            with unit_of_work(readonly=True) as uow:
                self._show_views(actor, uow)
        except DomainError:
            self.views = []
        return None

    # ---------------------------------------------------------------- handlers: the filters panel

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
        try:
            with unit_of_work(readonly=True) as uow:
                self._specs = lf.field_specs(custom_fields.list_definitions(uow=uow, actor=actor))
                filters = lf.build_filters(candidate, self._specs)
                # The service validates again (and is the authority on what the actor may filter on).
                listing.list_customers(uow=uow, actor=actor, params=self._params(filters=filters, page=1),
                                       page_size=1)
        except DomainError as exc:
            self.filter_error = lf.error_message(exc, loc)
            self._mark_loaded(actor)
            return None
        self.filter_rows = [lf.make_row(r.key, r.field, r.op, v if isinstance(v, str) else "", self._specs, loc)
                            for r, v in zip(self.filter_rows, values)]
        self.filter_error = ""
        self.filters_open = False
        return self._change(keep_selection=False, filters=filters, page=1)

    @rx.event
    def clear_filters(self):
        self.filter_rows = []
        self.filter_error = ""
        return self._change(keep_selection=False, filters=[], page=1)

    @rx.event
    def remove_filter(self, index: Any):
        """Remove one applied filter (its chip's ×)."""
        index = whole_number(index, low=0, high=len(self._filters))
        if index is None:
            return self._change()
        filters = self._filters[:index] + self._filters[index + 1:]
        self.filter_rows = []
        for f in filters:
            self._row_seq += 1
            field, op, value = lf.ui_row(f)
            self.filter_rows.append(lf.FilterRow(key=f"r{self._row_seq}", field=field, op=op, value=value))
        self.filter_error = ""
        return self._change(keep_selection=False, filters=filters, page=1)

    # ---------------------------------------------------------------- handlers: saved views

    @rx.event
    def choose_view(self, view_id: Any):
        """The views select: open a saved view (its own URL), or "" for all customers."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        if view_id in ("", None):
            self._view_id = 0
            self.current_view = ""
            self.current_view_mine = False
            self.filter_rows = []
            return self._change(keep_selection=False, q="", filters=[], sort=None, dir="asc", page=1)
        vid = whole_number(view_id, low=1, high=2**31)
        if vid is None or str(vid) not in {v["id"] for v in self.views}:
            self.view_error = label("cl.view.unknown", self._locale())
            return None
        return rx.redirect(f"/customers?view={vid}")

    @rx.event
    def toggle_view_form(self):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        self.view_form_open = not self.view_form_open
        self.view_error = ""
        return None

    @rx.event
    def save_view(self, form_data: Any):
        """{name, shared: "on"}: save what the list shows now (search, filters, sort) as a view."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        if not isinstance(form_data, dict):
            self.view_error = translate("error.validation", loc)
            return None
        name = form_data.get("name")
        data = {"name": name.strip() if isinstance(name, str) else name, "shared": form_data.get("shared") == "on",
                "params": {k: v for k, v in self._params().items() if k != "page"}}
        try:
            with unit_of_work() as uow:
                view = saved_views.save_view(uow=uow, actor=actor, data=data)
                uow.commit()
        except DomainError as exc:
            self.view_error = exc.message(loc)
            return None
        self.view_form_open = False
        self.view_error = ""
        self._view_id = view.id
        with unit_of_work(readonly=True) as uow:
            self._show_views(actor, uow)
        return [self._go(push=False), rx.toast.success(label("cl.view.saved", loc, name=view.name),
                                                       id="view-toast")]

    @rx.event
    def delete_view(self):
        """Delete the view the list shows (the actor's own)."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        if not self._view_id:
            return None
        try:
            with unit_of_work() as uow:
                saved_views.delete_view(uow=uow, actor=actor, view_id=self._view_id)
                uow.commit()
        except DomainError as exc:
            self.view_error = exc.message(loc)
            return None
        self._view_id = 0
        with unit_of_work(readonly=True) as uow:
            self._show_views(actor, uow)
        return [self._go(push=False), rx.toast.success(label("cl.view.deleted", loc), id="view-toast")]

    # ---------------------------------------------------------------- handlers: selection

    def _selection(self) -> dict[str, Any]:
        if self.all_matching:
            return {"matching": {k: v for k, v in self._params().items() if k != "page"}}
        return {"ids": list(self._selected)}

    def _show_selection(self) -> None:
        chosen = set(self._selected)
        loc = self._locale()
        if not self.all_matching:
            self.selected_count = len(chosen)
            self.selection_text = label("cl.selected", loc, count=format_number(self.selected_count, loc)) \
                if chosen else ""
        elif self.too_many:
            self.selection_text = label("cl.selected_too_many", loc, max=format_number(MAX_SELECTION, loc))
        else:
            self.selection_text = label("cl.selected_all", loc, count=self.matching_count)
        self.rows = [{**r, "selected": "1" if self.all_matching or int(r["id"]) in chosen else ""} for r in self.rows]
        self.page_selected = bool(self._page_ids) and (self.all_matching or chosen.issuperset(self._page_ids))
        self.bulk_error = ""
        self.bulk_message = ""

    @rx.event
    def toggle_row(self, customer_id: Any):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        cid = whole_number(customer_id, low=1, high=2**31)
        if cid is None or cid not in self._page_ids:
            return None  # only rows the page shows can be ticked
        if self.all_matching:  # unticking one of "all" leaves the page's others ticked by hand
            self.all_matching = False
            self.matching_count = ""
            self.too_many = False
            self._selected = list(self._page_ids)
        chosen = set(self._selected)
        chosen.symmetric_difference_update({cid})
        if len(chosen) > MAX_SELECTION:
            return None
        self._selected = sorted(chosen)
        self._show_selection()
        return None

    @rx.event
    def toggle_page(self):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        chosen = set(self._selected)
        if self.all_matching or chosen.issuperset(self._page_ids):
            self.all_matching = False
            self.matching_count = ""
            self.too_many = False
            chosen -= set(self._page_ids)
        else:
            chosen |= set(self._page_ids)
        self._selected = sorted(chosen)[:MAX_SELECTION]
        self._show_selection()
        return None

    @rx.event
    def select_all_matching(self):
        """Select everything the list matches (its search and filters), counted up to the bulk limit."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        try:
            with unit_of_work(readonly=True) as uow:
                count = listing.count_selection(uow=uow, actor=actor, selection={
                    "matching": {k: v for k, v in self._params().items() if k != "page"}})
        except DomainError as exc:
            self.bulk_error = lf.error_message(exc, loc)
            return None
        self.all_matching = True
        self._selected = []
        self.too_many = count > MAX_SELECTION
        self.matching_count = format_number(min(count, MAX_SELECTION), loc)
        self.selected_count = min(count, MAX_SELECTION)
        self._show_selection()
        return None

    @rx.event
    def clear_selection(self):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        self._clear_selection()
        self._show_selection()
        return None

    # ---------------------------------------------------------------- handlers: bulk actions

    @rx.event
    def open_bulk(self, action: Any):
        """Open the reassign or tag form with the choices the actor has."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        if action not in BULK_ACTIONS or (not self.selected_count and not self.all_matching):
            self.bulk_open = ""
            return None
        try:
            with unit_of_work(readonly=True) as uow:
                if action == "reassign":
                    options = [{"value": str(o.id), "label": o.name + (f" · {(o.team_en if loc == 'en' else o.team)}"
                                                                       if o.team else "")}
                               for o in reassign.assignable_owners(uow=uow, actor=actor)]
                else:
                    options = [{"value": t.code, "label": t.name_en if loc == "en" else t.name}
                               for t in manual_tags.manual_tags(uow=uow, actor=actor)]
        except DomainError as exc:
            self.bulk_error = exc.message(loc)
            return None
        self.bulk_open = action
        self.bulk_options = options
        self.bulk_error = "" if options else label("cl.bulk.no_rms" if action == "reassign" else "cl.bulk.no_tags",
                                                   loc)
        self.bulk_message = ""
        return None

    @rx.event
    def close_bulk(self):
        self.bulk_open = ""
        self.bulk_error = ""
        return None

    @rx.event(background=True)
    async def run_bulk(self, form_data: Any):
        """The open bulk form submitted: {"choice": owner id or tag code}. Runs in a worker thread, all or nothing;
        the list then shows the result."""
        async with self:
            actor, stop = self._actor_or_redirect()
            if actor is None:
                return stop
            loc = self._locale()
            action = self.bulk_open
            choice = form_data.get("choice") if isinstance(form_data, dict) else None
            if action not in BULK_ACTIONS or not isinstance(choice, str) or choice not in {
                    o["value"] for o in self.bulk_options} or self.bulk_running:
                self.bulk_error = translate("error.validation", loc)
                return None
            argument: Any = int(choice) if action == "reassign" else choice
            chosen_label = next(o["label"] for o in self.bulk_options if o["value"] == choice)
            selection = self._selection()
            self.bulk_running = True
            self.bulk_error = ""
            self.bulk_message = ""
        try:
            result = await asyncio.to_thread(_run_bulk, actor, action, selection, argument)
        except DomainError as exc:
            async with self:
                self.bulk_running = False
                self.bulk_message = ""
                self.bulk_error = lf.error_message(exc, loc)
            return None
        async with self:
            self.bulk_running = False
            self.bulk_open = ""
            key = "cl.bulk.reassigned" if action == "reassign" else "cl.bulk.tagged"
            message = label(key, loc, changed=format_number(result.changed, loc),
                            selected=format_number(result.selected, loc), owner=chosen_label, tag=chosen_label)
            self._clear_selection()
            self.bulk_message = message
        return [CustomersState.refresh, rx.toast.success(message, id="bulk-toast")]

    @rx.event
    def refresh(self):
        """Show the current page again (after a bulk action)."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        message = self.bulk_message
        self._fetch(actor)
        self.bulk_message = message
        return None

    @rx.event
    def export_selected(self, fmt: Any):
        """Download the selected customers as CSV or XLSX (masked for the actor, audited per customer)."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        if fmt not in ("csv", "xlsx") or (not self.selected_count and not self.all_matching):
            self.bulk_error = translate("error.validation", loc)
            return None
        try:
            with unit_of_work() as uow:
                out = bulk.bulk_export(uow=uow, actor=actor, selection=self._selection(), fmt=fmt, locale=loc)
                uow.commit()  # the audit events of the export
        except DomainError as exc:
            self.bulk_error = lf.error_message(exc, loc)
            return None
        self.bulk_error = ""
        return rx.download(data=out.data, filename=out.filename)
