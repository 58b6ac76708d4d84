"""Composition root of the polling daemon (built in the daemon issue)."""
