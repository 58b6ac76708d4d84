"""I/O only: collectors fetch raw results from devices and never build Samples."""
