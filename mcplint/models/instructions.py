"""Typed views of Dockerfile instructions, read the way BuildKit reads them.

`mcplint.models.dockerfile` says what was written (keywords, flags, words and their spans); this
module says what it means, as pure functions of an `Instruction` (or a stage):

- `copy_spec`: COPY/ADD sources classified as BuildKit's `dispatchCopy` does (heredoc, Git
  reference, HTTP(S) URL, path in the build context, or a path inside `--from`), the destination and
  every flag, with the errors BuildKit would stop at;
- `healthcheck_spec`: HEALTHCHECK NONE / CMD in exec or shell form and its options, parsed and
  validated as BuildKit's `parseHealthcheck` does (same messages), with Docker's defaults;
- `command_spec` / `shell_at`: CMD, ENTRYPOINT and RUN as exec argv or shell string, and the SHELL in
  effect (inherited from the stage a `FROM <stage>` names);
- `expose_ports`, `user_of`, `workdir`, `stage_chain`, `base_image`.

Values that depend on a variable whose value is unknown are None: a view never guesses.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from mcplint.gostrings import go_quote
from mcplint.models.dockerfile import (
    Dockerfile,
    Flag,
    Heredoc,
    Instruction,
    Stage,
    Word,
)
from mcplint.models.shellexpand import expand_word
from mcplint.models.units import UnitError, parse_duration

DEFAULT_SHELL: tuple[str, ...] = ("/bin/sh", "-c")

# Docker's defaults for a HEALTHCHECK option left out (or given as 0): Dockerfile reference, HEALTHCHECK.
HEALTHCHECK_DEFAULTS: Mapping[str, float | int] = {
    "interval": 30.0,
    "timeout": 30.0,
    "start_period": 0.0,
    "start_interval": 5.0,
    "retries": 3,
}
_DURATION_OPTIONS = ("interval", "timeout", "start-period", "start-interval")
# BuildKit's parseOptInterval: a non-zero duration below this is refused.
_MINIMUM_DURATION = 0.001
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1

_HEREDOC_MARKER = re.compile(r"<<-?(['\"]?)([^'\"]+)\1")
_SCHEME = re.compile(r"^[a-zA-Z0-9]+://")
_GO_URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
# BuildKit util/sshutil gitSSHRegex: an scp-style Git address such as git@github.com:org/repo.git.
_SCP_GIT = re.compile(r"^(?:([a-zA-Z0-9\-_]+)@)?([a-zA-Z0-9\-.]+):(.*?)(?:#(.*))?$")
_GIT_SCHEMES = frozenset({"http", "https", "ssh", "git"})
_GO_INT = re.compile(r"[+-]?[0-9]+")


# ------------------------------------------------------------------------------------ COPY / ADD


@dataclass(frozen=True, slots=True)
class Source:
    """One COPY/ADD source.

    kind: `context` (a path in the build context), `heredoc` (an inline file), `url` (ADD of an
    http(s) address), `git` (a Git reference), `stage_or_image` (a path inside the `--from` stage,
    image or named context).
    """

    word: Word
    kind: str
    heredoc: Heredoc | None = None


@dataclass(frozen=True, slots=True)
class CopySpec:
    instruction: Instruction
    is_add: bool
    sources: tuple[Source, ...]
    destination: Word | None
    from_: Flag | None
    chown: Flag | None
    chmod: Flag | None
    link: Flag | None
    parents: Flag | None
    exclude: tuple[Flag, ...]
    checksum: Flag | None
    keep_git_dir: Flag | None
    unpack: Flag | None
    problems: tuple[str, ...]  # what BuildKit rejects when it dispatches the instruction

    @property
    def from_value(self) -> str | None:
        return self.from_.value if self.from_ else None

    @property
    def excluded_patterns(self) -> tuple[str, ...]:
        return tuple(flag.value for flag in self.exclude if flag.value is not None)


def copy_spec(instruction: Instruction) -> CopySpec | None:
    """The COPY/ADD view of `instruction` (or of the COPY/ADD an ONBUILD wraps); None otherwise."""
    if instruction.keyword == "ONBUILD" and instruction.trigger is not None:
        instruction = instruction.trigger
    if instruction.keyword not in ("COPY", "ADD"):
        return None
    is_add = instruction.keyword == "ADD"
    problems: list[str] = []
    flags = _single_flags(instruction, problems, repeatable=("exclude",))
    words = instruction.args
    destination = words[-1] if len(words) >= 2 or (words and instruction.heredocs) else None
    source_words = words[:-1] if destination is not None else words
    from_flag = flags.get("from")
    heredocs = {heredoc.name: heredoc for heredoc in instruction.heredocs}
    sources = []
    for word in source_words:
        heredoc = _heredoc_named(word.value, heredocs) if not instruction.json_form else None
        if heredoc is not None:
            sources.append(Source(word, "heredoc", heredoc))
        elif from_flag is not None:
            sources.append(Source(word, "stage_or_image"))
        else:
            sources.append(Source(word, _remote_kind(word.value) or "context"))
    for source in sources:
        if not is_add and source.kind == "git":
            problems.append("source can't be a git ref for COPY")
        elif not is_add and source.kind == "url":
            problems.append("source can't be a URL for COPY")
    for name in ("link", "parents", "keep-git-dir", "unpack"):
        error = flag_bool(flags.get(name))[1]
        if error:
            problems.append(error)
    checksum = flags.get("checksum")
    if checksum is not None:
        if len(sources) != 1:
            problems.append("checksum can't be specified for multiple sources")
        elif sources[0].kind not in ("url", "git"):
            problems.append("checksum requires HTTP(S) or Git sources")
    chmod = flags.get("chmod")
    if chmod is not None and chmod.value is not None and _octal_mode_out_of_range(chmod.value):
        problems.append(
            f"invalid chmod parameter: '{chmod.value}'. it should be octal string and between 0 and 07777"
        )
    return CopySpec(
        instruction=instruction,
        is_add=is_add,
        sources=tuple(sources),
        destination=destination,
        from_=from_flag,
        chown=flags.get("chown"),
        chmod=chmod,
        link=flags.get("link"),
        parents=flags.get("parents"),
        exclude=tuple(flag for flag in instruction.flags if flag.name == "exclude"),
        checksum=checksum,
        keep_git_dir=flags.get("keep-git-dir"),
        unpack=flags.get("unpack"),
        problems=tuple(problems),
    )


def flag_bool(flag: Flag | None) -> tuple[bool | None, str | None]:
    """A boolean flag as BuildKit's BFlags reads it: (value, error). `--link` alone is true."""
    if flag is None:
        return None, None
    if flag.value is None:
        return True, None
    if flag.value == "":
        return None, f"missing a value on flag: --{flag.name}"
    lowered = flag.value.lower()
    if lowered in ("true", "false"):
        return lowered == "true", None
    return None, f"expecting boolean value for flag --{flag.name}, not: {flag.value}"


