"""PostgreSQL configuration exactly as the server reads it: values, postgresql.conf files, `postgres` argv.

Three layers, each a faithful copy of the server's own rules (PostgreSQL 15 sources, checked against a
real 15 server in tests/test_pgconf.py):

- **Values** (`parse_value`): the grammar of guc.c `parse_int` / `parse_real` / `parse_bool` and enum
  lookup. Integers are read like C `strtol(s, &end, 0)` (so `0x20000` is hex and `010` is *octal* 8),
  re-read with `strtod` when that stops at `.`, `e` or `E` (so `1e3` and `1.5GB` work); whitespace may
  separate number and unit; units are case-sensitive (`B kB MB GB TB`, `us ms s min h d`, at most three
  letters); a fractional value with a unit is rounded to a whole number of the next smaller unit, then
  to the base unit with round-half-even (`rint`); a unitless number is in the parameter's base unit
  (8 kB pages for `shared_buffers`). Booleans accept unique prefixes of on/off/true/false/yes/no and
  `1`/`0`, case-insensitively; enums match case-insensitively, including the spellings the server
  hides from `pg_settings` (`huge_pages = yes`). Error messages are the server's.
- **Files** (`parse_conf`, `load_conf`): the lexer of guc-file.l, token for token. Consequences users
  trip over: an unquoted `1.5GB` is two tokens and a syntax error, as is an unquoted `lib.so` (a
  "qualified identifier" is not a value) or a path starting with `/`; quoted strings take `''` and C
  escapes (`\\n`, octal `\\101`; a `\\0` ends the value). Includes follow ParseConfigFile: relative to
  the including file, `include_dir` reads `*.conf` (not dotfiles) in byte order, nesting deeper than
  10 fails, and the last occurrence of a setting wins.
- **Command line** (`parse_server_args`): postmaster's getopt string, with GNU argument permutation, the
  short options that set parameters (`-B`, `-N`, `-S`, `-i`, `-F`, ...) and `-c name=value` /
  `--name=value` with `-` folded to `_`.

The settings table (name, context, type, unit, range, boot default, enum spellings) is generated from a
real server by scripts/gen_pg_settings.py into mcplint/data/postgres/settings-<major>.json.
"""

from __future__ import annotations

import difflib
import functools
import json
import math
import os
import posixpath
import re
import stat
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from importlib import resources
from pathlib import Path
from types import MappingProxyType

# --------------------------------------------------------------------------------------------------
# The settings table

