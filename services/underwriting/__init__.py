"""Insurance underwriting: proposals with a health questionnaire, triaged and decided through the underwriting workflow."""
