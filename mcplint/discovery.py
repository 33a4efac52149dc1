"""Finding the files to lint under the paths a user gives.

Directories are walked for Dockerfiles and Compose files by name, skipping the configured excludes
and whatever `.gitignore` files ignore. A file named explicitly is always linted (that is how
pre-commit calls us), unless `--force-exclude` asks for the excludes to apply to it too.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mcplint.config import ConfigResolver
from mcplint.globs import glob_regex

# `Dockerfile.j2` and friends are templates that render to a Dockerfile, not Dockerfiles.
TEMPLATE_SUFFIXES = frozenset(
    {"template", "tmpl", "tpl", "j2", "jinja", "jinja2", "in", "erb", "mustache", "hbs", "gotmpl", "orig", "bak", "swp"}
)


def dockerfile_kind(name: str) -> bool:
    lowered = name.lower()
    if lowered.endswith(".dockerignore"):
        return False
    if lowered in ("dockerfile", "containerfile"):
        return True
    if lowered.startswith(("dockerfile.", "containerfile.")):
        return lowered.rsplit(".", 1)[-1] not in TEMPLATE_SUFFIXES
    return lowered.endswith(".dockerfile") or lowered.endswith(".containerfile")


def compose_kind(name: str) -> bool:
    lowered = name.lower()
    return lowered.endswith((".yml", ".yaml")) and lowered.startswith(("compose", "docker-compose"))


@dataclass
class Discovered:
    dockerfiles: list[Path] = field(default_factory=list)
    compose_files: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one line each: a path that does not exist

    @property
    def requested(self) -> list[Path]:
        return self.dockerfiles + self.compose_files


def discover(paths: Iterable[Path], resolver: ConfigResolver, *, force_exclude: bool = False) -> Discovered:
    found = Discovered()
    seen: set[Path] = set()

    def add(path: Path, explicit: bool) -> None:
        key = Path(os.path.abspath(path))
        if key in seen:
            return
        name = path.name
        if compose_kind(name) or (explicit and name.lower().endswith((".yml", ".yaml"))):
            seen.add(key)
            found.compose_files.append(path)
        elif dockerfile_kind(name) or explicit:
            seen.add(key)
            found.dockerfiles.append(path)

    for given in paths:
        if given.is_symlink() and not given.exists():
            found.problems.append(f"{given}: broken symbolic link")
            continue
        if given.is_dir():
            for path in _walk(given, resolver):
                add(path, explicit=False)
        elif given.exists() or given.is_symlink():
            if force_exclude and resolver.for_path(given).is_excluded(given):
                continue
            add(given, explicit=True)
        else:
            found.problems.append(f"{given}: no such file or directory")
    found.dockerfiles.sort()
    found.compose_files.sort()
    return found


def _walk(top: Path, resolver: ConfigResolver) -> Iterable[Path]:
    """Files under `top` named like Dockerfiles or Compose files, pruning excluded and ignored dirs."""
    visited: set[tuple[int, int]] = set()
    stack: list[tuple[Path, tuple[_IgnoreRules, ...]]] = [(top, _ignore_chain_above(top))]
    while stack:
        directory, inherited = stack.pop()
        try:
            info = directory.stat()
        except OSError:
            continue
        identity = (info.st_dev, info.st_ino)
        if identity in visited:  # a symlink loop, or the same directory reached twice
            continue
        visited.add(identity)
        rules = inherited
        gitignore = directory / ".gitignore"
        if gitignore.is_file():
            rules = inherited + (_IgnoreRules.load(gitignore),)
        try:
            entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except OSError:
            continue
        settings = resolver.for_path(directory)
        subdirectories = []
        for entry in entries:
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False  # a symlink loop: report it as an unreadable file, do not follow it
            if settings.is_excluded(path) or _ignored(rules, path, is_dir):
                continue
            if is_dir:
                subdirectories.append(path)
            elif dockerfile_kind(entry.name) or compose_kind(entry.name):
                yield path
        for path in reversed(subdirectories):
            stack.append((path, rules))


def _ignore_chain_above(top: Path) -> tuple[_IgnoreRules, ...]:
    """`.gitignore` files of the directories above `top`, up to the repository root."""
    chain = []
    directory = Path(os.path.abspath(top))
    for parent in [directory, *directory.parents]:
        if parent != directory and (parent / ".gitignore").is_file():
            chain.append(_IgnoreRules.load(parent / ".gitignore"))
        if (parent / ".git").exists():
            break
    else:
        return ()
    return tuple(reversed(chain))


def _ignored(chain: tuple[_IgnoreRules, ...], path: Path, is_dir: bool) -> bool:
    verdict = False
    for rules in chain:
        decided = rules.decide(path, is_dir)
        if decided is not None:
            verdict = decided
    return verdict


class _IgnoreRules:
    """The patterns of one `.gitignore` (git's rules: anchoring by '/', `**`, `!`, trailing '/')."""

    def __init__(self, base: Path, patterns: list[tuple[re.Pattern[str], bool, bool]]) -> None:
        self.base = base
        self.patterns = patterns  # (regex on the base-relative path, negated, directories only)

    @classmethod
    def load(cls, path: Path) -> _IgnoreRules:
        patterns = []
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            lines = []
        for line in lines:
            line = line.rstrip()
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            if negated:
                line = line[1:]
            line = line.replace("\\ ", " ")
            directory_only = line.endswith("/")
            line = line.rstrip("/")
            if not line:
                continue
            anchored = "/" in line
            line = line.lstrip("/")
            patterns.append((glob_regex(line, anchored), negated, directory_only))
        return cls(Path(os.path.abspath(path.parent)), patterns)

    def decide(self, path: Path, is_dir: bool) -> bool | None:
        relative = os.path.relpath(os.path.abspath(path), self.base).replace(os.sep, "/")
        if relative.startswith("../"):
            return None
        decision = None
        for regex, negated, directory_only in self.patterns:
            if directory_only and not is_dir:
                continue
            if regex.fullmatch(relative):
                decision = not negated
        return decision
