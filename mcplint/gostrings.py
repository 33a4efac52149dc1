"""Strings quoted as Go's `%q` / `%#v` prints them, for messages that repeat what Docker, BuildKit or
go-yaml would say word for word."""

from __future__ import annotations

_ESCAPES = {
    '"': '\\"', "\\": "\\\\", "\a": "\\a", "\b": "\\b", "\f": "\\f",
    "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v",
}  # fmt: skip


def go_quote(text: str) -> str:
    """Go's `%#v` (and `%q`) of a string: escapes for quotes, backslashes and control characters."""
    quoted = []
    for character in text:
        if character in _ESCAPES:
            quoted.append(_ESCAPES[character])
        elif character.isprintable():
            quoted.append(character)
        elif ord(character) < 0x80:
            quoted.append(f"\\x{ord(character):02x}")
        elif ord(character) < 0x10000:
            quoted.append(f"\\u{ord(character):04x}")
        else:
            quoted.append(f"\\U{ord(character):08x}")
    return '"' + "".join(quoted) + '"'