def _single_flags(
    instruction: Instruction, problems: list[str], repeatable: tuple[str, ...] = ()
) -> dict[str, Flag]:
    flags: dict[str, Flag] = {}
    for flag in instruction.flags:
        if flag.name in flags and flag.name not in repeatable:
            problems.append(f"duplicate flag specified: --{flag.name}")
        flags.setdefault(flag.name, flag)
    return flags


def _heredoc_named(value: str, heredocs: Mapping[str, Heredoc]) -> Heredoc | None:
    match = _HEREDOC_MARKER.fullmatch(value)
    return heredocs.get(match.group(2)) if match else None


def _remote_kind(source: str) -> str | None:
    """`git`, `url` or None (a local path), as BuildKit's dfgitutil.ParseGitRef and isHTTPSource decide."""
    if source.startswith(("./", "../", "github.com/")):
        # github.com/... is "indistinguishable from local" and only a Git ref for build contexts.
        return None
    scheme = _SCHEME.match(source)
    if scheme:
        protocol = scheme.group()[:-3].lower()
        if protocol not in _GIT_SCHEMES:
            return None  # an unknown protocol makes BuildKit fall back to a local path
        if protocol in ("http", "https"):
            if _url_path(source).endswith(".git"):
                return "git"
            # isHTTPSource checks the prefix as written: HTTPS://... is a local path to BuildKit.
            return "url" if source.startswith(("http://", "https://")) else None
        return "git"
    go_scheme = _GO_URL_SCHEME.match(source)
    if go_scheme and source[go_scheme.end() : go_scheme.end() + 1] == "/":
        return None  # Go's url.Parse finds a scheme and no opaque part: not an scp-style address
    return "git" if _SCP_GIT.match(source) else None


