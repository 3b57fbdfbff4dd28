"""Loan applications: submission with automatic checks, approval through the loan workflow, decision letters."""
