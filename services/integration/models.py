"""Other systems of the firm: API clients and their tokens, external ids, idempotency, webhooks."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, String, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from services.types import UTCDateTime, utcnow


class ApiClient(SQLModel, table=True):
    """A system that calls the REST API with OAuth2 client credentials."""

    __tablename__ = "api_client"

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(sa_type=String(64), unique=True)
    name: str = Field(sa_type=String(100))
    secret_hash: str = Field(sa_type=String(255))  # argon2
    scopes: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Customers created through this client belong to this RM unless the request names another.
    default_owner_id: int | None = Field(default=None, foreign_key="app_user.id")
    is_active: bool = True
    is_demo: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: str = Field(sa_type=String(64), primary_key=True)  # sha256 of the bearer token
    client_id: int = Field(foreign_key="api_client.id", index=True)
    scopes: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    issued_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class ExternalRef(SQLModel, table=True):
    """A caller's own id for one of our records (customers, accounts): upserts go by it."""

    __tablename__ = "external_ref"
    __table_args__ = (UniqueConstraint("client_id", "entity_type", "external_id", name="uq_external_ref"),
                      Index("ix_external_ref_entity", "entity_type", "entity_id"))

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="api_client.id")
    entity_type: str = Field(sa_type=String(32))
    external_id: str = Field(sa_type=String(100))
    entity_id: int


class IdempotencyRecord(SQLModel, table=True):
    """A request already handled: a replay with the same key and body gets the same answer."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("client_id", "key", name="uq_idempotency_client_key"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="api_client.id")
    key: str = Field(sa_type=String(100))
    request_hash: str = Field(sa_type=String(64))
    status_code: int
    response: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoint"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(100))
    url: str = Field(sa_type=String(500))
    secret_enc: str = Field(sa_type=String(255))  # HMAC key, encrypted at rest
    events: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class OutboxMessage(SQLModel, table=True):
    """Written in the same transaction as the change it announces; a dispatcher delivers it later."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_pending", "dispatched_at", "id"),
                      Index("ix_outbox_hold", "hold_id", sqlite_where=text("hold_id IS NOT NULL"),
                            postgresql_where=text("hold_id IS NOT NULL")))

    id: int | None = Field(default=None, primary_key=True)
    event_type: str = Field(sa_type=String(40))  # customer.created, customer.updated, customer.tagged
    payload: dict = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    dispatched_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # Announces a row an unfinished import wrote (services/holds.py): not sent before the hold is published.
    hold_id: int | None = None


class WebhookDelivery(SQLModel, table=True):
    """One message to one endpoint, with its attempts; retried with backoff until it succeeds or gives up."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (UniqueConstraint("message_id", "endpoint_id", name="uq_delivery_message_endpoint"),
                      Index("ix_delivery_due", "status", "next_attempt_at"))

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="outbox_message.id")
    endpoint_id: int = Field(foreign_key="webhook_endpoint.id")
    status: str = Field(sa_type=String(12), default="pending")  # pending, delivered, failed (gave up)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
