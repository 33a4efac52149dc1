"""Postgres services of a Compose project, as the server inside the container would see itself.

For each service that runs the official `postgres` image or one built on it (`postgis/postgis`,
`timescale/timescaledb*`, or a Dockerfile whose final stage starts FROM one of them), this module
answers, from the files alone:

- the **major version**, from the image tag (`15-alpine` → 15, `16-3.4` → 16, `2.14-pg15` → 15); a tag
  without a version (`latest`, a digest) is "unknown", and the newest known major's defaults stand in,
  which every finding says;
- the **command line** the server gets: `command:` (or the Dockerfile's CMD), split as Compose splits
  it, with `postgres` put in front when the first word is an option, as docker-entrypoint.sh does;
- the **configuration file** it really reads: `-c config_file=X` when X is inside a bind mount whose
  host file exists; otherwise `$PGDATA/postgresql.conf` (PGDATA from `environment:`, the Dockerfile's
  ENV, or the image default, which moved in PostgreSQL 18) when a bind mount provides it; a file
  mounted over the image's `postgresql.conf.sample`, which initdb copies on first start; else the file
  initdb generates, whose memory settings are the version's defaults;
- every **setting** with its effective value and where it was set: a file line, a `-c` argument, or
  the default; all through the same workspace the rules use, never by opening files;
- the container's **memory limit** and **/dev/shm** size.

Where the answer cannot be known (an `entrypoint:` override, a config file baked into an image, a
value behind an unset variable), the model says "unknown" instead of guessing.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from mcplint.diagnostics import Edit, Span
from mcplint.fixes import merge_touching
from mcplint.models import pgmemory
from mcplint.models.compose import CScalar, CSeq, Mount, Service, scalar
from mcplint.models.dockerfile import Dockerfile, Stage
from mcplint.models.images import parse_image_ref
from mcplint.models.instructions import base_image, stage_chain
from mcplint.models.pgconf import (
    PgValueError,
    ResolvedConf,
    SERVER_PROGRAMS,
    known_majors,
    load_conf,
    memory_defaults,
    parse_server_args,
    parse_value,
    to_bytes,
)
from mcplint.models.pgconf import (
    lookup as lookup_param,
)
from mcplint.models.units import UnitError, format_bytes, parse_bytes
from mcplint.source import SourceFile
from mcplint.yamledit import insert_path, render_scalar

DEFAULT_SHM_SIZE = 64 * 1024 * 1024  # Docker's /dev/shm when shm_size is not set
ENTRYPOINT_NAMES = ("docker-entrypoint.sh",)
# Where the official images keep the sample that initdb copies into a new data directory.
SAMPLE_PATHS = ("/usr/share/postgresql/postgresql.conf.sample", "/usr/local/share/postgresql/postgresql.conf.sample")
INIT_SCRIPTS_DIRECTORY = "/docker-entrypoint-initdb.d"


KNOWN_MAJORS = known_majors()
NEWEST_MAJOR = KNOWN_MAJORS[-1]


# -------------------------------------------------------------------------------------------- image


@dataclass(frozen=True, slots=True)
class PostgresImage:
    reference: str  # as written, after interpolation or ARG expansion
    repository: str  # postgres, postgis/postgis, timescale/timescaledb, ...
    major: int | None  # None: the tag names no version

    @property
    def effective_major(self) -> int:
        return self.major if self.major is not None else NEWEST_MAJOR

    @property
    def version_note(self) -> str | None:
        if self.major is None:
            return (f"the tag of `{self.reference}` names no version: PostgreSQL {NEWEST_MAJOR}'s defaults "
                    "are assumed (pin a major version to make this exact)")
        if self.major < KNOWN_MAJORS[0] or self.major > NEWEST_MAJOR:
            nearest = min(max(self.major, KNOWN_MAJORS[0]), NEWEST_MAJOR)
            return f"PostgreSQL {self.major} is outside the versions mcplint knows; PostgreSQL {nearest}'s defaults are assumed"
        return None

    @property
    def tunes_itself(self) -> bool:
        """TimescaleDB images run timescaledb-tune at first start, writing sizes into postgresql.conf."""
        return self.repository.startswith("timescale/")


_LEADING_MAJOR = re.compile(r"(\d+)(?:[.\-_]|$|[a-z])")
_PG_MAJOR = re.compile(r"(?:^|[-_.])pg(\d+)(?:$|[-_.])")


def classify_image(reference: str) -> tuple[str, int | None] | None:
    """(repository, major or None) when `reference` is a Postgres image this module understands."""
    ref = parse_image_ref(reference)
    if ref is None:
        return None
    name = ref.name
    if name == "library/postgres" or name.endswith("/library/postgres"):
        repository = "postgres"
    elif name == "postgis/postgis":
        repository = name
    elif name.startswith("timescale/timescaledb") and name != "timescale/timescaledb-ha":
        # timescaledb-ha has another entrypoint and data directory; its settings are not the image's.
        repository = name
    else:
        return None
    tag = (ref.tag or "").lower()
    if repository.startswith("timescale/"):
        match = _PG_MAJOR.search(tag)
    else:
        match = _LEADING_MAJOR.match(tag)
    return repository, (int(match[1]) if match else None)


# ------------------------------------------------------------------------------------ command words


@dataclass(frozen=True, slots=True)
class Word:
    """One argument of the server's command line and where it is written."""

    value: str
    span: Span | None  # None: the image's default command, written nowhere mcplint reads
    exact: bool  # span covers exactly the characters of `value`, so an edit may rewrite them


