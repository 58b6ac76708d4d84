"""Grafana dashboards as code, their export and the HTTP API publisher."""
