"""Byte sizes and durations, parsed the way Docker Compose v2 parses them.

Byte values (`mem_limit`, `shm_size`, `deploy.resources.limits.memory`, ...) go through compose-go's
`UnitBytes`: a string that is a plain base-10 integer is taken as bytes (so `"-1"` works), anything
else goes to docker/go-units `RAMInBytes`. That grammar is looser and odder than the Compose spec's
"{amount}{unit}" text suggests:

- the number is everything up to the last digit or dot, or up to a single space (`"1 GB"`);
  it is parsed as a Go float, so `1.5g`, `1e3k`, `0x1p4`, `1_000m` are all accepted;
- the suffix is case-insensitive and always binary: `k m g t p` (x1024^n), each optionally followed
  by `b` or `ib` (`512m` = `512mb` = `512MiB` = `512MB`); `b` alone means bytes; nothing means bytes;
- the result is truncated toward zero (`1.9999b` is 1 byte); negative numbers are rejected.

Where Compose accepts input but produces a meaningless value, this module raises instead, so that a
rule can say why: sizes beyond 64 bits, `inf`/`nan` (Compose silently turns all of these into
-9223372036854775808), and non-integer YAML numbers such as `mem_limit: 1.5` (Compose 2.40 ignores
them: the limit is simply not set).

Durations follow Go's `time.ParseDuration` (`parse_duration`), and what Compose accepts when it decodes
a file (`parse_compose_duration`, xhit/go-str2duration: the same grammar plus `d` and `w`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

_INT64_MAX = 2**63 - 1
_INT64_MIN = -(2**63)

# go-units binaryMap: the first letter of the suffix picks the power of 1024.
_BINARY_MULTIPLIERS = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}
_NUMBER_CHARS = frozenset("0123456789. ")
_PLAIN_INTEGER = re.compile(r"[+-]?[0-9]+")  # strconv.ParseInt(s, 10, 64) syntax: no "_" in base 10

_NANOSECOND = 1
_MICROSECOND = 1000 * _NANOSECOND
_MILLISECOND = 1000 * _MICROSECOND
_SECOND = 1000 * _MILLISECOND
_MINUTE = 60 * _SECOND
_HOUR = 60 * _MINUTE
_GO_DURATION_UNITS = {
    "ns": _NANOSECOND,
    "us": _MICROSECOND,
    "\u00b5s": _MICROSECOND,  # MICRO SIGN, what Go prints
    "\u03bcs": _MICROSECOND,  # GREEK SMALL LETTER MU
    "ms": _MILLISECOND,
    "s": _SECOND,
    "m": _MINUTE,
    "h": _HOUR,
}
_COMPOSE_DURATION_UNITS = {**_GO_DURATION_UNITS, "d": 24 * _HOUR, "w": 7 * 24 * _HOUR}

_BINARY_UNIT_NAMES = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


class UnitError(ValueError):
    """A byte size or duration that Compose rejects (or would turn into nonsense)."""


def parse_bytes(value: str | int | float) -> int:
    """Return the number of bytes a Compose byte-size field holds.

    Strings are parsed as compose-go `UnitBytes` does; a YAML integer is already a byte count.
    """
    if isinstance(value, bool):
        raise UnitError(f"{str(value).lower()} is not a byte size")
    if isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise UnitError(f"byte size {value} does not fit in 64 bits")
        return value
    if isinstance(value, float):
        raise UnitError(
            f"{value!r} is not a whole number of bytes; Compose ignores non-integer YAML numbers "
            "for byte sizes (write it as a string such as '1.5g')"
        )
    if _PLAIN_INTEGER.fullmatch(value) and _INT64_MIN <= int(value) <= _INT64_MAX:
        return int(value)
    return _ram_in_bytes(value)


def _ram_in_bytes(text: str) -> int:
    """docker/go-units `RAMInBytes` (v0.5.0 `parseSize` with the binary map)."""
    separator = max((i for i, char in enumerate(text) if char in _NUMBER_CHARS), default=-1)
    if separator == -1:
        raise UnitError(f"invalid size: '{text}'")
    if text[separator] == " ":
        number, suffix = text[:separator], text[separator + 1 :]
    else:
        number, suffix = text[: separator + 1], text[separator + 1 :]
    size = _go_parse_float(number)
    if size < 0:
        raise UnitError(f"invalid size: '{text}'")
    if not suffix:
        return _truncate_to_int64(size, text)
    # The length limit counts UTF-8 bytes and is checked before lower-casing, as Go does.
    if len(suffix.encode()) > 3:
        raise UnitError(f"invalid suffix: '{suffix}'")
    suffix = suffix.lower()
    if suffix[0] == "b":
        if len(suffix) > 1:
            raise UnitError(f"invalid suffix: '{suffix}'")
        return _truncate_to_int64(size, text)
    multiplier = _BINARY_MULTIPLIERS.get(suffix[0])
    if (
        multiplier is None
        or (len(suffix) == 2 and suffix[1] != "b")
        or (len(suffix) == 3 and suffix[1:] != "ib")
    ):
        raise UnitError(f"invalid suffix: '{suffix}'")
    return _truncate_to_int64(size * multiplier, text)


def _truncate_to_int64(size: float, text: str) -> int:
    # Go's int64(float64) is undefined beyond the range (amd64 yields the minimum int64), so a
    # value there is an error here rather than a silent garbage number.
    if math.isnan(size) or size >= 2.0**63:
        raise UnitError(f"size '{text}' does not fit in 64 bits")
    return int(size)


def _go_parse_float(text: str) -> float:
    """Go's `strconv.ParseFloat(text, 64)`: decimal or hex (`0x1.8p1`) floats, `_` digit separators,
    `inf`/`infinity`/`nan`; no surrounding whitespace."""
    if not _is_go_float_syntax(text):
        raise UnitError(f"invalid number: '{text}'")
    unsigned = text.lstrip("+-").lower()
    negative = text.startswith("-")
    if unsigned in ("inf", "infinity"):
        return -math.inf if negative else math.inf
    if text.lower() == "nan":
        return math.nan
    digits = text.replace("_", "")
    try:
        value = float.fromhex(digits) if unsigned.startswith("0x") else float(digits)
    except OverflowError:
        value = math.inf
    if math.isinf(value):
        raise UnitError(f"number out of range: '{text}'")
    return value


def _is_go_float_syntax(text: str) -> bool:
    index = 1 if text[:1] in ("+", "-") else 0
    if text[index:].lower() in ("inf", "infinity") or text.lower() == "nan":
        return True
    hexadecimal = index + 2 < len(text) and text[index] == "0" and text[index + 1] in "xX"
    if hexadecimal:
        index += 2
    digit_chars = "0123456789abcdefABCDEF" if hexadecimal else "0123456789"
    saw_digits = saw_dot = underscores = False
    while index < len(text):
        char = text[index]
        if char == "_":
            underscores = True
        elif char == ".":
            if saw_dot:
                break
            saw_dot = True
        elif char in digit_chars:
            saw_digits = True
        else:
            break
        index += 1
    if not saw_digits:
        return False
    if index < len(text) and text[index].lower() == ("p" if hexadecimal else "e"):
        index += 1
        if index < len(text) and text[index] in "+-":
            index += 1
        if index >= len(text) or text[index] not in "0123456789":
            return False
        while index < len(text) and text[index] in "0123456789_":
            underscores = underscores or text[index] == "_"
            index += 1
    elif hexadecimal:
        return False  # a hex mantissa needs a p exponent
    if index != len(text):
        return False
    return not underscores or _go_underscores_ok(text)


def _go_underscores_ok(text: str) -> bool:
    """Go's rule: `_` only between digits (a base prefix counts as a digit)."""
    body = text[1:] if text[:1] in ("+", "-") else text
    previous = "start"
    index = 0
    hexadecimal = False
    if len(body) >= 2 and body[0] == "0" and body[1].lower() in "box":
        index = 2
        previous = "digit"
        hexadecimal = body[1].lower() == "x"
    for char in body[index:]:
        if char.isdigit() and char.isascii() or hexadecimal and char.lower() in "abcdef":
            previous = "digit"
        elif char == "_":
            if previous != "digit":
                return False
            previous = "underscore"
        elif previous == "underscore":
            return False
        else:
            previous = "other"
    return previous != "underscore"


