"""Loading a Compose project the way `docker compose config` does (compose-go's loader).

For each file, in order: every YAML document is turned into the resolved tree with its string values
interpolated (from the process environment over the project's `.env`, or `--env-file`), `!reset` and
`!override` applied, `include` loaded as separate projects (their own directory and `.env`), `extends`
resolved (same file or another file, cycles refused), then the file is merged over the previous ones
with Compose's merge rules (`override/merge.go`: sequences append, `command`/`entrypoint`/
`healthcheck.test` replace, `environment`/`labels`/... merge by key, `depends_on`/`networks`/`build`
merge as mappings; unique entries of `ports`/`volumes`/... deduplicated). Fields that compose-go casts
after interpolation (`healthcheck.retries`, `privileged`, `ports.*.published`...) are cast the same way.

Every value keeps the span of the text that wrote it and the directory its relative paths are relative
to (the project directory, or the directory of the file an `extends` or `include` brought it from).
Problems never stop the load: each one is reported with its span and the rest of the project is kept.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mcplint.diagnostics import Span
from mcplint.models.compose import (
    CEntry,
    CMap,
    CNode,
    ComposeFile,
    ComposeProject,
    CScalar,
    CSeq,
    Located,
    Problem,
    Service,
    YamlTime,
    parse_compose_file,
)
from mcplint.models.dotenv import DotenvError, parse_dotenv
from mcplint.models.interpolation import InterpolationError, interpolate
from mcplint.models.yamlsrc import YMap, YNode, YScalar, YSeq
from mcplint.source import SourceFile

MAX_NESTING = 20  # extends / include chains deeper than this are refused as cycles would be


@dataclass(frozen=True)
class LoadOptions:
    """What `docker compose` takes from outside the files."""

    environment: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    env_files: tuple[Path, ...] | None = None  # `--env-file`; None: the project's `.env`
    profiles: tuple[str, ...] | None = None  # None: COMPOSE_PROFILES


class _Reset:
    """A `!reset` value: removes the key from what lower files set."""


RESET = _Reset()


@dataclass(frozen=True, slots=True, eq=False)
class _Override:
    """An `!override` value: replaces what lower files set instead of merging with it."""

    node: CNode


# ------------------------------------------------------------------------------------ merge rules

_OVERRIDE_PATHS = {("services", "*", "command"), ("services", "*", "entrypoint"), ("services", "*", "healthcheck", "test")}
_SEQUENCE_PATHS = {
    ("networks", "*", "labels"), ("volumes", "*", "labels"), ("services", "*", "annotations"),
    ("services", "*", "build", "args"), ("services", "*", "build", "additional_contexts"),
    ("services", "*", "build", "labels"), ("services", "*", "deploy", "labels"), ("services", "*", "dns"),
    ("services", "*", "dns_opt"), ("services", "*", "dns_search"), ("services", "*", "env_file"),
    ("services", "*", "label_file"), ("services", "*", "environment"), ("services", "*", "labels"),
    ("services", "*", "sysctls"), ("services", "*", "tmpfs"), ("services", "*", "extra_hosts"),
    ("services", "*", "build", "extra_hosts"),
}  # fmt: skip
_MAPPING_PATHS = {("services", "*", "depends_on"), ("services", "*", "networks"), ("services", "*", "models")}
_UNIQUE_PATHS = {
    ("services", "*", "environment"), ("services", "*", "volumes"), ("services", "*", "expose"),
    ("services", "*", "secrets"), ("services", "*", "configs"), ("services", "*", "ports"),
}  # fmt: skip

# compose-go loader/interpolate.go: values cast after interpolation, by path.
_CASTS: dict[tuple[str, ...], str] = {
    ("services", "*", "configs", "[]", "mode"): "int", ("services", "*", "cpu_count"): "int",
    ("services", "*", "cpu_percent"): "float", ("services", "*", "cpu_period"): "int",
    ("services", "*", "cpu_quota"): "int", ("services", "*", "cpu_rt_period"): "int",
    ("services", "*", "cpu_rt_runtime"): "int", ("services", "*", "cpus"): "float",
    ("services", "*", "cpu_shares"): "int", ("services", "*", "init"): "bool",
    ("services", "*", "deploy", "replicas"): "int",
    ("services", "*", "deploy", "update_config", "parallelism"): "int",
    ("services", "*", "deploy", "update_config", "max_failure_ratio"): "float",
    ("services", "*", "deploy", "rollback_config", "parallelism"): "int",
    ("services", "*", "deploy", "rollback_config", "max_failure_ratio"): "float",
    ("services", "*", "deploy", "restart_policy", "max_attempts"): "int",
    ("services", "*", "deploy", "placement", "max_replicas_per_node"): "int",
    ("services", "*", "healthcheck", "retries"): "int", ("services", "*", "healthcheck", "disable"): "bool",
    ("services", "*", "mem_limit"): "bytes", ("services", "*", "mem_reservation"): "bytes",
    ("services", "*", "memswap_limit"): "bytes", ("services", "*", "mem_swappiness"): "bytes",
    ("services", "*", "oom_kill_disable"): "bool", ("services", "*", "oom_score_adj"): "int",
    ("services", "*", "pids_limit"): "int", ("services", "*", "ports", "[]", "target"): "int",
    ("services", "*", "ports", "[]", "published"): "int", ("services", "*", "privileged"): "bool",
    ("services", "*", "read_only"): "bool", ("services", "*", "scale"): "int",
    ("services", "*", "secrets", "[]", "mode"): "int", ("services", "*", "shm_size"): "bytes",
    ("services", "*", "stdin_open"): "bool", ("services", "*", "tty"): "bool", ("services", "*", "ulimits", "*"): "int",
    ("services", "*", "ulimits", "*", "hard"): "int", ("services", "*", "ulimits", "*", "soft"): "int",
    ("services", "*", "volumes", "[]", "read_only"): "bool",
    ("services", "*", "volumes", "[]", "volume", "nocopy"): "bool",
    ("services", "*", "volumes", "[]", "tmpfs", "size"): "bytes",
    ("networks", "*", "external"): "bool", ("networks", "*", "internal"): "bool",
    ("networks", "*", "attachable"): "bool", ("volumes", "*", "external"): "bool",
    ("secrets", "*", "external"): "bool", ("configs", "*", "external"): "bool",
}  # fmt: skip
_BOOLEANS = {"y": True, "yes": True, "true": True, "on": True, "n": False, "no": False, "false": False, "off": False}


def _matches(path: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    if len(path) != len(pattern):
        return False
    return all(want in ("*", part) or (want == "[]" and part.isdigit()) for part, want in zip(path, pattern))


def _rule_for(path: tuple[str, ...], patterns: Iterable[tuple[str, ...]]) -> bool:
    return any(_matches(path, pattern) for pattern in patterns)


# ------------------------------------------------------------------------------------- the loader


class ProjectLoader:
    """Loads Compose projects through a file reader; one loader serves a whole lint run."""

    def __init__(
        self,
        read: Callable[[Path], SourceFile | None],
        parse: Callable[[SourceFile], ComposeFile] = parse_compose_file,
        options: LoadOptions | None = None,
    ) -> None:
        self.read = read
        self.parse = parse
        self.options = options or LoadOptions()

    def load(self, paths: list[Path], project_directory: Path | None = None) -> ComposeProject:
        state = _LoadState(self, paths[0].parent if project_directory is None else project_directory)
        files: list[ComposeFile] = []
        for path in paths:
            source = self.read(path)
            if source is None:
                continue
            files.append(self.parse(source))
        chain = tuple(Path(os.path.abspath(f.source.path)) for f in files)
        steps: list[CMap | None] = []
        model = state.load_files(files, state.project_directory, state.env, chain=chain, steps=steps)
        return state.finish(files, model, steps[:-1])


class _LoadState:
    def __init__(self, loader: ProjectLoader, project_directory: Path) -> None:
        self.loader = loader
        self.project_directory = Path(os.path.abspath(project_directory))
        self.problems: list[Problem] = []
        self.missing_variables: list[tuple[str, Span]] = []
        self.extra_files: list[ComposeFile] = []  # files read through extends and include
        self.env_sources: list[SourceFile] = []
        self.env = self.environment_for(self.project_directory, loader.options.env_files)

    # ------------------------------------------------------------------ environment

    def environment_for(self, directory: Path, env_files: tuple[Path, ...] | None) -> dict[str, str]:
        """Interpolation variables: the process environment over the `.env` (or given env files)."""
        process = dict(self.loader.options.environment)
        values: dict[str, str] = {}
        if env_files is None:
            disabled = process.get("COMPOSE_DISABLE_ENV_FILE", "").lower() in ("1", "true")
            env_files = () if disabled else (directory / ".env",)
            required = False
        else:
            required = True
        for env_file in env_files:
            source = self.loader.read(env_file)
            if source is None:
                if required:
                    self.problems.append(Problem(f"env file {env_file} not found", _nowhere(env_file)))
                continue
            self.env_sources.append(source)
            try:
                entries = parse_dotenv(source.text, lambda name: process.get(name, values.get(name)))
            except DotenvError as error:
                line = min(error.line, source.line_count)
                start = source.line_start(line)
                self.problems.append(Problem(f"{env_file.name}: {error.message}", Span(source, start, source.line_end(line))))
                continue
            for entry in entries:
                if entry.value is not None:
                    values[entry.key] = entry.value
                elif entry.key in process:
                    values[entry.key] = process[entry.key]
        values.update(process)
        return values

    # ------------------------------------------------------------------ files

    def load_files(
        self,
        files: list[ComposeFile],
        base_dir: Path,
        env: Mapping[str, str],
        chain: tuple[Path, ...],
        steps: list[CMap | None] | None = None,
    ) -> CMap | None:
        """The files merged in order; `steps` receives the model after each file."""
        model: CNode | None = None
        for compose_file in files:
            self.problems.extend(compose_file.problems)
            for document in compose_file.documents:
                if document is None:
                    continue
                if not isinstance(document, YMap):
                    self.problems.append(Problem("a Compose file must be a mapping at the top level", _span(compose_file.source, document)))
                    continue
                converted = _Converter(self, compose_file.source, base_dir, env).convert(document, ())
                if not isinstance(converted, CMap):
                    continue
                converted = self.apply_include(converted, compose_file.source, base_dir, chain)
                converted = self.apply_extends(converted, compose_file.source, base_dir, env, chain)
                model = converted if model is None else merge(model, converted, ())
            if steps is not None:
                steps.append(model if isinstance(model, CMap) else None)
        return model if isinstance(model, CMap) else None

    def read_compose(self, path: Path) -> ComposeFile | None:
        source = self.loader.read(path)
        if source is None:
            return None
        compose_file = self.loader.parse(source)
        if not any(f.source is source for f in self.extra_files):
            self.extra_files.append(compose_file)
        return compose_file

    # ------------------------------------------------------------------ include

    def apply_include(self, model: CMap, source: SourceFile, base_dir: Path, chain: tuple[Path, ...]) -> CMap:
        include = model.get("include")
        if include is None:
            return model
        entries = dict(model.entries)
        del entries["include"]
        if not isinstance(include, CSeq):
            self.problems.append(Problem("`include` must be a list", include.span))
            return CMap(entries, model.span, model.written)
        for item in include.items:
            spec = _include_spec(item, base_dir)
            if spec is None:
                self.problems.append(Problem("an `include` entry needs a `path`", item.span))
                continue
            paths, project_dir, env_files = spec
            absolute = tuple(Path(os.path.abspath(p)) for p in paths)
            if set(absolute) & set(chain) or len(chain) > MAX_NESTING:
                self.problems.append(Problem(f"include cycle: {' -> '.join(str(p) for p in (*chain, *absolute))}", item.span))
                continue
            files = []
            for path in absolute:
                compose_file = self.read_compose(path)
                if compose_file is None:
                    self.problems.append(Problem(f"included file {path} not found", item.span))
                    continue
                files.append(compose_file)
            if not files:
                continue
            directory = project_dir or absolute[0].parent
            env = self.environment_for(directory, env_files)
            included = self.load_files(files, directory, env, chain + absolute)
            if included is None:
                continue
            for section, value in included.items():
                if not isinstance(value, CMap):
                    continue
                current = entries.get(section)
                if current is None or not isinstance(current.value, CMap):
                    entries[section] = CEntry(included.key_span(section), value)
                    continue
                combined = dict(current.value.entries)
                for name, entry in value.entries.items():
                    if name in combined:
                        self.problems.append(
                            Problem(f"{section}.{name} conflicts with an imported resource of {absolute[0]}", combined[name].key)
                        )
                        continue
                    combined[name] = entry
                entries[section] = CEntry(current.key, CMap(combined, current.value.span, current.value.written))
        return CMap(entries, model.span, model.written)

    # ------------------------------------------------------------------ extends

    def apply_extends(self, model: CMap, source: SourceFile, base_dir: Path, env: Mapping[str, str], chain: tuple[Path, ...]) -> CMap:
        services = model.get("services")
        if not isinstance(services, CMap) or not any(
            isinstance(entry.value, CMap) and "extends" in entry.value for entry in services.entries.values()
        ):
            return model
        resolved: dict[str, CEntry] = {}
        for name, entry in services.entries.items():
            if isinstance(entry.value, CMap) and "extends" in entry.value:
                value = self.resolve_extends(name, services, source, base_dir, env, ((source.path, name),))
                resolved[name] = CEntry(entry.key, value)
            else:
                resolved[name] = entry
        entries = dict(model.entries)
        entries["services"] = CEntry(model.key_span("services"), CMap(resolved, services.span, services.written))
        return CMap(entries, model.span, model.written)

    def resolve_extends(
        self, name: str, services: CMap, source: SourceFile, base_dir: Path, env: Mapping[str, str], chain: tuple[tuple[Path, str], ...]
    ) -> CMap:
        service = services.get(name)
        assert isinstance(service, CMap)
        extends = service.get("extends")
        own = CMap({k: e for k, e in service.entries.items() if k != "extends"}, service.span, service.written)
        if extends is None:
            return own
        if isinstance(extends, CScalar):
            base_name, file_value = str(extends.value), None
        elif isinstance(extends, CMap):
            base_name = str(_scalar(extends.get("service")) or "")
            file_value = extends.get("file")
        else:
            self.problems.append(Problem("`extends` must be a service name or a mapping", extends.span))
            return own
        if not base_name:
            self.problems.append(Problem("`extends` needs a `service`", extends.span))
            return own
        if isinstance(file_value, CScalar) and file_value.value:
            path = Path(os.path.abspath((file_value.base_dir or base_dir) / str(file_value.value)))
            if (path, base_name) in chain or len(chain) > MAX_NESTING:
                self.problems.append(Problem(f"extends cycle: service `{name}` extends `{base_name}` in {path}", extends.span))
                return own
            compose_file = self.read_compose(path)
            if compose_file is None:
                self.problems.append(Problem(f"extended file {path} not found", file_value.span))
                return own
            other_model = self.load_files([compose_file], path.parent, env, ())
            other_services = other_model.get("services") if other_model else None
            if not isinstance(other_services, CMap) or not isinstance(other_services.get(base_name), CMap):
                self.problems.append(Problem(f"service `{base_name}` not found in {path}", extends.span))
                return own
            base = other_services.get(base_name)
        else:
            if (source.path, base_name) in chain:
                self.problems.append(Problem(f"extends cycle: service `{name}` extends `{base_name}`", extends.span))
                return own
            if not isinstance(services.get(base_name), CMap):
                self.problems.append(Problem(f"cannot extend service `{name}`: service `{base_name}` not found", extends.span))
                return own
            base = self.resolve_extends(base_name, services, source, base_dir, env, chain + ((source.path, base_name),))
        merged = merge(base, own, ("services", name))
        assert isinstance(merged, CMap)
        # The service is written where its own key is; the base contributes values, not the mapping.
        return CMap(merged.entries, own.span, own.written + tuple(w for w in merged.written if w not in own.written))

    # ------------------------------------------------------------------ the end

    def finish(self, files: list[ComposeFile], model: CMap | None, steps: list[CMap | None]) -> ComposeProject:
        services: list[Service] = []
        if model is not None:
            model = cast_model(model, self.problems)
            services_node = model.get("services")
            if isinstance(services_node, CMap):
                active = self.active_profiles()
                for name, entry in services_node.entries.items():
                    if isinstance(entry.value, CMap):
                        services.append(
                            Service(
                                name,
                                entry.key,
                                entry.value,
                                _enabled(entry.value, active),
                                self.env_file_values(entry.value),
                                self.project_directory,
                                self.env,
                            )
                        )
        return ComposeProject(
            self.project_directory,
            tuple(files),
            model,
            tuple(services),
            tuple(self.problems),
            extra_files=tuple(self.extra_files),
            env_sources=tuple(self.env_sources),
            environment=self.env,
            missing_variables=tuple(self.missing_variables),
            partial_configs=tuple(
                (compose_file, step) for compose_file, step in zip(files[1:], steps, strict=True) if step is not None
            ),
        )

    def env_file_values(self, service: CMap) -> dict[str, Located]:
        """The variables a service's `env_file` entries give its container, in order (later wins)."""
        node = service.get("env_file")
        if node is None:
            return {}
        items = node.items if isinstance(node, CSeq) else (node,)
        values: dict[str, Located] = {}
        for item in items:
            path_node = item.get("path") if isinstance(item, CMap) else item
            if not isinstance(path_node, CScalar) or not path_node.value:
                continue
            required = not (isinstance(item, CMap) and _scalar(item.get("required")) is False)
            path = Path(os.path.abspath((path_node.base_dir or self.project_directory) / str(path_node.value)))
            source = self.loader.read(path)
            if source is None:
                if required:
                    self.problems.append(Problem(f"env file {path} not found", path_node.span))
                continue
            try:
                entries = parse_dotenv(source.text, lambda name: self.env.get(name))
            except DotenvError as error:
                self.problems.append(Problem(f"{path.name}: line {error.line}: {error.message}", path_node.span))
                continue
            for entry in entries:
                line = min(entry.line, source.line_count)
                span = Span(source, source.line_start(line), source.line_end(line))
                if entry.value is not None:
                    values[entry.key] = Located(entry.value, span)
                elif entry.key in self.env:
                    values[entry.key] = Located(self.env[entry.key], span)
        return values

    def active_profiles(self) -> frozenset[str]:
        if self.loader.options.profiles is not None:
            return frozenset(self.loader.options.profiles)
        raw = self.env.get("COMPOSE_PROFILES", "")
        return frozenset(p.strip() for p in raw.split(",") if p.strip())


