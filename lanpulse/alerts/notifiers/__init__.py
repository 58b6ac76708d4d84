"""Notifiers: each turns a batch of AlertEvents into one delivery (HTTP POST, e-mail).

A notifier raises `SinkError` when delivery fails (`retryable` says whether trying again
can help); the dispatcher retries with backoff and keeps the batch queued.
"""
