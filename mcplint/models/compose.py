"""The Compose model: what `docker compose config` would see, with the span that wrote every value.

Files are read by `yamlsrc` (go-yaml semantics, exact offsets) and loaded by `compose_loader`
(overrides, include, extends, interpolation, merging). The resolved configuration is a tree of
`CMap`/`CSeq`/`CScalar` whose every node keeps the `Span` of the text that wrote it — in the override
file, the `extends` base or the anchor it came from — so a finding points at the line a user has to
change. `Service` gives rules typed views of the keys they need, in both short and long syntax.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from mcplint.diagnostics import Span
from mcplint.models.yamlsrc import YMap, YNode, YScalar, YSeq, load_documents
from mcplint.source import SourceFile

DEFAULT_FILE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
DEFAULT_OVERRIDE_NAMES = (
    "compose.override.yml", "compose.override.yaml",
    "docker-compose.override.yml", "docker-compose.override.yaml",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Problem:
    message: str
    span: Span


# ------------------------------------------------------------------------------- resolved values


class YamlTime(str):
    """A plain scalar go-yaml reads as a timestamp (`2020-01-01`, `2021-02-03T04:05:06Z`), kept as its
    text. Models use it as that string; Compose holds a time.Time instead, which its schema refuses
    wherever it checks a type ("invalid jsonType time.Time"), so DC001 tells the two apart."""

    __slots__ = ()


@dataclass(frozen=True, slots=True, eq=False)
class CScalar:
    value: Any  # str, int, float, bool or None, after interpolation
    span: Span  # where the value was written
    raw: str  # the text before interpolation
    base_dir: Path | None = None  # what a relative path in this value is relative to


@dataclass(frozen=True, slots=True, eq=False)
class CEntry:
    key: Span
    value: CNode


@dataclass(frozen=True, slots=True, eq=False)
class CMap:
    entries: Mapping[str, CEntry]
    span: Span
    # The YAML mappings that wrote this one (one per file that defines it), for fixes that insert keys.
    written: tuple[tuple[SourceFile, YMap], ...] = ()

    def get(self, key: str) -> CNode | None:
        entry = self.entries.get(key)
        return entry.value if entry else None

    def key_span(self, key: str) -> Span | None:
        entry = self.entries.get(key)
        return entry.key if entry else None

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def items(self) -> Iterator[tuple[str, CNode]]:
        for key, entry in self.entries.items():
            yield key, entry.value


@dataclass(frozen=True, slots=True, eq=False)
class CSeq:
    items: tuple[CNode, ...]
    span: Span


CNode = CScalar | CMap | CSeq


def lookup(node: CNode | None, *path: str) -> CNode | None:
    for key in path:
        if not isinstance(node, CMap):
            return None
        node = node.get(key)
    return node


def scalar(node: CNode | None) -> Any:
    return node.value if isinstance(node, CScalar) else None


def to_plain(node: CNode | None) -> Any:
    if isinstance(node, CScalar):
        return node.value
    if isinstance(node, CMap):
        return {key: to_plain(value) for key, value in node.items()}
    if isinstance(node, CSeq):
        return [to_plain(item) for item in node.items]
    return None


@dataclass(frozen=True, slots=True)
class Located:
    """A value and the span of the text that decides it."""

    value: Any
    span: Span


# ---------------------------------------------------------------------------------- raw files


@dataclass(frozen=True, slots=True, eq=False)
class ComposeFile:
    source: SourceFile
    documents: tuple[YNode | None, ...]
    problems: tuple[Problem, ...]

    @property
    def root(self) -> YMap | None:
        for document in self.documents:
            if isinstance(document, YMap):
                return document
        return None

    def scalar_ranges(self) -> list[tuple[int, int]]:
        """Offsets of every scalar: text inside them is a value, never a comment."""
        ranges: list[tuple[int, int]] = []
        seen: set[int] = set()
        stack: list[YNode | None] = list(self.documents)
        while stack:
            node = stack.pop()
            if node is None or id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, YScalar):
                ranges.append((node.start, node.end))
            elif isinstance(node, YMap):
                for key, value in node.items:
                    stack.append(key)
                    stack.append(value)
            elif isinstance(node, YSeq):
                stack.extend(node.items)
        ranges.sort()
        return ranges


def parse_compose_file(source: SourceFile) -> ComposeFile:
    documents, errors = load_documents(source.text)
    problems = [
        Problem(error.message, Span(source, error.start, min(error.start + 1, len(source.text)))) for error in errors
    ]
    return ComposeFile(source, tuple(documents), tuple(problems))


# ------------------------------------------------------------------------------ service views


@dataclass(frozen=True, slots=True)
class BuildSpec:
    node: CNode  # the `build` value (a string or a mapping)
    context: Path | None  # absolute; None for a remote one (git, https, docker-image://, ...)
    context_text: str  # as written (after interpolation)
    context_span: Span
    context_written: bool  # False when the context is the default '.'
    dockerfile: str  # relative to the context unless absolute ('Dockerfile' by default)
    dockerfile_span: Span | None
    dockerfile_inline: Located | None
    args: Mapping[str, Located]  # value None: taken from the environment at build time
    target: Located | None
    additional_contexts: Mapping[str, Located]
    # The additional contexts that are local directories, absolute (resolved like `context`).
    additional_context_paths: Mapping[str, Path]

    @property
    def dockerfile_path(self) -> Path | None:
        if self.context is None or self.dockerfile_inline is not None:
            return None
        return Path(os.path.normpath(self.context / self.dockerfile))


@dataclass(frozen=True, slots=True)
class Healthcheck:
    node: CMap
    test: tuple[str, ...] | None  # normalised: a string becomes ("CMD-SHELL", string)
    test_node: CNode | None
    disabled: bool  # `disable: true` or test ["NONE"]
    interval: Located | None
    timeout: Located | None
    start_period: Located | None
    start_interval: Located | None
    retries: Located | None


@dataclass(frozen=True, slots=True)
class Dependency:
    name: str
    condition: str  # service_started | service_healthy | service_completed_successfully
    required: bool
    span: Span  # the dependency's name where it is written
    condition_span: Span | None


@dataclass(frozen=True, slots=True)
class Mount:
    kind: str  # bind | volume | tmpfs | npipe | image | cluster
    source: str | None
    target: str
    read_only: bool
    span: Span
    host_path: Path | None  # bind mounts: the absolute path on the host


# A service's memory sizes, which RES002 reads and judges (DC001 leaves them to it).
MEMORY_SIZE_KEYS: tuple[tuple[str, ...], ...] = (
    ("mem_limit",), ("mem_reservation",), ("memswap_limit",), ("shm_size",),
    ("deploy", "resources", "limits", "memory"), ("deploy", "resources", "reservations", "memory"),
    ("build", "shm_size"),
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class Service:
    name: str
    key: Span  # the service's key where it is defined (findings about the whole service point here)
    config: CMap
    enabled: bool = True  # false when its profiles are not active
    env_file_values: Mapping[str, Located] = field(default_factory=dict)
    project_directory: Path | None = None
    # Interpolation variables of the project: a bare `environment: [KEY]` takes its value from them.
    project_environment: Mapping[str, str] = field(default_factory=dict)

    def get(self, *path: str) -> CNode | None:
        return lookup(self.config, *path)

    def located(self, *path: str) -> Located | None:
        node = self.get(*path)
        return Located(node.value, node.span) if isinstance(node, CScalar) else None

    @property
    def defining(self) -> tuple[SourceFile, YMap] | None:
        """The file and YAML mapping where the service is first written (where fixes insert keys)."""
        return self.config.written[0] if self.config.written else None

    @property
    def image(self) -> str | None:
        value = scalar(self.get("image"))
        return str(value) if value is not None else None

    def base_dir(self, node: CNode | None) -> Path:
        if isinstance(node, CScalar) and node.base_dir is not None:
            return node.base_dir
        return self.project_directory or self.key.source.path.parent

    @cached_property
    def build(self) -> BuildSpec | None:
        node = self.get("build")
        if node is None:
            return None
        context_node = node if isinstance(node, CScalar) else lookup(node, "context")
        if isinstance(context_node, CScalar) and context_node.value not in (None, ""):
            context_text = str(context_node.value)
            context_span, written = context_node.span, True
        else:
            context_text, context_span, written = ".", self.key if not isinstance(node, CMap) else node.span, False
        base = self.base_dir(context_node if isinstance(context_node, CScalar) else None)
        context = _context_path(context_text, base)
        dockerfile_node = lookup(node, "dockerfile")
        inline = lookup(node, "dockerfile_inline")

        def mapping(name: str) -> dict[str, tuple[Located, CScalar | None]]:
            """Each entry of a mapping or `KEY=value` list, with the scalar that wrote its value."""
            values: dict[str, tuple[Located, CScalar | None]] = {}
            found = lookup(node, name)
            if isinstance(found, CMap):
                for key, entry in found.entries.items():
                    value = entry.value
                    written = value if isinstance(value, CScalar) else None
                    text = None if scalar(value) is None else _go_string(scalar(value))
                    values[key] = (Located(text, written.span if written else entry.key), written)
            elif isinstance(found, CSeq):
                for item in found.items:
                    if isinstance(item, CScalar) and item.value is not None:
                        key, sep, value = str(item.value).partition("=")
                        values[key] = (Located(value if sep else None, item.span), item)
            return values

        contexts = mapping("additional_contexts")
        context_paths = {
            key: path
            for key, (located, written) in contexts.items()
            if located.value and (path := _context_path(located.value, self.base_dir(written))) is not None
        }
        return BuildSpec(
            node=node,
            context=context,
            context_text=context_text,
            context_span=context_span,
            context_written=written,
            dockerfile=str(scalar(dockerfile_node)) if scalar(dockerfile_node) else "Dockerfile",
            dockerfile_span=dockerfile_node.span if isinstance(dockerfile_node, CScalar) else None,
            dockerfile_inline=Located(str(inline.value), inline.span) if isinstance(inline, CScalar) and inline.value else None,
            args={key: located for key, (located, _) in mapping("args").items()},
            target=self.located("build", "target") if isinstance(node, CMap) else None,
            additional_contexts={key: located for key, (located, _) in contexts.items()},
            additional_context_paths=context_paths,
        )

    @cached_property
    def healthcheck(self) -> Healthcheck | None:
        node = self.get("healthcheck")
        if not isinstance(node, CMap):
            return None
        test_node = node.get("test")
        test: tuple[str, ...] | None
        if isinstance(test_node, CScalar) and test_node.value is not None:
            test = ("CMD-SHELL", str(test_node.value))
        elif isinstance(test_node, CSeq):
            test = tuple(_go_string(scalar(item)) for item in test_node.items)
        else:
            test = None
        disabled = scalar(node.get("disable")) is True or (test is not None and test[:1] == ("NONE",))
        return Healthcheck(
            node,
            test,
            test_node,
            disabled,
            *(self.located("healthcheck", key) for key in ("interval", "timeout", "start_period", "start_interval", "retries")),
        )

    @cached_property
    def depends_on(self) -> tuple[Dependency, ...]:
        node = self.get("depends_on")
        found = []
        if isinstance(node, CSeq):
            for item in node.items:
                if isinstance(item, CScalar) and item.value is not None:
                    found.append(Dependency(str(item.value), "service_started", True, item.span, None))
        elif isinstance(node, CMap):
            for name, entry in node.entries.items():
                condition = lookup(entry.value, "condition")
                required = scalar(lookup(entry.value, "required"))
                found.append(
                    Dependency(
                        name,
                        str(scalar(condition) or "service_started"),
                        required is not False,
                        entry.key,
                        condition.span if isinstance(condition, CScalar) else None,
                    )
                )
        return tuple(found)

    @cached_property
    def environment(self) -> dict[str, Located]:
        """The container's environment: `env_file` values, then `environment` over them."""
        values = dict(self.env_file_values)
        node = self.get("environment")
        if isinstance(node, CMap):
            for key, entry in node.entries.items():
                value = scalar(entry.value)
                text = _go_string(value) if value is not None else self.project_environment.get(key)
                values[key] = Located(text, entry.value.span)
        elif isinstance(node, CSeq):
            for item in node.items:
                if isinstance(item, CScalar) and item.value is not None:
                    key, sep, value = str(item.value).partition("=")
                    values[key] = Located(value if sep else self.project_environment.get(key), item.span)
        return values

    def _command(self, key: str) -> Located | None:
        from mcplint.models.shellwords import CommandSplitError, split_command

        node = self.get(key)
        if isinstance(node, CScalar) and node.value is not None:
            try:
                return Located(tuple(split_command(str(node.value))), node.span)
            except CommandSplitError:
                return Located(None, node.span)
        if isinstance(node, CSeq):
            return Located(tuple(_go_string(scalar(item)) for item in node.items), node.span)
        return None

    @property
    def command(self) -> Located | None:
        """The argv `command:` gives (a string split as Compose splits it); value None if unsplittable."""
        return self._command("command")

    @property
    def entrypoint(self) -> Located | None:
        return self._command("entrypoint")

    @cached_property
    def volumes(self) -> tuple[Mount, ...]:
        node = self.get("volumes")
        if not isinstance(node, CSeq):
            return ()
        mounts = []
        for item in node.items:
            mount = _parse_mount(item, self.base_dir(item if isinstance(item, CScalar) else lookup(item, "source")))
            if mount is not None:
                mounts.append(mount)
        return tuple(mounts)

    @cached_property
    def memory_limit(self) -> Located | None:
        """The effective limit, as docker compose applies it: `deploy.resources.limits.memory` when
        it is non-zero, else `mem_limit`. The value is the text (parse it with units.parse_bytes)."""
        from mcplint.models.units import UnitError, parse_bytes

        chosen = None
        for path in (("deploy", "resources", "limits", "memory"), ("mem_limit",)):
            located = self.located(*path)
            if located is None or located.value is None:
                continue
            try:
                if parse_bytes(located.value) == 0:
                    continue
            except (UnitError, TypeError):
                pass
            chosen = located
            break
        return chosen

    @property
    def profiles(self) -> tuple[str, ...]:
        node = self.get("profiles")
        return tuple(str(scalar(item)) for item in node.items) if isinstance(node, CSeq) else ()


