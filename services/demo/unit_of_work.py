"""The seed's one transaction as a unit of work, for feature seeders that go through real use cases.

A subclass of the real UnitOfWork, so whatever a use case asks of its unit of work (publishing domain
events, the dialect) works as it does at a door; only the transaction is the seed's: `commit()` flushes
(the seed commits once, at the end) and nothing here may roll the seed back.
"""
from __future__ import annotations

from sqlmodel import Session

from services.db import UnitOfWork


class SeedUnitOfWork(UnitOfWork):
    def __init__(self, session: Session):
        super().__init__(session.get_bind())
        self.session = session

    def __enter__(self) -> "SeedUnitOfWork":
        return self

    def __exit__(self, *exc) -> None:
        return None

    def commit(self) -> None:
        self.session.flush()

    def rollback(self) -> None:
        raise RuntimeError("a demo feature seeder must not roll back the seed's transaction")
