"""Locating findings the way CI services do: repository-relative paths and stable fingerprints.

Code scanning, GitLab and annotation runners all resolve a relative path against the repository's top
directory, so the machine formats report paths relative to the git top-level above the report's root
(the working directory), not relative to wherever mcplint was started.

Two kinds of fingerprint are computed here:

- `line_hashes` ports GitHub's `primaryLocationLineHash` (github/codeql-action `src/fingerprints.ts`,
  MIT licence, Copyright GitHub, Inc.): a rolling hash over the first 100 non-blank characters from
  the start of each line, so that `upload-sarif` finds the value it would compute itself and alerts
  uploaded through the REST API are not duplicated.
- `finding_keys` is mcplint's own key: the rule, the path and the flagged text with its whitespace
  normalised, plus an occurrence number among identical triples. It does not contain a line number,
  so it survives edits elsewhere in the file.
"""

from __future__ import annotations

import array
import hashlib
import os
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mcplint.diagnostics import Diagnostic
from mcplint.source import BOM, SourceFile


def repository_root(start: Path) -> Path:
    """The nearest directory at or above `start` holding `.git` (a directory, or a file in worktrees).

    Without one, `start` itself. Symbolic links are resolved: GitHub cannot show results in
    symlinked paths, so every reported path is a real one.
    """
    directory = Path(os.path.realpath(start))
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return directory


@dataclass(frozen=True, slots=True)
class RepositoryPaths:
    """Turns file paths into what a CI service expects: POSIX paths relative to `root` where possible."""

    root: Path  # resolved

    @classmethod
    def for_report_root(cls, report_root: Path) -> RepositoryPaths:
        return cls(repository_root(report_root))

    def resolve(self, path: Path) -> Path:
        return Path(os.path.realpath(path))

    def relative(self, path: Path) -> str | None:
        """The path below the root, with '/' separators; None for a file outside the root."""
        try:
            return self.resolve(path).relative_to(self.root).as_posix()
        except ValueError:
            return None

    def shown(self, path: Path) -> str:
        """Relative when below the root, else the absolute resolved path (with '/' separators)."""
        relative = self.relative(path)
        return relative if relative is not None else self.resolve(path).as_posix()


@dataclass(frozen=True, slots=True)
class Range:
    """1-based lines and columns of a reported range; the end column is exclusive."""

    start_line: int
    start_column: int
    end_line: int
    end_column: int

    @property
    def one_line(self) -> bool:
        return self.start_line == self.end_line


def exact_range(source: SourceFile, start: int, end: int) -> Range:
    """The characters `start:end` exactly; an empty range is an insertion point."""
    return Range(*source.location(start), *source.location(end))


def display_range(source: SourceFile, start: int, end: int) -> Range:
    """Like `exact_range`, but a range ending at a line break ends on that line, not the next.

    GitHub shows an alert on a pull request only when every line of its region was changed, so a
    reported range must not reach into a line that holds none of its characters.
    """
    found = exact_range(source, start, end)
    if found.end_line > found.start_line and found.end_column == 1:
        line = found.end_line - 1
        return Range(found.start_line, found.start_column, line, source.line_end(line) - source.line_start(line) + 1)
    return found


def sorted_for_output(diagnostics: Sequence[Diagnostic], paths: RepositoryPaths) -> list[Diagnostic]:
    """The order every machine format uses: by reported path, then position, rule and message."""
    return sorted(diagnostics, key=lambda d: (paths.shown(d.path), d.span.start, d.span.end, d.code, d.message))


# ---------------------------------------------------------------------- GitHub's line hash

_BLOCK_SIZE = 100
_BASE = 37
_MASK = (1 << 64) - 1  # JavaScript's Long arithmetic wraps around at 64 bits
_FIRST_MOD = pow(_BASE, _BLOCK_SIZE, 1 << 64)
_EOF = 65535
_TAB, _SPACE, _LF, _CR = 9, 32, 10, 13


def _utf16_units(text: str) -> array.array:
    units = array.array("H", text.encode("utf-16-le"))
    if sys.byteorder == "big":
        units.byteswap()
    return units


