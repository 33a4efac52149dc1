"""`.gitignore` patterns read as git reads them: `git check-ignore` is the oracle."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from mcplint.discovery import _ignored, _IgnoreRules

PATTERNS = [
    "a**.yml", "**/x.yml", "a/**", "a/**/y.yml", "**b.yml", "x/**b", "/top.yml", "*.yml", "d/", "a?c.yml",
    "[ab]*.yml", "[!a]*.yml", "x/a/**/", "**", "a/*/y.yml",
]  # fmt: skip
PATHS = [
    "abc.yml", "a/b/compose.yml", "x/a/b.yml", "d/e/x.yml", "a/x/y.yml", "a/y.yml", "top.yml", "d/top.yml",
    "d/f.yml", "x/ab", "x/a/b", "bb.yml", "x.yml", "a/x/z/y.yml", "c.yml",
]  # fmt: skip


def _git_ignores(repository: Path, path: str) -> bool:
    completed = subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=repository)
    assert completed.returncode in (0, 1), completed
    return completed.returncode == 0


def _we_ignore(repository: Path, path: str) -> bool:
    # Discovery walks down, so a path counts as ignored when it or any directory above it is.
    rules = (_IgnoreRules.load(repository / ".gitignore"),)
    parts = path.split("/")
    return any(
        _ignored(rules, repository.joinpath(*parts[: depth + 1]), depth + 1 < len(parts)) for depth in range(len(parts))
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="git is the oracle and is not installed")
@pytest.mark.parametrize("pattern", PATTERNS)
def test_a_gitignore_pattern_ignores_what_git_ignores(pattern: str, tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / ".gitignore").write_text(pattern + "\n", encoding="utf-8")
    for path in PATHS:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).touch()
    disagreements = [path for path in PATHS if _we_ignore(tmp_path, path) != _git_ignores(tmp_path, path)]
    assert disagreements == []
