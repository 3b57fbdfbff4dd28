"""Pieces of the customer 360 page: header, chart frames, lists, transactions, timeline, quick actions.

Phone first: everything is a card in one column at 390 px; the grid widens on desktop
(assets/fincrm.css, "customer 360"). Only display strings from CustomerState are rendered.
"""
from __future__ import annotations

import reflex as rx

from components.i18n import t
from components.icons import icon
from components.links import link
from components.modal import modal, modal_close, modal_form
from components import c360_work
from state.customer_work import CustomerWorkState
from state.customers import INTERACTION_KINDS, TASK_PRIORITIES, TICKET_CHANNELS, TICKET_KINDS, CustomerState

S = CustomerState

_PLOTLY_CONFIG = {"displayModeBar": False, "responsive": True, "displaylogo": False, "scrollZoom": False}


# ---------------------------------------------------------------- small helpers

def section(title_key: str, body: rx.Component, id_: str, *extra: rx.Component) -> rx.Component:
    return rx.el.section(
        rx.el.div(rx.el.h2(t(title_key), class_name="section-title"), *extra, class_name="section-head"),
        body, class_name="card", id=id_)


def empty_or(items: rx.Var, body: rx.Component) -> rx.Component:
    return rx.cond(items.length() > 0, body, rx.el.p(t("detail.none"), class_name="muted"))


def kv(label: rx.Var | str, value: rx.Component | rx.Var | str, **props) -> rx.Component:
    return rx.el.div(rx.el.dt(label), rx.el.dd(value, **props), class_name="kv")


def list_section(title_key: str, items: rx.Var, render, id_: str) -> rx.Component:
    return section(title_key, empty_or(items, rx.el.ul(rx.foreach(items, render), class_name="item-list")), id_)


def _stat(label_key: str, value: rx.Component | rx.Var, id_: str, sub: rx.Component | None = None,
          danger: rx.Var | bool = False) -> rx.Component:
    return rx.el.div(
        rx.el.div(t(label_key), class_name="stat-label"),
        rx.el.div(value, class_name=rx.cond(danger, "stat-value danger", "stat-value"), id=id_),
        sub if sub is not None else rx.fragment(),
        class_name="stat",
    )


# ---------------------------------------------------------------- header

def _tag(tag: rx.Var) -> rx.Component:
    """A tag, and under it on a tap why the customer has it (a native disclosure: keyboard and screen readers
    know it without script)."""
    return rx.el.details(
        rx.el.summary(
            tag["name"], class_name="tag-badge", title=tag["why"],
            id="tag-" + tag["code"], style={"color": tag["color"], "borderColor": tag["color"]},
        ),
        rx.el.div(
            rx.el.div(icon("info", size=14), t("c360.tag_why"), class_name="why-title"),
            rx.el.div(tag["version"], class_name="why-line"),
            rx.el.div(t("c360.tag_evidence"), class_name="why-label"),
            rx.el.div(tag["evidence"], class_name="why-line mono"),
            rx.el.div(tag["applied"], class_name="why-line muted"),
            class_name="why", id="why-" + tag["code"],
        ),
        class_name="tag-why",
    )


def customer_header() -> rx.Component:
    h = S.header
    return rx.el.section(
        rx.el.div(
            rx.el.h1(h["name"], class_name="customer-name", id="customer-name"),
            rx.el.div(
                rx.el.span(h["customer_no"], class_name="mono", id="customer-no"),
                rx.el.span(h["kind"], class_name="badge neutral"),
                rx.el.span(h["segment"], class_name="badge", id="customer-segment"),
                rx.el.span(h["status"], class_name="badge neutral", id="customer-status"),
                class_name="chips",
            ),
            rx.el.div(
                rx.cond(S.tags.length() > 0, rx.foreach(S.tags, _tag),
                        rx.el.span(t("c360.no_tags"), class_name="muted small")),
                class_name="tags", id="customer-tags", aria_label="Tags",
            ),
            c360_work.warnings(),
            class_name="header-main",
        ),
        rx.el.div(
            _stat("detail.aum", h["aum"], "customer-aum"),
            _stat("detail.liabilities", h["liabilities"], "customer-liabilities"),
            _stat("c360.risk_level", h["risk"], "customer-risk",
                  rx.el.div(h["risk_validity"], id="customer-risk-validity",
                            class_name=rx.cond(h["risk_expired"] != "", "stat-sub danger", "stat-sub")),
                  danger=h["risk_expired"] != ""),
            _stat("c360.kyc", h["kyc"], "customer-kyc", danger=CustomerWorkState.kyc_lapsed),
            _stat("c360.aml", h["aml"], "customer-aml",
                  rx.cond(h["aml_why"] != "", rx.el.div(h["aml_why"], id="customer-aml-why", class_name="stat-sub")),
                  danger=h["aml_high"] != ""),
            rx.cond(h["aml_work"] != "", _stat("c360.aml_work", h["aml_work"], "customer-aml-work",
                                               danger=h["aml_work_open"] != "")),
            _stat("c360.open_tickets", h["open_tickets"], "customer-open-tickets"),
            rx.cond(h["legal_rep"] != "", _stat("c360.legal_rep", h["legal_rep"], "customer-legal-rep")),
            class_name="stats c360-stats",
        ),
        class_name="card customer-header c360-header",
    )


