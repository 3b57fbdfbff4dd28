"""Interactions, tasks and tickets: the work done with and for customers."""
from services.activities.messages import MESSAGES as _MESSAGES
from services.i18n import MESSAGES as _ALL

_clash = {code for code, text in _MESSAGES.items() if code in _ALL and _ALL[code] != text}
if _clash:
    raise RuntimeError(f"message codes defined twice: {sorted(_clash)}")
_ALL.update(_MESSAGES)
