"""Every table, imported in one place so SQLModel.metadata is complete (Alembic, tests)."""
from sqlmodel import SQLModel

from services.activities.models import Interaction, Task  # noqa: F401
from services.customers.models import Customer, Relationship  # noqa: F401
from services.org.models import Branch, Team  # noqa: F401
from services.portfolio.models import Account, Holding, Product, Transaction  # noqa: F401
from services.security.models import AuditEvent, LoginAttempt, User, UserSession  # noqa: F401

metadata = SQLModel.metadata