FALLBACK_MAJOR = 15


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One server parameter as pg_settings describes it (values in the parameter's base unit)."""

    name: str  # the server's spelling (DateStyle, TimeZone, work_mem)
    vartype: str  # bool, integer, real, string, enum
    unit: str | None  # base unit: 8kB, kB, MB, B, ms, s, min, or None
    min: int | float | None
    max: int | float | None
    default: bool | int | float | str | None  # the boot value (before any configuration file)
    enumvals: tuple[str, ...] | None  # documented enum values, in the server's order
    context: str = ""  # internal, postmaster, sighup, superuser-backend, backend, superuser, user
    # every spelling the server accepts (lower-case) → the value it then reports; includes hidden ones
    enum_spellings: tuple[tuple[str, str], ...] = ()


def _data_text(name: str) -> str:
    return (resources.files("mcplint") / "data" / "postgres" / name).read_text(encoding="utf-8")


def has_exact_table(major: int) -> bool:
    """Whether a settings table was generated from a server of exactly this major (else 15's stands in,
    and a name it does not know may still be valid in that version)."""
    return (resources.files("mcplint") / "data" / "postgres" / f"settings-{major}.json").is_file()


def _table_text(major: int) -> str:
    return _data_text(f"settings-{major if has_exact_table(major) else FALLBACK_MAJOR}.json")


@functools.cache
def settings_table(major: int = FALLBACK_MAJOR) -> Mapping[str, ParamSpec]:
    """Parameters by lower-case name. Majors without a generated table use PostgreSQL 15's."""
    table = {}
    for key, entry in json.loads(_table_text(major))["parameters"].items():
        table[key] = ParamSpec(
            name=entry["name"],
            vartype=entry["vartype"],
            unit=entry["unit"],
            min=entry["min"],
            max=entry["max"],
            default=entry["default"],
            enumvals=tuple(entry["enumvals"]) if entry["enumvals"] is not None else None,
            context=entry["context"],
            enum_spellings=tuple(sorted((entry["enum_spellings"] or {}).items())),
        )
    return MappingProxyType(table)


@functools.cache
def _defaults_document() -> dict:
    return json.loads(_data_text("defaults.json"))  # type: ignore[no-any-return]


def known_majors() -> tuple[int, ...]:
    """The major versions whose defaults were researched (13-18), oldest first."""
    return tuple(sorted(int(major) for major in _defaults_document()["majors"]))


@functools.cache
def memory_defaults(major: int) -> Mapping[str, str]:
    """Defaults of the memory-relevant parameters for a major version, written as postgresql.conf
    values (parse them with `parse_value`). Parameters the version does not have are absent. Majors
    outside the researched range (13-18) use the nearest one."""
    known = known_majors()
    nearest = min(max(major, known[0]), known[-1])
    values = {}
    for name, entry in _defaults_document()["parameters"].items():
        value = entry["values"].get(str(nearest))
        if value is not None:
            values[name] = value
    return MappingProxyType(values)


def lookup(name: str, major: int = FALLBACK_MAJOR) -> ParamSpec | None:
    """The parameter called `name` (case-insensitive, as the server compares names)."""
    return settings_table(major).get(_ascii_lower(name))


def suggest_name(name: str, major: int = FALLBACK_MAJOR) -> str | None:
    """A known parameter the user probably meant ("did you mean"), or None."""
    table = settings_table(major)
    folded = _ascii_lower(name)
    if folded in table:
        return None
    normalised = folded.replace("-", "_").strip()
    if normalised in table:
        return table[normalised].name
    close = difflib.get_close_matches(normalised, list(table), n=1, cutoff=0.75)
    return table[close[0]].name if close else None


# --------------------------------------------------------------------------------------------------
# Values

INT_MAX = 2**31 - 1
INT_MIN = -(2**31)
_LONG_MAX = 2**63 - 1
_LONG_MIN = -(2**63)
_C_SPACE = " \t\n\v\f\r"  # isspace() in the C locale
_MAX_UNIT_LEN = 3

MEMORY_UNITS_HINT = 'Valid units for this parameter are "B", "kB", "MB", "GB", and "TB".'
TIME_UNITS_HINT = 'Valid units for this parameter are "us", "ms", "s", "min", "h", and "d".'
_INTEGER_RANGE_HINT = "Value exceeds integer range."

# Bytes per memory unit; a parameter's base unit may carry a multiple ("8kB" pages).
_MEMORY_UNIT_BYTES = {"B": 1, "kB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
_MEMORY_ORDER = ("TB", "GB", "MB", "kB", "B")
# Time units, largest first as guc.c's conversion table lists them, and for each base unit how many
# base units one of them is. guc.c spells these as C constant expressions; the same divisions give the
# same doubles here (1.0 / 1000 is not exact, and must not be written as 0.001).
_TIME_ORDER = ("d", "h", "min", "s", "ms", "us")
_TIME_BASE_MULTIPLIERS = {
    "ms": {"d": 1000 * 60 * 60 * 24, "h": 1000 * 60 * 60, "min": 1000 * 60, "s": 1000, "ms": 1,
           "us": 1.0 / 1000},
    "s": {"d": 60 * 60 * 24, "h": 60 * 60, "min": 60, "s": 1, "ms": 1.0 / 1000, "us": 1.0 / (1000 * 1000)},
    "min": {"d": 60 * 24, "h": 60, "min": 1, "s": 1.0 / 60, "ms": 1.0 / (1000 * 60),
            "us": 1.0 / (1000 * 1000 * 60)},
}
_BASE_UNIT = re.compile(r"(\d*)(B|kB|MB|GB|TB)")


class PgValueError(ValueError):
    """A value the server would reject, with the server's message and hint."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def _memory_base_bytes(unit: str | None) -> int | None:
    match = _BASE_UNIT.fullmatch(unit or "")
    if match is None:
        return None
    return int(match[1] or 1) * _MEMORY_UNIT_BYTES[match[2]]


def _unit_multipliers(base_unit: str) -> tuple[tuple[str, float], ...] | None:
    """(unit, multiplier to the base unit) in guc.c's table order, or None for no such base unit."""
    base_bytes = _memory_base_bytes(base_unit)
    if base_bytes is not None:
        # Every memory multiplier is a power of two, so the division is exact however it is written.
        return tuple((u, _MEMORY_UNIT_BYTES[u] / base_bytes) for u in _MEMORY_ORDER)
    table = _TIME_BASE_MULTIPLIERS.get(base_unit)
    if table is None:
        return None
    return tuple((u, float(table[u])) for u in _TIME_ORDER)


def _convert_to_base_unit(value: float, unit_text: str, base_unit: str) -> float | None:
    """guc.c convert_to_base_unit: None if the unit is unknown or followed by anything but spaces."""
    unit = ""
    index = 0
    while index < len(unit_text) and unit_text[index] not in _C_SPACE and len(unit) < _MAX_UNIT_LEN:
        unit += unit_text[index]
        index += 1
    if unit_text[index:].strip(_C_SPACE):
        return None
    table = _unit_multipliers(base_unit)
    if table is None:
        return None
    for position, (name, multiplier) in enumerate(table):
        if name == unit:
            converted = value * multiplier
            if position + 1 < len(table):
                # "30.1GB" becomes a whole number of MB: round to the next smaller unit.
                smaller = table[position + 1][1]
                converted = _rint(converted / smaller) * smaller
            return converted
    return None


def _rint(value: float) -> float:
    """C rint() in the default rounding mode: round half to even, keeping the sign of a zero
    (-0.4 gives -0.0, which the server prints as "-0"); infinities pass through."""
    if not math.isfinite(value):
        return value
    return math.copysign(float(round(value)), value)


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in _C_SPACE:
        index += 1
    return index


def _strtol(text: str) -> tuple[int | None, int, bool]:
    """C strtol(text, &end, 0): (value or None if no digits, end index, overflowed)."""
    index = _skip_space(text, 0)
    sign = 1
    if index < len(text) and text[index] in "+-":
        sign = -1 if text[index] == "-" else 1
        index += 1
    if text[index : index + 2] in ("0x", "0X") and index + 2 < len(text) and text[index + 2] in _HEX_DIGITS:
        base, digits_start = 16, index + 2
        valid = _HEX_DIGITS
    elif text[index : index + 1] == "0":
        base, digits_start, valid = 8, index, "01234567"
    else:
        base, digits_start, valid = 10, index, "0123456789"
    end = digits_start
    while end < len(text) and text[end] in valid:
        end += 1
    if end == digits_start:
        return None, 0, False  # no conversion: end points at the start of the string
    value = sign * int(text[digits_start:end], base)
    return value, end, not (_LONG_MIN <= value <= _LONG_MAX)


_HEX_DIGITS = "0123456789abcdefABCDEF"
_HEX_FLOAT = re.compile(r"0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?")
_DEC_FLOAT = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INF_NAN = re.compile(r"(?i:infinity|inf|nan(?:\([0-9A-Za-z_]*\))?)")
_DBL_MIN = sys.float_info.min


def _strtod(text: str) -> tuple[float | None, int, bool]:
    """C strtod in the C locale (glibc): (value or None if no conversion, end index, ERANGE)."""
    index = _skip_space(text, 0)
    negative = False
    if index < len(text) and text[index] in "+-":
        negative = text[index] == "-"
        index += 1
    for pattern in (_HEX_FLOAT, _DEC_FLOAT, _INF_NAN):
        match = pattern.match(text, index)
        if match:
            break
    else:
        return None, 0, False
    word = match[0]
    erange = False
    if pattern is _INF_NAN:
        value = math.nan if word[:3].lower() == "nan" else math.inf
    elif pattern is _HEX_FLOAT:
        mantissa = word if "p" in word.lower() else word + "p0"
        try:
            value = float.fromhex(mantissa)
        except OverflowError:
            value, erange = math.inf, True
        else:
            erange = _underflowed(value, _exact_hex(mantissa))
    else:
        value = float(word)
        erange = math.isinf(value) or _underflowed(value, Fraction(word))
    return (-value if negative else value), match.end(), erange


def _exact_hex(word: str) -> Fraction:
    mantissa, _, exponent = word.lower()[2:].partition("p")
    whole, _, fraction = mantissa.partition(".")
    digits = int((whole + fraction) or "0", 16)
    return Fraction(digits) * Fraction(2) ** (int(exponent) - 4 * len(fraction))


def _underflowed(value: float, exact: Fraction) -> bool:
    # glibc reports ERANGE when the result is below the normal range and not exact.
    return exact != 0 and abs(value) < _DBL_MIN and Fraction(value) != exact


def _invalid(spec: ParamSpec, raw: str, hint: str | None = None) -> PgValueError:
    return PgValueError(f'invalid value for parameter "{spec.name}": "{raw}"', hint)


def _units_hint(spec: ParamSpec) -> str:
    return MEMORY_UNITS_HINT if _memory_base_bytes(spec.unit) is not None else TIME_UNITS_HINT


def _apply_unit(spec: ParamSpec, raw: str, value: float, end: int) -> float:
    end = _skip_space(raw, end)
    if end == len(raw):
        return value
    if spec.unit is None:
        raise _invalid(spec, raw)  # this parameter takes no unit; the server gives no hint
    converted = _convert_to_base_unit(value, raw[end:], spec.unit)
    if converted is None:
        raise _invalid(spec, raw, _units_hint(spec))
    return converted


def _parse_int(spec: ParamSpec, raw: str) -> int:
    value_long, end, overflow = _strtol(raw)
    if overflow or raw[end : end + 1] in (".", "e", "E"):
        value, end, erange = _strtod(raw)
        if value is None or erange or math.isnan(value):
            raise _invalid(spec, raw)
    elif value_long is None:
        raise _invalid(spec, raw)
    else:
        value = float(value_long)
    value = _rint(_apply_unit(spec, raw, value, end))
    if not (INT_MIN <= value <= INT_MAX):
        raise _invalid(spec, raw, _INTEGER_RANGE_HINT)
    result = int(value)
    if (spec.min is not None and result < spec.min) or (spec.max is not None and result > spec.max):
        unit = f" {spec.unit}" if spec.unit else ""
        raise PgValueError(
            f'{result}{unit} is outside the valid range for parameter "{spec.name}"'
            f" ({spec.min} .. {spec.max})"
        )
    floor = _CLAMPED_MINIMUM.get(spec.name)
    if floor is not None and result != -1 and result < floor:
        return floor
    return result


# Check hooks that silently raise an accepted value (PostgreSQL 15 check_wal_buffers,
# check_autovacuum_work_mem); -1 means "derive it" and is kept.
_CLAMPED_MINIMUM = {"wal_buffers": 4, "autovacuum_work_mem": 1024}


def _parse_real(spec: ParamSpec, raw: str) -> float:
    value, end, erange = _strtod(raw)
    if value is None or erange or math.isnan(value):
        raise _invalid(spec, raw)
    value = _apply_unit(spec, raw, value, end)
    if (spec.min is not None and value < spec.min) or (spec.max is not None and value > spec.max):
        unit = f" {spec.unit}" if spec.unit else ""
        raise PgValueError(
            f"{format_real(value)}{unit} is outside the valid range for parameter"
            f' "{spec.name}" ({format_real(spec.min)} .. {format_real(spec.max)})'
        )
    return value


def format_real(value: float | None) -> str:
    """A real as the server prints it (%g through PostgreSQL's own snprintf: Infinity, NaN)."""
    if value is None:
        return ""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return f"{value:g}"


def _parse_bool(spec: ParamSpec, raw: str) -> bool:
    folded = _ascii_lower(raw)
    first = folded[:1]
    # guc.c parse_bool: any prefix of the word, except that "o" alone is ambiguous (on/off).
    if first == "t" and "true".startswith(folded):
        return True
    if first == "f" and "false".startswith(folded):
        return False
    if first == "y" and "yes".startswith(folded):
        return True
    if first == "n" and "no".startswith(folded):
        return False
    if first == "o" and len(folded) >= 2:
        if "on".startswith(folded):
            return True
        if "off".startswith(folded):
            return False
    if folded in ("1", "0"):
        return folded == "1"
    raise PgValueError(f'parameter "{spec.name}" requires a Boolean value')


def _parse_enum(spec: ParamSpec, raw: str) -> str:
    folded = _ascii_lower(raw)
    for spelling, shown in spec.enum_spellings:
        if spelling == folded:
            return shown
    available = ", ".join(spec.enumvals or ())
    raise _invalid(spec, raw, f"Available values: {available}.")


def parse_value(spec: ParamSpec, raw: str) -> int | float | bool | str:
    """The value the server would store for `raw`, or PgValueError with the server's message.

    Integers and reals come back in the parameter's base unit (shared_buffers in 8 kB pages, work_mem
    in kB), after the two memory clamps the server applies silently (wal_buffers ≥ 4 pages,
    autovacuum_work_mem ≥ 1 MB unless -1); enums as the name the server reports for them
    (`huge_pages = yes` → "on"); strings as given. Other per-parameter check hooks (DateStyle's
    syntax, max_stack_depth against the platform's stack limit, ...) are not modelled."""
    if spec.vartype == "integer":
        return _parse_int(spec, raw)
    if spec.vartype == "real":
        return _parse_real(spec, raw)
    if spec.vartype == "bool":
        return _parse_bool(spec, raw)
    if spec.vartype == "enum":
        return _parse_enum(spec, raw)
    return raw


def to_bytes(spec: ParamSpec, value: int | float) -> int | None:
    """A memory parameter's value (in base units) as bytes; None for non-memory parameters and for the
    negative sentinels (-1 = "derive it", as in wal_buffers and autovacuum_work_mem)."""
    unit_bytes = _memory_base_bytes(spec.unit)
    if unit_bytes is None or value < 0 or isinstance(value, bool):
        return None
    return int(value * unit_bytes)


def _ascii_lower(text: str) -> str:
    # The server folds only ASCII letters (pg_strcasecmp, guc_name_compare).
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

# --------------------------------------------------------------------------------------------------
# postgresql.conf


@dataclass(frozen=True, slots=True)
class ConfEntry:
    """`name = value` as written; offsets are character offsets into the file text."""

    name: str  # lower-cased as Postgres folds names
    raw_value: str  # the value after unquoting
    line: int  # 1-based
    name_start: int
    name_end: int
    value_start: int  # the value token as written (quotes included)
    value_end: int


@dataclass(frozen=True, slots=True)
class Include:
    """An include, include_if_exists or include_dir directive."""

    kind: str  # 'include' | 'include_if_exists' | 'include_dir'
    target: str  # the path as written, after unquoting
    line: int
    start: int  # the whole directive: from the keyword ...
    end: int  # ... to the end of the target token
    target_start: int
    target_end: int


class ConfSyntaxError(ValueError):
    """A line the server's configuration parser rejects (the server then refuses to start)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line

    def __repr__(self) -> str:
        return f"ConfSyntaxError({self.message!r}, line={self.line})"


_INCLUDE_KINDS = ("include", "include_if_exists", "include_dir")
_MAX_SYNTAX_ERRORS = 100  # guc-file.l gives up on a file after this many

# Token kinds of guc-file.l
_EOL, _ID, _QUALIFIED_ID, _STRING, _UNQUOTED, _INTEGER, _REAL, _EQUALS, _ERROR = range(9)
_VALUE_TOKENS = frozenset({_ID, _STRING, _INTEGER, _REAL, _UNQUOTED})

# LETTER is [A-Za-z_\200-\377] on bytes: every byte of a UTF-8 encoded non-ASCII character qualifies.
_LETTER = r"[A-Za-z_\u0080-\U0010ffff]"
_LETTER_OR_DIGIT = r"[A-Za-z_0-9\u0080-\U0010ffff]"
_ID_RE = rf"{_LETTER}{_LETTER_OR_DIGIT}*"
# Rules in guc-file.l order; flex takes the longest match and, on a tie, the earliest rule. Each rule
# measures how long a match it has at a position (0 for none); kind None means "skip it".
_Rule = tuple[int | None, Callable[[str, int], int]]


def _regex_rule(kind: int | None, pattern: str) -> _Rule:
    # Compiled on first use: the Unicode letter classes cost tens of milliseconds, which a run
    # that reads no postgresql.conf should not pay at start-up.
    compiled: list[re.Pattern[str]] = []

    def length(text: str, position: int) -> int:
        if not compiled:
            compiled.append(re.compile(pattern))
        match = compiled[0].match(text, position)
        return match.end() - position if match else 0

    return kind, length


def _string_length(text: str, start: int) -> int:
    """Length of the longest \\'([^'\\\\\\n]|\\\\.|\\'\\')*\\' at start, 0 if none (unterminated)."""
    if text[start : start + 1] != "'":
        return 0
    position = start + 1
    longest = 0
    while position < len(text):
        char = text[position]
        if char == "\n":
            break
        if char == "\\":
            if position + 1 < len(text) and text[position + 1] != "\n":
                position += 2
                continue
            break
        if char == "'":
            longest = position + 1 - start
            if text[position + 1 : position + 2] == "'":
                position += 2  # a doubled quote, or the end here: keep looking for a longer string
                continue
            break
        position += 1
    return longest