def parse_duration(value: str) -> float:
    """Seconds in a Go `time.ParseDuration` string (`1h30m`, `1.5s`, `-2ms`, `300µs`, `0`)."""
    return _parse_nanoseconds(value, _GO_DURATION_UNITS, limit=2**63) / _SECOND


def parse_compose_duration(value: str) -> float:
    """Seconds in a duration as Compose decodes it (healthcheck `interval`, `stop_grace_period` ...).

    xhit/go-str2duration v2: Go's grammar plus `d` (24h) and `w` (7d), with int64 arithmetic, so
    -9223372036854775808ns, which Go itself accepts, is out of range here.
    """
    return _parse_nanoseconds(value, _COMPOSE_DURATION_UNITS, limit=_INT64_MAX) / _SECOND


def _parse_nanoseconds(text: str, units: Mapping[str, int], limit: int) -> int:
    """Go's duration algorithm; `limit` is the largest magnitude the accumulator may hold
    (Go's uint64 version allows 2**63 so that the minimum int64 can be written)."""
    invalid = UnitError(f'time: invalid duration "{text}"')
    rest = text
    negative = False
    if rest[:1] in ("+", "-"):
        negative = rest[0] == "-"
        rest = rest[1:]
    if rest == "0":
        return 0
    if not rest:
        raise invalid
    total = 0
    while rest:
        if not (rest[0] == "." or rest[0].isascii() and rest[0].isdigit()):
            raise invalid
        whole, rest, consumed_whole = _leading_int(rest, limit, invalid)
        fraction, scale, consumed_fraction = 0, 1.0, False
        if rest[:1] == ".":
            fraction, scale, rest, consumed_fraction = _leading_fraction(rest[1:], limit)
        if not consumed_whole and not consumed_fraction:
            raise invalid
        unit_end = 0
        while unit_end < len(rest) and not (rest[unit_end] == "." or "0" <= rest[unit_end] <= "9"):
            unit_end += 1
        if unit_end == 0:
            raise UnitError(f'time: missing unit in duration "{text}"')
        unit_name, rest = rest[:unit_end], rest[unit_end:]
        unit = units.get(unit_name)
        if unit is None:
            raise UnitError(f'time: unknown unit "{unit_name}" in duration "{text}"')
        if whole > limit // unit:
            raise invalid
        whole *= unit
        if fraction > 0:
            # Go computes the fractional part in float64, truncating toward zero.
            whole += int(float(fraction) * (float(unit) / scale))
            if whole > limit:
                raise invalid
        total += whole
        if total > limit:
            raise invalid
    if negative:
        return -total
    if total > _INT64_MAX:
        raise invalid
    return total


