"""Linking: which Compose project builds which Dockerfile, from which context.

A `Project` is what one `docker compose` project involves (its Compose files, and for each service
that builds, the Dockerfile with its context), or a Dockerfile that no Compose file builds, whose
context is then assumed to be its own directory. Files passed alone (as pre-commit does) are linked
to the rest of their project by reading related files from disk.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mcplint.diagnostics import Span
from mcplint.models.compose import (
    DEFAULT_FILE_NAMES,
    DEFAULT_OVERRIDE_NAMES,
    ComposeFile,
    ComposeProject,
    Service,
    load_project,
    parse_compose_file,
)
from mcplint.models.dockerfile import Dockerfile, parse_dockerfile
from mcplint.source import SourceFile
from mcplint.workspace import Unreadable, Workspace


@dataclass(frozen=True, slots=True)
class BuildContext:
    path: Path
    assumed: bool  # no Compose file sets it: the Dockerfile's own directory is a guess
    origin: Span | None = None  # where Compose wrote it (`build.context`), when it did


@dataclass(frozen=True, eq=False)
class Build:
    dockerfile: Dockerfile
    context: BuildContext
    service: Service | None = None
    args: Mapping[str, str] = field(default_factory=dict)
    target: str | None = None


@dataclass(frozen=True, eq=False)
class Project:
    directory: Path
    compose: ComposeProject | None
    builds: tuple[Build, ...]
    workspace: Workspace


@dataclass(frozen=True, eq=False)
class LoadedInputs:
    """Everything one lint pass loaded: models of the requested files and the projects they belong to."""

    dockerfiles: tuple[Dockerfile, ...]
    compose_projects: tuple[ComposeProject, ...]
    projects: tuple[Project, ...]
    unreadable: tuple[Unreadable, ...]


def is_compose_name(name: str) -> bool:
    lowered = name.lower()
    return lowered.endswith((".yml", ".yaml")) and (
        lowered.startswith("compose") or lowered.startswith("docker-compose")
    )


def dockerfile_model(workspace: Workspace, source: SourceFile) -> Dockerfile:
    return workspace.model("dockerfile", source, parse_dockerfile)


def compose_file_model(workspace: Workspace, source: SourceFile) -> ComposeFile:
    return workspace.model("compose", source, parse_compose_file)


def compose_group(path: Path, workspace: Workspace) -> list[Path]:
    """The files `docker compose` would load together with this one, main file first.

    In a directory, the first default name and the first override name form one project; any other
    Compose file (`docker-compose.prod.yml`) is its own project, since it is used with `-f`.
    """
    directory = path.parent
    name = path.name
    if name in DEFAULT_FILE_NAMES or name in DEFAULT_OVERRIDE_NAMES:
        main = next((directory / n for n in DEFAULT_FILE_NAMES if workspace.is_file(directory / n)), None)
        override = next((directory / n for n in DEFAULT_OVERRIDE_NAMES if workspace.is_file(directory / n)), None)
        group = [p for p in (main, override) if p is not None]
        if path not in group:
            group = [path]
        return group
    return [path]


def load_inputs(workspace: Workspace, dockerfiles: Iterable[Path], compose_files: Iterable[Path]) -> LoadedInputs:
    unreadable: list[Unreadable] = []
    dockerfile_models: list[Dockerfile] = []
    for path in dockerfiles:
        loaded = workspace.read(path)
        if isinstance(loaded, Unreadable):
            unreadable.append(loaded)
            continue
        dockerfile_models.append(dockerfile_model(workspace, loaded))

    groups: dict[tuple[Path, ...], ComposeProject] = {}
    for path in compose_files:
        group = tuple(compose_group(path, workspace))
        if group in groups:
            continue
        files: list[ComposeFile] = []
        for member in group:
            loaded = workspace.read(member)
            if isinstance(loaded, Unreadable):
                if member == path:
                    unreadable.append(loaded)
                continue
            files.append(compose_file_model(workspace, loaded))
        if files:
            groups[group] = load_project(files)

    projects = [Project(project.directory, project, (), workspace) for project in groups.values()]
    for model in dockerfile_models:
        context = BuildContext(model.path.parent, assumed=True)
        projects.append(Project(model.path.parent, None, (Build(model, context),), workspace))
    return LoadedInputs(tuple(dockerfile_models), tuple(groups.values()), tuple(projects), tuple(unreadable))
