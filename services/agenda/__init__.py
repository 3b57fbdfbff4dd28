"""The RM's day (issue 14): today's tasks and the reminders drawn from the data (assessments about to expire,
birthdays, customers due a follow-up), and one tap to call a customer."""
from services.agenda.messages import MESSAGES as _MESSAGES
from services.i18n import MESSAGES as _ALL

_clash = {code for code, text in _MESSAGES.items() if code in _ALL and _ALL[code] != text}
if _clash:
    raise RuntimeError(f"message codes defined twice: {sorted(_clash)}")
_ALL.update(_MESSAGES)
