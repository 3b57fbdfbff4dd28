"""/imports: upload a file, map its columns, preview, run with a progress bar, read the result,
download the error report, decide the review queue, see the history. Phone first: cards stack."""
from __future__ import annotations

import reflex as rx

from components.i18n import t
from components.icons import icon
from fincrm_app.pages.registry import Menu, page
from services.security.policy import Permission as P
from state.imports import ImportsState

UPLOAD_ID = "import-upload"


def _upload_card() -> rx.Component:
    return rx.el.section(
        rx.el.h2(t("imports.title"), class_name="section-title"),
        rx.el.p(t("imports.intro"), class_name="muted small"),
        rx.upload(
            rx.el.div(icon("upload", size=20), rx.el.span(t("imports.upload_hint")), class_name="stack"),
            id=UPLOAD_ID,
            multiple=False,
            max_files=1,
            accept={"text/csv": [".csv"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
                    [".xlsx"]},
            border="1px dashed var(--gray-8)",
            padding="1.25em",
            border_radius="8px",
        ),
        rx.el.div(
            rx.foreach(rx.selected_files(UPLOAD_ID), lambda f: rx.el.span(t("imports.selected"), f, class_name="small")),
            class_name="stack",
        ),
        rx.el.button(t("imports.upload"), id="import-upload-button", type="button", class_name="btn-primary",
                     on_click=ImportsState.handle_upload(rx.upload_files(upload_id=UPLOAD_ID))),
        rx.cond(ImportsState.upload_error != "",
                rx.el.div(ImportsState.upload_error, id="import-upload-error", role="alert", class_name="alert")),
        class_name="card",
    )


def _mapping_row(row: rx.Var) -> rx.Component:
    return rx.el.div(
        rx.el.span(row["column"], class_name="field-label"),
        rx.el.select(
            rx.foreach(ImportsState.field_options,
                       lambda o: rx.el.option(o["label"], value=o["value"])),
            value=row["field"],
            on_change=lambda v: ImportsState.set_field(row["column"], v),
            class_name="field-input",
            id="map-" + row["column"],
        ),
        class_name="field",
    )


def _preview_row(row: rx.Var) -> rx.Component:
    return rx.el.tr(
        rx.el.td(row["row"], class_name="mono"),
        rx.foreach(row["cells"].to(list[str]), lambda c: rx.el.td(c)),
        rx.el.td(rx.cond(row["ok"], rx.el.span(t("imports.ok"), class_name="badge"),
                         rx.el.span(row["errors"], class_name="danger small")), class_name="cell-errors"),
        class_name="preview-row",
    )


def _preview_card(row: rx.Var) -> rx.Component:
    """A preview row on a phone: each column's name beside its value, instead of a table too wide to read."""
    return rx.el.li(
        rx.el.div(
            rx.el.span(t("imports.row"), " ", row["row"], class_name="item-title"),
            rx.cond(row["ok"], rx.el.span(t("imports.ok"), class_name="badge"),
                    rx.el.span(t("imports.errors"), class_name="badge danger")),
            class_name="preview-card-head",
        ),
        rx.el.dl(
            rx.foreach(row["cells"].to(list[str]), lambda c, i: rx.el.div(
                rx.el.dt(ImportsState.headers[i]), rx.el.dd(c), class_name="kv")),
            class_name="kv-grid",
        ),
        rx.cond(~row["ok"], rx.el.div(row["errors"], class_name="danger small")),
        class_name="preview-card",
    )


def _preview() -> rx.Component:
    """The masked preview: a table on desktop (scrolling sideways inside its card when the file is wide),
    one card per row on phones."""
    return rx.fragment(
        rx.el.div(
            rx.el.table(
                rx.el.thead(rx.el.tr(rx.el.th(t("imports.row")), rx.foreach(ImportsState.headers, lambda h: rx.el.th(h)),
                                     rx.el.th(t("imports.errors")))),
                rx.el.tbody(rx.foreach(ImportsState.preview_rows, _preview_row), id="import-preview"),
                class_name="data-table",
            ),
            class_name="table-scroll preview-table",
        ),
        rx.el.ul(rx.foreach(ImportsState.preview_rows, _preview_card), class_name="preview-cards",
                 id="import-preview-cards"),
    )


def _mapping_card() -> rx.Component:
    return rx.el.section(
        rx.el.h2(t("imports.mapping"), " · ", ImportsState.filename, class_name="section-title"),
        rx.el.div(rx.foreach(ImportsState.mapping_rows, _mapping_row), class_name="filter-grid", id="import-mapping"),
        rx.cond(ImportsState.mapping_error != "",
                rx.el.div(ImportsState.mapping_error, id="import-mapping-error", role="alert", class_name="alert")),
        rx.el.h3(t("imports.preview"), class_name="section-title"),
        _preview(),
        rx.el.label(
            rx.el.span(t("imports.default_owner"), class_name="field-label"),
            rx.el.select(
                rx.el.option(t("imports.choose_owner"), value=""),
                rx.foreach(ImportsState.owner_options, lambda o: rx.el.option(o["label"], value=o["value"])),
                value=ImportsState.default_owner,
                on_change=ImportsState.set_default_owner,
                id="import-owner",
                class_name="field-input",
            ),
            class_name="field",
        ),
        rx.el.p(t("imports.atomic_note"), class_name="muted small"),
        rx.el.div(
            rx.el.button(t("imports.start"), id="import-start", type="button", class_name="btn-primary",
                         disabled=ImportsState.running, on_click=ImportsState.start_import(False)),
            class_name="form-actions",
        ),
        class_name="card",
    )


def _progress_card() -> rx.Component:
    return rx.el.section(
        rx.el.progress(value=ImportsState.progress_pct, max=100, id="import-progress", class_name="progress",
                       aria_label=t("imports.progress_bar")),
        rx.el.div(ImportsState.progress_text, class_name="small muted", id="import-progress-text"),
        rx.cond(ImportsState.run_error != "",
                rx.el.div(ImportsState.run_error, id="import-run-error", role="alert", class_name="alert")),
        class_name="card",
    )


def _stat(key: str, value: rx.Var, id_: str) -> rx.Component:
    return rx.el.div(rx.el.div(value, class_name="stat-value", id=id_), rx.el.div(t(key), class_name="stat-label"),
                     class_name="item")


def _result_card() -> rx.Component:
    r = ImportsState.result
    return rx.el.section(
        rx.el.h2(t("imports.result"), " · ", r["status"], class_name="section-title", id="import-result-status"),
        rx.el.div(
            _stat("imports.created", r["created"], "import-created"),
            _stat("imports.updated", r["updated"], "import-updated"),
            _stat("imports.unchanged", r["unchanged"], "import-unchanged"),
            _stat("imports.review", r["review"], "import-review"),
            _stat("imports.error_rows", r["errors"], "import-errors"),
            class_name="stats",
        ),
        rx.cond(r["message"] != "", rx.el.div(r["message"], class_name="alert", role="alert")),
        rx.el.ul(rx.foreach(ImportsState.error_lines, lambda line: rx.el.li(line, class_name="small")),
                 id="import-error-lines"),
        rx.cond(ImportsState.report_url != "",
                rx.el.a(t("imports.download_report"), href=ImportsState.report_url, id="import-report-link",
                        class_name="btn", download=True, reload_document=True)),
        rx.cond(ImportsState.can_apply_valid,
                rx.el.button(t("imports.apply_valid"), id="import-apply-valid", type="button", class_name="btn-primary",
                             disabled=ImportsState.running, on_click=ImportsState.start_import(True))),
        class_name="card",
    )


def _review_item(item: rx.Var) -> rx.Component:
    return rx.el.div(
        # The row from the file, then the customers it may be: one column, read top down.
        rx.el.div(
            rx.el.div(item["name"], " · ", item["birth_date"], class_name="item-title"),
            rx.el.div(item["row"], " · ", item["id_number"], " · ", item["phone"], class_name="small muted mono"),
            rx.el.div(
                rx.el.span(t("imports.candidates"), class_name="small muted"),
                rx.foreach(item["candidates"].to(list[dict[str, str]]), lambda c: rx.el.button(
                    t("imports.merge"), ": ", c["label"], type="button", class_name="btn",
                    on_click=ImportsState.decide(item["id"], "merge", c["id"]))),
                class_name="chips",
            ),
            class_name="item-main",
        ),
        rx.el.div(
            rx.el.button(t("imports.create_new"), type="button", class_name="btn",
                         on_click=ImportsState.decide(item["id"], "create", "")),
            rx.el.button(t("imports.dismiss"), type="button", class_name="btn",
                         on_click=ImportsState.decide(item["id"], "dismiss", "")),
            class_name="form-actions",
        ),
        class_name="item",
        id="review-" + item["id"].to(str),
    )


def _history_row(b: rx.Var) -> rx.Component:
    return rx.el.div(
        rx.el.div(
            rx.el.div(b["filename"], " · ", b["status"], class_name="item-title wrap-anywhere"),
            rx.el.div(b["when"], " · ", b["source"], class_name="small muted"),
            rx.el.div(b["counts"], class_name="small"),
            class_name="item-main",
        ),
        rx.el.div(
            rx.cond(b["report"] != "", rx.el.a(t("imports.download_report"), href=b["report"],
                                               class_name="link small", download=True, reload_document=True)),
            # Unfinished (pending, rejected, failed or interrupted): open it again and run it.
            rx.cond(b["resumable"] != "", rx.el.button(t("imports.resume"), type="button", class_name="btn",
                                                       id="import-resume-" + b["id"].to(str),
                                                       on_click=ImportsState.open_batch(b["id"]))),
            class_name="form-actions",
        ),
        class_name="item",
        id="import-batch-" + b["id"].to(str),
    )


@page(route="/imports", title="imports.title", permission=(P.IMPORT_RUN, P.IMPORT_OVERSEE),
      menu=Menu("file-up", "nav.imports", order=20), on_load=ImportsState.load,
      locale_handler=ImportsState.change_locale)
def imports_page() -> rx.Component:
    return rx.el.div(
        rx.el.h1(t("imports.title"), class_name="page-title"),
        rx.cond(ImportsState.page_error != "",
                rx.el.div(ImportsState.page_error, id="imports-error", role="alert", class_name="alert")),
        rx.cond(ImportsState.can_import, rx.fragment(
            _upload_card(),
            rx.cond(ImportsState.batch_id > 0, _mapping_card()),
            rx.cond(ImportsState.running | (ImportsState.run_error != ""), _progress_card()),
            rx.cond(ImportsState.result.length() > 0, _result_card()),
            rx.el.section(
                rx.el.h2(t("imports.review_queue"), class_name="section-title"),
                rx.foreach(ImportsState.reviews, _review_item),
                rx.cond(ImportsState.reviews.length() == 0, rx.el.div(t("imports.review_empty"), class_name="empty")),
                class_name="card", id="import-reviews",
            ),
        )),
        rx.el.section(
            rx.el.h2(t("imports.history"), class_name="section-title"),
            rx.el.div(rx.foreach(ImportsState.history, _history_row), class_name="item-list", id="import-history"),
            rx.cond(ImportsState.history.length() == 0,
                    rx.el.div(t("imports.history_empty"), class_name="empty")),
            class_name="card",
        ),
        class_name="page",
    )