_RULES: tuple[_Rule, ...] = (
    _regex_rule(None, r"[ \t\r]+"),  # whitespace
    _regex_rule(None, r"#.*"),  # comment to the end of the line
    _regex_rule(_ID, _ID_RE),
    _regex_rule(_QUALIFIED_ID, rf"{_ID_RE}\.{_ID_RE}"),
    (_STRING, _string_length),
    _regex_rule(_UNQUOTED, rf"{_LETTER}(?:{_LETTER_OR_DIGIT}|[-._:/])*"),
    # INTEGER is {SIGN}?({DIGIT}+|0x{HEXDIGIT}+){UNIT_LETTER}*: flex takes the longer alternative
    _regex_rule(_INTEGER, r"[-+]?[0-9]+[a-zA-Z]*"),
    _regex_rule(_INTEGER, r"[-+]?0x[0-9a-fA-F]+[a-zA-Z]*"),
    _regex_rule(_REAL, r"[-+]?[0-9]*\.[0-9]*(?:[Ee][-+]?[0-9]+)?"),
    _regex_rule(_EQUALS, r"="),
)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: int
    start: int
    end: int
    line: int
    text: str


def _tokens(text: str) -> list[_Token | None]:
    """The token stream, ending with None (EOF)."""
    tokens: list[_Token | None] = []
    position = 0
    line = 1
    while position < len(text):
        if text[position] == "\n":
            tokens.append(_Token(_EOL, position, position + 1, line, "\n"))
            line += 1
            position += 1
            continue
        best_kind: int | None = _ERROR
        best_length = 0
        for kind, measure in _RULES:
            length = measure(text, position)
            if length > best_length:
                best_kind, best_length = kind, length
        if best_length == 0:
            best_kind, best_length = _ERROR, 1  # flex's "." rule: any single character
        if best_kind is not None:
            end = position + best_length
            tokens.append(_Token(best_kind, position, end, line, text[position:end]))
        position += best_length
    tokens.append(None)
    return tokens


