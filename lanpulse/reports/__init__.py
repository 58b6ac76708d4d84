"""Capacity reports: InfluxQL queries -> typed tables -> forecasts -> html/csv/json."""
