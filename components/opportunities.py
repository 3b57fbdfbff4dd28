"""The 360 page's pipeline card: the customer's opportunities and next-best-actions (state/opportunities.py)."""
from __future__ import annotations

import reflex as rx

from components.i18n import t
from state.opportunities import PRODUCT_TYPES, STAGES, OpportunitiesState as S
from state.permissions import P, holds


def _field(label_key: str, control: rx.Component) -> rx.Component:
    return rx.el.label(rx.el.span(t(label_key), class_name="field-label"), control, class_name="field")


def _new_form() -> rx.Component:
    return rx.el.form(
        _field("opp.subject", rx.el.input(name="subject", id="opp-subject", max_length=200, required=True,
                                          class_name="field-input")),
        rx.el.div(
            _field("opp.product_type", rx.el.select(
                rx.el.option(t("opp.undecided"), value=""),
                *[rx.el.option(t(f"product.{p}"), value=p) for p in PRODUCT_TYPES],
                name="product_type", id="opp-product-type", class_name="field-input", default_value="")),
            _field("opp.amount", rx.el.input(name="amount", id="opp-amount", input_mode="decimal", required=True,
                                             class_name="field-input")),
            class_name="opp-row"),
        rx.el.div(
            _field("opp.expected_close", rx.el.input(type="date", name="expected_close", id="opp-expected",
                                                     class_name="field-input")),
            _field("opp.stage", rx.el.select(*[rx.el.option(t(f"dash.stage.{s}"), value=s) for s in STAGES],
                                             name="stage", id="opp-stage", class_name="field-input",
                                             default_value="lead")),
            class_name="opp-row"),
        rx.el.button(t("opp.save"), type="submit", id="opp-save", class_name="btn-primary"),
        on_submit=S.create, reset_on_submit=False, class_name="opp-form", id="opp-form",
    )


def _close_form() -> rx.Component:
    return rx.el.form(
        _field("opp.close_reason", rx.el.select(
            rx.el.option(t("opp.choose"), value=""),
            rx.foreach(S.reasons, lambda r: rx.el.option(r["label"], value=r["value"])),
            name="close_reason", id="opp-close-reason", class_name="field-input", default_value="")),
        _field("opp.close_note", rx.el.input(name="close_note", id="opp-close-note", max_length=500,
                                             class_name="field-input")),
        rx.el.div(
            rx.el.button(rx.cond(S.closing_outcome == "won", t("opp.confirm_won"), t("opp.confirm_lost")),
                         type="submit", id="opp-close-confirm", class_name="btn-primary"),
            rx.el.button(t("opp.cancel"), type="button", on_click=S.cancel_close, class_name="btn",
                         id="opp-close-cancel"),
            class_name="opp-buttons"),
        on_submit=S.close, class_name="opp-form", id="opp-close-form",
    )


def _edit_form() -> rx.Component:
    v = S.edit_values
    return rx.el.form(
        rx.el.h3(t("opp.edit_title"), class_name="opp-sub"),
        rx.cond(S.edit_error != "", rx.el.div(S.edit_error, class_name="alert", role="alert", id="opp-edit-error")),
        _field("opp.subject", rx.el.input(name="subject", id="opp-edit-subject", max_length=200, required=True,
                                          default_value=v["subject"], class_name="field-input")),
        rx.el.div(
            _field("opp.product_type", rx.el.select(
                rx.el.option(t("opp.undecided"), value=""),
                *[rx.el.option(t(f"product.{p}"), value=p) for p in PRODUCT_TYPES],
                name="product_type", id="opp-edit-product-type", class_name="field-input",
                default_value=v["product_type"])),
            _field("opp.amount", rx.el.input(name="amount", id="opp-edit-amount", input_mode="decimal", required=True,
                                             default_value=v["amount"], class_name="field-input")),
            class_name="opp-row"),
        rx.el.div(
            _field("opp.expected_close", rx.el.input(type="date", name="expected_close", id="opp-edit-expected",
                                                     default_value=v["expected_close"], class_name="field-input")),
            _field("opp.product_code", rx.el.input(name="product_code", id="opp-edit-product-code", max_length=32,
                                                   default_value=v["product_code"], placeholder=t("opp.product_code_hint"),
                                                   class_name="field-input")),
            class_name="opp-row"),
        rx.el.div(
            rx.el.button(t("opp.save_edit"), type="submit", id="opp-edit-save", class_name="btn-primary"),
            rx.el.button(t("opp.cancel"), type="button", on_click=S.cancel_edit, class_name="btn",
                         id="opp-edit-cancel"),
            class_name="opp-buttons"),
        # A new key after a conflict or a refusal: the inputs are made again from the values the server sent.
        key=S.edit_key.to(str), on_submit=S.save_edit, reset_on_submit=False, class_name="opp-form", id="opp-edit-form",
    )