def _url_path(url: str) -> str:
    rest = url.split("://", 1)[1]
    rest = re.split(r"[?#]", rest, maxsplit=1)[0]
    slash = rest.find("/")
    return rest[slash:] if slash >= 0 else ""


def _octal_mode_out_of_range(value: str) -> bool:
    """BuildKit accepts octal modes up to 07777 and symbolic modes (u+x); a larger octal is an error."""
    if not re.fullmatch(r"[0-7]+", value):
        return False
    return int(value, 8) > 0o7777


# ----------------------------------------------------------------------------------- HEALTHCHECK


@dataclass(frozen=True, slots=True)
class HealthOption:
    """One HEALTHCHECK option: the flag as written, its parsed value and BuildKit's error, if any.

    Durations are in seconds, retries a count. `value` is None when the flag is absent or invalid;
    Docker treats 0 (and an absent flag) as "use the default".
    """

    name: str
    flag: Flag | None
    value: float | int | None
    error: str | None
    default: float | int

    @property
    def effective(self) -> float | int:
        return self.value if self.value else self.default


@dataclass(frozen=True, slots=True)
class HealthcheckSpec:
    instruction: Instruction
    none: bool
    exec_form: bool
    command: tuple[str, ...] | str  # exec argv, or the shell string given to the shell
    command_words: tuple[Word, ...]
    type_word: Word | None  # the CMD / NONE word
    interval: HealthOption
    timeout: HealthOption
    start_period: HealthOption
    start_interval: HealthOption
    retries: HealthOption
    problems: tuple[str, ...]

    @property
    def test(self) -> tuple[str, ...]:
        """The image config's Healthcheck.Test, as BuildKit writes it."""
        if self.none:
            return ("NONE",)
        if isinstance(self.command, str):
            return ("CMD-SHELL", self.command)
        return ("CMD", *self.command)

    @property
    def options(self) -> tuple[HealthOption, ...]:
        return (self.interval, self.timeout, self.start_period, self.start_interval, self.retries)