def _enabled(service: CMap, active: frozenset[str]) -> bool:
    profiles = service.get("profiles")
    if not isinstance(profiles, CSeq) or not profiles.items:
        return True
    if "*" in active:
        return True
    return any(isinstance(p, CScalar) and str(p.value) in active for p in profiles.items)


def _include_spec(item: CNode, base_dir: Path) -> tuple[list[Path], Path | None, tuple[Path, ...] | None] | None:
    def resolve(node: CNode) -> Path:
        assert isinstance(node, CScalar)
        return (node.base_dir or base_dir) / str(node.value)

    if isinstance(item, CScalar) and item.value:
        return [resolve(item)], None, None
    if not isinstance(item, CMap):
        return None
    path = item.get("path")
    if isinstance(path, CScalar) and path.value:
        paths = [resolve(path)]
    elif isinstance(path, CSeq) and path.items:
        paths = [resolve(p) for p in path.items if isinstance(p, CScalar)]
    else:
        return None
    project_dir = item.get("project_directory")
    directory = resolve(project_dir) if isinstance(project_dir, CScalar) and project_dir.value else None
    env_file = item.get("env_file")
    env_files: tuple[Path, ...] | None = None
    if isinstance(env_file, CScalar) and env_file.value:
        env_files = (resolve(env_file),)
    elif isinstance(env_file, CSeq):
        env_files = tuple(resolve(e) for e in env_file.items if isinstance(e, CScalar))
    return paths, directory, env_files