def _deescape(quoted: str) -> str:
    """guc-file.l DeescapeQuotedString on the text between the quotes; a NUL byte ends the value."""
    body = quoted[1:-1]
    out = bytearray()
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            index += 1
            escaped = body[index]
            simple = {"b": b"\b", "f": b"\f", "n": b"\n", "r": b"\r", "t": b"\t"}.get(escaped)
            if simple is not None:
                out += simple
            elif escaped in "01234567":
                digits = 0
                code = 0
                while digits < 3 and index + digits < len(body) and body[index + digits] in "01234567":
                    code = code * 8 + int(body[index + digits])
                    digits += 1
                index += digits - 1
                out.append(code & 0xFF)
            else:
                out += escaped.encode("utf-8", "surrogateescape")
        elif char == "'" and body[index + 1 : index + 2] == "'":
            out += b"'"
            index += 1
        else:
            out += char.encode("utf-8", "surrogateescape")
        index += 1
    value = bytes(out).split(b"\0", 1)[0]
    return value.decode("utf-8", "surrogateescape")


def parse_conf(text: str) -> tuple[list[ConfEntry | Include], list[ConfSyntaxError]]:
    """Settings and include directives of one postgresql.conf in file order, plus syntax errors (the
    parser resumes on the next line after each, as the server does, up to 100 per file)."""
    tokens = _tokens(text)
    items: list[ConfEntry | Include] = []
    errors: list[ConfSyntaxError] = []
    index = 0

    def next_token() -> _Token | None:
        nonlocal index
        token = tokens[index]
        if token is not None:
            index += 1
        return token

    def last_line() -> int:
        return text.count("\n") + 1

    while True:
        token = next_token()
        if token is None:
            break
        if token.kind == _EOL:
            continue
        offending: _Token | None = token
        if token.kind in (_ID, _QUALIFIED_ID):
            name_token = token
            token = next_token()
            if token is not None and token.kind == _EQUALS:
                token = next_token()
            if token is not None and token.kind in _VALUE_TOKENS:
                value_token = token
                token = next_token()
                if token is None or token.kind == _EOL:
                    items.append(_item(name_token, value_token))
                    if token is None:
                        break
                    continue
            offending = token
        # A syntax error: report it where the server does, then skip to the end of the line.
        if offending is None:
            errors.append(ConfSyntaxError("syntax error near end of line", last_line()))
        elif offending.kind == _EOL:
            errors.append(ConfSyntaxError("syntax error near end of line", offending.line))
        else:
            errors.append(ConfSyntaxError(f'syntax error near token "{offending.text}"', offending.line))
        if len(errors) >= _MAX_SYNTAX_ERRORS:
            line = errors[-1].line
            errors.append(ConfSyntaxError("too many syntax errors found, abandoning file", line))
            break
        while offending is not None and offending.kind != _EOL:
            offending = next_token()
        if offending is None:
            break
    return items, errors