def healthcheck_spec(instruction: Instruction) -> HealthcheckSpec | None:
    """The HEALTHCHECK view of `instruction` (or of the HEALTHCHECK an ONBUILD wraps); None otherwise."""
    if instruction.keyword == "ONBUILD" and instruction.trigger is not None:
        instruction = instruction.trigger
    if instruction.keyword != "HEALTHCHECK":
        return None
    problems: list[str] = []
    words = instruction.args
    type_word = words[0] if words else None
    kind = type_word.value.upper() if type_word else ""
    rest = words[1:]
    none = kind == "NONE"
    unset = {
        name.replace("-", "_"): HealthOption(name, None, None, None, HEALTHCHECK_DEFAULTS[name.replace("-", "_")])
        for name in (*_DURATION_OPTIONS, "retries")
    }
    if not words:
        problems.append("HEALTHCHECK requires at least one argument")
    if none:
        # BuildKit does not read the options of HEALTHCHECK NONE.
        if rest:
            problems.append("HEALTHCHECK NONE takes no arguments")
        return HealthcheckSpec(
            instruction, True, False, (), (), type_word, problems=tuple(problems), **unset
        )
    flags = _single_flags(instruction, problems)
    options = {name.replace("-", "_"): _duration_option(name, flags.get(name)) for name in _DURATION_OPTIONS}
    options["retries"] = _retries_option(flags.get("retries"))
    if words and kind != "CMD":
        problems.append(f"Unknown type {go_quote(kind)} in HEALTHCHECK (try CMD)")
    elif words and not rest:
        problems.append("Missing command after HEALTHCHECK CMD")
    exec_form = instruction.json_form
    command: tuple[str, ...] | str = (
        tuple(word.value for word in rest) if exec_form else " ".join(word.value for word in rest)
    )
    return HealthcheckSpec(
        instruction, False, exec_form, command, tuple(rest), type_word, problems=tuple(problems), **options
    )


def _duration_option(name: str, flag: Flag | None) -> HealthOption:
    key = name.replace("-", "_")
    default = HEALTHCHECK_DEFAULTS[key]
    if flag is None:
        return HealthOption(name, None, None, None, default)
    if flag.value is None:
        return HealthOption(name, flag, None, f"missing a value on flag: --{name}", default)
    if flag.value == "":
        return HealthOption(name, flag, 0.0, None, default)
    try:
        seconds = parse_duration(flag.value)
    except UnitError as exc:
        return HealthOption(name, flag, None, str(exc), default)
    if seconds != 0 and seconds < _MINIMUM_DURATION:
        return HealthOption(name, flag, None, f"Interval {go_quote(name)} cannot be less than 1ms", default)
    return HealthOption(name, flag, seconds, None, default)


def _retries_option(flag: Flag | None) -> HealthOption:
    default = HEALTHCHECK_DEFAULTS["retries"]
    if flag is None:
        return HealthOption("retries", None, None, None, default)
    if flag.value is None:
        return HealthOption("retries", flag, None, "missing a value on flag: --retries", default)
    if flag.value == "":
        return HealthOption("retries", flag, 0, None, default)
    prefix = f"strconv.ParseInt: parsing {go_quote(flag.value)}: "
    if not _GO_INT.fullmatch(flag.value):
        return HealthOption("retries", flag, None, prefix + "invalid syntax", default)
    count = int(flag.value)
    if not _INT32_MIN <= count <= _INT32_MAX:
        return HealthOption("retries", flag, None, prefix + "value out of range", default)
    if count < 0:
        return HealthOption("retries", flag, None, f"--retries cannot be negative ({count})", default)
    return HealthOption("retries", flag, count, None, default)


# ------------------------------------------------------------------------ CMD / ENTRYPOINT / RUN


@dataclass(frozen=True, slots=True)
class CommandSpec:
    instruction: Instruction
    exec_form: bool
    argv: tuple[str, ...]  # exec form: the argv as written; shell form: empty
    shell_command: str | None  # shell form: the string handed to the shell
    words: tuple[Word, ...]
    shell: tuple[str, ...]  # the SHELL in effect (what a shell-form command runs under)

    @property
    def effective_argv(self) -> tuple[str, ...]:
        """What Docker executes (ENTRYPOINT/CMD combination aside)."""
        if self.exec_form:
            return self.argv
        return (*self.shell, self.shell_command or "")


def command_spec(dockerfile: Dockerfile, instruction: Instruction) -> CommandSpec | None:
    """The CMD/ENTRYPOINT/RUN view of `instruction`; None for other instructions."""
    target = instruction.trigger if instruction.keyword == "ONBUILD" and instruction.trigger else instruction
    if target.keyword not in ("CMD", "ENTRYPOINT", "RUN"):
        return None
    words = target.args
    shell = shell_at(dockerfile, instruction)
    if target.json_form:
        return CommandSpec(target, True, tuple(word.value for word in words), None, words, shell)
    text = " ".join(word.value for word in words)
    return CommandSpec(target, False, (), text, words, shell)


