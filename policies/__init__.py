"""Policy checks over the resolved program model (see docs/policies.md)."""