def _scalar(node: CNode | None) -> object:
    return node.value if isinstance(node, CScalar) else None


def _span(source: SourceFile, node: YNode) -> Span:
    return Span(source, node.start, node.end)


def _nowhere(path: Path) -> Span:
    return Span(SourceFile(path, ""), 0, 0)


# ------------------------------------------------------------------------------- conversion


class _Converter:
    """YAML nodes of one file → resolved tree, interpolating string values (keys are never)."""

    def __init__(self, state: _LoadState, source: SourceFile, base_dir: Path, env: Mapping[str, str]) -> None:
        self.state = state
        self.source = source
        self.base_dir = base_dir
        self.env = env
        self.memo: dict[int, CNode | _Reset | _Override] = {}

    def convert(self, node: YNode, path: tuple[str, ...]) -> CNode | _Reset | _Override:
        # Aliases reuse node objects; their conversion does not depend on where they are used.
        cached = self.memo.get(id(node))
        if cached is None:
            cached = self._convert(node, path)
            self.memo[id(node)] = cached
        return cached

    def _convert(self, node: YNode, path: tuple[str, ...]) -> CNode | _Reset | _Override:
        span = Span(self.source, node.start, node.end)
        tag = node.tag
        if tag == "!reset":
            return RESET
        if isinstance(node, YScalar):
            converted: CNode = self._scalar(node, span)
        elif isinstance(node, YSeq):
            items = []
            for item in node.items:
                value = self.convert(item, path + ("[]",))
                if isinstance(value, _Override):
                    value = value.node
                if not isinstance(value, _Reset):
                    items.append(value)
            converted = CSeq(tuple(items), span)
        else:
            entries: dict[str, CEntry] = {}
            for key, value in node.items:
                if key.resolved_tag not in ("!!str", "!!merge") and key.tag != "!!str":
                    if key.resolved_tag == "!!null" or key.value is None or not isinstance(key.value, str):
                        self.state.problems.append(
                            Problem(f"non-string key {'.'.join(path + (key.text,))}: {key.text}", Span(self.source, key.start, key.end))
                        )
                        continue
                name = key.text
                converted_value = self.convert(value, path + (name,))
                entries[name] = CEntry(Span(self.source, key.start, key.end), converted_value)  # type: ignore[arg-type]
            converted = CMap(entries, span, ((self.source, node),))
        if tag == "!override":
            return _Override(converted)
        return converted

    def _scalar(self, node: YScalar, span: Span) -> CScalar:
        value = node.value
        if isinstance(value, str) and "$" in value:
            try:
                result = interpolate(value, self.env.get)
            except InterpolationError as error:
                offset = _offset_in_node(self.source.text, node, error.offset)
                self.state.problems.append(Problem(error.message, Span(self.source, offset, min(offset + 1, span.end))))
                return CScalar(value, span, node.text, self.base_dir)
            for name in result.missing:
                self.state.missing_variables.append((name, span))
            value = result.value
        elif node.resolved_tag == "!!timestamp":
            value = YamlTime(node.text)
        return CScalar(value, span, node.text, self.base_dir)


