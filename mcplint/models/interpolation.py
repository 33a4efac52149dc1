"""Variable interpolation in Compose values, as compose-go's `template` package does it.

Compose (v2.40, compose-go v2.9) finds `$` expressions with one regular expression and replaces each
match; this module follows that algorithm rather than a shell grammar, because the quirks are part
of what users see:

- `$$` is a literal `$`; `$NAME` and `${NAME}` look a variable up. Names are `[_A-Za-z][_A-Za-z0-9]*`
  (case-insensitive matching in Go also admits U+017F and U+212A, which fold to `s` and `k`).
  A `$` followed by anything else (`$1`, `$-`, a trailing `$`) is left as it is.
- `${NAME:-default}` (unset or empty), `${NAME-default}` (unset), `${NAME:+alt}` (set and not empty),
  `${NAME+alt}` (set), `${NAME:?message}` (error when unset or empty), `${NAME?message}` (error when
  unset). The operator is the one right after the name; the argument runs to the matching `}`, found
  by counting every `{` and `}` (and skipping the character after each `{`), and may itself contain
  expressions. The argument is interpolated *before* the variable is looked up, so an unset variable
  in an unused default still warns, and a `:?` inside an unused default still fails.
- An expression that cannot be read fails the whole value: `${` not closed on the same line (the
  argument cannot span a newline), `${}`, `${1}`, `${NAME }`, and every operator Compose lacks
  (`${NAME/x/y}`, `${NAME#x}`, `${NAME:1}`...).
- An unset variable without an operator becomes the empty string, and Compose warns.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# Go's case-insensitive [_a-z] also matches the two non-ASCII letters that case-fold into it.
_NAME_START = "_A-Za-z\u017f\u212a"
_NAME = f"[{_NAME_START}][{_NAME_START}0-9]*"
_EXPRESSION = re.compile(
    r"\$(?:"
    r"(?P<escaped>\$)"
    rf"|(?P<named>{_NAME})"
    rf"|\{{(?:(?P<braced>{_NAME}(?::?[-+?].*)?)\}}|(?P<invalid>))"
    r")"
)
_LEADING_NAME = re.compile(_NAME)
# Operators in the order compose-go prefers them when two start at the same place.
_OPERATORS = (":?", "?", ":-", "-", ":+", "+")


class InterpolationError(ValueError):
    """A value Compose refuses to interpolate; `offset` is that of the offending `$` in the input."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(frozen=True, slots=True)
class Interpolated:
    value: str
    missing: tuple[str, ...]  # unset variables Compose warns about ("Defaulting to a blank string")
    used: tuple[str, ...]  # every variable name looked up, in lookup order


def interpolate(text: str, lookup: Callable[[str], str | None]) -> Interpolated:
    """Interpolate `text`; `lookup` returns a variable's value, or None when it is unset."""
    state = _State(lookup)
    value = state.substitute(text, 0)
    return Interpolated(value, tuple(dict.fromkeys(state.missing)), tuple(dict.fromkeys(state.used)))


def has_interpolation(text: str) -> bool:
    """Whether Compose treats some `$` in `text` specially (a variable, a `$$` escape or a broken
    `${`), i.e. whether `interpolate` can change the text or fail."""
    return _EXPRESSION.search(text) is not None


class _State:
    def __init__(self, lookup: Callable[[str], str | None]) -> None:
        self._lookup = lookup
        self.missing: list[str] = []
        self.used: list[str] = []

    def substitute(self, template: str, base: int) -> str:
        """One compose-go `Substitute` call; `base` is where `template` starts in the input."""
        pieces: list[str] = []
        position = 0
        for match in _EXPRESSION.finditer(template):
            pieces.append(template[position : match.start()])
            pieces.append(self._replace(template, match.group(), base + match.start()))
            position = match.end()
        pieces.append(template[position:])
        return "".join(pieces)

    def _replace(self, template: str, matched: str, offset: int) -> str:
        # A braced match with an operator runs greedily to the last "}" on the line; the
        # expression itself ends at the first balanced "}", and what follows is substituted anew.
        closing = _first_balanced_closing_brace(matched)
        expression, rest = (matched, "") if closing < 0 else (matched[: closing + 1], matched[closing + 1 :])
        groups = _EXPRESSION.match(expression)
        if groups is None or groups["invalid"] is not None:
            raise InterpolationError(
                f'invalid interpolation format in "{template}": you may need to escape any $ with another $',
                offset,
            )
        if groups["escaped"] is not None:
            return "$"
        if groups["named"] is not None:
            return self._plain(groups["named"])
        body = groups["braced"]
        name = _LEADING_NAME.match(body)
        assert name is not None  # the pattern guarantees a leading name
        operator = next((op for op in _OPERATORS if body.startswith(op, name.end())), None)
        if operator is None:
            value = self._plain(body)
        else:
            argument_start = name.end() + len(operator)
            argument_offset = offset + len("${") + argument_start
            value = self._apply(name.group(), operator, body[argument_start:], argument_offset, offset)
        return value + self.substitute(rest, offset + len(expression))

    def _plain(self, name: str) -> str:
        value = self._get(name)
        if value is None:
            self.missing.append(name)
            return ""
        return value

    def _get(self, name: str) -> str | None:
        self.used.append(name)
        return self._lookup(name)

    def _apply(self, name: str, operator: str, argument: str, argument_offset: int, offset: int) -> str:
        argument_value = self.substitute(argument, argument_offset)
        value = self._get(name)
        if operator == ":-":
            return argument_value if not value else value
        if operator == "-":
            return argument_value if value is None else value
        if operator == ":+":
            return argument_value if value else ""
        if operator == "+":
            return argument_value if value is not None else ""
        if value is None or (operator == ":?" and value == ""):
            detail = f": {argument_value}" if argument_value else ""
            raise InterpolationError(f"required variable {name} is missing a value{detail}", offset)
        return value


def _first_balanced_closing_brace(text: str) -> int:
    """compose-go `getFirstBraceClosingIndex`, including its skip of the character after `{`."""
    depth = 0
    index = 0
    while index < len(text):
        if text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
        if text[index] == "{":
            depth += 1
            index += 1
        index += 1
    return -1