def shell_at(dockerfile: Dockerfile, instruction: Instruction) -> tuple[str, ...]:
    """The SHELL in effect for `instruction`: the last SHELL before it in its stage, else the
    parent stage's (when FROM names an earlier stage), else `/bin/sh -c`.

    An external base image may set its own SHELL (Windows images do); that is not known here.
    """
    stage = dockerfile.stage_of(instruction)
    if stage is None:
        return DEFAULT_SHELL
    return _shell_of(dockerfile, stage, instruction)


def _shell_of(dockerfile: Dockerfile, stage: Stage, before: Instruction | None) -> tuple[str, ...]:
    shell: tuple[str, ...] | None = None
    for current in stage.instructions:
        if current is before:
            break
        if current.keyword == "SHELL" and current.json_form and current.args:
            shell = tuple(word.value for word in current.args)
    if shell is not None:
        return shell
    parent = dockerfile.parent_stage(stage)
    return _shell_of(dockerfile, parent, None) if parent is not None else DEFAULT_SHELL


# ------------------------------------------------------------------------------------- EXPOSE ...


class ExposedPort(NamedTuple):
    """One exposed port (a range gives one per port); `port` is None when unknown or invalid."""

    port: int | None
    proto: str
    word: Word


@dataclass(frozen=True, slots=True)
class ExposeProblem:
    """An EXPOSE argument BuildKit refuses, with its message."""

    message: str
    word: Word


def expose_ports(
    instruction: Instruction, variables: Mapping[str, str | None] | None = None
) -> tuple[ExposedPort, ...]:
    """EXPOSE arguments as BuildKit's dispatchExpose reads them: ENV expansion, `[ip:][host:]port[/proto]`,
    ranges, default proto tcp. Pass `dockerfile.variables_at(instruction)` to expand `$PORT`.
    An argument BuildKit refuses (see `expose_problems`) gives one entry with port None."""
    return tuple(port for port, _ in _exposed(instruction, variables))


def expose_problems(
    instruction: Instruction, variables: Mapping[str, str | None] | None = None
) -> tuple[ExposeProblem, ...]:
    """The EXPOSE arguments BuildKit refuses, with its messages."""
    return tuple(
        ExposeProblem(problem, port.word) for port, problem in _exposed(instruction, variables) if problem
    )


def _exposed(
    instruction: Instruction, variables: Mapping[str, str | None] | None
) -> list[tuple[ExposedPort, str | None]]:
    if instruction.keyword != "EXPOSE":
        return []
    scope = variables or {}
    ports: list[tuple[ExposedPort, str | None]] = []
    for word in instruction.args:
        expanded = expand_word(word.value, scope)
        if expanded is None:
            proto = word.value.rpartition("/")[2].lower() if "/" in word.value else "tcp"
            ports.append((ExposedPort(None, proto if proto in ("tcp", "udp", "sctp") else "tcp", word), None))
            continue
        for spec in expanded.split():
            ports.extend(_port_spec(spec, word))
    return ports


