"""/tasks: "My tasks" — overdue, today, upcoming and done; a team lead's team view."""
from __future__ import annotations

import reflex as rx

from components.work import tasks_page_body
from fincrm_app.pages.registry import Menu, page
from services.security.policy import Permission as P
from state.tasks import TasksState


@page(route="/tasks", title="tasks.title", permission=P.RECORD_WRITE, menu=Menu("list-todo", "nav.tasks", order=12),
      on_load=TasksState.load, locale_handler=TasksState.change_locale)
def tasks_page() -> rx.Component:
    return tasks_page_body()
