"""Sales for staff: /sales (the lists and compliance's queues), /sales/new (product, amount, the suitability
check first), /sales/<id> (the steps, the customer's signature on this device, the recording, the reviews)."""
from __future__ import annotations

import reflex as rx

from components.i18n import t
from components.icons import icon
from components.links import link
from components.recording_upload import recording_upload
from components.signature_pad import signature_pad
from components.suitability import by_lang
from fincrm_app.pages.registry import Menu, page
from services.security.policy import Permission as P
from state.sales import NewSaleState, SaleState, SalesListState
from state.session import AppState


def _alert(message: rx.Var, id_: str) -> rx.Component:
    return rx.cond(message != "", rx.el.div(icon("circle-alert", size=16), rx.el.span(message), role="alert",
                                            class_name="alert", id=id_))


# ---------------------------------------------------------------- /sales

def _sale_row(row: rx.Var) -> rx.Component:
    return link(
        rx.el.div(
            rx.el.div(row["customer"], " · ", by_lang(row["product"], row["product_en"]), class_name="suit-sale-product"),
            rx.el.div(rx.el.span(row["risk"], class_name="badge neutral"),
                      rx.el.span(by_lang(row["amount"], row["amount_en"]), class_name="mono"),
                      rx.el.span(by_lang(row["created_zh"], row["created_en"]), class_name="muted small"),
                      class_name="suit-sale-meta")),
        rx.el.span(by_lang(row["status_zh"], row["status_en"]), class_name="badge suit-status-" + row["status"]),
        href="/sales/" + row["id"], class_name="suit-sale", id="sale-row-" + row["id"])


def _queue_button(queue: str) -> rx.Component:
    return rx.el.button(t(f"sale.queue.{queue}"), type="button", id=f"queue-{queue}",
                        class_name=rx.cond(SalesListState.queue == queue, "lang-btn active", "lang-btn"),
                        on_click=SalesListState.show(queue))


@page(route="/sales", title="title.sales", permission=(P.SALE_PROPOSE, P.SALE_REVIEW),
      menu=Menu("handshake", "nav.sales", order=31), on_load=SalesListState.load)
def sales_page() -> rx.Component:
    return rx.el.div(
        rx.el.h1(t("sale.list_title"), class_name="page-title"),
        rx.cond(SalesListState.reminders.length() > 0, rx.el.section(
            rx.el.h3(icon("bell", size=16), t("sale.reminders"), class_name="section-title"),
            rx.el.ul(rx.foreach(SalesListState.reminders, lambda r: rx.el.li(
                link(r["name"], href=r["href"]), " · ", by_lang(r["zh"], r["en"]))),
                class_name="suit-list", id="reminders"),
            class_name="card")),
        rx.el.div(_queue_button("all"),
                  rx.cond(SalesListState.can_review, rx.fragment(_queue_button("review"), _queue_button("recordings"))),
                  class_name="lang-switch suit-queues"),
        _alert(SalesListState.list_error, "sales-error"),
        rx.cond(SalesListState.rows.length() > 0,
                rx.el.div(rx.foreach(SalesListState.rows, _sale_row), class_name="suit-sales card"),
                rx.el.p(t("sale.none"), class_name="empty card")),
        class_name="page")


# ---------------------------------------------------------------- /sales/new

def _product_option(p: rx.Var) -> rx.Component:
    return rx.el.option(by_lang(p["label"], p["label_en"]), value=p["code"])


@page(route="/sales/new", title="sale.new_title", permission=P.SALE_PROPOSE, on_load=NewSaleState.load)
def new_sale_page() -> rx.Component:
    S = NewSaleState
    return rx.el.div(
        rx.el.h1(t("sale.new_title"), class_name="page-title"),
        _alert(S.page_error, "new-sale-error"),
        rx.cond(S.customer_id > 0, rx.form(
            rx.el.div(rx.el.span(t("sale.customer"), class_name="field-label"),
                      link(S.customer_name, href="/customers/" + S.customer_id.to(str), id="new-sale-customer")),
            rx.el.label(rx.el.span(t("sale.product"), class_name="field-label"),
                        rx.el.select(rx.el.option(t("sale.choose_product"), value=""),
                                     rx.foreach(S.products, _product_option), name="product", id="new-sale-product",
                                     class_name="field-input", on_change=S.choose_product),
                        class_name="field"),
            rx.cond(S.check.length() > 0, rx.el.div(
                rx.el.div(t("sale.check"), ": ", rx.el.strong(by_lang(S.check["verdict_zh"], S.check["verdict_en"])),
                          id="new-sale-verdict"),
                rx.el.p(by_lang(S.check["zh"], S.check["en"]), class_name="small"),
                rx.cond(S.steps.length() > 0, rx.el.p(t("sale.steps_added"), ": ",
                                                      rx.foreach(S.steps, lambda x: rx.el.span(by_lang(x["zh"], x["en"]),
                                                                                               class_name="badge")),
                                                      class_name="small")),
                class_name="suit-check suit-verdict-" + S.check["verdict"])),
            rx.el.label(rx.el.span(t("sale.amount"), class_name="field-label"),
                        rx.el.input(name="amount", id="new-sale-amount", class_name="field-input", input_mode="decimal",
                                    required=True, placeholder="100000.00", max_length=20), class_name="field"),
            rx.el.label(rx.el.span(t("sale.language"), class_name="field-label"),
                        rx.el.select(rx.el.option("中文", value="zh_CN"), rx.el.option("English", value="en"),
                                     name="locale", id="new-sale-locale", class_name="field-input"),
                        class_name="field"),
            _alert(S.form_error, "new-sale-form-error"),
            rx.el.button(t("sale.propose"), type="submit", class_name="btn-primary wide", id="new-sale-submit",
                         disabled=S.check["verdict"] == "refused"),
            on_submit=S.propose, class_name="card suit-form")),
        class_name="page")


