"""Linking: which Compose service builds which Dockerfile, from which context, with which ignore file.

A `Project` is what one `docker compose` project involves — its Compose files, and for each service
that builds, the Dockerfile with its context, build args, target and ignore file — or a Dockerfile
that no Compose file builds, whose context is then assumed to be its own directory. A file passed
alone (as pre-commit does) is linked to the rest of its project by reading the Compose files of the
directories above it, up to the repository root.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from mcplint.diagnostics import Span
from mcplint.models.compose import (
    DEFAULT_FILE_NAMES,
    DEFAULT_OVERRIDE_NAMES,
    ComposeFile,
    ComposeProject,
    Located,
    Service,
    parse_compose_file,
)
from mcplint.models.compose_loader import LoadOptions, ProjectLoader
from mcplint.models.dockerfile import Dockerfile, Stage, parse_dockerfile
from mcplint.source import SourceFile, shown_path
from mcplint.workspace import Unreadable, Workspace


@dataclass(frozen=True, slots=True)
class BuildContext:
    path: Path
    assumed: bool  # no Compose file sets it: the Dockerfile's own directory is a guess
    origin: Span | None = None  # where Compose wrote it (`build.context`), when it did
    named: Mapping[str, Located] = field(default_factory=dict)  # `additional_contexts`

    def describe(self) -> str:
        """The context's directory (`shown_path`) and where it was decided."""
        if self.assumed:
            return f"{shown_path(self.path)} (assumed: the Dockerfile's directory; no Compose file builds it)"
        if self.origin is not None:
            line, _ = self.origin.source.location(self.origin.start)
            return f"{shown_path(self.path)} (set by {shown_path(self.origin.source.path)}:{line})"
        return f"{shown_path(self.path)} (the Compose default `.`)"


@dataclass(frozen=True, eq=False)
class Build:
    dockerfile: Dockerfile
    context: BuildContext
    workspace: Workspace
    service: Service | None = None
    compose: ComposeProject | None = None
    args: Mapping[str, str] = field(default_factory=dict)  # build args with known values
    target: Located | None = None

    @cached_property
    def ignore_file(self) -> SourceFile | None:
        """The ignore file BuildKit applies: `<Dockerfile>.dockerignore` beside it wins over the context's."""
        beside = self.dockerfile.path.parent / f"{self.dockerfile.path.name}.dockerignore"
        for candidate in (beside, self.context.path / ".dockerignore"):
            loaded = self.workspace.read(candidate) if self.workspace.is_file(candidate) else None
            if isinstance(loaded, SourceFile):
                return loaded
        return None

    @cached_property
    def final_stage(self) -> Stage | None:
        return self.dockerfile.final_stage(str(self.target.value) if self.target else None)


@dataclass(frozen=True, eq=False)
class Project:
    directory: Path
    compose: ComposeProject | None
    builds: tuple[Build, ...]
    workspace: Workspace

    def build_for(self, service: Service) -> Build | None:
        return next((build for build in self.builds if build.service is service), None)

    @property
    def primary_path(self) -> Path:
        return self.compose.main_file.source.path if self.compose else self.builds[0].dockerfile.path


@dataclass(frozen=True, eq=False)
class LoadedInputs:
    """Everything one lint pass loaded: models of the requested files and the projects they belong to."""

    dockerfiles: tuple[Dockerfile, ...]
    compose_projects: tuple[ComposeProject, ...]  # projects that contain a requested Compose file
    projects: tuple[Project, ...]
    unreadable: tuple[Unreadable, ...]
    # Files reached from a requested Compose file (the Dockerfiles it builds, their ignore files,
    # env files, mounted config files): findings and fixes may land in them too.
    related: frozenset[Path] = frozenset()


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
    if path.name in DEFAULT_FILE_NAMES or path.name in DEFAULT_OVERRIDE_NAMES:
        main = next((directory / n for n in DEFAULT_FILE_NAMES if workspace.is_file(directory / n)), None)
        override = next((directory / n for n in DEFAULT_OVERRIDE_NAMES if workspace.is_file(directory / n)), None)
        group = [p for p in (main, override) if p is not None]
        return group if Workspace.key(path) in {Workspace.key(p) for p in group} else [path]
    return [path]


def search_boundary(path: Path) -> Path:
    """How far up related Compose files are looked for: the repository root, else the working
    directory when the file is below it, else the file's own directory."""
    directory = Path(os.path.abspath(path)).parent
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    cwd = Path(os.path.abspath(Path.cwd()))
    return cwd if directory == cwd or cwd in directory.parents else directory


