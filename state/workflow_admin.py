"""/admin/workflows: the workflow definitions. Each definition's diagram in the bpmn-js modeler (a draft until
saved), the everyday parameters in a plain form (steps' roles, SLA hours and escalation; the decision tables'
rows), and the versions. Saving either validates the whole definition in services/workflows and adds a
version, or shows every problem; the state only carries what the page shows and what the browser sent."""
from __future__ import annotations

from typing import Any

import reflex as rx

from services.db import unit_of_work
from services.errors import DomainError
from services.i18n import format_datetime, format_number, translate
from services.security.models import Role
from services.workflows import definitions
from services.workflows.definitions import DefinitionRejected
from services.validation.input import whole_number
from services.workflows.validation import approver_roles
from state.i18n import label
from state.session import DataState

MAX_XML = 2_000_000
MAX_NOTE = 300
MAX_FORM_FIELDS = 4000


class WorkflowAdminState(DataState):
    key: str = "loan_approval"
    definitions: list[dict[str, str]] = []
    versions: list[dict[str, str]] = []
    diagram_xml: str = ""
    draft_dirty: bool = False
    steps: list[dict[str, str]] = []
    table_meta: list[dict[str, str]] = []
    table_heads: list[list[str]] = []
    table_rows: list[list[list[str]]] = []
    role_choices: list[dict[str, str]] = []
    problems: list[str] = []
    notice: str = ""
    error: str = ""
    loaded: bool = False
    form_key: str = "0"  # changes when the form is reloaded, so the inputs show the saved values
    # the decision tables in the dmn-js editor, one document at a time
    dmn_tabs: list[dict[str, str]] = []
    dmn_index: int = 0
    table_xml: str = ""
    table_dirty: bool = False
    _table_draft: str = ""
    _draft: str = ""
    _table_ids: list[str] = []
    _descriptions: list[list[str]] = []

    def _purge(self) -> None:
        self.definitions, self.versions, self.steps = [], [], []
        self.diagram_xml, self._draft, self.draft_dirty = "", "", False
        self.table_meta, self.table_heads, self.table_rows = [], [], []
        self._table_ids, self._descriptions = [], []
        self.problems, self.notice, self.error, self.loaded = [], "", "", False

    def _fetch(self, actor: Any) -> None:
        loc = self._locale()
        try:
            with unit_of_work() as uow:
                listed = definitions.list_definitions(uow=uow, actor=actor)
                uow.commit()  # the shipped definitions install themselves the first time they are needed
            with unit_of_work(readonly=True) as uow:
                current = definitions.get_version(uow=uow, actor=actor, key=self.key)
                versions = definitions.list_versions(uow=uow, actor=actor, key=self.key)
                params = definitions.read_parameters(uow=uow, actor=actor, key=self.key)
        except DomainError as exc:
            self.error, self.loaded = exc.message(loc), True
            self._mark_loaded(actor)
            return
        self.definitions = [{"key": d.key, "name": d.name_en if loc == "en" else d.name,
                             "current": label("wfadmin.current", loc, version=d.current_version),
                             "running": label("wfadmin.running", loc, n=format_number(d.running, loc))}
                            for d in listed]
        self.versions = [{"version": str(v.version), "note": v.note,
                          "line": label("wfadmin.version_row", loc, version=v.version, by=v.created_by,
                                        at=format_datetime(v.created_at, loc)),
                          "running": label("wfadmin.running", loc, n=format_number(v.running, loc)) if v.running else "",
                          "current": "1" if v.current else ""} for v in versions]
        self.diagram_xml, self._draft, self.draft_dirty = current.bpmn_xml, "", False
        self.dmn_tabs = [{"index": str(i), "id": did, "name": name} for i, (did, name) in enumerate(current.decisions)]
        if not 0 <= self.dmn_index < len(current.dmn_xmls):
            self.dmn_index = 0
        self.table_xml = current.dmn_xmls[self.dmn_index] if current.dmn_xmls else ""
        self._table_draft, self.table_dirty = "", False
        self.steps = [{"id": s.id, "name": s.name, "role": s.role, "sla_hours": s.sla_hours,
                       "escalate_to": s.escalate_to, "maker": "1" if s.maker_step else ""} for s in params.steps]
        self.table_meta = [{"id": t.decision_id, "name": t.name, "policy": t.hit_policy} for t in params.tables]
        self.table_heads = [[*t.inputs, *t.outputs] for t in params.tables]
        self.table_rows = [[list(r) for r in t.rows] for t in params.tables]
        self._table_ids = [t.decision_id for t in params.tables]
        self._descriptions = [list(t.descriptions) for t in params.tables]
        roles = sorted(approver_roles() & {r.value for r in Role})
        self.role_choices = [{"value": "", "label": label("wfadmin.none", loc)}] + [
            {"value": r, "label": translate(f"role.{r}", loc)} for r in roles]
        self.form_key = str(int(self.form_key) + 1)
        self.error, self.loaded = "", True
        self._mark_loaded(actor)

    def _refresh(self):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        self._fetch(actor)
        return None

    def _refused(self, exc: DomainError, loc: str) -> None:
        if isinstance(exc, DefinitionRejected):
            self.problems = [v.message for v in exc.views(loc)]
            self.error = label("wfadmin.problems", loc)
        else:
            self.problems, self.error = [], exc.message(loc)

    # ------------------------------------------------------------ events

    @rx.event
    def load(self):
        self.problems, self.notice = [], ""
        return self._refresh()

    @rx.event
    def change_locale(self, locale: Any):
        self._apply_locale(locale)
        return self._refresh()

    @rx.event
    def select_definition(self, key: Any):
        if key in definitions.SHIPPED:
            self.key = key
            self.problems, self.notice = [], ""
        return self._refresh()

    @rx.event
    def diagram_changed(self, xml: Any):
        if isinstance(xml, str) and 0 < len(xml) <= MAX_XML:
            self._draft, self.draft_dirty = xml, True

    @rx.event
    def diagram_failed(self, reason: Any):
        text = reason[:300] if isinstance(reason, str) else ""
        self.error = label("wfadmin.engine_failed", self._locale(), reason=text)

    @rx.event
    def select_table(self, index: Any):
        i = whole_number(index, low=0, high=100)
        if i is not None and i < len(self.dmn_tabs):
            self.dmn_index = i
        self.problems, self.notice = [], ""
        return self._refresh()

    @rx.event
    def table_changed(self, xml: Any):
        if isinstance(xml, str) and 0 < len(xml) <= MAX_XML:
            self._table_draft, self.table_dirty = xml, True

    @rx.event
    def save_table(self, form: Any):
        """The decision table edited in dmn-js, with the current diagram and the other tables: a new version."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        if not self._table_draft:
            self.notice = label("wfadmin.unchanged", loc)
            return None
        try:
            with unit_of_work() as uow:
                current = definitions.get_version(uow=uow, actor=actor, key=self.key)
                dmns = list(current.dmn_xmls)
                if not 0 <= self.dmn_index < len(dmns):
                    return None
                dmns[self.dmn_index] = self._table_draft
                saved = definitions.save_version(uow=uow, actor=actor, key=self.key, bpmn_xml=current.bpmn_xml,
                                                 dmn_xmls=dmns, note=self._note(form) or None)
                uow.commit()
        except DomainError as exc:
            self._refused(exc, loc)
            return None
        self.problems = []
        self._fetch(actor)
        self.notice = label("wfadmin.saved", loc, version=saved.version)
        return None

    @rx.event
    def check_diagram(self):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        self.notice = ""
        if not self._draft:
            self.problems, self.error, self.notice = [], "", label("wfadmin.unchanged", loc)
            return None
        try:
            with unit_of_work(readonly=True) as uow:
                current = definitions.get_version(uow=uow, actor=actor, key=self.key)
                found = definitions.check_definition(uow=uow, actor=actor, key=self.key, bpmn_xml=self._draft,
                                                     dmn_xmls=current.dmn_xmls)
        except DomainError as exc:
            self._refused(exc, loc)
            return None
        if found:
            self.problems = [p["message"] for p in definitions.problem_dicts(found, loc)]
            self.error = label("wfadmin.problems", loc)
        else:
            self.problems, self.error, self.notice = [], "", label("wfadmin.valid", loc)
        return None

    def _note(self, form: Any) -> str:
        note = form.get("note") if isinstance(form, dict) else None
        return note.strip()[:MAX_NOTE] if isinstance(note, str) else ""

    @rx.event
    def save_diagram(self, form: Any):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        if not self._draft:
            self.notice = label("wfadmin.unchanged", loc)
            return None
        try:
            with unit_of_work() as uow:
                current = definitions.get_version(uow=uow, actor=actor, key=self.key)
                saved = definitions.save_version(uow=uow, actor=actor, key=self.key, bpmn_xml=self._draft,
                                                 dmn_xmls=current.dmn_xmls, note=self._note(form) or None)
                uow.commit()
        except DomainError as exc:
            self._refused(exc, loc)
            return None
        self.problems = []
        self._fetch(actor)
        self.notice = label("wfadmin.saved", loc, version=saved.version)
        return None

    @rx.event
    def reset_diagram(self):
        self.problems, self.notice = [], ""
        return self._refresh()

    @rx.event
    def add_row(self, index: Any):
        if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(self.table_rows) \
                and len(self.table_rows[index]) < 200:
            rows = [list(r) for r in self.table_rows]
            rows[index].append(["-"] * len(self.table_heads[index]))
            self.table_rows = rows
            self._descriptions[index].append("")

    @rx.event
    def remove_row(self, index: Any, row: Any):
        ok = all(isinstance(v, int) and not isinstance(v, bool) for v in (index, row))
        if ok and 0 <= index < len(self.table_rows) and 0 <= row < len(self.table_rows[index]) \
                and len(self.table_rows[index]) > 1:
            rows = [list(r) for r in self.table_rows]
            rows[index].pop(row)
            self.table_rows = rows
            if row < len(self._descriptions[index]):
                self._descriptions[index].pop(row)

    @rx.event
    def save_parameters(self, form: Any):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        if not isinstance(form, dict) or len(form) > MAX_FORM_FIELDS:
            return None

        def value(name: str, default: str = "") -> str:
            v = form.get(name, default)
            return v if isinstance(v, str) else default

        steps = [{"id": s["id"], "role": value(f"role-{i}", s["role"]), "sla_hours": value(f"sla-{i}", s["sla_hours"]),
                  "escalate_to": value(f"esc-{i}", s["escalate_to"])} for i, s in enumerate(self.steps)]
        tables = []
        for t, decision_id in enumerate(self._table_ids):
            rows = [[value(f"c-{t}-{r}-{c}", cell) for c, cell in enumerate(cells)]
                    for r, cells in enumerate(self.table_rows[t])]
            tables.append({"decision_id": decision_id, "rows": rows, "descriptions": self._descriptions[t]})
        try:
            with unit_of_work() as uow:
                saved = definitions.save_parameters(uow=uow, actor=actor, key=self.key, steps=steps, tables=tables,
                                                    note=self._note(form) or None)
                uow.commit()
        except DomainError as exc:
            self._refused(exc, loc)
            return None
        self.problems = []
        self._fetch(actor)
        self.notice = label("wfadmin.saved", loc, version=saved.version)
        return None
