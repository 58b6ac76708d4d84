"""Simulated devices on 127.0.0.1 for the demo estate and the test harness."""
