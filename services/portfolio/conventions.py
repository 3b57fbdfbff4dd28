"""How a transaction's amount is signed, as data.

The amount is signed from the account's side: money into the account is positive, money out negative.
Deposit-like accounts add it to their balance; loans and credit cards keep what is owed, so the ingest
subtracts it (a card spend of -260 raises what is owed by 260, a repayment of +2,000 lowers it) and the
month-end roll-up does the same. Each kind has one direction, except interest, which a deposit earns and
a loan or card is charged. Every TransactionKind must appear here, so a new kind forces a decision.
"""
from __future__ import annotations

from services.portfolio.models import AccountKind, TransactionKind as K

CREDIT, DEBIT = 1, -1
LIABILITY_KINDS = frozenset({AccountKind.LOAN, AccountKind.CREDIT_CARD})

# kind -> (sign on a deposit-like account, sign on a loan or card)
AMOUNT_SIGN: dict[K, tuple[int, int]] = {
    K.DEPOSIT: (CREDIT, CREDIT),
    K.WITHDRAWAL: (DEBIT, DEBIT),
    K.TRANSFER_IN: (CREDIT, CREDIT),
    K.TRANSFER_OUT: (DEBIT, DEBIT),
    K.PURCHASE: (DEBIT, DEBIT),
    K.REDEMPTION: (CREDIT, CREDIT),
    K.DIVIDEND: (CREDIT, CREDIT),
    K.INTEREST: (CREDIT, DEBIT),
    K.FEE: (DEBIT, DEBIT),
    K.LOAN_DRAWDOWN: (DEBIT, DEBIT),
    K.LOAN_REPAYMENT: (CREDIT, CREDIT),
    K.CARD_SPEND: (DEBIT, DEBIT),
    K.CARD_REPAYMENT: (CREDIT, CREDIT),
    K.PREMIUM: (DEBIT, DEBIT),
}


def is_liability(account_kind: str) -> bool:
    return account_kind in LIABILITY_KINDS


def expected_sign(kind: K | str, account_kind: str) -> int:
    """CREDIT or DEBIT: the sign an amount of `kind` must have on an account of `account_kind`."""
    on_asset, on_liability = AMOUNT_SIGN[K(kind)]
    return on_liability if is_liability(account_kind) else on_asset


def sign_problem(kind: K | str, account_kind: str, amount) -> str | None:
    """The message code when `amount` has the wrong sign for `kind` on that account, else None."""
    sign = expected_sign(kind, account_kind)
    if sign == CREDIT and amount <= 0:
        return "transaction.amount_credit"
    if sign == DEBIT and amount >= 0:
        return "transaction.amount_debit"
    return None


def describe() -> str:
    """The convention in words, from the table (the API's documentation of a transaction's amount)."""
    def kinds(signs: tuple[int, int]) -> str:
        return ", ".join(k.value for k, s in AMOUNT_SIGN.items() if s == signs)

    mixed = "; ".join(f"{k.value} is {'positive' if a == CREDIT else 'negative'} on deposit-like accounts and "
                      f"{'positive' if b == CREDIT else 'negative'} on loans and credit cards"
                      for k, (a, b) in AMOUNT_SIGN.items() if a != b)
    return (f"Signed from the account's side: money into the account positive, money out negative, never zero. "
            f"Positive: {kinds((CREDIT, CREDIT))}. Negative: {kinds((DEBIT, DEBIT))}. {mixed.capitalize()}.")