def _leading_int(text: str, limit: int, overflow: UnitError) -> tuple[int, str, bool]:
    value = 0
    index = 0
    while index < len(text) and "0" <= text[index] <= "9":
        if value > limit // 10:
            raise overflow
        value = value * 10 + ord(text[index]) - ord("0")
        if value > limit:
            raise overflow
        index += 1
    return value, text[index:], index > 0


def _leading_fraction(text: str, limit: int) -> tuple[int, float, str, bool]:
    """Digits after the dot; once they would overflow, further digits are consumed but ignored."""
    value = 0
    scale = 1.0
    overflowed = False
    index = 0
    while index < len(text) and "0" <= text[index] <= "9":
        digit = ord(text[index]) - ord("0")
        index += 1
        if overflowed:
            continue
        if value > _INT64_MAX // 10 or value * 10 + digit > limit:
            overflowed = True
            continue
        value = value * 10 + digit
        scale *= 10
    return value, scale, text[index:], index > 0


def format_bytes(n: int) -> str:
    """A byte count in binary units for messages: `512 MiB`, `1.5 GiB`, `~1 GiB` when rounded."""
    sign = "-" if n < 0 else ""
    magnitude = abs(n)
    exponent = 0
    while exponent + 1 < len(_BINARY_UNIT_NAMES) and magnitude >= 1024 ** (exponent + 1):
        exponent += 1
    unit = 1024**exponent
    rounded = round(magnitude / unit, 2)
    exact = magnitude * 100 == round(rounded * 100) * unit
    text = f"{rounded:.2f}".rstrip("0").rstrip(".")
    return f"{'' if exact else '~'}{sign}{text} {_BINARY_UNIT_NAMES[exponent]}"
