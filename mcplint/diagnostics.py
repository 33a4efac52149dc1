"""The values every stage passes on: spans, edits, fixes and diagnostics. All immutable.

A span is a half-open range of character offsets in one `SourceFile`. A fix is a set of text edits,
possibly in several files (a cross-file finding may have to change the Compose file and the
Dockerfile together); its applicability says whether `--fix` may apply it on its own.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from mcplint.source import SourceFile


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]


class Applicability(enum.IntEnum):
    """Ordered so that "the fix applies" is a comparison: SAFE ≥ UNSAFE ≥ DISPLAY_ONLY."""

    DISPLAY_ONLY = 1  # shown (e.g. with --diff and in SARIF), never applied
    UNSAFE = 2  # may change behaviour: applied only with --unsafe-fixes
    SAFE = 3  # keeps the meaning: applied by --fix

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")


@dataclass(frozen=True, slots=True)
class Span:
    source: SourceFile
    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end <= len(self.source.text):
            raise ValueError(f"span {self.start}..{self.end} outside {self.source!r}")

    @property
    def text(self) -> str:
        return self.source.text[self.start : self.end]


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace `source.text[start:end]` with `content` (an insertion when start == end)."""

    source: SourceFile
    start: int
    end: int
    content: str

    @classmethod
    def replace(cls, span: Span, content: str) -> Edit:
        return cls(span.source, span.start, span.end, content)

    @classmethod
    def insert(cls, source: SourceFile, offset: int, content: str) -> Edit:
        return cls(source, offset, offset, content)

    @classmethod
    def delete(cls, span: Span) -> Edit:
        return cls(span.source, span.start, span.end, "")


@dataclass(frozen=True, slots=True)
class Fix:
    title: str  # what the fix does, imperative ("Write `AS` in the casing of `FROM`")
    edits: tuple[Edit, ...]
    applicability: Applicability

    def __post_init__(self) -> None:
        if not self.edits:
            raise ValueError("a fix needs at least one edit")

    @classmethod
    def safe(cls, title: str, *edits: Edit) -> Fix:
        return cls(title, tuple(edits), Applicability.SAFE)

    @classmethod
    def unsafe(cls, title: str, *edits: Edit) -> Fix:
        return cls(title, tuple(edits), Applicability.UNSAFE)

    @classmethod
    def display_only(cls, title: str, *edits: Edit) -> Fix:
        return cls(title, tuple(edits), Applicability.DISPLAY_ONLY)

    @property
    def sources(self) -> tuple[SourceFile, ...]:
        seen: dict[int, SourceFile] = {}
        for edit in self.edits:
            seen.setdefault(id(edit.source), edit.source)
        return tuple(seen.values())


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    name: str
    severity: Severity
    message: str
    span: Span
    fix: Fix | None = None
    # Further fixes a user may choose instead (shown, never applied: e.g. widen the build context).
    alternatives: tuple[Fix, ...] = ()
    # Extra lines shown under the message: a breakdown, where a value came from.
    detail: str | None = None
    related: tuple[tuple[str, Span], ...] = field(default=())

    @property
    def source(self) -> SourceFile:
        return self.span.source

    @property
    def path(self):  # noqa: ANN201 - a pathlib.Path
        return self.span.source.path

    @property
    def start_location(self) -> tuple[int, int]:
        return self.span.source.location(self.span.start)

    @property
    def end_location(self) -> tuple[int, int]:
        return self.span.source.location(self.span.end)

    def sort_key(self) -> tuple:
        line, column = self.start_location
        return (str(self.path), line, column, self.code, self.message)


@dataclass(frozen=True, slots=True)
class ParseProblem:
    """Why a file cannot be used as what it claims to be (reported by MC001 parse-error)."""

    span: Span
    message: str
