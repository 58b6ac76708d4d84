"""The daemon's HTTP side: `/healthz`, `/metrics`, `/api/v1` (JSON) and the status page.

aiohttp serves it (`server.WebServer`). It reads what the daemon hands it (`Endpoints`:
health, metrics text, the alert control) and never polls. Authentication (named bearer
tokens) and the checks against cross-site requests live here only (`auth`), so the rest of
lanpulse never sees an HTTP request.
"""
