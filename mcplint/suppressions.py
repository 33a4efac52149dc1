"""Suppression comments: `# mcplint: ignore[CODE, name]` and `# mcplint: ignore-file[CODE]`.

A Dockerfile has no trailing comments (a `#` after an instruction is part of its arguments), so there
the comment sits on its own line and covers the next instruction, all its lines. In YAML it may also
end a line, covering that line; on its own line it covers the next line with content. Codes are
required, and a code that suppressed nothing is reported by MC002 (unused-suppression), whose fix
removes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from mcplint.registry import find_rule
from mcplint.source import SourceFile

_PATTERN = re.compile(r"#[ \t]*mcplint:[ \t]*(ignore-file|ignore)[ \t]*\[([^\]\n]*)\]")


@dataclass(frozen=True, slots=True)
class SuppressedCode:
    written: str  # as in the comment
    code: str | None  # resolved rule code, None when it names no rule
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Suppression:
    source: SourceFile
    whole_file: bool
    codes: tuple[SuppressedCode, ...]
    start: int  # the directive `# mcplint: ...[...]`
    end: int
    list_start: int  # the text between the brackets
    list_end: int
    own_line: bool
    first_line: int  # lines covered (inclusive); ignored for whole-file suppressions
    last_line: int

    def covers(self, code: str, line: int) -> bool:
        if not any(item.code == code for item in self.codes):
            return False
        return self.whole_file or self.first_line <= line <= self.last_line


def parse_directive(
    source: SourceFile, start: int, end: int
) -> tuple[bool, tuple[SuppressedCode, ...], int, int, int] | None:
    """Read a suppression directive in `source.text[start:end]` (a comment); None if it is not one."""
    match = _PATTERN.search(source.text, start, end)
    if match is None:
        return None
    codes = []
    list_start = match.start(2)
    for item in re.finditer(r"[^,\s][^,]*?(?=\s*(?:,|$))", match.group(2)):
        written = item.group()
        registered = find_rule(written)
        codes.append(
            SuppressedCode(
                written,
                registered.code if registered else None,
                list_start + item.start(),
                list_start + item.end(),
            )
        )
    return match.group(1) == "ignore-file", tuple(codes), match.end(), match.start(2), match.end(2)


def dockerfile_suppressions(source: SourceFile, comments, instruction_lines) -> list[Suppression]:  # noqa: ANN001
    """`comments`: own-line comments (start, end, line); `instruction_lines`: (first, last) per instruction."""
    ordered = sorted(instruction_lines)
    found = []
    for comment_start, comment_end, line in comments:
        parsed = parse_directive(source, comment_start, comment_end)
        if parsed is None:
            continue
        whole_file, codes, directive_end, list_start, list_end = parsed
        following = next(((first, last) for first, last in ordered if first > line), (0, -1))
        found.append(
            Suppression(
                source, whole_file, codes, comment_start, directive_end, list_start, list_end, True, *following
            )
        )
    return found


def yaml_suppressions(source: SourceFile, inside_scalar) -> list[Suppression]:  # noqa: ANN001
    """Find directives in YAML comments; `inside_scalar(offset)` tells text that is a value, not a comment."""
    text = source.text
    found = []
    for match in _PATTERN.finditer(text):
        start = match.start()
        if start > 0 and text[start - 1] not in " \t\n":
            continue  # a '#' glued to text is part of a plain scalar in YAML
        if inside_scalar(start):
            continue
        line = source.line_of(start)
        line_start = source.line_start(line)
        own_line = not text[line_start:start].strip()
        if own_line:
            target = _next_content_line(source, line)
        else:
            target = line
        parsed = parse_directive(source, start, source.line_end(line))
        if parsed is None:
            continue
        whole_file, codes, directive_end, list_start, list_end = parsed
        found.append(
            Suppression(
                source, whole_file, codes, start, directive_end, list_start, list_end, own_line, target, target
            )
        )
    return found


def _next_content_line(source: SourceFile, line: int) -> int:
    for number in range(line + 1, source.line_count + 1):
        stripped = source.line_text(number).strip()
        if stripped and not stripped.startswith("#"):
            return number
    return line


def removal_span(suppression: Suppression) -> tuple[int, int]:
    """The text to delete to remove a whole suppression comment, keeping the layout around it."""
    source = suppression.source
    text = source.text
    line = source.line_of(suppression.start)
    line_start = source.line_start(line)
    line_end = source.line_end(line)
    rest_of_line = text[suppression.end : line_end].strip()
    if suppression.own_line and not rest_of_line:
        return line_start, source.line_end(line, keep_newline=True)
    if not suppression.own_line and not rest_of_line:
        start = suppression.start
        while start > line_start and text[start - 1] in " \t":
            start -= 1
        return start, line_end
    return suppression.start, suppression.end


def unused_codes(suppression: Suppression, used: Iterable[str]) -> list[SuppressedCode]:
    used_set = set(used)
    return [item for item in suppression.codes if item.code is None or item.code not in used_set]
