"""lanpulse: SNMP and SSH-CLI observability for an office LAN estate."""

__version__ = "0.1.0"