@dataclass(frozen=True, slots=True)
class ServerCommand:
    words: tuple[Word, ...]  # the argv the server gets, `postgres` first
    node_span: Span | None  # the whole `command:` (or CMD), None for the image default
    written: bool  # False: the image's default command
    implicit_program: bool  # docker-entrypoint.sh put `postgres` in front of options

    @property
    def argv(self) -> tuple[str, ...]:
        return tuple(word.value for word in self.words)


def _locate_words(source: SourceFile, start: int, end: int, words: tuple[str, ...]) -> list[tuple[Span | None, bool]]:
    """Where each word of a split string is written. A word is looked for verbatim, in order; after
    the first word that is not (escaped, interpolated), no later word is located: a guess could
    point into the wrong word."""
    text = source.text
    cursor = start
    located: list[tuple[Span | None, bool]] = []
    lost = False
    for word in words:
        found = -1 if lost or not word else text.find(word, cursor, end)
        if found < 0:
            lost = True
            located.append((None, False))
            continue
        located.append((Span(source, found, found + len(word)), True))
        cursor = found + len(word)
    return located


def _compose_command_words(service: Service) -> tuple[tuple[Word, ...], Span] | None:
    node = service.get("command")
    if isinstance(node, CScalar) and node.value is not None:
        command = service.command
        if command is None or command.value is None:
            return None
        argv = tuple(command.value)
        places = _locate_words(node.span.source, node.span.start, node.span.end, argv)
        return tuple(Word(v, s or node.span, exact) for v, (s, exact) in zip(argv, places, strict=True)), node.span
    if isinstance(node, CSeq):
        words = []
        for item in node.items:
            if not isinstance(item, CScalar) or item.value is None:
                return None
            value = str(scalar(item)) if not isinstance(item.value, bool) else ("true" if item.value else "false")
            written = item.span.text
            if written == value:
                words.append(Word(value, item.span, True))
            elif len(written) >= 2 and written[0] in "'\"" and written[-1] == written[0] and written[1:-1] == value:
                inner = Span(item.span.source, item.span.start + 1, item.span.end - 1)
                words.append(Word(value, inner, True))
            else:
                words.append(Word(value, item.span, False))
        return tuple(words), node.span
    return None


# ---------------------------------------------------------------------------------------- settings


