"""What a definition must offer for the items it decides: a loan definition's decisions are read by the loan
service (the authority matrix, the scorecard, the grade, the anti-fraud rules), an underwriting definition's by
the underwriting service. The validator holds every new version to its kind's contract, so a version that
would break the services that use it is never saved."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DecisionContract:
    inputs: frozenset[str]  # input expressions the service supplies (a table may use fewer)
    outputs: frozenset[str]  # outputs the service reads (the table must have them all)


@dataclass(frozen=True)
class Kind:
    code: str
    subject_type: str
    authority_decision: str  # role x product type x risk grade -> max_amount
    decisions: dict[str, DecisionContract] = field(default_factory=dict)
    # Data the instance carries, which gateway conditions and business rule tasks may read. After each decision:
    # `decisions` (step id -> approve | reject | return | withdrawn, for countersigning: merged at a parallel join),
    # and, Camunda style, the latest `decision` and `approved` (true when it approved).
    data: frozenset[str] = frozenset()
    # What its end events may say happened (camunda property "outcome" on each end event).
    outcomes: frozenset[str] = frozenset()


_AUTHORITY = DecisionContract(inputs=frozenset({"role", "product_type", "risk_grade"}),
                              outputs=frozenset({"max_amount"}))

LOAN = Kind(
    code="loan", subject_type="loan_application", authority_decision="loan_authority",
    decisions={
        "loan_authority": _AUTHORITY,
        "loan_scorecard": DecisionContract(
            inputs=frozenset({"dti", "monthly_income", "credit_rating", "ltv", "age", "relationship_years",
                              "amount", "term_months", "product_type", "has_collateral"}),
            outputs=frozenset({"points"})),
        "loan_grade": DecisionContract(inputs=frozenset({"score"}), outputs=frozenset({"risk_grade"})),
        "loan_fraud": DecisionContract(
            inputs=frozenset({"same_phone_30d", "same_id_30d", "amount_to_annual_income", "amount"}),
            outputs=frozenset({"flag"})),
    },
    data=frozenset({"amount", "term_months", "product_type", "risk_grade", "score", "dti", "aml_status",
                    "fraud_flags", "monthly_income", "ltv", "has_collateral", "decisions", "initiator", "route",
                    "decision", "approved", "last_comment"}),
    outcomes=frozenset({"approved", "rejected"}),
)

UNDERWRITING = Kind(
    code="underwriting", subject_type="underwriting_case", authority_decision="uw_authority",
    decisions={"uw_authority": _AUTHORITY},
    data=frozenset({"sum_insured", "amount", "product_type", "age", "bmi", "smoker", "conditions", "hospitalised",
                    "risk_grade", "decisions", "initiator", "outcome", "decision", "approved",
                    "last_comment"}),
    outcomes=frozenset({"accepted", "declined"}),
)

KINDS: dict[str, Kind] = {k.code: k for k in (LOAN, UNDERWRITING)}