def _offset_in_node(text: str, node: YScalar, value_offset: int) -> int:
    """Where in the file an offset into a scalar's value is, when the scalar is written plainly."""
    if node.style in ("", "'", '"') and text[node.start : node.end].find(node.text) >= 0:
        return node.start + text[node.start : node.end].find(node.text) + value_offset
    return node.start


# ------------------------------------------------------------------------------------ merging


def merge(base: CNode | None, over: CNode | _Reset | _Override, path: tuple[str, ...]) -> CNode | None:
    """Merge `over` (a later file) onto `base`, as compose-go's override.Merge does."""
    if isinstance(over, _Reset):
        return None
    if isinstance(over, _Override):
        return over.node
    if base is None:
        return _strip(over)
    if _rule_for(path, _OVERRIDE_PATHS):
        return _strip(over)
    if path[-1:] == ("build",) and len(path) == 3 and path[0] == "services":
        return merge(_as_build_map(base), _as_build_map(over), path + ("",))  # "" avoids re-entering
    if _rule_for(path, _SEQUENCE_PATHS):
        if isinstance(base, CMap) and isinstance(over, CMap):
            return _merge_maps(base, over, path)
        return _append(_as_sequence(base), _as_sequence(over))
    if _rule_for(path, _MAPPING_PATHS):
        default_condition = path[-1] == "depends_on"
        return _merge_maps(_as_mapping(base, default_condition), _as_mapping(over, default_condition), path)
    if isinstance(base, CMap) and isinstance(over, CMap):
        return _merge_maps(base, over, path)
    if isinstance(base, CSeq) and isinstance(over, CSeq):
        return _append(base, _strip(over))
    return _strip(over)