def _item(name_token: _Token, value_token: _Token) -> ConfEntry | Include:
    name = _ascii_lower(name_token.text)
    value = _deescape(value_token.text) if value_token.kind == _STRING else value_token.text
    if name in _INCLUDE_KINDS:
        return Include(name, value, name_token.line, name_token.start, value_token.end,
                       value_token.start, value_token.end)
    return ConfEntry(
        name, value, name_token.line, name_token.start, name_token.end, value_token.start, value_token.end
    )


@dataclass(frozen=True, slots=True)
class Setting:
    """Where a parameter's final value came from: a file entry, or a command-line argument."""

    name: str
    raw_value: str
    file: Path  # the configuration file, or whatever file held the command line
    entry: ConfEntry | None
    arg_index: int | None


@dataclass(frozen=True, slots=True)
class ResolvedConf:
    settings: Mapping[str, Setting]  # the last occurrence of each name wins
    entries: tuple[Setting, ...]  # every occurrence, in the order the server reads them (includes inline)
    files: tuple[Path, ...]  # every file read, in the order the server reads them
    problems: tuple[tuple[Path, int, str], ...]  # (file, line, message): missing include, cycle, syntax


DirLister = Callable[[Path], Sequence[tuple[str, bool | None]] | None]
MAX_INCLUDE_DEPTH = 10