# Build context values compose-go keeps as written instead of resolving them as paths
# (`absContextPath`: `isRemoteContext`, `types.ServicePrefix`); any value holding `://` too
# (`docker-image://`, `oci-layout://`, URLs).
_REMOTE_CONTEXT_PREFIXES = ("git@", "github.com/", "service:")


def _context_path(text: str, base: Path) -> Path | None:
    """A `build.context` or `additional_contexts` value as the directory Compose resolves it to;
    None for a remote or builder-specific one."""
    if "://" in text or text.startswith(_REMOTE_CONTEXT_PREFIXES):
        return None
    return Path(os.path.normpath(base / text))


def _go_string(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _parse_mount(item: CNode, base_dir: Path) -> Mount | None:
    """A `volumes:` entry in short (`src:dst:ro`) or long syntax."""
    if isinstance(item, CScalar) and isinstance(item.value, str):
        parts = _split_volume(item.value)
        if len(parts) == 1:
            return Mount("volume", None, parts[0], False, item.span, None)
        source, target = parts[0], parts[1]
        options = parts[2].split(",") if len(parts) > 2 else []
        # compose-go: only a source that starts like a path is a bind mount; `data/x` is a volume name.
        is_path = source.startswith((".", "/", "~")) or (len(source) > 1 and source[1] == ":")
        kind = "bind" if is_path else "volume"
        return Mount(kind, source, target, "ro" in options, item.span, _host_path(source, base_dir) if is_path else None)
    if isinstance(item, CMap):
        kind = str(scalar(item.get("type")) or "volume")
        source = scalar(item.get("source"))
        target = scalar(item.get("target"))
        if target is None:
            return None
        host = _host_path(str(source), base_dir) if kind == "bind" and source else None
        return Mount(kind, None if source is None else str(source), str(target), scalar(item.get("read_only")) is True, item.span, host)
    return None


def _split_volume(text: str) -> list[str]:
    """Split `src:dst[:mode]`, keeping a Windows drive letter (`C:\\x`) in one piece."""
    parts = text.split(":")
    if len(parts) > 1 and len(parts[0]) == 1 and parts[0].isalpha() and parts[1].startswith(("\\", "/")):
        parts = [parts[0] + ":" + parts[1], *parts[2:]]
    return parts


def _host_path(source: str, base_dir: Path) -> Path:
    if source.startswith("~"):
        return Path(os.path.expanduser(source))
    return Path(os.path.normpath(base_dir / source)) if not posixpath.isabs(source) else Path(source)


@dataclass(frozen=True, eq=False)
class ComposeProject:
    directory: Path
    files: tuple[ComposeFile, ...]
    config: CMap | None
    services: tuple[Service, ...]
    problems: tuple[Problem, ...] = ()
    extra_files: tuple[ComposeFile, ...] = ()  # read through extends and include
    env_sources: tuple[SourceFile, ...] = ()  # `.env` and `--env-file` files read for interpolation
    environment: Mapping[str, str] = field(default_factory=dict)  # interpolation variables
    missing_variables: tuple[tuple[str, Span], ...] = ()  # unset, no default: Compose warns
    # The model as it stood before each later file (an override) was merged in, with that file:
    # compose-go validates the model after every file, so an error a later file replaces still fails.
    # Not cast: only DC001 reads them, through compose_loader.cast_model.
    partial_configs: tuple[tuple[ComposeFile, CMap], ...] = ()

    @property
    def main_file(self) -> ComposeFile:
        return self.files[0]

    def service(self, name: str) -> Service | None:
        return next((service for service in self.services if service.name == name), None)

    @property
    def fatal(self) -> bool:
        """Whether a file could not be read as YAML at all (rules would see half a project)."""
        return any(f.problems for f in self.files) or self.config is None