def _strip(node: CNode | _Reset | _Override) -> CNode | None:
    """Resolve markers left inside a subtree that had nothing to merge with."""
    if isinstance(node, _Reset):
        return None
    if isinstance(node, _Override):
        return node.node
    if isinstance(node, CMap) and any(isinstance(e.value, (_Reset, _Override)) for e in node.entries.values()):
        entries = {}
        for key, entry in node.entries.items():
            value = _strip(entry.value)
            if value is not None:
                entries[key] = CEntry(entry.key, value)
        return CMap(entries, node.span, node.written)
    return node


def _merge_maps(base: CMap, over: CMap, path: tuple[str, ...]) -> CMap:
    entries = dict(base.entries)
    for key, entry in over.entries.items():
        current = entries.get(key)
        if current is None:
            value = _strip(entry.value)
            if value is not None:
                entries[key] = CEntry(entry.key, value)
            continue
        merged = merge(current.value, entry.value, path + (key,))
        if merged is None:
            del entries[key]
        else:
            # A mapping keeps the key where it was first written; a replaced value, where it was replaced.
            key_span = current.key if isinstance(merged, CMap) else entry.key
            entries[key] = CEntry(key_span, merged)
    return CMap(entries, base.span, base.written + tuple(w for w in over.written if w not in base.written))


