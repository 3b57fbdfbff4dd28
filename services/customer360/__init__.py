"""The customer 360: one read of everything FinCRM knows about a customer, across domains (profile, accounts
and holdings, transactions, relationships and household, interactions, tickets, behaviour, tags, ratings,
documents, custom fields). A read model above the domains it shows, so that none of them depends on another
to be shown."""