@dataclass(frozen=True, slots=True)
class SettingSource:
    """One place the server reads a setting from: a configuration-file line, an argument, a default."""

    name: str  # lower-case, '-' folded to '_' for arguments
    raw: str  # the value as the server receives it
    kind: str  # file | command | default
    where: str  # for people: "postgresql.conf:3", "`-c work_mem=4MB` in `command:` (compose.yaml:5)"
    name_span: Span | None = None
    value_span: Span | None = None  # the value's text (a quoted value's quotes included in a file)
    value_exact: bool = False  # value_span may be replaced by a new value
    line: int | None = None

    @property
    def span(self) -> Span | None:
        """The whole setting as written: `name = value` in a file, the argument on a command line."""
        if self.kind == "file" and self.name_span is not None and self.value_span is not None:
            return Span(self.name_span.source, self.name_span.start, self.value_span.end)
        return self.name_span or self.value_span

    def describe(self) -> str:
        return f"{self.name} = {self.raw} ({self.where})"


@dataclass(frozen=True, slots=True)
class ConfProblem:
    """A problem the server reports while reading a configuration file (syntax, missing include)."""

    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """Which postgresql.conf the server reads, and how mcplint knows."""

    kind: str  # mounted | data-directory | sample | generated | unknown
    container_path: str | None
    reason: str  # one line for people

    @property
    def readable(self) -> bool:
        return self.kind in ("mounted", "data-directory", "sample")


@dataclass(frozen=True, slots=True)
class Limit:
    bytes: int
    span: Span
    text: str