# ---------------------------------------------------------------- charts

def chart_card(title_key: str, figure: rx.Var, has_data: rx.Var, id_: str) -> rx.Component:
    return rx.el.section(
        rx.el.h2(t(title_key), class_name="section-title"),
        rx.cond(
            has_data,
            rx.el.div(rx.plotly.basic(data=figure, config=_PLOTLY_CONFIG, use_resize_handler=True,
                                      style={"width": "100%", "height": "240px"}),
                      class_name="chart-frame"),
            rx.el.p(t("c360.chart_empty"), class_name="muted chart-empty"),
        ),
        class_name="card chart-card", id=id_,
    )


def overview() -> rx.Component:
    return rx.el.div(
        chart_card("c360.chart_holdings", S.holdings_chart, S.has_holdings_chart, "chart-holdings"),
        chart_card("c360.chart_aum", S.aum_chart, S.has_aum_chart, "chart-aum"),
        class_name="chart-grid", id="overview",
    )


# ---------------------------------------------------------------- profile, accounts, holdings

def _masked(label_key: str, value: rx.Var, can_reveal: rx.Var, field: str, id_: str) -> rx.Component:
    return kv(
        t(label_key),
        rx.el.span(
            rx.el.span(value, id=id_, class_name="mono"),
            rx.cond(can_reveal, rx.el.button(icon("eye", size=14), t("detail.reveal"), type="button",
                                             id=f"reveal-{field}", class_name="btn small",
                                             on_click=S.reveal(field))),
            class_name="masked",
            on_unmount=S.remask,  # leaving the customer masks a revealed value again (and a timer does)
        ),
    )


def profile() -> rx.Component:
    return section("detail.profile", rx.el.dl(
        _masked("detail.id_number", S.id_number, S.can_reveal_id_number, "id_number", "profile-id-number"),
        _masked("detail.phone", S.phone, S.can_reveal_phone, "phone", "profile-phone"),
        rx.foreach(S.profile_items, lambda item: kv(item["label"], item["value"])),
        class_name="kv-grid",
    ), "profile")


def custom_fields() -> rx.Component:
    return rx.cond(
        S.custom_items.length() > 0,
        section("c360.custom_fields", rx.el.dl(
            rx.foreach(S.custom_items, lambda item: kv(item["label"], item["value"])), class_name="kv-grid"),
            "custom-fields"),
    )


def account_item(a: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(rx.el.span(a["kind"], class_name="item-title"), rx.el.span(a["account_no"], class_name="mono muted")),
        rx.el.div(rx.el.span(a["balance"], class_name=rx.cond(a["liability"] != "", "amount neg", "amount")),
                  rx.el.span(a["status"] + " · " + a["opened"], class_name="muted small")),
        class_name="item",
    )


def holding_item(h: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(rx.el.span(h["product"], class_name="item-title"),
                  rx.el.span(h["code"] + " · " + h["type"] + " · " + h["risk"], class_name="muted small")),
        rx.el.div(rx.el.span(h["market_value"], class_name="amount"),
                  rx.el.span(h["quantity"] + " · " + h["as_of"], class_name="muted small")),
        class_name="item",
    )


# ---------------------------------------------------------------- transactions

