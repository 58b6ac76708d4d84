"""A small simulated estate on 127.0.0.1: real recordings whose counters move."""