def _append(base: CSeq, over: CNode | None) -> CSeq:
    extra = over.items if isinstance(over, CSeq) else ()
    return CSeq(base.items + extra, base.span)


def _as_sequence(node: CNode) -> CSeq:
    if isinstance(node, CSeq):
        return node
    if isinstance(node, CMap):
        items = []
        for key, entry in sorted(node.entries.items()):
            value = entry.value
            if isinstance(value, CScalar) and value.value is None:
                items.append(CScalar(key, entry.key, key, value.base_dir))
            elif isinstance(value, CScalar):
                items.append(CScalar(f"{key}={_go_string(value.value)}", value.span, value.raw, value.base_dir))
        return CSeq(tuple(items), node.span)
    return CSeq((node,), node.span)


def _as_mapping(node: CNode, depends_on: bool) -> CMap:
    if isinstance(node, CMap):
        return node
    entries: dict[str, CEntry] = {}
    if isinstance(node, CSeq):
        for item in node.items:
            if isinstance(item, CScalar) and item.value is not None:
                name = str(item.value)
                value: CNode
                if depends_on:
                    value = CMap(
                        {
                            "condition": CEntry(item.span, CScalar("service_started", item.span, "", item.base_dir)),
                            "required": CEntry(item.span, CScalar(True, item.span, "", item.base_dir)),
                        },
                        item.span,
                    )
                else:
                    value = CScalar(None, item.span, "", item.base_dir)
                entries[name] = CEntry(item.span, value)
    return CMap(entries, node.span)