def _port_spec(raw: str, word: Word) -> list[tuple[ExposedPort, str | None]]:
    parts = raw.split(":")
    ip, host_port, container = "", "", parts[-1]
    if len(parts) == 2:
        host_port = parts[0]
    elif len(parts) >= 3:
        ip, host_port = ":".join(parts[:-2]), parts[-2]
    port_text, _, proto = container.partition("/")
    proto = proto.lower()
    if not port_text:
        return [(ExposedPort(None, proto or "tcp", word), f"no port specified: {container}<empty>")]
    if proto == "":
        proto = "tcp"
    elif proto not in ("tcp", "udp", "sctp"):
        return [(ExposedPort(None, proto, word), "invalid proto: " + proto)]
    if ip and not _valid_ip(ip):
        return [(ExposedPort(None, proto, word), "invalid IP address: " + ip)]
    container_range = _port_range(port_text)
    if container_range is None:
        return [(ExposedPort(None, proto, word), "invalid containerPort: " + port_text)]
    start, end = container_range
    if host_port:
        host_range = _port_range(host_port)
        if host_range is None:
            return [(ExposedPort(None, proto, word), "invalid hostPort: " + host_port)]
        if end - start != host_range[1] - host_range[0] and end != start:
            message = f"invalid ranges specified for container and host Ports: {port_text} and {host_port}"
            return [(ExposedPort(None, proto, word), message)]
    return [(ExposedPort(port, proto, word), None) for port in range(start, end + 1)]


def _valid_ip(ip: str) -> bool:
    if ip.startswith("["):
        if not ip.endswith("]"):
            return False
        ip = ip[1:-1]
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        return False
    return True


def _port_range(text: str) -> tuple[int, int] | None:
    """Go's strconv.ParseUint(s, 10, 16) on one port or a `start-end` range."""
    pieces = text.split("-") if "-" in text else [text]
    if len(pieces) != 2 and "-" in text:
        return None
    numbers = []
    for piece in pieces:
        if not re.fullmatch(r"[0-9]+", piece) or int(piece) > 65535:
            return None
        numbers.append(int(piece))
    start, end = numbers[0], numbers[-1]
    return (start, end) if end >= start else None


def user_of(stage: Stage) -> Word | None:
    """The argument of the stage's last USER instruction (None: inherited from its base)."""
    users = [ins for ins in stage.instructions if ins.keyword == "USER" and ins.args]
    return users[-1].args[0] if users else None


def workdir(
    dockerfile: Dockerfile,
    stage: Stage,
    before: Instruction | None = None,
    build_args: Mapping[str, str] | None = None,
) -> str | None:
    """The working directory before `before` (default: at the end of the stage), as BuildKit joins
    relative WORKDIRs onto the previous one. None when it depends on the base image or an unknown
    variable; an internal parent stage's WORKDIR is inherited."""
    current: str | None
    parent = dockerfile.parent_stage(stage, build_args)
    if parent is not None:
        current = workdir(dockerfile, parent, None, build_args)
    else:
        current = "/" if base_image(dockerfile, stage, build_args) == "scratch" else None
    for instruction in stage.instructions:
        if instruction is before:
            break
        if instruction.keyword != "WORKDIR" or not instruction.args:
            continue
        path = dockerfile.expand(instruction, instruction.args[0].value, build_args)
        if path is None:
            current = None
        elif path.startswith("/"):
            current = posixpath.normpath(path)
        elif current is not None:
            current = posixpath.normpath(posixpath.join(current, path))
    return current


# ------------------------------------------------------------------------------ stages and bases


def stage_chain(
    dockerfile: Dockerfile, stage: Stage, build_args: Mapping[str, str] | None = None
) -> tuple[Stage, ...]:
    """The stage and the earlier stages it is built FROM, root first: the root's FROM names an
    external image, or a base whose variables are unknown."""
    chain = [stage]
    # parent_stage only returns earlier stages, so the chain ends.
    while (parent := dockerfile.parent_stage(chain[-1], build_args)) is not None:
        chain.append(parent)
    return tuple(reversed(chain))


def base_image(
    dockerfile: Dockerfile, stage: Stage, build_args: Mapping[str, str] | None = None
) -> str | None:
    """The external image at the root of the stage's FROM chain, expanded with the global ARGs and
    build args; None when a variable in it is unknown or expands to nothing."""
    root = stage_chain(dockerfile, stage, build_args)[0]
    ref = dockerfile.expand(root.from_instruction, root.base.value, build_args)
    return ref or None