class PostgresService:
    """Everything the Postgres rules need to know about one service (build with `postgres_services`)."""

    def __init__(self, service: Service, image: PostgresImage, workspace, dockerfile: Dockerfile | None,
                 chain: tuple[Stage, ...] | None) -> None:
        self.service = service
        self.image = image
        self.workspace = workspace
        self._dockerfile = dockerfile
        self._chain = chain
        # Container paths an include named that no bind mount provides (inside the image or a volume).
        self._unknown_paths: set[str] = set()

    @property
    def name(self) -> str:
        return self.service.name

    @property
    def major(self) -> int:
        return self.image.effective_major

    # -- environment and mounts --------------------------------------------------------------

    @cached_property
    def bind_mounts(self) -> tuple[Mount, ...]:
        return tuple(m for m in self.service.volumes if m.kind == "bind" and m.host_path is not None)

    def mount_for(self, container_path: str) -> Mount | None:
        """The mount that provides a path in the container (the deepest target wins, as in Docker)."""
        path = posixpath.normpath(container_path)
        best = None
        for mount in self.service.volumes:
            target = posixpath.normpath(mount.target)
            if path == target or path.startswith(target.rstrip("/") + "/"):
                if best is None or len(target) > len(posixpath.normpath(best.target)):
                    best = mount
        return best

    def host_path(self, container_path: str) -> Path | None:
        """The host file or directory behind a container path, when a bind mount provides it."""
        mount = self.mount_for(container_path)
        if mount is None or mount.kind != "bind" or mount.host_path is None:
            return None
        relative = posixpath.relpath(posixpath.normpath(container_path), posixpath.normpath(mount.target))
        return mount.host_path if relative == "." else mount.host_path / relative

    def _image_env(self, name: str) -> str | None:
        if self._dockerfile is None or self._chain is None:
            return None
        value = None
        for stage in self._chain:
            for instruction in stage.instructions:
                if instruction.keyword != "ENV":
                    continue
                words = instruction.args
                for key, raw in zip(words[0::2], words[1::2], strict=False):
                    if key.value == name:
                        text = raw.value
                        if len(text) >= 2 and text[0] in "'\"" and text[-1] == text[0]:
                            text = text[1:-1]
                        value = self._dockerfile.expand(instruction, text)
        return value

    @cached_property
    def pgdata(self) -> str | None:
        located = self.service.environment.get("PGDATA")
        if located is not None:
            return located.value or None
        from_image = self._image_env("PGDATA")
        if from_image:
            return from_image
        if self.major >= 18:
            return f"/var/lib/postgresql/{self.major}/docker"
        return "/var/lib/postgresql/data"

    # -- command line -------------------------------------------------------------------------

    @cached_property
    def command(self) -> ServerCommand | None:
        """The server's argv, or None when it cannot be known (another program, an entrypoint override)."""
        if self.service.get("entrypoint") is not None:
            return None
        found = _compose_command_words(self.service)
        written = found is not None
        if found is None:
            found = self._image_command()
            if found is None:
                return None
        words, span = found
        if not words:
            return None
        implicit = words[0].value.startswith("-")
        if implicit:
            words = (Word("postgres", None, False), *words)
        if posixpath.basename(words[0].value) not in SERVER_PROGRAMS:
            return None
        return ServerCommand(words, span, written, implicit)

    def _image_command(self) -> tuple[tuple[Word, ...], Span | None] | None:
        if self._dockerfile is None or self._chain is None:
            return (Word("postgres", None, False),), None  # the official images' CMD
        cmd = entrypoint = None
        for stage in self._chain:
            for instruction in stage.instructions:
                if instruction.keyword == "CMD":
                    cmd = instruction
                elif instruction.keyword == "ENTRYPOINT":
                    entrypoint = instruction
        if entrypoint is not None:
            words = [w.value for w in entrypoint.args] if entrypoint.json_form else []
            if len(words) != 1 or posixpath.basename(words[0]) not in ENTRYPOINT_NAMES:
                return None
        if cmd is None:
            return (Word("postgres", None, False),), None
        if not cmd.json_form:
            return None  # `CMD postgres ...` runs /bin/sh -c, and the shell decides the arguments
        source = self._dockerfile.source
        words = tuple(Word(w.value, Span(source, w.start, w.end), False) for w in cmd.args)
        return words, Span(source, cmd.start, cmd.end)

    @cached_property
    def arguments(self) -> tuple[list, list[str]]:
        """parse_server_args of the command: (settings, problems)."""
        if self.command is None:
            return [], []
        return parse_server_args(self.command.argv)

    def _argument_source(self, setting) -> SettingSource:
        assert self.command is not None
        word = self.command.words[setting.arg_index]
        value_span, exact = None, False
        if word.span is not None and word.exact and word.value.endswith(setting.raw_value):
            value_span = Span(word.span.source, word.span.end - len(setting.raw_value), word.span.end)
            exact = True
        where = "the image's default command"
        if word.span is not None:
            line = word.span.source.location(word.span.start)[0]
            previous = self.command.words[setting.arg_index - 1].value if setting.arg_index > 0 else ""
            if "=" not in word.value or previous == "-c":
                shown = f"{previous} {word.value}"  # `-c work_mem=4MB`, `-B 1000`
            else:
                shown = word.value  # `--work-mem=4MB`, `-cwork_mem=4MB`
            what = "`command:`" if self.command.written else "the Dockerfile's CMD"
            where = f"`{shown}` in {what} ({word.span.source.path.name}:{line})"
        return SettingSource(setting.name, setting.raw_value, "command", where, word.span, value_span or word.span,
                             exact, None)

    # -- configuration file -------------------------------------------------------------------

    @cached_property
    def config_file(self) -> ConfigFile:
        if self.command is None:
            return ConfigFile("unknown", None, "the server's command line cannot be known")
        if self.image.tunes_itself and self.service.environment.get("NO_TS_TUNE") is None:
            tuned = ConfigFile("unknown", None, "timescaledb-tune sizes postgresql.conf at first start")
        else:
            tuned = None
        settings, _ = self.arguments
        chosen = next((s for s in reversed(settings) if s.name == "config_file"), None)
        if chosen is not None:
            path = chosen.raw_value
            if not path.startswith("/"):
                return ConfigFile("unknown", path, f"`config_file={path}` is relative")
            host = self.host_path(path)
            if host is not None and self.workspace.is_file(host):
                return ConfigFile("mounted", path, f"`config_file={path}`, mounted from {host.name}")
            return ConfigFile("unknown", path, f"`config_file={path}` is not a file mounted from this project")
        pgdata = self.pgdata
        if pgdata is None:
            return ConfigFile("unknown", None, "PGDATA is empty")
        in_data = posixpath.join(pgdata, "postgresql.conf")
        host = self.host_path(in_data)
        if host is not None and self.workspace.is_file(host):
            return ConfigFile("data-directory", in_data, f"the data directory's {in_data}, mounted from {host.name}")
        if tuned is not None:
            return tuned
        data_mount = self.mount_for(pgdata)
        if data_mount is None or data_mount.kind in ("volume", "tmpfs") or host is not None:
            # A fresh data directory: initdb copies the sample, or writes its own defaults.
            for sample in SAMPLE_PATHS:
                sample_host = self.host_path(sample)
                if sample_host is not None and self.workspace.is_file(sample_host):
                    return ConfigFile("sample", sample, f"{sample}, which initdb copies into a new data directory")
            return ConfigFile("generated", in_data, "the postgresql.conf initdb generates (the version's defaults)")
        return ConfigFile("unknown", in_data, f"{in_data} is not visible from this project")

    def _read_container_file(self, path: Path) -> str | None:
        host = self.host_path(str(path))
        if host is None:
            self._unknown_paths.add(str(path))
            return None
        return self.workspace.read_text(host) if self.workspace.is_file(host) else None

    def _list_container_dir(self, path: Path) -> list[tuple[str, bool | None]] | None:
        host = self.host_path(str(path))
        if host is None:
            self._unknown_paths.add(str(path))
            return None
        if not self.workspace.is_dir(host):
            return None
        return [(entry.name, entry.is_dir) for entry in self.workspace.list_dir(host)]

    @cached_property
    def conf(self) -> ResolvedConf | None:
        """The configuration files as the server reads them (container paths), when readable."""
        config = self.config_file
        if not config.readable or config.container_path is None:
            return None
        return load_conf(Path(config.container_path), self._read_container_file, self._list_container_dir)

    def source_of(self, container_path: Path | str) -> SourceFile | None:
        host = self.host_path(str(container_path))
        if host is None or not self.workspace.is_file(host):
            return None
        loaded = self.workspace.read(host)
        return loaded if isinstance(loaded, SourceFile) else None

    def _file_source(self, name: str, raw: str, container_path: Path, entry) -> SettingSource:
        source = self.source_of(container_path)
        where = f"{container_path.name}:{entry.line}"
        if source is None:
            return SettingSource(name, raw, "file", where, line=entry.line)
        where = f"{source.path.name}:{entry.line}"
        token = source.text[entry.value_start:entry.value_end]
        exact = token == raw or (len(token) >= 2 and token[0] == "'" and token[-1] == "'" and token[1:-1] == raw)
        return SettingSource(name, raw, "file", where, Span(source, entry.name_start, entry.name_end),
                             Span(source, entry.value_start, entry.value_end), exact, entry.line)

    @cached_property
    def file_occurrences(self) -> tuple[SettingSource, ...]:
        """Every `name = value` line of every file the server reads, in reading order: an included
        file's lines stand where its `include` line is, so a line after it still wins."""
        conf = self.conf
        if conf is None:
            return ()
        return tuple(
            self._file_source(setting.name, setting.raw_value, setting.file, setting.entry)
            for setting in conf.entries
            if setting.entry is not None
        )

    @cached_property
    def argument_occurrences(self) -> tuple[SettingSource, ...]:
        settings, _ = self.arguments
        return tuple(self._argument_source(setting) for setting in settings)

    @cached_property
    def conf_problems(self) -> tuple[ConfProblem, ...]:
        """Syntax errors and includes that cannot be read, where mcplint can see the files involved."""
        conf = self.conf
        if conf is None:
            return ()
        found = []
        for path, line, message in conf.problems:
            if any(f'"{unknown}"' in message for unknown in self._unknown_paths):
                continue  # an include of a file inside the image or a volume: cannot tell
            source = self.source_of(path)
            if source is None or line < 1 or line > source.line_count:
                continue
            start, end = source.line_start(line), source.line_end(line)
            text = source.text[start:end]
            stripped_start = start + (len(text) - len(text.lstrip()))
            found.append(ConfProblem(Span(source, stripped_start, max(stripped_start, end)), message))
        return tuple(found)

    @cached_property
    def settings_known(self) -> bool:
        """Whether the effective settings can be known at all."""
        return self.command is not None and self.config_file.kind != "unknown"

    @cached_property
    def effective(self) -> Mapping[str, SettingSource]:
        """The setting each name ends up with: command line over the file over the default."""
        values: dict[str, SettingSource] = {}
        conf = self.conf
        if conf is not None:
            for occurrence in self.file_occurrences:
                values[occurrence.name] = occurrence  # the last occurrence wins
        for occurrence in self.argument_occurrences:
            values[occurrence.name] = occurrence
        return values

    def default_source(self, name: str) -> SettingSource:
        origin = {"generated": "generated postgresql.conf", "sample": "not set in the sample"}.get(self.config_file.kind)
        where = f"default of PostgreSQL {self.major}" + (f", {origin}" if origin else "")
        return SettingSource(name, default_text(name, self.major), "default", where)

    def setting(self, name: str) -> SettingSource:
        return self.effective.get(name) or self.default_source(name)

    # -- memory ------------------------------------------------------------------------------

    @cached_property
    def memory_limit(self) -> Limit | None:
        located = self.service.memory_limit
        if located is None or located.value is None:
            return None
        try:
            amount = parse_bytes(located.value)
        except (UnitError, TypeError):
            return None
        return Limit(amount, located.span, str(located.value)) if amount > 0 else None

    @cached_property
    def shm_size(self) -> Limit | None:
        """/dev/shm's size; None when another mechanism decides it (ipc mode, a mount on /dev/shm)."""
        ipc = scalar(self.service.get("ipc"))
        if ipc not in (None, "", "private", "shareable"):
            return None
        if self.mount_for("/dev/shm") is not None and posixpath.normpath(self.mount_for("/dev/shm").target) == "/dev/shm":
            return None
        tmpfs = self.service.get("tmpfs")
        entries = tmpfs.items if isinstance(tmpfs, CSeq) else ((tmpfs,) if isinstance(tmpfs, CScalar) else ())
        if any(isinstance(e, CScalar) and str(e.value).split(":")[0].rstrip("/") == "/dev/shm" for e in entries):
            return None
        located = self.service.located("shm_size")
        if located is None or located.value is None:
            return Limit(DEFAULT_SHM_SIZE, self.service.key, "64M (Docker's default)")
        try:
            amount = parse_bytes(located.value)
        except (UnitError, TypeError):
            return None
        return Limit(amount if amount > 0 else DEFAULT_SHM_SIZE, located.span, str(located.value))

    @cached_property
    def invalid_model_settings(self) -> tuple[tuple[SettingSource, str], ...]:
        """Model settings whose value the server rejects (PG004 reports them; no budget without them)."""
        bad = []
        for name in pgmemory.MODEL_SETTINGS:
            source = self.setting(name)
            spec = lookup_param(name, self.major)
            if spec is None:
                continue
            try:
                parse_value(spec, source.raw)
            except PgValueError as error:
                bad.append((source, error.message))
        return tuple(bad)

    @cached_property
    def memory_inputs(self) -> pgmemory.MemoryInputs | None:
        if not self.settings_known or self.invalid_model_settings:
            return None
        inputs = memory_inputs(self.major, {name: self.setting(name) for name in pgmemory.MODEL_SETTINGS})
        shm = self.shm_size
        return dataclasses.replace(inputs, dev_shm=shm.bytes if shm is not None else None)

    @cached_property
    def notes(self) -> tuple[str, ...]:
        found = []
        if self.image.version_note:
            found.append(self.image.version_note)
        if self._init_scripts_alter_system():
            found.append("an init script runs ALTER SYSTEM, whose settings (postgresql.auto.conf) override these")
        return tuple(found)

    def _init_scripts_alter_system(self) -> bool:
        for mount in self.bind_mounts:
            target = posixpath.normpath(mount.target)
            if not (target == INIT_SCRIPTS_DIRECTORY or target.startswith(INIT_SCRIPTS_DIRECTORY + "/")):
                continue
            assert mount.host_path is not None
            paths = [mount.host_path]
            if self.workspace.is_dir(mount.host_path):
                listing = self.workspace.list_dir(mount.host_path)
                paths = [mount.host_path / entry.name for entry in listing if not entry.is_dir]
            for path in paths:
                text = self.workspace.read_text(path) if self.workspace.is_file(path) else None
                if text and re.search(r"alter\s+system", text, re.IGNORECASE):
                    return True
        return False