# ---------------------------------------------------------------- /sales/<id>

def _step(row: rx.Var) -> rx.Component:
    return rx.el.li(rx.el.span(class_name="suit-step-dot"), by_lang(row["label_zh"], row["label_en"]),
                    class_name="suit-step suit-step-" + row["state"])


def _check(c: rx.Var) -> rx.Component:
    return rx.el.li(rx.el.span(by_lang(c["verdict_zh"], c["verdict_en"]), class_name="badge neutral"), " ",
                    by_lang(c["at_zh"], c["at_en"]), rx.el.p(by_lang(c["zh"], c["en"]), class_name="small"))


def _statement(st: rx.Var) -> rx.Component:
    return rx.el.label(
        rx.el.input(type="checkbox", checked=st["confirmed"] == "yes",
                    on_change=lambda v: SaleState.toggle_statement(st["rule"], v), id="statement-" + st["rule"]),
        rx.el.span(by_lang(st["text"], st["text_en"])), class_name="suit-confirm")


def _sign_panel() -> rx.Component:
    S = SaleState
    return rx.el.section(
        rx.el.h3(t("sale.sign_title"), class_name="section-title"),
        rx.el.p(t("sale.sign_help"), class_name="small muted"),
        rx.cond(S.warning_needed, rx.el.div(
            rx.el.strong(t("sale.warning_title")), rx.el.p(t("sale.warning_text"), class_name="small"),
            rx.el.label(rx.el.input(type="checkbox", checked=S.acknowledged, on_change=S.toggle_acknowledged,
                                    id="sale-warning-ack"), rx.el.span(t("sale.warning_ack")),
                        class_name="suit-confirm"),
            class_name="suit-warning")),
        rx.foreach(S.statements, _statement),
        signature_pad(on_signed=S.set_signature, on_cleared=S.clear_signature, clear_label=t("q.clear"),
                      aria_label=t("q.sign_area"), id="sale-signature"),
        rx.el.button(rx.cond(S.signed, t("sale.sign"), t("sale.sign_first")), type="button", id="sale-sign",
                     class_name="btn-primary wide", disabled=~S.signed, on_click=S.sign),
        class_name="card suit-sign", id="sale-sign-panel")


def _recording(r: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(rx.el.span(r["filename"]), " · ", r["size"], " · ",
                  rx.el.span(by_lang(r["status_zh"], r["status_en"]), class_name="badge"), class_name="small"),
        rx.cond(r["sha256"] != "", rx.el.div("SHA-256 ", rx.el.span(r["sha256"], class_name="mono small"),
                                             class_name="small muted suit-hash")),
        rx.cond(r["note"] != "", rx.el.p(r["note"], class_name="small")),
        class_name="suit-recording", id="recording-" + r["id"])


def _recording_panel() -> rx.Component:
    S = SaleState
    labels = rx.cond(AppState.lang == "en",
                     {"choose": "Choose a file", "upload": "Upload", "uploading": "uploading", "done": "uploaded",
                      "too_large": "The file is too large"},
                     {"choose": "请选择文件", "upload": "上传", "uploading": "上传中", "done": "已上传",
                      "too_large": "文件过大"})
    return rx.el.section(
        rx.el.h3(t("sale.recording"), class_name="section-title"),
        rx.cond(S.can_upload, rx.el.div(
            rx.el.p(t("sale.recording_help"), class_name="small muted"),
            recording_upload(sale_id=S.sale["id"].to(int), max_bytes=S.max_bytes, labels=labels,
                             on_done=S.refresh, id="rec"))),
        rx.el.ul(rx.foreach(S.recordings, _recording), class_name="suit-list"),
        rx.cond(S.can_review & (S.recordings.length() > 0) & (S.recordings[0]["status"] == "submitted"),
                _recording_review()),
        class_name="card", id="sale-recording")