def _as_build_map(node: CNode | _Reset | _Override) -> CNode | _Reset | _Override:
    if isinstance(node, CScalar):
        return CMap({"context": CEntry(node.span, node)}, node.span)
    return node


def _go_string(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


# ---------------------------------------------------------------------- casting and uniqueness


def cast_model(model: CMap, problems: list[Problem]) -> CMap:
    """A merged model with its values cast and its sets deduplicated, as compose-go has it after
    loading; what cannot be cast is added to `problems`."""
    cast = _cast_tree(model, (), problems)
    assert isinstance(cast, CMap)
    return _enforce_unicity(cast, ())


def _cast_tree(node: CNode, path: tuple[str, ...], problems: list[Problem]) -> CNode:
    if isinstance(node, CMap):
        changed = False
        entries = {}
        for key, entry in node.entries.items():
            value = _cast_tree(entry.value, path + (key,), problems)
            changed |= value is not entry.value
            entries[key] = CEntry(entry.key, value) if value is not entry.value else entry
        return CMap(entries, node.span, node.written) if changed else node
    if isinstance(node, CSeq):
        items = tuple(_cast_tree(item, path + (str(index),), problems) for index, item in enumerate(node.items))
        return CSeq(items, node.span) if any(a is not b for a, b in zip(items, node.items)) else node
    kind = next((kind for pattern, kind in _CASTS.items() if _matches(path, pattern)), None)
    if kind is None or not isinstance(node.value, str):
        return node
    text = node.value
    try:
        if kind == "int":
            value: object = int(text, 10)
        elif kind == "float":
            value = float(text)
        elif kind == "bool":
            value = _BOOLEANS[text.lower()]
        else:  # bytes: kept as written; RES002 reports what Docker cannot parse
            value = int(text) if text.lstrip("-").isdigit() else text
    except (ValueError, KeyError):
        problems.append(Problem(f"{'.'.join(path)}: invalid {kind} value {text!r}", node.span))
        return node
    return CScalar(value, node.span, node.raw, node.base_dir)


def _enforce_unicity(model: CMap, path: tuple[str, ...]) -> CMap:
    services = model.get("services")
    if not isinstance(services, CMap):
        return model
    new_services = {}
    changed = False
    for name, entry in services.entries.items():
        service = entry.value
        if not isinstance(service, CMap):
            new_services[name] = entry
            continue
        service_entries = dict(service.entries)
        for key in ("environment", "volumes", "expose", "secrets", "configs", "ports"):
            value = service_entries.get(key)
            if value is None or not isinstance(value.value, CSeq):
                continue
            unique = _dedupe(value.value, key)
            if unique is not value.value:
                service_entries[key] = CEntry(value.key, unique)
                changed = True
        new_services[name] = CEntry(entry.key, CMap(service_entries, service.span, service.written))
    if not changed:
        return model
    entries = dict(model.entries)
    entries["services"] = CEntry(model.key_span("services"), CMap(new_services, services.span, services.written))
    return CMap(entries, model.span, model.written)


def _dedupe(sequence: CSeq, kind: str) -> CSeq:
    positions: dict[str, int] = {}
    items: list[CNode] = []
    for item in sequence.items:
        key = _unique_key(item, kind)
        if key is not None and key in positions:
            items[positions[key]] = item
            continue
        if key is not None:
            positions[key] = len(items)
        items.append(item)
    if len(items) == len(sequence.items):
        return sequence
    return CSeq(tuple(items), sequence.span)


def _unique_key(item: CNode, kind: str) -> str | None:
    if isinstance(item, CScalar):
        text = _go_string(item.value)
        if kind == "environment":
            return text.split("=", 1)[0]
        if kind == "volumes":
            parts = text.split(":")
            return parts[1] if len(parts) > 1 else parts[0]
        if kind in ("secrets",):
            return f"/run/secrets/{text}"
        if kind == "configs":
            return f"/{text}"
        return text
    if isinstance(item, CMap):
        if kind == "volumes":
            return str(_scalar(item.get("target")))
        if kind in ("secrets", "configs"):
            target = _scalar(item.get("target"))
            if target is not None:
                return str(target)
            prefix = "/run/secrets" if kind == "secrets" else ""
            return f"{prefix}/{_scalar(item.get('source'))}"
        if kind == "ports":
            host = _scalar(item.get("host_ip")) or "0.0.0.0"
            protocol = _scalar(item.get("protocol")) or "tcp"
            return f"{host}:{_scalar(item.get('published')) or ''}:{_scalar(item.get('target'))}/{protocol}"
    return None