def default_text(name: str, major: int) -> str:
    """A setting's default as the server's own postgresql.conf would write it."""
    raw = memory_defaults(major).get(name)
    spec = lookup_param(name, major)
    if raw is None and spec is not None:
        raw = _boot_text(spec)
    return raw if raw is not None else "0"


def inputs_from_settings(
    major: int, settings: Mapping[str, str], dev_shm: int | None = None
) -> pgmemory.MemoryInputs:
    """The memory model's inputs for `settings` (name to text, as in postgresql.conf) over the
    version's defaults."""
    sources = {
        name: SettingSource(name, settings.get(name) or default_text(name, major), "file", "given")
        for name in pgmemory.MODEL_SETTINGS
    }
    return dataclasses.replace(memory_inputs(major, sources), dev_shm=dev_shm)


def _boot_text(spec) -> str:
    value = spec.default
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None:
        return ""
    if spec.unit and isinstance(value, int) and value >= 0:
        amount = to_bytes(spec, value)
        if amount is not None:
            return f"{amount // 1024}kB"
    return str(value)


def memory_inputs(major: int, sources: Mapping[str, SettingSource]) -> pgmemory.MemoryInputs:
    """The memory model's inputs from settings as the server would read them (values parsed here;
    raises PgValueError for a value the server rejects)."""
    values: dict[str, int | float | str | bool] = {}
    for name in pgmemory.MODEL_SETTINGS:
        source = sources[name]
        spec = lookup_param(name, major)
        if spec is None:
            value: int | float | str | bool = 0
        else:
            parsed = parse_value(spec, source.raw)
            value = parsed
            if name in pgmemory.MEMORY_SETTINGS and not isinstance(parsed, bool):
                value = to_bytes(spec, parsed) if parsed >= 0 else -1  # type: ignore[operator]
                assert value is not None
        values[name] = value
    return pgmemory.MemoryInputs(major, values)


