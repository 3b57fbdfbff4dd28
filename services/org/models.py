"""Branches and teams: the organisation that data scope follows."""
from __future__ import annotations

from sqlalchemy import String
from sqlmodel import Field, SQLModel


class Branch(SQLModel, table=True):
    __tablename__ = "branch"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(16), unique=True, index=True)
    name: str = Field(sa_type=String(100))
    name_en: str = Field(sa_type=String(100))
    city: str = Field(sa_type=String(50))


class Team(SQLModel, table=True):
    __tablename__ = "team"

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    name: str = Field(sa_type=String(100))
    name_en: str = Field(sa_type=String(100))