def _kind_checkbox(k: rx.Var) -> rx.Component:
    return rx.el.label(
        rx.el.input(type="checkbox", name="kind_" + k["value"], id="tx-kind-" + k["value"],
                    default_checked=k["checked"] != "", key=k["value"] + k["checked"]),
        rx.el.span(k["label"]),
        class_name="check-chip",
    )


def _filter_form() -> rx.Component:
    return rx.el.details(
        rx.el.summary(icon("filter", size=14), t("c360.tx_filter"),
                      rx.cond(S.tx_filter_count > 0, rx.el.span(S.tx_filter_count, class_name="count-dot")),
                      id="tx-filter-toggle", class_name="filter-summary"),
        rx.form(
            rx.el.div(
                rx.el.label(rx.el.span(t("c360.tx_from"), class_name="field-label"),
                            rx.el.input(type="date", name="date_from", id="tx-date-from", class_name="field-input"),
                            class_name="field"),
                rx.el.label(rx.el.span(t("c360.tx_to"), class_name="field-label"),
                            rx.el.input(type="date", name="date_to", id="tx-date-to", class_name="field-input"),
                            class_name="field"),
                rx.el.label(rx.el.span(t("c360.tx_min"), class_name="field-label"),
                            rx.el.input(type="text", input_mode="decimal", name="min_amount", id="tx-min-amount",
                                        max_length=20, class_name="field-input", auto_complete="off"),
                            class_name="field"),
                rx.el.label(rx.el.span(t("c360.tx_max"), class_name="field-label"),
                            rx.el.input(type="text", input_mode="decimal", name="max_amount", id="tx-max-amount",
                                        max_length=20, class_name="field-input", auto_complete="off"),
                            class_name="field"),
                class_name="filter-grid",
            ),
            rx.el.fieldset(
                rx.el.legend(t("c360.tx_kinds"), class_name="field-label"),
                rx.foreach(S.tx_kinds, _kind_checkbox),
                class_name="check-chips",
            ),
            rx.el.div(
                rx.el.button(t("c360.tx_reset"), type="reset", id="tx-filter-reset", class_name="btn",
                             on_click=S.reset_transactions),
                rx.el.button(t("c360.tx_apply"), type="submit", id="tx-filter-apply", class_name="btn-primary"),
                class_name="form-actions",
            ),
            on_submit=S.filter_transactions,
            reset_on_submit=False,
            id="tx-filter-form",
            class_name="filter-form",
        ),
        class_name="filter",
    )


def _transaction_row(x: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(rx.el.span(x["kind"], class_name="item-title tx-kind"),
                  rx.el.span(x["description"], class_name="muted small")),
        rx.el.div(rx.el.span(x["amount"], class_name=rx.cond(x["negative"] != "", "amount neg", "amount")),
                  rx.el.span(x["when"] + " · " + x["channel"], class_name="muted small")),
        class_name="item tx-row", id="tx-" + x["id"],
    )


def transactions() -> rx.Component:
    return section(
        "c360.transactions",
        rx.el.div(
            _filter_form(),
            rx.cond(S.tx_error != "", rx.el.div(icon("circle-alert", size=16), rx.el.span(S.tx_error),
                                                 id="tx-error", role="alert", class_name="alert")),
            rx.cond(S.transactions.length() > 0,
                    rx.el.ul(rx.foreach(S.transactions, _transaction_row), class_name="item-list", id="tx-list"),
                    rx.el.p(t("c360.tx_empty"), class_name="muted", id="tx-empty")),
            rx.el.div(
                rx.el.button(icon("chevron-left", size=16), id="tx-prev", type="button", aria_label="Previous",
                             disabled=~S.tx_has_prev, on_click=S.transactions_prev, class_name="btn"),
                rx.el.span(S.tx_page_info, id="tx-page-info", class_name="page-info"),
                rx.el.button(icon("chevron-right", size=16), id="tx-next", type="button", aria_label="Next",
                             disabled=~S.tx_has_next, on_click=S.transactions_next, class_name="btn"),
                class_name="pager",
            ),
            class_name="stack",
        ),
        "transactions",
    )


# ---------------------------------------------------------------- household and relationships

def _member(m: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(
            rx.cond(m["href"] != "", link(m["name"], href=m["href"], class_name="item-title link"),
                    rx.el.span(m["name"], class_name="item-title")),
            rx.el.span(rx.cond(m["masked"] != "", m["masked"], m["relation"]), class_name="muted small"),
        ),
        rx.el.div(rx.el.span(m["aum"], class_name="amount"),
                  rx.cond(m["liabilities"] != "", rx.el.span(m["liabilities"], class_name="muted small"))),
        class_name=rx.cond(m["masked"] != "", "item member masked-member", "item member"),
    )


