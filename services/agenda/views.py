"""What leaves the agenda domain: plain data, already limited to what the actor may see (phones masked as the
actor's field policy says; the number itself only ever goes to the phone's dialler, through `dial`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from services.activities.views import TaskItem


class ReminderKind(StrEnum):
    ASSESSMENT_EXPIRY = "assessment_expiry"  # the customer's risk assessment expires soon (suitability's reminder)
    BIRTHDAY = "birthday"  # the customer's birthday falls in the coming week
    FOLLOW_UP = "follow_up"  # the customer has not been contacted for longer than their segment's cadence
    PRODUCT_MATURITY = "product_maturity"  # a holding of a fixed-term product matures soon
    KYC_REVIEW = "kyc_review"  # the customer's periodic KYC review falls due
    APPROVAL_SLA = "approval_sla"  # an approval task the actor may decide nears (or passed) its SLA


@dataclass(slots=True)
class Reminder:
    id: int
    kind: str  # ReminderKind
    customer_id: int | None  # None: an approval task's reminder
    customer_name: str
    due_on: date  # the expiry date, the birthday this year, the day the follow-up fell due
    days: int  # from today: 0 today, 3 in three days, -12 twelve days ago
    segment: str
    product: str = ""  # maturities: the product's name (Chinese)
    product_en: str = ""
    step: str = ""  # approval SLAs: the step's name
    age: int | None = None  # birthdays: the age the customer turns
    last_contact: date | None = None  # follow-ups: the last interaction's day (None: never)
    cadence_days: int | None = None  # follow-ups: how often the rule says the segment is contacted


@dataclass(slots=True)
class Agenda:
    day: date
    tasks: list[TaskItem]  # the actor's open tasks overdue (first) and due today
    overdue: int
    reminders: list[Reminder]  # soonest first
    # Customers the actor may call from the agenda (a phone on file, no do-not-contact): id -> phone as shown.
    callable: dict[int, str] = field(default_factory=dict)