def format_setting(name: str, amount: int, major: int) -> str:
    """A byte amount written as a postgresql.conf value for a memory setting: whole MB, else kB
    (rounded down to the parameter's unit, e.g. 8 kB pages for shared_buffers)."""
    spec = lookup_param(name, major)
    unit = to_bytes(spec, 1) if spec is not None else None
    if unit:
        amount = amount // unit * unit
    if amount % (1024 * 1024) == 0:
        return f"{amount // (1024 * 1024)}MB"
    return f"{amount // 1024}kB"


def describe_limit(limit: Limit) -> str:
    return f"{limit.text} ({format_bytes(limit.bytes)})"


# ------------------------------------------------------------------------------------------ finding


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def postgres_services(project) -> tuple[PostgresService, ...]:
    """The Postgres services of a project (enabled ones), computed once per project."""
    cached = _CACHE.get(project)
    if cached is None:
        cached = tuple(_find(project))
        _CACHE[project] = cached
    return cached


def _find(project) -> Iterator[PostgresService]:
    compose = project.compose
    if compose is None:
        return
    for service in compose.services:
        if not service.enabled:
            continue
        build = project.build_for(service)
        if build is not None:
            stage = build.final_stage
            if stage is None:
                continue
            reference = base_image(build.dockerfile, stage, build.args)
            found = classify_image(reference) if reference else None
            if found is None:
                continue
            chain = stage_chain(build.dockerfile, stage, build.args)
            image = PostgresImage(reference, found[0], found[1])
            yield PostgresService(service, image, project.workspace, build.dockerfile, chain)
            continue
        if service.build is not None:
            continue  # builds, but the Dockerfile is not readable: the image is not known
        located = service.located("image")
        if located is None or located.value is None:
            continue
        found = classify_image(str(located.value))
        if found is None:
            continue
        image = PostgresImage(str(located.value), found[0], found[1])
        yield PostgresService(service, image, project.workspace, None, None)


