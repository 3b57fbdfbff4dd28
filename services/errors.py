"""Domain errors. Each carries a message code that `services.i18n` renders in the user's language."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldError:
    field: str
    code: str
    params: dict = field(default_factory=dict)


class DomainError(Exception):
    code = "error.generic"
    http_status = 400

    def __init__(self, code: str | None = None, **params):
        self.code = code or self.code
        self.params = params
        super().__init__(f"{self.code} {params}" if params else self.code)

    def message(self, locale: str) -> str:
        from services.i18n import translate

        return translate(self.code, locale, **self.params)


class Refusal(DomainError):
    """An actor was refused: the unit of work it leaves audits it as `access.refused`, after rolling
    back (services/security/refusals.py). Carries who was refused and, where known, what for."""

    def __init__(self, code: str | None = None, *, actor=None, permission=None, entity_type: str | None = None,
                 entity_id=None, audit_details: dict | None = None, **params):
        super().__init__(code, **params)
        self.actor = actor
        self.permission = permission
        self.entity_type = entity_type
        self.entity_id = entity_id
        self.audit_details = audit_details
        self.audited = False


class NotPermitted(Refusal):
    code = "error.not_permitted"
    http_status = 403


class NotFound(DomainError):
    code = "error.not_found"
    http_status = 404


class OutOfScope(Refusal):
    """A record that exists but lies outside the actor's data scope. It answers exactly as a record that
    does not exist (same code, message and status), so nobody learns which ids exist; it is audited as
    a refusal, unlike a plain NotFound."""

    code = NotFound.code
    http_status = NotFound.http_status


class ConcurrentModification(DomainError):
    code = "error.concurrent_modification"
    http_status = 409


class VersionChanged(DomainError):
    """What the caller based a change on is no longer current (another device, another person changed it): nothing
    written; `current` is the record as it is now (plain JSON values), so the person can see both versions and
    choose. The phone's sync routes answer it as 409 with `current`."""

    http_status = 409

    def __init__(self, code: str | None = None, *, current: dict, **params):
        super().__init__(code, **params)
        self.current = current


class AuthenticationFailed(DomainError):
    code = "auth.invalid_credentials"
    http_status = 401


class TooManyAttempts(DomainError):
    """Failed credential checks reached a limit (services/security/throttle.py); params: minutes."""

    code = "auth.throttled"
    http_status = 429


class SessionInvalid(DomainError):
    code = "auth.session_invalid"
    http_status = 401


class ValidationFailed(DomainError):
    code = "error.validation"
    http_status = 422

    def __init__(self, errors: list[FieldError]):
        super().__init__()
        self.errors = errors

    def message(self, locale: str) -> str:
        from services.i18n import field_label, translate

        parts = [
            f"{field_label(e.field, locale, e.params)}: {translate(e.code, locale, **e.params)}"
            for e in self.errors
        ]
        return "; ".join(parts) or translate(self.code, locale)


class RefusedInput(ValidationFailed, Refusal):
    """Input refused because of who sends it, not because it is malformed: a field the actor's role may not
    change, a relationship manager outside the actor's scope, an ID number that already belongs to another
    customer. Answered like any invalid input (422, naming each field), and audited as a refusal when it leaves
    the unit of work, so the trail shows who tried what."""

    def __init__(self, errors: list[FieldError], *, actor, entity_type: str | None = None, entity_id=None):
        ValidationFailed.__init__(self, errors)
        self.actor = actor
        self.permission = None
        self.entity_type = entity_type
        self.entity_id = entity_id
        self.audit_details = {"fields": {e.field[:60]: e.code for e in errors[:20]}}
        self.audited = False
