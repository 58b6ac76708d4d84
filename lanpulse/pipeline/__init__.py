"""Glue between collectors, parsers and sinks: one device poll, and the fan-out of samples."""
