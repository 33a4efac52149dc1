"""Linking: a Dockerfile given alone finds the Compose service that builds it, and its context."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcplint.models.compose_loader import LoadOptions
from mcplint.project import load_inputs, search_boundary
from mcplint.workspace import Workspace


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    write(
        tmp_path / "deploy" / "compose.yaml",
        "services:\n  api:\n    build:\n      context: ../services\n      dockerfile: api/Dockerfile\n"
        "      args:\n        VERSION: \"2\"\n      target: runtime\n  web:\n    image: nginx:1.27\n",
    )
    write(tmp_path / "compose.yaml", "services:\n  api:\n    build:\n      context: services\n      dockerfile: api/Dockerfile\n")
    write(tmp_path / "services" / "api" / "Dockerfile", "FROM python:3.12-slim AS runtime\n")
    write(tmp_path / "services" / "lone" / "Dockerfile", "FROM alpine:3.20\n")
    return tmp_path


def test_dockerfile_alone_is_linked_through_the_compose_files_above_it(monorepo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(monorepo / "services")
    dockerfile = monorepo / "services" / "api" / "Dockerfile"
    inputs = load_inputs(Workspace(), [dockerfile], [], LoadOptions(environment={}))
    builds = [build for project in inputs.projects for build in project.builds]
    # Only the root compose.yaml is above the Dockerfile; deploy/ is a sibling, not an ancestor.
    assert len(builds) == 1
    (build,) = builds
    assert build.service.name == "api"
    assert not build.context.assumed
    assert build.context.path == monorepo / "services"
    assert build.context.origin.text == "services"
    assert inputs.compose_projects == ()  # the Compose file was read, not requested


def test_dockerfile_built_by_no_service_gets_an_assumed_context(monorepo: Path) -> None:
    dockerfile = monorepo / "services" / "lone" / "Dockerfile"
    inputs = load_inputs(Workspace(), [dockerfile], [], LoadOptions(environment={}))
    (project,) = inputs.projects
    (build,) = project.builds
    assert build.service is None and build.context.assumed
    assert build.context.path == dockerfile.parent
    assert "assumed" in build.context.describe()


def test_compose_build_args_and_target_feed_the_build(monorepo: Path) -> None:
    compose = monorepo / "deploy" / "compose.yaml"
    inputs = load_inputs(Workspace(), [], [compose], LoadOptions(environment={}))
    (project,) = inputs.projects
    (build,) = project.builds
    assert build.args == {"VERSION": "2"}
    assert build.target.value == "runtime"
    assert build.final_stage.name.value == "runtime"
    assert build.context.path == monorepo / "services"


def test_build_arg_without_value_comes_from_the_environment(tmp_path: Path) -> None:
    write(tmp_path / "compose.yaml", "services:\n  a:\n    build:\n      context: .\n      args:\n        - TOKEN\n        - UNSET\n")
    write(tmp_path / "Dockerfile", "FROM alpine:3.20\n")
    inputs = load_inputs(Workspace(), [], [tmp_path / "compose.yaml"], LoadOptions(environment={"TOKEN": "t"}))
    assert inputs.projects[0].builds[0].args == {"TOKEN": "t"}


def test_search_stops_at_the_repository_root(monorepo: Path) -> None:
    assert search_boundary(monorepo / "services" / "api" / "Dockerfile") == monorepo


def test_ignore_file_beside_the_dockerfile_wins(tmp_path: Path) -> None:
    write(tmp_path / "compose.yaml", "services:\n  a:\n    build:\n      context: .\n      dockerfile: app/Dockerfile\n")
    write(tmp_path / "app" / "Dockerfile", "FROM alpine:3.20\n")
    write(tmp_path / ".dockerignore", "*.log\n")
    inputs = load_inputs(Workspace(), [], [tmp_path / "compose.yaml"], LoadOptions(environment={}))
    assert inputs.projects[0].builds[0].ignore_file.path == tmp_path / ".dockerignore"
    write(tmp_path / "app" / "Dockerfile.dockerignore", "secrets/\n")
    inputs = load_inputs(Workspace(), [], [tmp_path / "compose.yaml"], LoadOptions(environment={}))
    assert inputs.projects[0].builds[0].ignore_file.path == tmp_path / "app" / "Dockerfile.dockerignore"
