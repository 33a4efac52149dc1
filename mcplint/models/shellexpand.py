"""Variable expansion in Dockerfile words, as BuildKit's shell lexer does it for COPY, FROM, ENV ...

Supported: `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}`, `${VAR+word}`,
`${VAR:?msg}`, `${VAR?msg}`; quotes are removed (single quotes keep `$` literal, double quotes
expand) and the escape character protects the next character. mcplint must never guess: a word that
needs a variable whose value is unknown (declared without a value, or not declared at all, since it
may come from the base image's ENV) expands to None, and so do the pattern operators (`#`, `%`, `/`)
whose result would depend on it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Unknown(Exception):
    """A variable's value is not known statically."""


def expand_word(word: str, scope: Mapping[str, str | None], escape: str = "\\") -> str | None:
    try:
        return _Expander(word, scope, escape).run()
    except _Unknown:
        return None


class _Expander:
    def __init__(self, text: str, scope: Mapping[str, str | None], escape: str) -> None:
        self.text = text
        self.scope = scope
        self.escape = escape
        self.pos = 0

    def run(self, stop: str = "") -> str:
        out: list[str] = []
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if stop and char == stop:
                return "".join(out)
            if char == self.escape and self.pos + 1 < len(text):
                out.append(text[self.pos + 1])
                self.pos += 2
            elif char == "'" and not stop:
                end = text.find("'", self.pos + 1)
                if end < 0:
                    raise _Unknown
                out.append(text[self.pos + 1 : end])
                self.pos = end + 1
            elif char == '"' and not stop:
                self.pos += 1
                out.append(self._double_quoted())
            elif char == "$":
                out.append(self._variable())
            else:
                out.append(char)
                self.pos += 1
        if stop:
            raise _Unknown  # unterminated ${...}
        return "".join(out)

    def _double_quoted(self) -> str:
        out: list[str] = []
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == '"':
                self.pos += 1
                return "".join(out)
            if char == self.escape and self.pos + 1 < len(text) and text[self.pos + 1] in '"$' + self.escape:
                out.append(text[self.pos + 1])
                self.pos += 2
            elif char == "$":
                out.append(self._variable())
            else:
                out.append(char)
                self.pos += 1
        raise _Unknown  # unterminated quote: BuildKit errors, so there is no value to know

    def _lookup(self, name: str) -> str | None:
        if name not in self.scope:
            return None
        return self.scope[name]

    def _variable(self) -> str:
        text = self.text
        self.pos += 1  # the '$'
        if self.pos >= len(text):
            return "$"
        if text[self.pos] != "{":
            match = _NAME.match(text, self.pos)
            if not match:
                return "$"
            self.pos = match.end()
            value = self._lookup(match.group())
            if value is None:
                raise _Unknown
            return value
        self.pos += 1
        match = _NAME.match(text, self.pos)
        if not match:
            raise _Unknown
        name = match.group()
        self.pos = match.end()
        if self.pos < len(text) and text[self.pos] == "}":
            self.pos += 1
            value = self._lookup(name)
            if value is None:
                raise _Unknown
            return value
        operator = text[self.pos : self.pos + 2]
        if operator in (":-", ":+", ":?"):
            self.pos += 2
        elif text[self.pos : self.pos + 1] in ("-", "+", "?"):
            operator = text[self.pos]
            self.pos += 1
        else:
            raise _Unknown  # pattern operators (#, %, /) or a malformed expression
        word = self.run(stop="}")
        self.pos += 1  # the '}'
        declared = name in self.scope
        value = self.scope.get(name)
        if declared and value is None:
            raise _Unknown
        if not declared:
            # Undeclared here may still be set by the base image: only forms that ignore it are known.
            raise _Unknown
        empty = value == ""
        if operator == ":-":
            return word if empty else value
        if operator == "-":
            return value
        if operator == ":+":
            return "" if empty else word
        if operator == "+":
            return word
        if empty and operator == ":?":
            raise _Unknown
        return value
