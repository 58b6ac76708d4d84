"""Line protocol, the durable spool and the InfluxDB writers (v1 and v2 APIs)."""
