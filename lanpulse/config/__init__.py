"""Configuration: pydantic models, the YAML loader with line numbers, secrets, profiles."""
