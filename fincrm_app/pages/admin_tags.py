"""/admin/tags: tag rules (list, build conditions without code, preview, save as a new version, on/off).

The service refuses everyone but admins; the page then shows that refusal instead of the list.
"""
from __future__ import annotations

import reflex as rx

from components.i18n import t
from fincrm_app.pages.registry import Menu, page
from components.icons import icon
from components.tags import condition_row, rule_item
from services.security.policy import Permission as P
from state.tags import COLORS, NEW_TAG, TagsAdminState as S


def _labelled(key: str, control: rx.Component) -> rx.Component:
    return rx.el.label(rx.el.span(t(key), class_name="field-label"), control, class_name="field")


def _input(key: str, value: rx.Var, **props) -> rx.Component:
    return rx.el.input(default_value=value, id="rule-form-" + key.removeprefix("f_").replace("_", "-"),
                       class_name="field-input", auto_complete="off", max_length=100,
                       on_blur=lambda v: S.set_form(key, v), **props)


def _tag_fields() -> rx.Component:
    return rx.cond(
        S.editing_key != "",
        _labelled("tags.tag", rx.el.select(  # a rule keeps its tag: shown by name, not to be changed
            rx.foreach(S.tag_options, lambda o: rx.el.option(o["label"], value=o["code"])),
            value=S.f_tag, disabled=True, class_name="field-input", id="rule-form-tag-fixed")),
        rx.fragment(
            _labelled("tags.tag", rx.el.select(
                rx.foreach(S.tag_options, lambda o: rx.el.option(o["label"], value=o["code"])),
                rx.el.option(t("tags.tag_new"), value=NEW_TAG),
                value=S.f_tag, id="rule-form-tag", class_name="field-input",
                on_change=lambda v: S.set_form("f_tag", v))),
            rx.cond(
                S.f_tag == NEW_TAG,
                rx.fragment(
                    _labelled("tags.tag_code", _input("f_tag_code", S.f_tag_code, pattern="[a-z][a-z0-9_]{1,39}")),
                    _labelled("tags.tag_name", _input("f_tag_name", S.f_tag_name)),
                    _labelled("tags.tag_name_en", _input("f_tag_name_en", S.f_tag_name_en)),
                    _labelled("tags.tag_color", rx.el.select(
                        *[rx.el.option(t(f"tags.color.{c}"), value=c) for c in COLORS],
                        value=S.f_color, id="rule-form-color", class_name="field-input",
                        on_change=lambda v: S.set_form("f_color", v))),
                ),
            ),
        ),
    )


def _editor() -> rx.Component:
    return rx.el.div(
        rx.el.h2(rx.cond(S.editing_key == "", t("tags.editor_new"),
                         rx.fragment(t("tags.editor_edit"), " ", rx.el.span(S.editing_key, class_name="mono"))),
                 class_name="section-title", id="rule-editor-title"),
        rx.cond(S.editing_key != "", rx.el.p(t("tags.editor_version_note"), class_name="muted small")),
        rx.el.div(
            rx.cond(S.editing_key == "",
                    _labelled("tags.rule_key", _input("f_rule_key", S.f_rule_key, pattern="[a-z][a-z0-9_]{1,39}",
                                                      placeholder="hnw_potential"))),
            _labelled("tags.rule_name", _input("f_name", S.f_name)),
            _tag_fields(),
            rx.cond(
                S.nested_json != "",
                rx.el.div(rx.el.p(t("tags.nested"), class_name="muted small"),
                          rx.el.pre(S.nested_json, class_name="mono small", id="rule-nested-json")),
                rx.fragment(
                    _labelled("tags.combine", rx.el.select(
                        rx.el.option(t("tags.combine_all"), value="all"),
                        rx.el.option(t("tags.combine_any"), value="any"),
                        value=S.combine, id="rule-form-combine", class_name="field-input",
                        on_change=S.set_combine)),
                    rx.el.div(
                        rx.foreach(S.rows, lambda row, i: condition_row(
                            row, i, fields=S.field_options, choices=S.choice_sets, picked=S.picked,
                            on_set=S.set_row, on_toggle=S.toggle_choice, on_remove=S.remove_row)),
                        class_name="item-list", id="rule-conditions"),
                    rx.el.button(icon("plus", size=16), t("tags.add_condition"), type="button",
                                 class_name="btn", id="rule-add-condition", on_click=S.add_row),
                ),
            ),
            rx.cond(S.form_error != "", rx.el.div(S.form_error, id="rule-form-error", role="alert",
                                                  class_name="alert")),
            rx.cond(S.preview_text != "", rx.el.div(S.preview_text, id="rule-preview", role="status",
                                                    class_name="card")),
            rx.el.div(
                rx.el.button(rx.cond(S.previewing, t("tags.previewing"), t("tags.preview")), type="button",
                             id="rule-preview-btn", class_name="btn", disabled=S.previewing, on_click=S.preview),
                rx.el.button(t("tags.save"), type="button", id="rule-save", class_name="btn-primary",
                             on_click=S.save),
                rx.el.button(t("tags.cancel"), type="button", id="rule-cancel", class_name="btn", on_click=S.cancel),
                class_name="form-actions",
            ),
            key=S.form_version,
            class_name="stack",
            id="rule-form",
        ),
        class_name="card",
    )


@page(route="/admin/tags", title="tags.title", permission=P.TAG_RULE_MANAGE,
      menu=Menu("tags", "nav.admin_tags", order=81), on_load=S.load, locale_handler=S.change_locale)
def admin_tags_page() -> rx.Component:
    return rx.el.div(
        rx.el.h1(t("tags.title"), class_name="page-title"),
        rx.el.p(t("tags.subtitle"), class_name="muted small"),
        rx.cond(
            S.page_error != "",
            rx.el.div(S.page_error, id="tags-page-error", role="alert", class_name="alert"),
        ),
        rx.cond(S.notice != "", rx.el.div(S.notice, id="tags-notice", role="status", class_name="muted")),
        rx.cond(
            S.page_error == "",
            rx.el.div(
                rx.el.div(
                    rx.el.div(
                        rx.el.button(icon("plus", size=16), t("tags.new_rule"), type="button", id="rule-new",
                                     class_name="btn", on_click=S.new_rule),
                        class_name="section-head",
                    ),
                    rx.el.div(rx.foreach(S.rules, lambda r: rule_item(r, on_edit=S.edit, on_toggle=S.toggle,
                                                                      on_run=S.run)),
                              class_name="item-list", id="rule-list"),
                    rx.cond(S.loaded & (S.rules.length() == 0),
                            rx.el.div(t("tags.empty"), class_name="empty", id="rules-empty")),
                    class_name="card",
                ),
                rx.cond(S.editor_open, _editor()),
                class_name="stack",
            ),
        ),
        class_name="page",
    )