# --------------------------------------------------------------------- fixes: writing settings back

_SHELL_SIMPLE = re.compile(r"[A-Za-z0-9_./:=@%+,*-]+")


def command_additions(pg: PostgresService, words: tuple[str, ...]) -> Edit | None:
    """One edit that appends `words` to the server's command line in `command:` (string or list
    form), or writes a `command:` (the image's command plus `words`) where there is none."""
    command = pg.command
    if command is None or not all(_SHELL_SIMPLE.fullmatch(word) for word in words):
        return None
    node = pg.service.get("command")
    if isinstance(node, CScalar):
        last = command.words[-1]
        if last.span is None or not last.exact:
            return None
        text = last.span.source.text
        end = last.span.end
        # A word found inside quotes ('-c' 'x=1'): append after the closing quote.
        if end < len(text) and text[end] in "'\"" and last.span.start > 0 and text[last.span.start - 1] == text[end]:
            end += 1
        return Edit.insert(last.span.source, end, "".join(f" {word}" for word in words))
    if isinstance(node, CSeq):
        return _sequence_additions(node, words)
    if node is not None or pg.service.defining is None:
        return None
    argv = command.argv[1:] if command.implicit_program else command.argv
    if not all(_SHELL_SIMPLE.fullmatch(word) for word in argv):
        return None
    source, mapping = pg.service.defining
    key = pg.service.key
    return insert_path(source, mapping, ("command",), " ".join((*argv, *words)),
                       parent_key_start=key.start if key.source is source else None)