def _relationship(r: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(rx.cond(r["href"] != "",
                          link(r["name"], href=r["href"], class_name="item-title link"),
                          rx.el.span(r["name"], class_name="item-title")),
                  rx.el.span(r["kind"], class_name="muted small")),
        class_name="item",
    )


def household() -> rx.Component:
    return section(
        "c360.household",
        rx.el.div(
            rx.cond(
                S.household_members.length() > 0,
                rx.el.div(
                    rx.el.div(
                        rx.el.div(rx.el.div(t("c360.household_aum"), class_name="stat-label"),
                                  rx.el.div(S.household["aum"], class_name="stat-value", id="household-aum"),
                                  class_name="stat"),
                        rx.el.div(rx.el.div(t("c360.household_liabilities"), class_name="stat-label"),
                                  rx.el.div(S.household["liabilities"], class_name="stat-value",
                                            id="household-liabilities"), class_name="stat"),
                        class_name="stats",
                    ),
                    rx.el.div(S.household["name"], class_name="muted small"),
                    rx.cond(S.household["hidden"] != "",
                            rx.el.div(S.household["hidden"], class_name="muted small", id="household-hidden")),
                    rx.el.ul(rx.foreach(S.household_members, _member), class_name="item-list",
                             id="household-members"),
                    class_name="stack",
                ),
                rx.el.p(t("c360.no_household"), class_name="muted"),
            ),
            rx.cond(S.relationships.length() > 0,
                    rx.el.ul(rx.foreach(S.relationships, _relationship), class_name="item-list",
                             id="relationship-list")),
            class_name="stack",
        ),
        "household",
    )


# ---------------------------------------------------------------- timeline

def _timeline_icon(kind: rx.Var) -> rx.Component:
    return rx.match(
        kind,
        ("interaction", icon("message-circle", size=14)),
        ("large_transaction", icon("banknote", size=14)),
        ("ticket", icon("life-buoy", size=14)),
        ("event", icon("mouse-pointer-click", size=14)),
        ("tag_added", icon("tag", size=14)),
        ("tag_removed", icon("tag", size=14)),
        icon("circle", size=14),
    )


def _timeline_item(it: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.span(_timeline_icon(it["kind"]), class_name="tl-icon tl-" + it["kind"]),
        rx.el.div(
            rx.el.div(
                rx.el.span(it["title"], class_name="item-title tl-title"),
                rx.cond(it["amount"] != "", rx.el.span(it["amount"], class_name="amount")),
                class_name="tl-top",
            ),
            rx.el.div(
                rx.el.span(it["kind_label"], class_name="badge neutral"),
                rx.cond(it["subtype"] != "", rx.el.span(it["subtype"], class_name="badge")),
                rx.el.span(it["when"], class_name="muted small"),
                class_name="chips",
            ),
            rx.cond(it["detail"] != "", rx.el.div(it["detail"], class_name="muted small notes")),
            rx.cond(it["ref"] != "", _note_actions(it)),
            class_name="tl-body",
        ),
        class_name="tl-item", data_kind=it["kind"],
    )


def _note_actions(it: rx.Var) -> rx.Component:
    """An interaction's notes: "edited" once revised, its earlier versions, and Edit for who may revise them."""
    return rx.el.div(
        rx.cond(it["edited"] != "", rx.fragment(
            rx.el.span(t("c360.note_edited"), class_name="badge neutral", id="note-edited-" + it["ref"]),
            rx.el.button(icon("history", size=14), t("c360.note_versions"), type="button",
                         class_name="btn small", id="note-versions-" + it["ref"],
                         on_click=S.open_note_versions(it["ref"])))),
        rx.cond(S.can_revise_notes,
                rx.el.button(icon("pencil", size=14), t("c360.note_edit"), type="button",
                             class_name="btn small", id="note-edit-" + it["ref"],
                             on_click=S.open_note_edit(it["ref"]))),
        class_name="tl-note-actions",
    )


