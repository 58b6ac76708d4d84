"""Typed records, the canonical schema and the error tree shared by every package."""
