"""Anti-money laundering inside the CRM: watchlists, screening, transaction monitoring, cases, risk rating."""
from services.aml.messages import MESSAGES as _MESSAGES
from services.i18n import MESSAGES as _ALL

for _code, _text in _MESSAGES.items():
    _ALL.setdefault(_code, _text)