def timeline() -> rx.Component:
    return section(
        "c360.timeline",
        rx.el.div(
            empty_or(S.timeline, rx.el.ol(rx.foreach(S.timeline, _timeline_item), class_name="timeline",
                                          id="timeline-list")),
            rx.cond(S.timeline_has_more,
                    rx.el.button(t("c360.timeline_more"), type="button", id="timeline-more", class_name="btn wide",
                                 on_click=S.timeline_more)),
            class_name="stack",
        ),
        "timeline",
    )


# ---------------------------------------------------------------- ratings, tickets, documents

def _rating(r: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(rx.el.span(r["rating"], class_name="item-title rating"),
                  rx.el.span(r["source"], class_name="muted small")),
        rx.el.div(rx.el.span(r["rated_on"], class_name="small"),
                  rx.el.span(r["valid_until"], class_name="muted small")),
        class_name="item",
    )


def _ticket(tk: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(rx.el.span(tk["subject"], class_name="item-title"),
                  rx.el.span(tk["kind"] + " · " + tk["channel"] + " · " + tk["priority"], class_name="muted small")),
        rx.el.div(
            rx.el.span(tk["status"], class_name=rx.cond(tk["overdue"] != "", "badge danger", "badge neutral")),
            rx.el.span(rx.cond(tk["overdue"] != "", t("c360.overdue"), ""), " ", tk["sla"],
                       class_name=rx.cond(tk["overdue"] != "", "small danger", "muted small")),
        ),
        class_name="item", id="ticket-" + tk["id"],
    )


def _document(d: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(rx.el.span(icon("file-text", size=14), d["filename"], class_name="item-title doc-name"),
                  rx.el.span(d["kind"] + " · " + d["size"], class_name="muted small")),
        rx.el.div(rx.el.span(d["uploaded"], class_name="small"), rx.el.span(d["by"], class_name="muted small")),
        class_name="item",
    )


def _consent(c: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(rx.el.span(c["purpose"], class_name="item-title"),
                  rx.el.span(c["channel"], class_name="muted small")),
        rx.el.div(rx.el.span(c["status_label"], class_name="badge consent-" + c["status"]),
                  rx.el.span(c["when"], class_name="muted small")),
        class_name="item",
    )


def consents() -> rx.Component:
    return rx.cond(S.consents.length() > 0, list_section("consent.title", S.consents, _consent, "consent"))


def credit_ratings() -> rx.Component:
    return list_section("c360.credit", S.credit_ratings, _rating, "credit-ratings")


def tickets() -> rx.Component:
    return c360_work.tickets()  # with SLA time left, linked to each ticket's page


def documents() -> rx.Component:
    return list_section("c360.documents", S.documents, _document, "documents")


# ---------------------------------------------------------------- quick actions

def quick_actions() -> rx.Component:
    def _btn(name: str, glyph: str, key: str) -> rx.Component:
        return rx.el.button(icon(glyph, size=16), rx.el.span(t(key)), type="button", id=f"qa-{name}",
                            class_name="qa-btn", on_click=S.open_quick_action(name))

    return rx.el.div(
        _btn("log", "phone", "c360.qa_log"),
        _btn("task", "list-todo", "c360.qa_task"),
        _btn("ticket", "ticket", "c360.qa_ticket"),
        class_name="qa-bar", id="quick-actions", role="toolbar",
    )


def _field(label_key: str, control: rx.Component) -> rx.Component:
    return rx.el.label(rx.el.span(t(label_key), class_name="field-label"), control, class_name="field")


def _select(name: str, id_: str, options: tuple[str, ...], label_prefixes: tuple[str, ...],
            default: str | None = None) -> rx.Component:
    from state.i18n import LABELS

    def _key(value: str) -> str:
        return next((f"{p}.{value}" for p in label_prefixes if f"{p}.{value}" in LABELS), f"{label_prefixes[0]}.{value}")

    return rx.el.select(
        *[rx.el.option(t(_key(v)), value=v) for v in options],
        name=name, id=id_, default_value=default or options[0], class_name="field-input",
    )


def _text(name: str, id_: str, max_length: int, **props) -> rx.Component:
    return rx.el.input(type="text", name=name, id=id_, max_length=max_length, class_name="field-input",
                       auto_complete="off", **props)


def _area(name: str, id_: str) -> rx.Component:
    return rx.el.textarea(name=name, id=id_, max_length=4000, rows=3, class_name="field-input")


