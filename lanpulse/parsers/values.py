"""Turn raw SNMP values into tag strings and field numbers, as a `Source` says."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from lanpulse.core.model import Oid, SnmpValue
from lanpulse.core.profile import Source

_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def as_text(value: SnmpValue) -> str:
    """Printable text of a raw value: OCTET STRINGs decoded, trailing NULs and blanks cut."""
    if isinstance(value, bytes):
        if value and not _printable(value):
            return value.hex()
        return value.decode("utf-8", errors="replace").strip("\x00").strip()
    return str(value)


# Bytes of printable text: tab, newline, carriage return, ASCII graphics and space, and
# every byte >= 0x80 (UTF-8 sequences). Anything else means binary (a MAC, a serial).
_TEXT_BYTES = bytes([9, 10, 13, *range(32, 127), *range(0x80, 0x100)])


def _printable(raw: bytes) -> bool:
    # Deleting the text bytes leaves nothing for text (done in C: labels are on every row).
    return not raw.rstrip(b"\x00").translate(None, _TEXT_BYTES)


def as_number(value: SnmpValue) -> int | float | None:
    """A number from an int, or from text such as `0.15` (UCD laLoad) or `42 %`."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = as_text(value) if isinstance(value, bytes) else str(value)
    m = _NUMBER.search(text)
    if not m:
        return None
    s = m.group(0)
    return float(s) if "." in s else int(s)


# One source's conversion, compiled: (value, row index, want) -> result (None: absent).
Converter = Callable[[SnmpValue | None, str, str], Any]


def compile_converter(src: Source) -> Converter:
    """The source's conversion decided once: a fast path for the common shapes, else the
    generic one. Whoever compiles keeps it (a `PlanSource` does, per profile source)."""
    if src.value is not None:
        constant = src.value
        return lambda value, index, want: constant
    fast = _fast_path(src)
    if fast is not None:
        return lambda value, index, want: fast(value, want)
    return lambda value, index, want: convert_generic(src, value, index, want)


def convert(src: Source, value: SnmpValue | None, index: str, want: str) -> Any:
    """Apply one source's conversion; `want` is "tag" or "field". None means absent.

    Compiles the conversion on every call: code that converts per row keeps a
    `compile_converter` result instead.
    """
    return compile_converter(src)(value, index, want)


def convert_generic(src: Source, value: SnmpValue | None, index: str, want: str) -> Any:
    """`convert` for every source shape, step by step (the fast paths must agree with it)."""
    if src.value is not None:
        return src.value
    if src.index is not None:
        parts = index.split(".")
        if src.index > len(parts):
            return None
        value = parts[src.index - 1]
    if value is None:
        return None
    if src.as_ == "hex" and isinstance(value, bytes):
        value = value.hex()
    elif src.as_ == "mac" and isinstance(value, bytes):
        value = ":".join(f"{b:02x}" for b in value)
    if src.regex is not None:
        # The re module's own cache keeps the compiled pattern.
        m = re.search(src.regex, as_text(value) if not isinstance(value, str) else value)
        if not m:
            return None
        value = m.group(1) if m.groups() else m.group(0)
    if src.map is not None:
        key = as_text(value) if not isinstance(value, str) else value
        if isinstance(value, Oid):
            key = value.lstrip(".")
        if key in src.map:
            value = src.map[key]
        elif src.default is not None:
            value = src.default
        else:
            return None
    if want == "tag" or src.as_ in ("string", "hex", "mac", "oid"):
        text = value if isinstance(value, str) else as_text(value)
        if text and src.format is not None:
            text = src.format.replace("{}", text)
        return text or None
    number = as_number(value) if not isinstance(value, int | float) else value
    if number is None:
        return None
    if src.invalid and number in src.invalid:
        return None
    if src.as_ == "float":
        number = float(number)
    elif src.as_ == "int":
        number = int(number)
    if src.scale is not None:
        number = number * src.scale
        if isinstance(number, float) and number.is_integer() and src.as_ != "float":
            number = int(number)
    return number


# A converter for the common source shapes, decided once per Source: (value, want) -> result.
Fast = Callable[[SnmpValue | None, str], Any]


def _fast_path(src: Source) -> Fast | None:
    """A specialised converter for a mapped or a scaled/invalid-checked source, else None."""
    if (
        src.value is not None
        or src.index is not None
        or src.regex is not None
        or src.format is not None
        or src.as_ not in (None, "int", "float")
    ):
        return None
    if src.map is not None:
        if src.as_ is not None or src.scale is not None or src.invalid:
            return None
        return _mapped(src.map, src.default)
    return _numeric(src.scale, src.invalid or None, src.as_)


def _mapped(table: dict[str, Any], default: Any) -> Fast:
    def fast(value: SnmpValue | None, want: str) -> Any:
        if value is None:
            return None
        if type(value) is int:
            key = str(value)
        elif isinstance(value, Oid):
            key = value.lstrip(".")
        else:
            key = value if isinstance(value, str) else as_text(value)
        if key in table:
            value = table[key]
        elif default is not None:
            value = default
        else:
            return None
        if want == "tag":
            text = value if isinstance(value, str) else as_text(value)
            return text or None
        return value if isinstance(value, int | float) else as_number(value)

    return fast


def _numeric(scale: float | None, invalid: list[int] | None, as_: str | None) -> Fast:
    def fast(value: SnmpValue | None, want: str) -> Any:
        if value is None:
            return None
        if want == "tag":
            text = value if isinstance(value, str) else as_text(value)
            return text or None
        number = value if isinstance(value, int | float) else as_number(value)
        if number is None:
            return None
        if invalid and number in invalid:
            return None
        if as_ == "float":
            number = float(number)
        elif as_ == "int":
            number = int(number)
        if scale is not None:
            number = number * scale
            if isinstance(number, float) and number.is_integer() and as_ != "float":
                number = int(number)
        return number

    return fast