class _LineHasher:
    """The state of GitHub's rolling hash while it reads one file."""

    def __init__(self) -> None:
        self.window = [0] * _BLOCK_SIZE
        self.line_at = [-1] * _BLOCK_SIZE  # the line number starting at each window slot, or -1
        self.hash = 0
        self.index = 0
        self.line = 0
        self.line_start = True
        self.previous_cr = False
        self.counts: Counter[str] = Counter()
        self.hashes: list[str] = []

    def emit(self) -> None:
        value = format(self.hash, "x")
        self.counts[value] += 1
        self.hashes.append(f"{value}:{self.counts[value]}")
        self.line_at[self.index] = -1

    def roll(self, current: int) -> None:
        leaving = self.window[self.index]
        self.window[self.index] = current
        self.hash = (_BASE * self.hash + current - _FIRST_MOD * leaving) & _MASK
        self.index = (self.index + 1) % _BLOCK_SIZE

    def feed(self, current: int) -> None:
        if current in (_SPACE, _TAB) or (self.previous_cr and current == _LF):
            self.previous_cr = False
            return
        self.previous_cr = current == _CR
        if current == _CR:
            current = _LF
        if self.line_at[self.index] != -1:
            self.emit()
        if self.line_start:
            self.line_start = False
            self.line += 1
            self.line_at[self.index] = self.line
        if current == _LF:
            self.line_start = True
        self.roll(current)

    def finish(self) -> list[str]:
        self.feed(_EOF)
        for _ in range(_BLOCK_SIZE):
            if self.line_at[self.index] != -1:
                self.emit()
            self.roll(0)
        return self.hashes


def line_hashes(text: str) -> list[str]:
    """`primaryLocationLineHash` of every line of `text`, line 1 first, as GitHub computes it.

    The input is a JavaScript string: UTF-16 code units. '\\r', '\\n' and '\\r\\n' each end a line,
    spaces and tabs are skipped, and a sentinel after the last character gives the end of the file a
    line of its own when the text ends with a line break (or is empty). Equal hashes are numbered in
    order of appearance (`hash:1`, `hash:2`, ...).
    """
    hasher = _LineHasher()
    for unit in _utf16_units(text):
        hasher.feed(unit)
    return hasher.finish()


class LineHashes:
    """`primaryLocationLineHash` per (file, line), hashing each file once."""

    def __init__(self) -> None:
        self._by_source: dict[int, list[str]] = {}

    def get(self, source: SourceFile, line: int) -> str:
        hashes = self._by_source.get(id(source))
        if hashes is None:
            # GitHub hashes the checked-out file, byte order mark included (Node keeps it as U+FEFF).
            hashes = line_hashes((BOM if source.has_bom else "") + source.text)
            self._by_source[id(source)] = hashes
        return hashes[line - 1]


# ---------------------------------------------------------------------- mcplint's own key


def _normalised(text: str) -> str:
    return " ".join(text.split())


def finding_keys(diagnostics: Sequence[Diagnostic], paths: RepositoryPaths) -> list[str]:
    """A stable, unique key per finding, in the order given: `<16 hex digits>:<occurrence>`.

    The digest covers the rule code, the reported path and the flagged text with runs of whitespace
    collapsed; the occurrence counts identical digests in file order, so two equal findings in one
    file stay distinct and a finding keeps its key when lines are added above it.
    """
    order = sorted(
        range(len(diagnostics)),
        key=lambda i: (str(diagnostics[i].path), diagnostics[i].span.start, diagnostics[i].span.end, i),
    )
    counts: Counter[str] = Counter()
    keys = [""] * len(diagnostics)
    for index in order:
        diagnostic = diagnostics[index]
        material = "\x1f".join((diagnostic.code, paths.shown(diagnostic.path), _normalised(diagnostic.span.text)))
        digest = hashlib.sha256(material.encode("utf-8")).hexdigest()[:16]
        counts[digest] += 1
        keys[index] = f"{digest}:{counts[digest]}"
    return keys
