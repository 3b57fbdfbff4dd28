"""Refusals of the activities domain. They are `Refusal`s so that a refused step (a ticket closed twice, a task
completed twice) is audited as `access.refused` after its unit of work rolled back, naming what was tried."""
from __future__ import annotations

from services.errors import Refusal


class TaskNotOpen(Refusal):
    """A done or cancelled task cannot be completed, rescheduled or reassigned again."""

    code = "task.not_open"
    http_status = 409

    def message(self, locale: str) -> str:
        from services.i18n import translate

        status = translate(f"task.status.{self.params.get('status')}", locale)
        return translate(self.code, locale, status=status)


class TicketStepRefused(Refusal):
    """A step the ticket's lifecycle does not allow from its status (services/activities/tickets.py STEPS)."""

    code = "ticket.bad_step"
    http_status = 409

    def message(self, locale: str) -> str:
        from services.i18n import translate

        return translate(self.code, locale, status=translate(f"ticket.status.{self.params.get('status')}", locale),
                         step=translate(f"ticket.step.{self.params.get('step')}", locale))
