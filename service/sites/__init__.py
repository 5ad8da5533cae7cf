"""Sites: the tenants of the service, each with one API key."""
