"""All file-system access of a run goes through one Workspace.

It reads each file once, decodes it, and keeps the parsed models, so a Compose file that several
Dockerfiles point back to is parsed once. During `--fix` the new texts live in an overlay: the next
lint pass sees them exactly as if they had been written, and nothing touches the disk until the fix
loop has finished and every changed file has been checked to still parse.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, TypeVar

from mcplint.source import DecodeProblem, SourceFile

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A file that exists in the run but cannot be used as text: the reason, and where."""

    source: SourceFile  # what could be decoded (possibly empty), so a finding has somewhere to point
    message: str
    offset: int


class DirEntry(NamedTuple):
    """One entry of a directory listing."""

    name: str
    is_dir: bool  # a directory, or a symlink to one: what opening the path would see
    is_symlink: bool  # the entry itself is a symbolic link, whatever it points to


def list_directory(path: Path) -> list[DirEntry]:
    """The entries of a directory, sorted by name, read from the disk; empty when it cannot be read.

    An entry that cannot be examined counts as neither a directory nor a symlink.
    """
    listing = []
    try:
        with os.scandir(path) as entries:
            for entry in entries:
                try:
                    listing.append(DirEntry(entry.name, entry.is_dir(), entry.is_symlink()))
                except OSError:
                    listing.append(DirEntry(entry.name, False, False))
    except OSError:
        pass
    listing.sort()
    return listing


class Workspace:
    def __init__(self, overlay: Mapping[Path, SourceFile] | None = None, parent: Workspace | None = None) -> None:
        self._overlay = dict(overlay or {})
        # A fix pass starts from its predecessor's cache: unchanged files keep their parsed models.
        self._sources: dict[Path, SourceFile | Unreadable] = {}
        self._models: dict[tuple[str, int], object] = {}
        self._listings: dict[Path, list[DirEntry]] = parent._listings if parent else {}
        self._stats: dict[Path, int | None] = parent._stats if parent else {}
        if parent is not None:
            for path, loaded in parent._sources.items():
                if path not in self._overlay:
                    self._sources[path] = loaded
            kept = {id(loaded.source if isinstance(loaded, Unreadable) else loaded) for loaded in self._sources.values()}
            self._models = {key: model for key, model in parent._models.items() if key[1] in kept}

    @staticmethod
    def key(path: Path) -> Path:
        return Path(os.path.abspath(path))

    def read(self, path: Path) -> SourceFile | Unreadable:
        key = self.key(path)
        if key in self._overlay:
            return self._overlay[key]
        loaded = self._sources.get(key)
        if loaded is None:
            loaded = self._load(key, path)
            self._sources[key] = loaded
        return loaded

    def read_text(self, path: Path) -> str | None:
        """Text of a file, or None when it is missing or not text (for loaders of related files)."""
        loaded = self.read(path)
        return loaded.text if isinstance(loaded, SourceFile) else None

    @staticmethod
    def _load(key: Path, shown: Path) -> SourceFile | Unreadable:
        try:
            mode = os.stat(key).st_mode
            if stat.S_ISDIR(mode):
                return Unreadable(SourceFile(shown, ""), "is a directory", 0)
            if not stat.S_ISREG(mode):
                # A FIFO or device would block or never end: such a path is not a file to lint.
                return Unreadable(SourceFile(shown, ""), "not a regular file", 0)
            data = key.read_bytes()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            return Unreadable(SourceFile(shown, ""), f"cannot read file: {reason}", 0)
        decoded = SourceFile.from_bytes(shown, data)
        if isinstance(decoded, DecodeProblem):
            return Unreadable(SourceFile(shown, decoded.prefix), decoded.message, decoded.offset)
        return decoded

    def model(self, kind: str, source: SourceFile, build: Callable[[SourceFile], T]) -> T:
        """A parsed model of a source, built once per text."""
        key = (kind, id(source))
        model = self._models.get(key)
        if model is None:
            model = build(source)
            self._models[key] = model
        return model  # type: ignore[return-value]

    # ---------------------------------------------------------------- directory facts, cached

    def _mode(self, path: Path) -> int | None:
        key = self.key(path)
        if key not in self._stats:
            try:
                self._stats[key] = os.stat(key).st_mode
            except (OSError, ValueError):
                self._stats[key] = None
        return self._stats[key]

    def exists(self, path: Path) -> bool:
        return self.key(path) in self._overlay or self._mode(path) is not None

    def is_file(self, path: Path) -> bool:
        if self.key(path) in self._overlay:
            return True
        mode = self._mode(path)
        return mode is not None and stat.S_ISREG(mode)

    def is_dir(self, path: Path) -> bool:
        mode = self._mode(path)
        return mode is not None and stat.S_ISDIR(mode)

    def list_dir(self, path: Path) -> list[DirEntry]:
        """`list_directory`, read once per directory."""
        key = self.key(path)
        listing = self._listings.get(key)
        if listing is None:
            listing = list_directory(key)
            self._listings[key] = listing
        return listing

    @property
    def overlay(self) -> Mapping[Path, SourceFile]:
        return self._overlay
