"""Reports over the registry and the policy rules (read only; the caller owns the session)."""