def _sequence_additions(node: CSeq, words: tuple[str, ...]) -> Edit | None:
    source = node.span.source
    text = source.text
    if text[node.span.start : node.span.start + 1] == "[":
        close = text.rfind("]", node.span.start, node.span.end)
        if close < 0:
            return None
        inner = text[node.span.start + 1 : close].strip()
        rendered = ", ".join(render_scalar(word) for word in words)
        return Edit.insert(source, close, (", " if inner else "") + rendered)
    if not node.items or any(item.span.source is not source for item in node.items):
        return None
    first, last = node.items[0].span, node.items[-1].span
    line_start = source.line_start(source.line_of(first.start))
    dash = text.rfind("-", line_start, first.start)
    if dash < 0:
        return None
    indent = " " * (dash - line_start)
    newline = source.newline
    end = source.line_end(source.line_of(max(last.start, last.end - 1)))
    return Edit.insert(source, end, "".join(f"{newline}{indent}- {render_scalar(word)}" for word in words))


def setting_edits(pg: PostgresService, values: Mapping[str, str]) -> tuple[Edit, ...] | None:
    """Edits that make the server run with `values` (name → value as postgresql.conf would spell it):
    each setting is rewritten where it is set now (a file line in place, keeping its comment, or the
    value of its `-c` argument); a setting left at its default is added to the configuration file
    mcplint reads, else to `command:`. None when one of them cannot be written exactly."""
    edits: list[Edit] = []
    file_lines: list[str] = []
    arguments: list[str] = []
    for name, text in values.items():
        occurrence = pg.effective.get(name)
        if occurrence is None:
            if pg.config_file.readable:
                file_lines.append(f"{name} = {text}")
            else:
                arguments += ["-c", f"{name}={text}"]
            continue
        if not occurrence.value_exact or occurrence.value_span is None:
            return None
        edits.append(Edit.replace(occurrence.value_span, text))
    if file_lines:
        config = pg.config_file
        source = pg.source_of(config.container_path) if config.container_path else None
        if source is None:
            return None
        newline = source.newline
        lead = newline if source.text and not source.text.endswith("\n") else ""
        edits.append(Edit.insert(source, len(source.text), lead + newline.join(file_lines) + newline))
    if arguments:
        addition = command_additions(pg, tuple(arguments))
        if addition is None:
            return None
        edits.append(addition)
    return tuple(merge_touching(edits))
