"""Input schemas for customer use cases: what a caller may send, strictly validated."""
from __future__ import annotations

import re

from typing import Any

from pydantic import Field, field_validator

from services.customers.models import CustomerKind, CustomerStatus, Gender, IdType, Segment, SourceChannel
from services.validation.dates import BusinessDate
from services.validation.input import RowId, StrictInput

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")

# The strict base every input model of the services builds on (the name other modules import).
_Strict = StrictInput


def _check_email(v: str | None) -> str | None:
    if v in (None, ""):
        return None
    if not _EMAIL.match(v):
        raise ValueError("email")
    return v


class CustomerCreate(_Strict):
    kind: CustomerKind = CustomerKind.INDIVIDUAL
    name: str = Field(min_length=1, max_length=200)
    gender: Gender | None = None
    birth_date: BusinessDate | None = None
    id_type: IdType
    id_number: str = Field(min_length=1, max_length=40)
    phone: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=254)
    address: str | None = Field(default=None, max_length=300)
    occupation: str | None = Field(default=None, max_length=100)
    segment: Segment = Segment.MASS
    source_channel: SourceChannel = SourceChannel.BRANCH
    status: CustomerStatus = CustomerStatus.ACTIVE
    owner_id: RowId | None = None
    custom: dict[str, Any] | None = None  # custom field values by key; checked by custom_fields.clean_custom_values

    _email = field_validator("email")(_check_email)


class CustomerUpdate(_Strict):
    """Every field optional; only the ones present are changed."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    gender: Gender | None = None
    birth_date: BusinessDate | None = None
    id_type: IdType | None = None
    id_number: str | None = Field(default=None, min_length=1, max_length=40)
    phone: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=254)
    address: str | None = Field(default=None, max_length=300)
    occupation: str | None = Field(default=None, max_length=100)
    segment: Segment | None = None
    source_channel: SourceChannel | None = None
    status: CustomerStatus | None = None
    owner_id: RowId | None = None
    custom: dict[str, Any] | None = None  # custom field values by key; checked by custom_fields.clean_custom_values

    _email = field_validator("email")(_check_email)


class SearchRequest(_Strict):
    query: str = Field(default="", max_length=100)
    page: int = Field(default=1, ge=1, le=10_000)
    page_size: int = Field(default=20, ge=1, le=100)
