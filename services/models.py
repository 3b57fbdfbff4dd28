"""Every table, imported in one place so SQLModel.metadata is complete (Alembic, tests)."""
from sqlmodel import SQLModel

from services.analytics.models import (EmailMessage, MetricCustomer, MetricFact, MetricGrant,  # noqa: F401
                                       MetricOpportunity, NextBestAction, ReportSubscription)
from services.activities.models import BehaviourEvent, Interaction, Task, Ticket  # noqa: F401
from services.agenda.models import OfflineSubmission, Reminder, ReminderRule  # noqa: F401
from services.agenda.offline_models import OfflineTaskSubmission, VisitCheckIn  # noqa: F401
from services.aml.models import (Alert, Case, CaseNote, MonitoringRule, MonitorMark, RescreenRun,  # noqa: F401
                                 RiskAssessment, ScreeningHit, Watchlist, WatchlistEntry)
from services.customer360.models import OwnerChange  # noqa: F401
from services.customer_list.models import CustomerFigures, RecentCustomer, SavedView  # noqa: F401
from services.customers.models import (ConsentRecord, CreditRating, Customer, CustomFieldDefinition,  # noqa: F401
                                       Document, Household, Relationship)
from services.imports.models import ImportBatch, ImportReviewItem  # noqa: F401
from services.holds import WriteHold  # noqa: F401
from services.integration.models import (ApiClient, ApiToken, ExternalRef, IdempotencyRecord,  # noqa: F401
                                         OutboxMessage, WebhookDelivery, WebhookEndpoint)
from services.opportunities.models import Opportunity  # noqa: F401
from services.org.models import Branch, Team  # noqa: F401
from services.portfolio.models import Account, AumSnapshot, Holding, Product, Transaction  # noqa: F401
from services.security.models import AuditEvent, LoginAttempt, User, UserSession  # noqa: F401
from services.tags.models import CustomerTag, CustomerTagChange, Tag, TagRule  # noqa: F401
from services.loans.models import LoanApplication  # noqa: F401
from services.underwriting.models import UnderwritingCase  # noqa: F401
from services.workflows.models import (ApprovalDelegation, ApprovalTask, WorkflowDefinition,  # noqa: F401
                                       WorkflowInstance, WorkflowVersion)
from services.suitability.models import (AssessmentReminder, CustomerMessage, IdentityChallenge,  # noqa: F401
                                         InvestorClassification, InvestorCriteria, Questionnaire,
                                         QuestionnaireLink, QuestionnaireSession, Recording, RegimeAssignment,
                                         ReviewChecklist, Sale, SaleRule, Signature, SuitabilityCheck,
                                         SuitabilityRegime)
from services.suitability.models import RiskAssessment as SuitabilityAssessment  # noqa: F401

metadata = SQLModel.metadata
