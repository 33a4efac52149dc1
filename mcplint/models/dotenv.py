r"""The `.env` / `env_file` grammar of compose-go's `dotenv` package (Compose v2.40, compose-go v2.9).

One statement after another, where a statement starts at the next non-blank character:

- `# ...` up to the end of the line is a comment (only where a statement could start).
- `export` followed by whitespace is dropped in front of a key.
- The key runs to `=`, `:` (YAML style, `KEY: value`) or the end of the line. It may hold letters,
  digits, `_ . - [ ]` and, oddly, tabs (only a space is refused); a key that ends the line
  (`KEY`) takes its value from the environment and sets nothing when the variable is unset. A last
  line with no `=`, `:` or newline is read as a value for the empty key.
- After the separator, blanks are skipped, then the value is
  - unquoted: the rest of the line, cut at the first ` #` (space, hash), trailing whitespace
    removed, then interpolated;
  - single-quoted: literal up to the closing quote (`\'` is a quote, other backslashes stay);
  - double-quoted: up to the closing quote (`\"` is a quote), may span lines; then the escapes
    `\a \b \f \n \r \t \v \\ \" \$` and octal `\0NNN` are expanded (others such as `\x41` stay as
    written), then the value is interpolated (`\$` gives a literal `$`).
  Text after a closing quote on the same line is read as further statements (`A="x" B=y` sets both;
  `A="x" junk` also declares a bare key `junk`).
- Interpolation is Compose's (see `interpolation`), with variables taken first from the
  environment (`lookup`) and only then from keys set earlier in the same file.

A UTF-8 byte-order mark at the start is ignored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from mcplint.models.interpolation import InterpolationError, interpolate

# Go's unicode.IsSpace (Python's str.isspace also counts \x1c-\x1f).
GO_UNICODE_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
# The parser's own "blank within a line": no newline, but NEL and NO-BREAK SPACE count.
_LINE_SPACE = frozenset("\t\v\f\r \x85\xa0")
_EXPORT = re.compile(r"export[\t\n\f\r ]")  # Go's \s is ASCII [\t\n\f\r ] (no \v)
_KEY_PUNCTUATION = frozenset("_.-[]")
_ESCAPE = re.compile(r'\\(?:[abcfnrtv$"\\]|0[0-9]{0,3})')
_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    '"': '"',
}
_BYTE_ORDER_MARK = "\ufeff"


@dataclass(frozen=True, slots=True)
class EnvEntry:
    """One statement. `value` is None for a bare `KEY` line: the environment's value when the
    variable is set, otherwise the statement changes nothing (an earlier value of KEY stays)."""

    key: str
    value: str | None
    line: int  # 1-based line of the key


class DotenvError(ValueError):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"line {line}: {message}")
        self.message = message
        self.line = line


def parse_dotenv(text: str, lookup: Callable[[str], str | None] = lambda _: None) -> tuple[EnvEntry, ...]:
    """The statements of an env file, values interpolated; raises DotenvError."""
    return _Parser(text.removeprefix(_BYTE_ORDER_MARK), lookup).run()


class _Parser:
    def __init__(self, text: str, lookup: Callable[[str], str | None]) -> None:
        self._text = text
        self._lookup = lookup
        self._values: dict[str, str] = {}

    def run(self) -> tuple[EnvEntry, ...]:
        entries: list[EnvEntry] = []
        position = self._statement_start(0)
        while position is not None:
            entry, position = self._statement(position)
            if entry is not None:
                entries.append(entry)
            position = self._statement_start(position)
        return tuple(entries)

    def _line(self, position: int) -> int:
        return self._text.count("\n", 0, position) + 1

    def _statement_start(self, position: int) -> int | None:
        text = self._text
        while True:
            while position < len(text) and text[position] in GO_UNICODE_SPACE:
                position += 1
            if position >= len(text):
                return None
            if text[position] != "#":
                return position
            position = text.find("\n", position)
            if position < 0:
                return None

    def _statement(self, start: int) -> tuple[EnvEntry | None, int]:
        text = self._text
        position = start
        if _EXPORT.match(text, position):
            position += len("export")
            while position < len(text) and text[position] in _LINE_SPACE:
                position += 1
            if position >= len(text):
                raise DotenvError("zero length string", self._line(start))
        key_start = position
        line = self._line(key_start)
        key, inherited, position = self._key(key_start, line)
        if " " in key:
            raise DotenvError("key cannot contain a space", line)
        while position < len(text) and text[position] in _LINE_SPACE:
            position += 1
        if inherited:
            # No environment defines the empty name, so Compose never sets anything for it.
            return (EnvEntry(key, None, line) if key else None), position
        value, position = self._value(position, line)
        self._values[key] = value
        return EnvEntry(key, value, line), position

    def _key(self, start: int, line: int) -> tuple[str, bool, int]:
        """The key and whether it ends the line; the position after its separator."""
        text = self._text
        for position in range(start, len(text)):
            char = text[position]
            if char in _LINE_SPACE:
                continue
            if char in "=:\n":
                key = text[start:position]
                while key and key[-1] in GO_UNICODE_SPACE:
                    key = key[:-1]
                return key, char == "\n", position + 1
            if char not in _KEY_PUNCTUATION and unicodedata.category(char)[0] not in "LN":
                statement = text[start:].split("\n", 1)[0]
                raise DotenvError(f"unexpected character {char!r} in variable name {statement!r}", line)
        # A last line without separator: compose-go reads all of it as the value of the empty key.
        return "", False, start

    def _value(self, start: int, line: int) -> tuple[str, int]:
        text = self._text
        quote = text[start] if start < len(text) and text[start] in "'\"" else None
        if quote is None:
            end = text.find("\n", start)
            end = len(text) if end < 0 else end
            value = text[start:end].split(" #", 1)[0]
            while value and value[-1] in GO_UNICODE_SPACE:
                value = value[:-1]
            return self._interpolate(value, line), min(end + 1, len(text))
        raw, end = self._quoted(start, quote, line)
        if quote == "'":
            return raw, end
        return self._interpolate(_expand_escapes(raw), line), end

    def _quoted(self, start: int, quote: str, line: int) -> tuple[str, int]:
        """The characters between the quotes, with escaped quotes unescaped; the position after."""
        text = self._text
        chars: list[str] = []
        escaped = False
        for position in range(start + 1, len(text)):
            char = text[position]
            if escaped:
                escaped = False
                if char != quote:
                    chars.append("\\")
                chars.append(char)
            elif char == "\\":
                escaped = True
            elif char == quote:
                return "".join(chars), position + 1
            else:
                chars.append(char)
        opening = text[start:].split("\n", 1)[0]
        raise DotenvError(f"unterminated quoted value {opening}", line)

    def _interpolate(self, value: str, line: int) -> str:
        def variable(name: str) -> str | None:
            from_environment = self._lookup(name)
            return from_environment if from_environment is not None else self._values.get(name)

        try:
            return interpolate(value, variable).value
        except InterpolationError as error:
            raise DotenvError(error.message, line) from error


def _expand_escapes(value: str) -> str:
    return _ESCAPE.sub(_expand_escape, value)


def _expand_escape(match: re.Match[str]) -> str:
    sequence = match.group()
    if sequence == "\\$":
        return "$$"  # stays a literal "$" through interpolation
    if sequence[1] != "0":
        return _SIMPLE_ESCAPES.get(sequence[1], sequence)
    # compose-go rewrites "\0NNN" to Go's "\NNN", which needs exactly three octal digits up to 0377;
    # anything else stays in its rewritten form (so "\0" alone becomes "\").
    octal = sequence[2:]
    if len(octal) == 3 and all(digit in "01234567" for digit in octal) and int(octal, 8) <= 0o377:
        return chr(int(octal, 8))
    return "\\" + octal
