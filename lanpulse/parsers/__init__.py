"""Pure functions: raw results + profile specs -> canonical Samples. No I/O here."""