def scandir_entries(directory: Path) -> list[tuple[str, bool | None]] | None:
    """(name, is_directory) for each entry of a directory, following symbolic links; is_directory is
    None when stat fails (a dangling link). None when the directory cannot be opened."""
    try:
        with os.scandir(directory) as scan:
            names = [entry.name for entry in scan]
    except OSError:
        return None
    entries: list[tuple[str, bool | None]] = []
    for name in names:
        try:
            entries.append((name, stat.S_ISDIR(os.stat(directory / name).st_mode)))
        except OSError:
            entries.append((name, None))
    return entries


def _canonical(path: str) -> str:
    # canonicalize_path: textual "." / ".." / "//" / trailing-slash cleanup, no symlink resolution.
    return posixpath.normpath(path) if path else path


def _absolute_location(location: str, calling_file: str) -> str:
    if location.startswith("/"):
        return location  # AbsoluteConfigLocation returns absolute paths untouched
    return _canonical(posixpath.join(posixpath.dirname(calling_file), location))


class _Loader:
    """The recursion of ParseConfigFile / ParseConfigFp / ParseConfigDirectory."""

    def __init__(self, read_text: Callable[[Path], str | None], list_dir: DirLister) -> None:
        self.read_text = read_text
        self.list_dir = list_dir
        self.settings: dict[str, Setting] = {}
        self.entries: list[Setting] = []
        self.files: list[Path] = []
        self.problems: list[tuple[Path, int, str]] = []
        self.stack: list[str] = []

    def problem(self, calling_file: str, line: int, message: str) -> None:
        self.problems.append((Path(calling_file), line, message))

    def parse_file(self, config_file: str, strict: bool, calling_file: str, calling_line: int,
                   depth: int) -> bool:
        if not config_file.strip(" \t\r\n"):
            self.problem(calling_file, calling_line, f'empty configuration file name: "{config_file}"')
            return False
        if depth > MAX_INCLUDE_DEPTH:
            self.problem(calling_file, calling_line,
                         f'could not open configuration file "{config_file}": maximum nesting depth exceeded')
            return False
        path = _absolute_location(config_file, calling_file)
        if path == calling_file:
            self.problem(calling_file, calling_line, f'configuration file recursion in "{calling_file}"')
            return False
        if _canonical(path) in self.stack:
            # The server has no cycle check beyond the direct one: it unrolls the cycle until the
            # nesting limit. Stop at once with the same verdict and say which files loop.
            cycle = " -> ".join([*self.stack[self.stack.index(_canonical(path)):], _canonical(path)])
            self.problem(calling_file, calling_line,
                         f'could not open configuration file "{config_file}": maximum nesting depth exceeded'
                         f" (include cycle: {cycle})")
            return False
        text = self.read_text(Path(path))
        if text is None:
            if strict:
                self.problem(calling_file, calling_line, f'could not open configuration file "{path}"')
                return False
            return True  # include_if_exists: the server only logs "skipping missing configuration file"
        self.files.append(Path(path))
        self.stack.append(_canonical(path))
        try:
            return self.parse_text(text, path, depth)
        finally:
            self.stack.pop()

    def parse_text(self, text: str, path: str, depth: int) -> bool:
        items, errors = parse_conf(text)
        ok = not errors
        for error in errors:
            self.problem(path, error.line, error.message)
        for item in items:
            if isinstance(item, Include):
                if item.kind == "include_dir":
                    included = self.parse_directory(item.target, path, item.line, depth + 1)
                else:
                    strict = item.kind == "include"
                    included = self.parse_file(item.target, strict, path, item.line, depth + 1)
                ok = ok and included
            else:
                setting = Setting(item.name, item.raw_value, Path(path), item, None)
                self.settings[item.name] = setting
                self.entries.append(setting)
        return ok

    def parse_directory(self, include_dir: str, calling_file: str, calling_line: int, depth: int) -> bool:
        if not include_dir.strip(" \t\r\n"):
            self.problem(calling_file, calling_line, f'empty configuration directory name: "{include_dir}"')
            return False
        directory = _absolute_location(include_dir, calling_file)
        entries = self.list_dir(Path(directory))
        if entries is None:
            self.problem(calling_file, calling_line, f'could not open configuration directory "{directory}"')
            return False
        chosen = []
        for name, is_directory in entries:
            if len(name) < 6 or name.startswith(".") or not name.endswith(".conf"):
                continue
            filename = _canonical(posixpath.join(directory, name))
            if is_directory is None:
                self.problem(calling_file, calling_line, f'could not stat file "{filename}"')
                return False
            if not is_directory:
                chosen.append(filename)
        # strcmp order of the full paths, i.e. byte order of the UTF-8 names
        for filename in sorted(chosen, key=lambda f: f.encode("utf-8", "surrogateescape")):
            if not self.parse_file(filename, True, calling_file, calling_line, depth):
                return False  # the server stops reading the directory at the first failure
        return True


