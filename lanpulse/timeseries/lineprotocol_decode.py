"""Line protocol back into `Sample`s: `lanpulse spool` tools, capacity reports, tests.

The parsing is the one strict parser (`lanpulse.core.lineprotocol_parse`); this module only
makes its points `Sample`s. What `lineprotocol.LineEncoder` writes reads back as the sample
it encoded (after `stored_text`'s normalisation). A boolean, which lanpulse never writes (the
schema has none; the encoder writes a bool as 1i/0i), becomes 1 or 0 like that encoding.
"""

from __future__ import annotations

from lanpulse.core.lineprotocol_parse import parse_line
from lanpulse.core.model import FieldValue, Sample


def decode_line(line: str) -> Sample:
    """Parse one line of line protocol back into a `Sample` (no timestamp: time 0);
    `LineProtocolError` (a ValueError) says what is wrong."""
    point = parse_line(line.strip(" \t\r\n"))  # not str.strip: U+0085 may start a name
    fields: dict[str, FieldValue] = {
        key: int(value) if isinstance(value, bool) else value for key, value in point.fields.items()
    }
    return Sample(
        measurement=point.measurement, tags=point.tags, fields=fields, time_ns=point.time_ns
    )


def decode_lines(data: bytes) -> list[Sample]:
    """Parse newline-separated line protocol, skipping blank lines and `#` comments."""
    samples: list[Sample] = []
    for raw in data.decode().split("\n"):
        line = raw.strip(" \t\r")
        if line and not line.startswith("#"):
            samples.append(decode_line(line))
    return samples