def _opportunity(o: rx.Var) -> rx.Component:
    writable = holds(P.OPPORTUNITY_WRITE)
    return rx.el.li(
        rx.el.div(
            rx.el.div(rx.el.span(o["stage_label"], class_name="badge"), rx.el.span(o["title"], class_name="item-title"),
                      class_name="opp-head"),
            rx.el.div(o["type"], " ", rx.el.span(o["amount"], class_name="amount"), class_name="small"),
            rx.cond(o["detail"] != "", rx.el.div(o["detail"], class_name="muted small")),
            rx.cond(writable & ~o["closed"].to(bool), rx.el.div(
                rx.foreach(o["moves"].to(list[dict[str, str]]), lambda m: rx.el.button(
                    m["label"], type="button", on_click=S.move(o["id"], m["stage"]), class_name="btn small",
                    id="opp-move-" + o["id"].to(str) + "-" + m["stage"].to(str))),
                rx.el.button(t("opp.edit"), type="button", on_click=S.start_edit(o["id"]), class_name="btn small",
                             id="opp-modify-" + o["id"].to(str)),
                rx.el.button(t("opp.win"), type="button", on_click=S.start_close(o["id"], "won"), class_name="btn small",
                             id="opp-win-" + o["id"].to(str)),
                rx.el.button(t("opp.lose"), type="button", on_click=S.start_close(o["id"], "lost"),
                             class_name="btn small", id="opp-lose-" + o["id"].to(str)),
                class_name="opp-buttons")),
            rx.cond(S.closing == o["id"].to(str), _close_form()),
            rx.cond(S.editing == o["id"].to(str), _edit_form()),
            class_name="item-main"),
        class_name="item", id="opp-" + o["id"].to(str),
    )


def _suggestion(a: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(rx.el.div(rx.el.span(a["kind"], class_name="badge"), class_name="opp-head"),
                  rx.el.div(a["reason"], class_name="small"),
                  rx.cond(a["due"] != "", rx.el.div(a["due"], class_name="muted small")), class_name="item-main"),
        rx.cond(holds(P.OPPORTUNITY_WRITE), rx.el.div(
            rx.el.button(t("dash.nba_mark_done"), type="button", on_click=S.suggestion_done(a["id"]),
                         class_name="btn small", id="sugg-done-" + a["id"].to(str)),
            rx.el.button(t("dash.nba_dismiss"), type="button", on_click=S.suggestion_dismiss(a["id"]),
                         class_name="btn small", id="sugg-dismiss-" + a["id"].to(str)),
            class_name="opp-buttons")),
        class_name="item", id="sugg-" + a["id"].to(str),
    )


def opportunities_card() -> rx.Component:
    return rx.el.section(
        rx.el.div(
            rx.el.h2(t("opp.title"), class_name="section-title"),
            rx.cond(holds(P.OPPORTUNITY_WRITE), rx.el.button(
                rx.cond(S.form_open, t("opp.cancel"), t("opp.new")), type="button", on_click=S.toggle_form,
                class_name="btn small", id="opp-new")),
            class_name="opp-card-head"),
        rx.cond(S.error != "", rx.el.div(S.error, class_name="alert", role="alert", id="opp-error")),
        rx.cond(S.form_open, _new_form()),
        rx.cond(S.suggestions.length() > 0, rx.el.div(
            rx.el.h3(t("dash.nba_title"), class_name="opp-sub"),
            rx.el.ul(rx.foreach(S.suggestions, _suggestion), class_name="item-list", id="suggestions"))),
        rx.cond(S.rows.length() > 0,
                rx.el.ul(rx.foreach(S.rows, _opportunity), class_name="item-list", id="opportunities"),
                rx.el.p(t("opp.empty"), class_name="muted small")),
        class_name="card", id="pipeline",
    )