def load_conf(path: Path, read_text: Callable[[Path], str | None],
              list_dir: DirLister = scandir_entries) -> ResolvedConf:
    """Read a postgresql.conf and everything it includes, as the server would at start-up. Never
    raises: unreadable files, cycles and syntax errors become `problems`. `read_text` returns None
    for a file that cannot be read; `list_dir` lists an include_dir (stub both in tests).
    postgresql.auto.conf is not read here: it is a separate file in the data directory."""
    loader = _Loader(read_text, list_dir)
    top = str(path)
    text = read_text(path)
    if text is None:
        loader.problem(top, 0, f'could not open configuration file "{top}"')
    else:
        loader.files.append(path)
        loader.stack.append(_canonical(top))
        loader.parse_text(text, top, 0)
    return ResolvedConf(
        MappingProxyType(dict(loader.settings)), tuple(loader.entries), tuple(loader.files), tuple(loader.problems)
    )


# --------------------------------------------------------------------------------------------------
# The postgres command line


@dataclass(frozen=True, slots=True)
class ArgSetting:
    name: str  # lower-case, '-' folded to '_'
    raw_value: str
    arg_index: int  # index into argv of the token holding the value (or the flag itself)


# postmaster.c's getopt string: a letter followed by ':' takes an argument.
_OPTSTRING = "B:bc:C:D:d:EeFf:h:ijk:lN:nOPp:r:S:sTt:W:-:"
_ARG_OPTIONS = {"B": "shared_buffers", "N": "max_connections", "S": "work_mem", "h": "listen_addresses",
                "k": "unix_socket_directories", "p": "port", "W": "post_auth_delay"}
