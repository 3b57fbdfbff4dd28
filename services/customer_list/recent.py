"""Recently viewed customers, per user, kept on the server: the header search offers them before anything is
typed. Recorded when a person opens a customer's 360 page (in that read's unit of work, which audits it)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services import clock
from services.customer_list.models import RecentCustomer
from services.customer_list.views import RecentView
from services.customers.access import load_customer
from services.customers.models import Customer
from services.db import UnitOfWork
from services.errors import FieldError, ValidationFailed
from services.security.actor import Actor
from services.security.policy import Permission, customer_scope_filter, requires

KEEP = 20  # rows kept per user
SHOWN = 8


@requires(Permission.CUSTOMER_READ)
def record_customer_view(*, uow: UnitOfWork, actor: Actor, customer_id: Any) -> None:
    """The actor opened this customer (people only: API clients and the system keep no such list)."""
    if actor.kind != "user" or actor.id is None:
        return
    s = uow.session
    c = load_customer(s, actor, customer_id)
    now = clock.now()
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(RecentCustomer).values(user_id=actor.id, customer_id=c.id, viewed_at=now)
    s.execute(stmt.on_conflict_do_update(index_elements=["user_id", "customer_id"], set_={"viewed_at": now}))
    keep = (select(RecentCustomer.customer_id).where(RecentCustomer.user_id == actor.id)
            .order_by(RecentCustomer.viewed_at.desc()).limit(KEEP)).scalar_subquery()
    s.execute(delete(RecentCustomer).where(RecentCustomer.user_id == actor.id,
                                           RecentCustomer.customer_id.not_in(keep)))


@requires(Permission.CUSTOMER_READ)
def recently_viewed(*, uow: UnitOfWork, actor: Actor, limit: Any = SHOWN) -> list[RecentView]:
    """The customers the actor opened last, newest first: only those still in his scope (a customer reassigned
    meanwhile may have left it)."""
    if actor.kind != "user" or actor.id is None:
        return []
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= KEEP:
        raise ValidationFailed([FieldError("limit", "value.invalid")])
    rows = uow.session.execute(
        select(RecentCustomer.customer_id, Customer.customer_no, Customer.name, RecentCustomer.viewed_at)
        .join(Customer, Customer.id == RecentCustomer.customer_id)
        .where(RecentCustomer.user_id == actor.id, customer_scope_filter(actor, Customer))
        .order_by(RecentCustomer.viewed_at.desc()).limit(limit)).all()
    return [RecentView(customer_id=cid, customer_no=no, name=name, viewed_at=at) for cid, no, name, at in rows]
