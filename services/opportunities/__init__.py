"""Opportunities: what an RM hopes to sell a customer, moved through the pipeline (lead, qualified, proposal) and
won or lost with a reason. Decision support counts them (services/analytics) from the events they announce."""
