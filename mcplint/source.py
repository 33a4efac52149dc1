"""Source files: bytes in, text out, and the mapping between offsets and lines.

Every position in mcplint is a character offset into a `SourceFile`'s text; line and column are
computed only when a finding is printed. The text keeps the file exactly as written (CRLF, a missing
final newline); the BOM, if any, is remembered and put back when the file is written.
"""

from __future__ import annotations

import bisect
import os
from dataclasses import dataclass
from pathlib import Path

BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class DecodeProblem:
    """Why bytes could not become text, and where (a character offset into the decodable prefix)."""

    message: str
    offset: int
    prefix: str  # the text decoded before the problem, so the line number can be computed


class SourceFile:
    """One file's text with a line index. Immutable; compared by identity."""

    __slots__ = ("path", "text", "has_bom", "_line_starts")

    def __init__(self, path: Path, text: str, *, has_bom: bool = False) -> None:
        self.path = path
        self.text = text
        self.has_bom = has_bom
        self._line_starts: list[int] | None = None

    @classmethod
    def from_bytes(cls, path: Path, data: bytes) -> SourceFile | DecodeProblem:
        """Decode strict UTF-8; a NUL byte marks a binary file, which is not text either."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            prefix = data[: exc.start].decode("utf-8", errors="replace")
            return DecodeProblem(
                f"not valid UTF-8: byte 0x{data[exc.start]:02x} at byte offset {exc.start}",
                len(prefix),
                prefix,
            )
        nul = text.find("\x00")
        if nul >= 0:
            return DecodeProblem("binary file (contains a NUL byte)", nul, text[:nul])
        has_bom = text.startswith(BOM)
        return cls(path, text[1:] if has_bom else text, has_bom=has_bom)

    def to_bytes(self) -> bytes:
        return ((BOM if self.has_bom else "") + self.text).encode("utf-8")

    def with_text(self, text: str) -> SourceFile:
        return SourceFile(self.path, text, has_bom=self.has_bom)

    @property
    def line_starts(self) -> list[int]:
        if self._line_starts is None:
            starts = [0]
            text = self.text
            index = text.find("\n")
            while index >= 0:
                starts.append(index + 1)
                index = text.find("\n", index + 1)
            self._line_starts = starts
        return self._line_starts

    @property
    def line_count(self) -> int:
        return len(self.line_starts)

    def line_of(self, offset: int) -> int:
        """1-based line number of a character offset."""
        return bisect.bisect_right(self.line_starts, offset)

    def location(self, offset: int) -> tuple[int, int]:
        """1-based (line, column); the column counts characters (Unicode code points)."""
        line = self.line_of(offset)
        return line, offset - self.line_starts[line - 1] + 1

    def line_start(self, line: int) -> int:
        return self.line_starts[line - 1]

    def line_end(self, line: int, *, keep_newline: bool = False) -> int:
        """Offset just past the line's content (before its '\\r\\n' or '\\n' unless keep_newline)."""
        starts = self.line_starts
        end = starts[line] if line < len(starts) else len(self.text)
        if keep_newline:
            return end
        if end > starts[line - 1] and self.text[end - 1] == "\n":
            end -= 1
            if end > starts[line - 1] and self.text[end - 1] == "\r":
                end -= 1
        return end

    def line_text(self, line: int) -> str:
        return self.text[self.line_start(line) : self.line_end(line)]

    @property
    def newline(self) -> str:
        """The file's line ending, judged by its first line break ('\\n' when it has none)."""
        index = self.text.find("\n")
        return "\r\n" if index > 0 and self.text[index - 1] == "\r" else "\n"

    def __repr__(self) -> str:
        return f"SourceFile({str(self.path)!r}, {len(self.text)} chars)"


def line_of_text(text: str, offset: int) -> int:
    """1-based line of an offset in a bare string (for problems found before a SourceFile exists)."""
    return text.count("\n", 0, offset) + 1


def shown_path(path: Path, root: Path | None = None) -> str:
    """A path as a user reads it in a message: relative to `root` (the working directory) when it
    is below it, else absolute; always with `/`."""
    absolute = os.path.abspath(path)
    base = os.path.abspath(Path.cwd() if root is None else root)
    if absolute == base or absolute.startswith(base.rstrip(os.sep) + os.sep):
        return os.path.relpath(absolute, base).replace(os.sep, "/")
    return absolute.replace(os.sep, "/")