_FLAG_OPTIONS = {"E": ("log_statement", "all"), "e": ("datestyle", "euro"), "F": ("fsync", "false"),
                 "i": ("listen_addresses", "*"), "l": ("ssl", "true"),
                 "O": ("allow_system_table_mods", "true"), "P": ("ignore_system_indexes", "true"),
                 "s": ("log_statement_stats", "true")}
_PLAN_DISABLING = {"s": "enable_seqscan", "i": "enable_indexscan", "o": "enable_indexonlyscan",
                   "b": "enable_bitmapscan", "t": "enable_tidscan", "n": "enable_nestloop",
                   "m": "enable_mergejoin", "h": "enable_hashjoin"}
_EXIT_AT_ONCE = ("--help", "-?", "--version", "-V", "--describe-config", "--single", "--boot", "--check")
SERVER_PROGRAMS = ("postgres", "postmaster")


def _atoi(text: str) -> int:
    match = re.match(r"[ \t\n\v\f\r]*([+-]?[0-9]+)", text)
    return int(match[1]) if match else 0


def _debug_settings(level: int, index: int) -> list[ArgSetting]:
    """postgres.c set_debug_options: what -d N turns on."""
    found = [ArgSetting("log_min_messages", f"debug{level}" if level > 0 else "notice", index)]
    if level >= 1:
        found.append(ArgSetting("log_connections", "true", index))
        found.append(ArgSetting("log_disconnections", "true", index))
    if level >= 2:
        found.append(ArgSetting("log_statement", "all", index))
    for threshold, name in ((3, "debug_print_parse"), (4, "debug_print_plan"), (5, "debug_print_rewritten")):
        if level >= threshold:
            found.append(ArgSetting(name, "true", index))
    return found


def _stats_option(argument: str) -> str | None:
    if argument[:2] == "pa":
        return "log_parser_stats"
    if argument[:2] == "pl":
        return "log_planner_stats"
    if argument[:1] == "e":
        return "log_executor_stats"
    return None


def parse_server_args(argv: Sequence[str]) -> tuple[list[ArgSetting], list[str]]:
    """Parameters set on a `postgres` command line, in order (the last one wins), and problems that
    make the server refuse to start (unknown option, missing value, stray argument)."""
    settings: list[ArgSetting] = []
    problems: list[str] = []
    named = bool(argv) and not argv[0].startswith("-") and posixpath.basename(argv[0]) in SERVER_PROGRAMS
    start = 1 if named else 0
    if len(argv) > start and argv[start] in _EXIT_AT_ONCE:
        problems.append(f'"{argv[start]}" makes postgres exit without starting a server')
        return settings, problems
    index = start
    while index < len(argv):
        word = argv[index]
        if word == "--":
            problems += [f'invalid argument: "{rest}"' for rest in argv[index + 1 :]]
            break
        if not word.startswith("-") or word == "-":
            # GNU getopt moves non-options to the end; postgres then rejects the first one.
            problems.append(f'invalid argument: "{word}"')
            index += 1
            continue
        position = 1
        while position < len(word):
            letter = word[position]
            spec_at = _OPTSTRING.find(letter)
            if letter == ":" or spec_at < 0:
                problems.append(f"invalid option -- '{letter}'")
                position += 1
                continue
            if _OPTSTRING[spec_at + 1 : spec_at + 2] != ":":
                if letter in _FLAG_OPTIONS:
                    name, value = _FLAG_OPTIONS[letter]
                    settings.append(ArgSetting(name, value, index))
                position += 1
                continue
            if position + 1 < len(word):
                argument, argument_index = word[position + 1 :], index
            elif index + 1 < len(argv):
                index += 1
                argument, argument_index = argv[index], index
            else:
                problems.append(f"option requires an argument -- '{letter}'")
                break
            settings += _option_settings(letter, argument, argument_index, problems)
            break
        index += 1
    return settings, problems


def _option_settings(letter: str, argument: str, index: int, problems: list[str]) -> list[ArgSetting]:
    if letter in _ARG_OPTIONS:
        return [ArgSetting(_ARG_OPTIONS[letter], argument, index)]
    if letter in ("c", "-"):
        name, equals, value = argument.partition("=")
        if not equals:
            spelled = f"--{argument}" if letter == "-" else f"-c {argument}"
            problems.append(f"{spelled} requires a value")
            return []
        return [ArgSetting(_ascii_lower(name).replace("-", "_"), value, index)]
    if letter == "d":
        return _debug_settings(_atoi(argument), index)
    if letter == "f":
        target = _PLAN_DISABLING.get(argument[:1])
        if target is None:
            problems.append(f'invalid argument for option -f: "{argument}"')
            return []
        return [ArgSetting(target, "false", index)]
    if letter == "t":
        target = _stats_option(argument)
        if target is None:
            problems.append(f'invalid argument for option -t: "{argument}"')
            return []
        return [ArgSetting(target, "true", index)]
    return []  # -C, -D, -r: not parameters
