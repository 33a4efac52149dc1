"""The published pre-commit hooks, run by real pre-commit (`try-repo`) on a scratch repository.

pre-commit installs mcplint from a git repository with pip (`language: python`), which needs the
build backend: a wheelhouse with hatchling is downloaded once per session and handed to pip through
`PIP_FIND_LINKS` (integration.md §3.4). The hook repository is a snapshot of this checkout's working
tree (tracked and untracked files that git does not ignore) committed to a temporary repository, so
the test exercises the code as it is on disk, exactly like the rest of the suite; on a fresh clone
that is HEAD.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CHECKOUT = Path(__file__).resolve().parent.parent
HOOK_FILE = CHECKOUT / ".pre-commit-hooks.yaml"

DF001_DOCKERFILE = "FROM alpine:3.20 as build\nRUN echo built > /built\n"
COMPOSE_WITHOUT_LIMIT = "services:\n  web:\n    build: .\n"
# Files the hooks must never touch: an ignore file named after a Dockerfile, and look-alikes.
UNTOUCHABLE = {
    "Dockerfile.dockerignore": DF001_DOCKERFILE,
    "README.md": "Build with:\n\n    FROM alpine:3.20 as build\n",
    "notes.yml": "services:\n  scratch:\n    image: alpine:3.20\n",
}
FIXED_BY_SAFE_FIX = {
    "Dockerfile": "FROM alpine:3.20 AS build\nRUN echo built > /built\n",
    "svc/app.dockerfile": "FROM alpine:3.20 AS build\nRUN echo built > /built\n",
}


def _git_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GIT_AUTHOR_NAME="mcplint tests",
        GIT_AUTHOR_EMAIL="tests@mcplint.invalid",
        GIT_COMMITTER_NAME="mcplint tests",
        GIT_COMMITTER_EMAIL="tests@mcplint.invalid",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
    )
    return env


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=_git_environment(), capture_output=True, text=True)
    assert done.returncode == 0, f"git {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


def _commit_all(directory: Path) -> None:
    _git(directory, "init", "--quiet", "--initial-branch=main")
    _git(directory, "add", "--all")
    _git(directory, "commit", "--quiet", "--no-verify", "-m", "snapshot")


@pytest.fixture(scope="session")
def git_available() -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed: pre-commit needs it to clone the hook repository")


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory, git_available: None) -> Path:
    directory = tmp_path_factory.mktemp("wheelhouse")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "-d", str(directory), "hatchling"],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot download hatchling into a wheelhouse for pre-commit's pip: {done.stderr.strip()}")
    return directory


@pytest.fixture(scope="session")
def hook_repository(tmp_path_factory: pytest.TempPathFactory, git_available: None) -> Path:
    snapshot = tmp_path_factory.mktemp("hook-repo")
    listed = _git(CHECKOUT, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    for relative in filter(None, listed):
        source = CHECKOUT / relative
        if source.is_file():
            target = snapshot / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    assert (snapshot / ".pre-commit-hooks.yaml").is_file()
    _commit_all(snapshot)
    return snapshot


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One cache for the session: both hooks share the environment pre-commit builds once.
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def project(tmp_path: Path, git_available: None) -> Path:
    files = {
        "Dockerfile": DF001_DOCKERFILE,
        "svc/app.dockerfile": DF001_DOCKERFILE,
        "compose.yaml": COMPOSE_WITHOUT_LIMIT,
        **UNTOUCHABLE,
    }
    for relative, text in files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    _commit_all(tmp_path)
    return tmp_path


def try_repo(
    project: Path, hook_repository: Path, wheelhouse: Path, home: Path, hook: str
) -> subprocess.CompletedProcess[str]:
    env = _git_environment()
    env.update(PIP_FIND_LINKS=str(wheelhouse), PRE_COMMIT_HOME=str(home), NO_COLOR="1")
    env.pop("MCPLINT_OUTPUT_FORMAT", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repository), hook, "--all-files", "--color", "never"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _snapshot_files(project: Path) -> dict[str, bytes]:
    return {
        path.relative_to(project).as_posix(): path.read_bytes()
        for path in project.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(project).parts
    }


def test_hook_manifest_is_valid() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(HOOK_FILE)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_check_hook_fails_and_names_the_finding(
    project: Path, hook_repository: Path, wheelhouse: Path, pre_commit_home: Path
) -> None:
    before = _snapshot_files(project)
    done = try_repo(project, hook_repository, wheelhouse, pre_commit_home, "mcplint")
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Failed" in output and "DF001" in output
    assert "Dockerfile:1:" in output and "svc/app.dockerfile:1:" in output
    # Files outside the regex are never passed: their look-alike content would be reported otherwise.
    assert "Dockerfile.dockerignore" not in output and "notes.yml" not in output and "README.md" not in output
    assert _snapshot_files(project) == before


def test_fix_hook_applies_safe_fixes_to_selected_files_only(
    project: Path, hook_repository: Path, wheelhouse: Path, pre_commit_home: Path
) -> None:
    done = try_repo(project, hook_repository, wheelhouse, pre_commit_home, "mcplint-fix")
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "files were modified by this hook" in output
    for relative, expected in FIXED_BY_SAFE_FIX.items():
        assert (project / relative).read_text(encoding="utf-8") == expected
    # RES001's fix is unsafe: --fix alone leaves the Compose file as it was.
    assert (project / "compose.yaml").read_bytes() == COMPOSE_WITHOUT_LIMIT.encode("utf-8")
    for relative, text in UNTOUCHABLE.items():
        assert (project / relative).read_bytes() == text.encode("utf-8"), relative

    after_first = _snapshot_files(project)
    again = try_repo(project, hook_repository, wheelhouse, pre_commit_home, "mcplint-fix")
    output = again.stdout + again.stderr
    # Still failing, but only because the unsafe-to-fix finding remains: nothing more is modified.
    assert again.returncode == 1, output
    assert "files were modified by this hook" not in output
    assert "RES001" in output and "DF001" not in output
    assert _snapshot_files(project) == after_first