class _Linker:
    def __init__(self, workspace: Workspace, options: LoadOptions | None) -> None:
        self.workspace = workspace
        self.loader = ProjectLoader(self._read, lambda source: compose_file_model(workspace, source), options)
        self.groups: dict[tuple[Path, ...], ComposeProject] = {}
        self.unreadable: list[Unreadable] = []

    def _read(self, path: Path) -> SourceFile | None:
        if not self.workspace.is_file(path):
            return None
        loaded = self.workspace.read(path)
        return loaded if isinstance(loaded, SourceFile) else None

    def project_of(self, path: Path, requested: bool) -> ComposeProject | None:
        group = tuple(Workspace.key(p) for p in compose_group(path, self.workspace))
        if group in self.groups:
            return self.groups[group]
        readable = []
        for member in group:
            loaded = self.workspace.read(member)
            if isinstance(loaded, Unreadable):
                if requested and member == Workspace.key(path):
                    self.unreadable.append(loaded)
                continue
            readable.append(member)
        if not readable:
            return None
        project = self.loader.load(readable)
        self.groups[group] = project
        return project

    def compose_files_above(self, dockerfile: Path) -> Iterable[Path]:
        boundary = search_boundary(dockerfile)
        directory = Path(os.path.abspath(dockerfile)).parent
        while True:
            for entry in self.workspace.list_dir(directory):
                lowered = entry.name.lower()
                if not entry.is_dir and lowered.endswith((".yml", ".yaml")) and lowered.startswith(("compose", "docker-compose")):
                    yield directory / entry.name
            if directory == boundary or directory.parent == directory:
                return
            directory = directory.parent

    def builds_of(self, compose: ComposeProject) -> list[Build]:
        builds = []
        for service in compose.services:
            spec = service.build
            if spec is None or spec.context is None:
                continue
            path = spec.dockerfile_path
            if path is None or not self.workspace.is_file(path):
                continue  # CTX005 reports it
            loaded = self.workspace.read(path)
            if not isinstance(loaded, SourceFile):
                continue
            args = {}
            for name, located in spec.args.items():
                value = located.value if located.value is not None else compose.environment.get(name)
                if value is not None:
                    args[name] = value
            context = BuildContext(spec.context, False, spec.context_span if spec.context_written else None, spec.additional_contexts)
            builds.append(
                Build(dockerfile_model(self.workspace, loaded), context, self.workspace, service, compose, args, spec.target)
            )
        return builds


def load_inputs(
    workspace: Workspace,
    dockerfiles: Iterable[Path],
    compose_files: Iterable[Path],
    options: LoadOptions | None = None,
) -> LoadedInputs:
    linker = _Linker(workspace, options)
    requested_projects: list[ComposeProject] = []
    for path in compose_files:
        project = linker.project_of(path, requested=True)
        if project is not None and project not in requested_projects:
            requested_projects.append(project)

    # Which projects build which Dockerfile, indexed once per project (a tree can hold thousands).
    built_by: dict[Path, list[ComposeProject]] = {}
    indexed: set[int] = set()

    def index(project: ComposeProject) -> None:
        if id(project) in indexed:
            return
        indexed.add(id(project))
        for service in project.services:
            path = service.build.dockerfile_path if service.build else None
            if path is not None:
                builders = built_by.setdefault(Workspace.key(path), [])
                if project not in builders:
                    builders.append(project)

    for project in requested_projects:
        index(project)
    dockerfile_models: list[Dockerfile] = []
    linked_projects: list[ComposeProject] = list(requested_projects)
    standalone: list[Dockerfile] = []
    for path in dockerfiles:
        loaded = workspace.read(path)
        if isinstance(loaded, Unreadable):
            linker.unreadable.append(loaded)
            continue
        model = dockerfile_model(workspace, loaded)
        dockerfile_models.append(model)
        for compose_path in linker.compose_files_above(path):
            candidate = linker.project_of(compose_path, requested=False)
            if candidate is not None:
                index(candidate)
        builders = built_by.get(Workspace.key(path), [])
        for candidate in builders:
            if candidate not in linked_projects:
                linked_projects.append(candidate)
        if not builders:
            standalone.append(model)

    projects = []
    related: set[Path] = set()
    for compose in linked_projects:
        project = Project(compose.directory, compose, tuple(linker.builds_of(compose)), workspace)
        projects.append(project)
        if compose in requested_projects:
            related.update(_related_files(project))
    for model in standalone:
        context = BuildContext(Path(os.path.abspath(model.path.parent)), assumed=True)
        projects.append(Project(model.path.parent, None, (Build(model, context, workspace),), workspace))
    return LoadedInputs(
        tuple(dockerfile_models), tuple(requested_projects), tuple(projects), tuple(linker.unreadable), frozenset(related)
    )


def _related_files(project: Project) -> Iterable[Path]:
    assert project.compose is not None
    for build in project.builds:
        yield Workspace.key(build.dockerfile.path)
        if build.ignore_file is not None:
            yield Workspace.key(build.ignore_file.path)
    for source in project.compose.env_sources:
        yield Workspace.key(source.path)
    for compose_file in project.compose.extra_files:  # brought in by include and extends
        yield Workspace.key(compose_file.source.path)
    for service in project.compose.services:
        for located in service.env_file_values.values():
            yield Workspace.key(located.span.source.path)
        for mount in service.volumes:
            if mount.host_path is not None and project.workspace.is_file(mount.host_path):
                yield Workspace.key(mount.host_path)
    # Config files a Postgres server reads through a mounted directory (include_dir, conf.d).
    from mcplint.models.postgres import postgres_services  # it builds on this module

    for postgres in postgres_services(project):
        conf = postgres.conf
        for path in conf.files if conf is not None else ():
            source = postgres.source_of(path)
            if source is not None:
                yield Workspace.key(source.path)
