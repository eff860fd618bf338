"""The hosted chat page: the customer-facing page, its socket, identities, rate limits and e-mail."""
