"""The customer list people work from: its sort keys (kept per customer from the domains that own them), saved
views, recently viewed customers and bulk actions on a selection. A read model above the customers, portfolio
and activities domains, like the customer 360: it reacts to their events and calls their use cases."""