def _recording_review() -> rx.Component:
    S = SaleState
    return rx.form(
        rx.el.h4(t("sale.review_recording"), class_name="suit-subhead"),
        rx.el.video(src=S.recordings[0]["src"], controls=True, class_name="suit-video", preload="metadata"),
        rx.foreach(S.checklist, lambda item: rx.el.label(
            rx.el.input(type="checkbox", name="check_" + item["key"], id="check-" + item["key"]),
            rx.el.span(by_lang(item["text"], item["text_en"])), class_name="suit-confirm")),
        rx.el.textarea(name="note", class_name="field-input", placeholder=t("sale.note"), id="rec-review-note"),
        _decision("rec"),
        on_submit=S.review_recording, class_name="suit-form")


def _decision(prefix: str) -> rx.Component:
    """Approve or reject (a radio pair, then one submit: the form's data carries the decision)."""
    return rx.el.div(
        rx.el.label(rx.el.input(type="radio", name="decision", value="approve", id=f"{prefix}-approve"),
                    rx.el.span(t("sale.approve")), class_name="suit-confirm"),
        rx.el.label(rx.el.input(type="radio", name="decision", value="reject", id=f"{prefix}-reject"),
                    rx.el.span(t("sale.reject")), class_name="suit-confirm"),
        rx.el.button(t("sale.review_title"), type="submit", class_name="btn-primary", id=f"{prefix}-decide"),
        class_name="suit-actions")


def _review_panel() -> rx.Component:
    S = SaleState
    return rx.form(
        rx.el.h3(t("sale.review_title"), class_name="section-title"),
        rx.el.textarea(name="note", class_name="field-input", placeholder=t("sale.note"), id="sale-review-note"),
        _decision("sale"),
        on_submit=S.review, class_name="card suit-form", id="sale-review")


@page(route="/sales/[sale_id]", title="sale.title", permission=P.CUSTOMER_READ, on_load=SaleState.load)
def sale_page() -> rx.Component:
    S = SaleState
    sale = S.sale
    return rx.el.div(
        link(icon("arrow-left", size=16), t("title.sales"), href="/sales", class_name="back-link"),
        _alert(S.page_error, "sale-error"),
        rx.cond(S.found, rx.el.div(
            rx.el.section(
                rx.el.div(rx.el.h1(by_lang(sale["product"], sale["product_en"]), class_name="page-title"),
                          rx.el.span(by_lang(sale["status_zh"], sale["status_en"]),
                                     class_name="badge suit-status-" + sale["status"], id="sale-status")),
                rx.el.p(link(sale["customer"], href=sale["customer_href"]), " · ", sale["product_code"], " · ",
                        sale["risk"], " · ", rx.el.span(by_lang(sale["amount"], sale["amount_en"]), class_name="mono"),
                        class_name="muted"),
                rx.el.p(by_lang(sale["verdict_zh"], sale["verdict_en"]), " · ", by_lang(sale["regime_zh"], sale["regime_en"]),
                        class_name="small", id="sale-verdict"),
                rx.cond(sale["cooling_zh"] != "", rx.el.p(t("sale.cooling_until"), ": ",
                                                          by_lang(sale["cooling_zh"], sale["cooling_en"]),
                                                          class_name="small")),
                rx.el.ol(rx.foreach(S.steps, _step), class_name="suit-steps"),
                class_name="card"),
            _alert(S.action_error, "sale-action-error"),
            rx.cond(S.can_sign, _sign_panel()),
            rx.cond(sale["disclosure_id"] != "", rx.el.section(
                rx.el.h3(t("sale.disclosure"), class_name="section-title"),
                rx.el.img(src="/disclosures/" + sale["disclosure_id"] + "/page/1.png", class_name="suit-preview",
                          alt="disclosure", id="sale-disclosure-preview"),
                rx.el.div("SHA-256 ", rx.el.span(sale["sha256"], class_name="mono small"), class_name="small muted suit-hash"),
                rx.el.div(rx.el.a(t("sale.print"), href="/disclosures/" + sale["disclosure_id"] + "/print",
                                  target="_blank", class_name="btn", id="sale-print"),
                          rx.el.a(t("sale.download"), href="/documents/" + sale["disclosure_id"], class_name="btn",
                                  id="sale-download"), class_name="suit-actions"),
                class_name="card")),
            rx.cond((sale["status"] == "recording_pending") | (S.recordings.length() > 0), _recording_panel()),
            rx.cond(S.can_review & (sale["status"] == "review_pending"), _review_panel()),
            rx.el.section(rx.el.h3(t("sale.checks"), class_name="section-title"),
                          rx.el.ul(rx.foreach(S.checks, _check), class_name="suit-list"), class_name="card"),
            rx.cond(S.can_cancel, rx.form(
                rx.el.input(name="reason", class_name="field-input", placeholder=t("sale.cancel_reason"), required=True,
                            max_length=300, id="sale-cancel-reason"),
                rx.el.button(t("sale.cancel"), type="submit", class_name="btn", id="sale-cancel"),
                on_submit=S.cancel, class_name="card suit-form suit-cancel")),
            class_name="suit-sale-page")),
        class_name="page")
