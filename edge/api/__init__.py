"""HTTP interfaces: Litestar controllers over the services. No SQL and no rules here."""
