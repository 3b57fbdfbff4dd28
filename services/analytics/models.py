"""Decision support's tables: the rollup of every dashboard figure (metric_fact), what each customer and
opportunity has contributed to it (so a change is applied as a difference), next-best-actions, the data scope
of API clients that read figures, and the weekly report's subscribers and e-mail outbox.

metric_fact is one additive cube. A row holds a count and an amount for
(measure, level, period, branch, team, RM, day, dim1, dim2):
- measure: what is counted (services/analytics/facts.py MEASURES says what dim1 and dim2 mean for each);
- level: the organisation grain: 'o' one RM's book (team and branch filled), 't' a team (owner 0),
  'b' a branch (team and owner 0), 'f' the whole firm (branch, team and owner 0). Every change is written at all
  four, so a head-office figure reads the firm's rows (a figure by branch, the branch rows) and an RM's figure his
  own, never the detail of the whole firm;
- period: 'd' a day, 'm' a month (day = its first day); every change is written to both, so a year reads
  twelve month rows per cell plus the days of the months it only partly covers; 'w' a week (day = its Monday),
  for the measures in facts.WEEKLY only (sales: the forecast reads two years week by week).
Rows are only ever incremented (INSERT ... ON CONFLICT DO UPDATE n = n + ?), by the handlers of domain events in
the transaction that made the change, or written whole by the rebuild.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Column, Date, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.types import Money, UTCDateTime


class MetricFact(SQLModel, table=True):
    __tablename__ = "metric_fact"
    __table_args__ = (
        # The primary key leads with the day, for firm-wide figures (and figures by branch) over a range of days; a
        # figure of one branch, team or RM goes through its own index. The branch's is covering (a branch's figure
        # over two years read every branch's rows through the key: the forecast's 57 ms became 1.3 ms at
        # 10,000,000 transactions).
        Index("ix_metric_fact_branch", "measure", "level", "period", "branch_id", "day", "dim1", "dim2", "n", "amount"),
        Index("ix_metric_fact_team", "measure", "level", "period", "team_id", "day"),
        Index("ix_metric_fact_owner", "measure", "level", "period", "owner_id", "day"),
        {"sqlite_with_rowid": False},
    )

    measure: str = Field(sa_type=String(24), primary_key=True)
    level: str = Field(sa_type=String(1), primary_key=True)
    period: str = Field(sa_type=String(1), primary_key=True)
    day: date = Field(primary_key=True)
    branch_id: int = Field(primary_key=True)  # 0: not at this level (no foreign key: 0 is no branch)
    team_id: int = Field(primary_key=True)
    owner_id: int = Field(primary_key=True)
    dim1: str = Field(sa_type=String(24), primary_key=True, default="")
    dim2: str = Field(sa_type=String(24), primary_key=True, default="")
    n: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False))
    amount: Decimal = Field(default=Decimal("0"), sa_column=Column(Money(), nullable=False))


class MetricCustomer(SQLModel, table=True):
    """A published customer as the rollups last counted it: where (branch, team, RM, segment, channel) and what
    it contributed (acquired, lost, AUM, first purchases). A change is applied as the difference between this
    and the customer as it is now. Held customers of an unfinished import have no row until it publishes them."""

    __tablename__ = "metric_customer"
    __table_args__ = (Index("ix_metric_customer_owner_aum", "owner_id", "aum"),
                      Index("ix_metric_customer_team", "team_id", "aum"),
                      Index("ix_metric_customer_branch", "branch_id", "aum"),
                      Index("ix_metric_customer_acquired", "acquired_on"))

    customer_id: int = Field(primary_key=True, foreign_key="customer.id")
    branch_id: int
    team_id: int  # 0: in no team
    owner_id: int
    segment: str = Field(sa_type=String(16))
    channel: str = Field(sa_type=String(16))
    acquired_on: date
    lost_on: date | None = None
    aum: Decimal = Field(default=Decimal("0"), sa_column=Column(Money(), nullable=False))
    aum_90d: Decimal = Field(default=Decimal("0"), sa_column=Column(Money(), nullable=False))
    first_sale_on: date | None = None
    sales: int = 0  # signed sales not cancelled or rejected


class MetricOpportunity(SQLModel, table=True):
    """What an opportunity contributed to the pipeline figures when last counted."""

    __tablename__ = "metric_opportunity"

    opportunity_id: int = Field(primary_key=True, foreign_key="opportunity.id")
    day: date  # opened on: the funnel counts opportunities by when they were opened
    branch_id: int
    team_id: int
    owner_id: int
    product_type: str = Field(sa_type=String(16))
    reached: int  # furthest stage index in the funnel
    lost_reason: str = Field(sa_type=String(16), default="")  # "" unless lost
    won_reason: str = Field(sa_type=String(16), default="")
    amount: Decimal = Field(sa_column=Column(Money(), nullable=False))


class NextBestAction(SQLModel, table=True):
    """A suggestion for an RM about one customer: what to do, why (a message code and its parameters), how it
    ranks, and what became of it."""

    __tablename__ = "next_best_action"
    __table_args__ = (UniqueConstraint("customer_id", "key", name="uq_next_best_action_customer_key"),
                      Index("ix_next_best_action_owner_status", "owner_id", "status", "score"),
                      Index("ix_next_best_action_customer_status", "customer_id", "status"))

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    owner_id: int = Field(foreign_key="app_user.id")
    kind: str = Field(sa_type=String(16))  # offer, review, reinvest, reassess, call
    key: str = Field(sa_type=String(64))  # one suggestion per customer and key (e.g. offer:WM001, reinvest:123)
    product_id: int | None = Field(default=None, foreign_key="product.id")
    score: int  # higher first
    reason: str = Field(sa_type=String(40))  # message code explaining it
    params: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(sa_type=String(12), default="open")  # open, done, dismissed, expired
    converted: bool = False  # an offer the customer then bought
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    due_on: date | None = None
    decided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    decided_by: int | None = Field(default=None, foreign_key="app_user.id")
    note: str | None = Field(default=None, sa_type=String(300))


class MetricGrant(SQLModel, table=True):
    """The organisation an API client reads figures of. A client's own data scope is the customers it linked to
    its external ids; figures are kept per branch, team and RM, so a reporting system is granted one of them
    (or the whole firm) explicitly, by an administrator."""

    __tablename__ = "metric_grant"

    client_pk: int = Field(primary_key=True, foreign_key="api_client.id")
    scope: str = Field(sa_type=String(8))  # all, branch, team
    branch_id: int | None = Field(default=None, foreign_key="branch.id")
    team_id: int | None = Field(default=None, foreign_key="team.id")
    granted_by: str = Field(sa_type=String(100))
    granted_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ReportSubscription(SQLModel, table=True):
    """A manager who gets the weekly report by e-mail (people have no e-mail address elsewhere in FinCRM)."""

    __tablename__ = "report_subscription"

    user_id: int = Field(primary_key=True, foreign_key="app_user.id")
    email: str = Field(sa_type=String(254))
    locale: str = Field(sa_type=String(8), default="zh_CN")
    active: bool = True
    last_sent_week: date | None = None  # Monday of the last week sent
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class EmailMessage(SQLModel, table=True):
    """The e-mail outbox: written in the transaction that decides to send, delivered by the scheduler over SMTP
    (so a mail server that is down delays a message, never loses it or the change that made it)."""

    __tablename__ = "email_message"
    __table_args__ = (Index("ix_email_message_status", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    to_addr: str = Field(sa_type=String(254))
    subject: str = Field(sa_type=String(200))
    body: str = Field(sa_type=String(4000))
    attachment_sha256: str | None = Field(default=None, sa_type=String(64))  # in the document store
    attachment_name: str | None = Field(default=None, sa_type=String(200))
    attachment_type: str | None = Field(default=None, sa_type=String(100))
    purpose: str = Field(sa_type=String(32))
    status: str = Field(sa_type=String(12), default="pending")  # pending, sent, failed
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=String(300))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
