"""How Compose splits a string `command:` or `entrypoint:` into arguments.

compose-go's `ShellCommand` calls mattn/go-shellwords v1.0.12 `shellwords.Parse` with its defaults
(no environment expansion, no backtick execution). That is not a shell:

- words are separated by space, tab, CR and LF (not by other Unicode blanks);
- `'...'` is literal; inside `"..."` and outside quotes a backslash keeps the next character
  literally and is dropped (`\\n` is `n`, not a newline); `""` and `''` give an empty argument;
- `$VAR` stays as written (Compose interpolated the string before splitting); `$(...)` and `` `...` ``
  are kept verbatim in one word, blanks included, but quotes inside them still open and close;
- an unquoted `;`, `&`, `|`, `<` or `>` silently ENDS the command: `echo a && echo b` runs
  `["echo", "a"]`. Before `>` a word that starts with a digit (`2>&1`) is dropped too;
- an unquoted `(` that does not follow `$`, an unclosed quote, backtick or `$(`, a trailing
  backslash, or an odd number of bare `)` is an error ("invalid command line string").

A healthcheck `test:` string is not split: it becomes `["CMD-SHELL", text]`.
"""

from __future__ import annotations

from dataclasses import dataclass

_WORD_SEPARATORS = frozenset(" \t\r\n")
_COMMAND_ENDS = frozenset(";&|<>")


@dataclass(frozen=True, slots=True)
class CommandSplit:
    words: tuple[str, ...]
    stopped_at: int | None  # offset of the unquoted ; & | < > where Compose stopped reading, if any


class CommandSplitError(ValueError):
    """A string Compose rejects with "invalid command line string"."""


def split_command(text: str) -> list[str]:
    """The argument list Compose runs for a string `command:` / `entrypoint:`."""
    return list(scan_command(text).words)


def scan_command(text: str) -> CommandSplit:
    """`split_command`, also telling where Compose silently stopped reading the string."""
    words: list[str] = []
    word = ""
    has_word = False
    escaped = single_quoted = double_quoted = in_backticks = in_dollar_parens = False
    stopped_at: int | None = None
    for offset, char in enumerate(text):
        if escaped:
            escaped = False
            word += char
            has_word = True
            continue
        if char == "\\" and not single_quoted:
            escaped = True
            continue
        if char in _WORD_SEPARATORS:
            if single_quoted or double_quoted or in_backticks or in_dollar_parens:
                word += char
            elif has_word:
                words.append(word)
                word, has_word = "", False
            continue
        # Each branch below either consumes the character (continue) or lets it join the word.
        if char == "`" and not (single_quoted or double_quoted or in_dollar_parens):
            in_backticks = not in_backticks
        elif char == ")" and not (single_quoted or double_quoted or in_backticks):
            # go-shellwords toggles here, so a bare ")" opens a "$(" that never closes.
            in_dollar_parens = not in_dollar_parens
        elif char == "(" and not (single_quoted or double_quoted or in_backticks):
            if in_dollar_parens or not word.endswith("$"):
                raise CommandSplitError(f"invalid command line string: unexpected '(' at offset {offset}")
            in_dollar_parens = True
            word += char
            continue
        elif char == '"' and not (single_quoted or in_dollar_parens):
            if double_quoted:
                has_word = True
            double_quoted = not double_quoted
            continue
        elif char == "'" and not (double_quoted or in_dollar_parens):
            if single_quoted:
                has_word = True
            single_quoted = not single_quoted
            continue
        elif char in _COMMAND_ENDS and not (
            single_quoted or double_quoted or in_backticks or in_dollar_parens
        ):
            if char == ">" and word[:1].isascii() and word[:1].isdigit():
                has_word = False  # a file-descriptor number such as the 2 in 2>&1
            stopped_at = offset
            break
        word += char
        has_word = True
    if has_word:
        words.append(word)
    unclosed = _unclosed(escaped, single_quoted, double_quoted, in_backticks, in_dollar_parens)
    if unclosed:
        raise CommandSplitError(f"invalid command line string: {unclosed}")
    return CommandSplit(tuple(words), stopped_at)


def _unclosed(escaped: bool, single: bool, double: bool, backticks: bool, dollar_parens: bool) -> str | None:
    if escaped:
        return "trailing backslash"
    if single:
        return "unclosed single quote"
    if double:
        return "unclosed double quote"
    if backticks:
        return "unclosed backtick"
    if dollar_parens:
        return "unbalanced ')' or unclosed '$('"
    return None