def _dialog(name: str, title_key: str, handler, *fields: rx.Component) -> rx.Component:
    return modal_form(t(title_key), *fields, id_prefix=f"qa-{name}", error=S.qa_error, on_submit=handler,
                      open=S.qa_dialog == name, on_open_change=S.quick_action_open_change,
                      cancel=t("c360.f.cancel"), save=t("c360.f.save"))


def _note_version(v: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(rx.el.span(v["title"], class_name="item-title"),
                  rx.el.span(v["by"] + " · " + v["when"], class_name="muted small")),
        rx.el.p(v["notes"], class_name="note-text"),
        class_name="note-version", id="note-version-" + v["revision"],
    )


def note_dialogs() -> rx.Component:
    """Edit an interaction's notes (the version check: on a conflict both versions, keep mine or keep theirs), and
    read every version of them."""
    conflict = S.note_conflict.length() > 0
    return rx.fragment(
        modal_form(
            t("c360.note_edit_title"),
            rx.cond(conflict, rx.el.div(
                rx.el.p(S.note_conflict["title"], class_name="field-label"),
                rx.el.p(S.note_conflict["notes"], class_name="note-text", id="note-conflict-theirs"),
                rx.el.button(t("c360.note_keep_theirs"), type="button", class_name="btn", id="note-keep-theirs",
                             on_click=S.keep_their_note),
                class_name="note-conflict", id="note-conflict")),
            rx.el.label(rx.el.span(rx.cond(conflict, t("c360.note_mine"), t("c360.f.notes")), class_name="field-label"),
                        rx.el.textarea(name="notes", id="note-edit-notes", max_length=4000, rows=6,
                                       default_value=S.note_text, class_name="field-input"),
                        class_name="field"),
            id_prefix="note-edit", error=S.note_error, on_submit=S.save_note, open=S.note_dialog == "edit",
            on_open_change=S.note_dialog_open_change, cancel=t("c360.f.cancel"),
            save=rx.cond(conflict, t("c360.note_keep_mine"), t("c360.f.save")),
        ),
        modal(
            t("c360.note_versions_title"),
            rx.el.ol(rx.foreach(S.note_versions, _note_version), class_name="note-versions", id="note-versions-list"),
            rx.el.div(modal_close(rx.el.button(t("c360.note_close"), type="button", class_name="btn",
                                               id="note-versions-close")), class_name="form-actions"),
            open=S.note_dialog == "versions", on_open_change=S.note_dialog_open_change, id="note-versions-dialog",
        ),
    )


def quick_action_dialogs() -> rx.Component:
    return rx.fragment(
        _dialog("log", "c360.qa_log", S.log_interaction,
                _field("c360.f.kind", _select("kind", "qa-log-kind", INTERACTION_KINDS, ("interaction",))),
                _field("c360.f.subject", _text("subject", "qa-log-subject", 200)),
                _field("c360.f.notes", _area("notes", "qa-log-notes")),
                _field("c360.f.occurred_at", rx.el.input(type="datetime-local", name="occurred_at", id="qa-log-when",
                                                         class_name="field-input")),
                c360_work.contact_basis_field()),
        _dialog("task", "c360.qa_task", S.add_task,
                _field("c360.f.title", _text("title", "qa-task-title", 200)),
                _field("c360.f.due_at", rx.el.input(type="datetime-local", name="due_at", id="qa-task-due",
                                                    class_name="field-input")),
                _field("c360.f.priority", _select("priority", "qa-task-priority", TASK_PRIORITIES,
                                                  ("c360.priority",), "normal"))),
        _dialog("ticket", "c360.qa_ticket", S.open_ticket,
                _field("c360.f.ticket_kind", _select("kind", "qa-ticket-kind", TICKET_KINDS, ("c360.ticket",))),
                c360_work.ticket_category_field(),
                c360_work.complaint_reason_field(),
                _field("c360.f.subject", _text("subject", "qa-ticket-subject", 200)),
                _field("c360.f.description", _area("description", "qa-ticket-description")),
                _field("c360.f.channel", _select("channel", "qa-ticket-channel", TICKET_CHANNELS,
                                                 ("channel", "c360.channel"), "branch")),
                _field("c360.f.priority", _select("priority", "qa-ticket-priority", TASK_PRIORITIES,
                                                  ("c360.priority",), "normal"))),
    )
