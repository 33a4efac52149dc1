"""Health checks against the image that runs them: what a probe needs, what the image has, what to run instead.

The healthcheck rules (HC001–HC005) share four questions, answered here from the files alone:

- **What does a health command run?** `read_shell` reads the small shell scripts health checks are
  (`curl -f http://x || exit 1`, `redis-cli ping | grep PONG`) into and-or lists of simple commands,
  with the offset of every word so a fix can rewrite one command and keep the rest as written.
  Control structures (`if`, `for`, subshells) are not read: such a script is "unreadable" and no rule
  judges it. `can_pass` evaluates a script the way the shell would if each program either exists or
  fails with status 127, and says whether the probe can ever succeed.
- **What does the image contain?** `ImageView` joins the knowledge base (`mcplint.models.images`) for
  an `image:` with the stage analysis (`mcplint.models.image_contents`) for a built image, and says
  whether the image has a HEALTHCHECK of its own (its Dockerfile's, or inherited from its base image).
- **What can it run instead?** `http_request` reads a curl or wget command line into the request it
  makes; `render_http_probe` writes the same request for the tool the image has (busybox `wget -q
  --spider`, curl, a `node -e` or `python3 -c` one-liner); `server_probe` gives the standard check of
  a database image (`pg_isready`, `redis-cli ping`, `mysqladmin ping`, MariaDB's `healthcheck.sh`).
- **Does the service run for long?** `service_lifetime` tells a server from a one-shot job (a
  migration, a test run, a container whose default command exits at once, a service others wait on
  with `service_completed_successfully`).

Nothing here guesses: an image that is not in the knowledge base, a variable whose value is unknown,
a command that cannot be read give "unknown" (None), and the rules say nothing about them.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from mcplint.diagnostics import Edit
from mcplint.models import shell
from mcplint.models.compose import CMap, CNode, CScalar, CSeq, Service, scalar
from mcplint.models.dockerfile import Dockerfile, Stage
from mcplint.models.image_contents import ProgramSet, program_available, stage_programs
from mcplint.models.images import ImageFacts, ImageRef, image_facts, parse_image_ref
from mcplint.models.instructions import (
    HealthcheckSpec,
    base_image,
    command_spec,
    expose_ports,
    healthcheck_spec,
    stage_chain,
)
from mcplint.models.packages import PATH_DIRECTORIES, POSIX_SHELLS, unwrapped_command_start
from mcplint.models.shell import ShellSyntaxError
from mcplint.project import Project
from mcplint.yamledit import insert_path, render_scalar

# ------------------------------------------------------------------------------ reading the script

# Only spaces and tabs separate words: `sh -c` reads a carriage return as part of a word.
_BLANKS = " \t"
# Words that begin or end a compound command where a command would begin: such a script is not read.
_RESERVED = frozenset(
    {"if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
     "{", "}", "!", "[[", "]]", "function", "select", "coproc"}
)  # fmt: skip
# The assignments left out of a command's words; `a+=1` and `a[0]=1` stay words, as they always have.
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_HEREDOCS = frozenset({"<<", "<<-", "<<<"})
_FD_NUMBER = re.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True)
class ShellWord:
    """A word of a script: its text after quote removal (no expansion), and where it was written."""

    text: str
    raw: str  # exactly as written, quotes included
    start: int
    end: int

    @property
    def plain(self) -> bool:
        """Whether the word means exactly its text: no quoting, escaping, expansion or globbing."""
        return self.raw == self.text and not re.search(r"[$`*?\[~{}]", self.text)


@dataclass(frozen=True, slots=True)
class SimpleCommand:
    words: tuple[ShellWord, ...]  # assignments and redirections left out
    start: int  # from the first token of the command (an assignment or redirection included)
    end: int
    piped: bool  # its standard output feeds the next command of a pipeline

    @property
    def argv(self) -> tuple[str, ...]:
        return tuple(word.text for word in self.words)


@dataclass(frozen=True, slots=True)
class AndOrList:
    """`p1 && p2 || p3`: pipelines joined by `&&` / `||`, evaluated left to right."""

    pipelines: tuple[tuple[SimpleCommand, ...], ...]
    operators: tuple[str, ...]  # between consecutive pipelines


@dataclass(frozen=True, slots=True)
class Script:
    lists: tuple[AndOrList, ...]  # separated by `;`, `&` or newlines; the last decides the status

    @property
    def commands(self) -> Iterator[SimpleCommand]:
        for and_or in self.lists:
            for pipeline in and_or.pipelines:
                yield from pipeline


class _Unreadable(ValueError):
    pass


def read_shell(text: str) -> Script | None:
    """The script as and-or lists of simple commands; None when it uses what this reader leaves out
    (control structures, subshells, brace groups, heredocs, unclosed quotes)."""
    try:
        tree = shell.parse(text, blanks=_BLANKS)
        lists = tuple(_and_or_list(and_or, text) for and_or, _ in tree.items)
    except (ShellSyntaxError, _Unreadable):
        return None
    return Script(lists) if lists else None


def plain_command(text: str) -> SimpleCommand | None:
    """`text` as one simple command of plain words and nothing else (no operator, redirection,
    assignment, comment, quoting or expansion): what the exec form can run as it is; else None."""
    script = read_shell(text)
    if script is None or len(script.lists) != 1 or len(script.lists[0].pipelines) != 1:
        return None
    commands = script.lists[0].pipelines[0]
    if len(commands) != 1 or not all(word.plain for word in commands[0].words):
        return None
    # Redirections and assignments are left out of the words: the words must be the whole text.
    return commands[0] if " ".join(commands[0].argv) == " ".join(text.split()) else None


def _and_or_list(and_or: shell.AndOr, text: str) -> AndOrList:
    pipelines = [_pipeline(pipeline, text) for pipeline in and_or.pipelines]
    for operator, pipeline in zip(and_or.operators, pipelines[1:], strict=True):
        _same_line(text, operator, pipeline[0])
    return AndOrList(tuple(pipelines), tuple(operator.text for operator in and_or.operators))


def _pipeline(pipeline: shell.Pipeline, text: str) -> tuple[SimpleCommand, ...]:
    if pipeline.negated:
        raise _Unreadable("`!` starts a compound command")
    last = len(pipeline.commands) - 1
    commands = tuple(_simple_command(command, text, index < last) for index, command in enumerate(pipeline.commands))
    for operator, command in zip(pipeline.operators, commands[1:], strict=True):
        if operator.text != "|":
            raise _Unreadable(f"`{operator.text}` is not read")
        _same_line(text, operator, command)
    return commands


def _same_line(text: str, operator: shell.Operator, command: SimpleCommand) -> None:
    """This reader wants the command after `&&`, `||` or `|` on the operator's line, or on the next
    after a backslash. Between the two there are only blanks, continuations, comments and line
    breaks, and a comment ends at a line break."""
    gap = text[operator.end : command.start].replace("\\\n", "")
    if "\n" in gap or "#" in gap:
        raise _Unreadable(f"a line break after `{operator.text}`")


def _simple_command(command: shell.Command, text: str, piped: bool) -> SimpleCommand:
    if not isinstance(command, shell.Simple):
        raise _Unreadable("a compound command")
    targets = []
    for redirect in command.redirects:
        target = redirect.target
        if redirect.operator in _HEREDOCS or target is None:
            raise _Unreadable("a heredoc, or a redirection without a target")
        if target.raw.startswith(("<(", ">(")) or (
            # `> 2>x`: the `2` belongs to the next redirection, and the first one has no target.
            _FD_NUMBER.fullmatch(target.raw) and text.startswith(("<", ">"), target.end)
        ):
            raise _Unreadable("a redirection whose target is not a word")
        targets.append(target)
    # Quote removal reads every word, the assignments and targets left out of `words` too: a quote
    # it cannot close anywhere makes the script unreadable.
    texts = {word.start: word.unquoted for word in (*command.assigns, *command.words, *targets)}
    left_out = next((index for index, word in enumerate(command.assigns) if not _ASSIGNMENT.match(word.raw)), None)
    written = (command.assigns[left_out:] if left_out is not None else []) + command.words
    if not written:
        raise _Unreadable("a command of assignments and redirections only")
    first = written[0]
    if first.start == command.start and first.raw in _RESERVED:
        raise _Unreadable(f"`{first.raw}` starts a compound command")
    if any(word.raw.startswith(("(", "<(", ">(")) for word in written):
        raise _Unreadable("an arithmetic command or a process substitution")
    words = tuple(ShellWord(texts[word.start], word.raw, word.start, word.end) for word in written)
    return SimpleCommand(words, command.start, command.end, piped)


# ------------------------------------------------------------------------- what a command needs

# Commands the shell runs itself: they need no program in the image.
SHELL_BUILTINS = frozenset(
    {":", ".", "break", "continue", "eval", "exec", "exit", "export", "readonly", "return", "set",
     "shift", "times", "trap", "unset", "cd", "echo", "printf", "test", "[", "true", "false", "read",
     "wait", "kill", "pwd", "type", "ulimit", "umask", "alias", "unalias", "command", "getopts",
     "hash", "jobs", "fg", "bg", "local", "let", "source"}
)  # fmt: skip

OK, FAIL = "ok", "fail"


@dataclass(frozen=True, slots=True)
class ProgramCall:
    """A program a command runs (`None` name: not known statically) and the command it is in."""

    name: str | None
    command: SimpleCommand
    argv: tuple[str, ...]  # from the program on
    word: ShellWord | None  # the word that names it


def program_of(command: SimpleCommand) -> ProgramCall | None:
    """The program a simple command runs; None for a shell builtin (it needs no program)."""
    return _program_in(command, command.words)


def _program_in(command: SimpleCommand, words: Sequence[ShellWord]) -> ProgramCall | None:
    if not words:
        return None
    start = unwrapped_command_start([word.text if word.plain else None for word in words])
    if start is None:
        return ProgramCall(None, command, tuple(w.text for w in words), None)
    if start:
        return _program_in(command, words[start:])
    first = words[0]
    if not first.plain:
        return ProgramCall(None, command, tuple(w.text for w in words), first)
    name = program_name(first.text)
    if name == "exec":  # the shell runs the rest in its own place
        return _program_in(command, words[1:])
    if name == "command" and len(words) > 1 and words[1].text not in ("-v", "-V"):
        # `command [-p] prog`: runs prog, bypassing functions; `-v`/`-V` only look it up.
        return _program_in(command, words[2:] if words[1].text == "-p" else words[1:])
    if name in SHELL_BUILTINS:
        return None
    return ProgramCall(name, command, tuple(w.text for w in words), first)


def program_name(path: str) -> str | None:
    """The name a program is found by: the word itself, or the basename of a path in a PATH
    directory; None for any other path (a script of the project, which the data does not track)."""
    if "/" not in path:
        return path
    directory, name = posixpath.split(posixpath.normpath(path))
    return name if directory in PATH_DIRECTORIES else None


def _shell_script_argument(call: ProgramCall) -> Script | None:
    if call.name not in POSIX_SHELLS or len(call.argv) < 3 or call.argv[1] != "-c":
        return None
    return read_shell(call.argv[2])


@dataclass(frozen=True, slots=True)
class Verdict:
    can_pass: bool
    missing: tuple[ProgramCall, ...]  # programs the image lacks that the evaluation ran into


def can_pass(script: Script, has: Callable[[str], bool | None]) -> Verdict:
    """Whether the script can exit 0 when every program `has` denies fails with 127.

    Each command has a set of possible outcomes: `true` and `exit 0` succeed, `false` and `exit N`
    fail, a missing program fails, anything else may do either. `&&` and `||` combine them as the
    shell does; a pipeline fails when any of its programs is missing (the next one reads nothing) and
    otherwise ends as its last command; the last list of the script decides its status.
    """
    missing: list[ProgramCall] = []
    outcome = _and_or_outcome(script.lists[-1], has, missing)
    return Verdict(OK in outcome, tuple(dict.fromkeys(missing)))


def _and_or_outcome(and_or: AndOrList, has: Callable[[str], bool | None], missing: list[ProgramCall]) -> frozenset[str]:
    outcome = _pipeline_outcome(and_or.pipelines[0], has, missing)
    for operator, pipeline in zip(and_or.operators, and_or.pipelines[1:], strict=True):
        if operator == "&&":
            kept, runs = outcome & {FAIL}, OK in outcome
        else:
            kept, runs = outcome & {OK}, FAIL in outcome
        outcome = kept | (_pipeline_outcome(pipeline, has, missing) if runs else frozenset())
    return outcome


def _pipeline_outcome(
    pipeline: tuple[SimpleCommand, ...], has: Callable[[str], bool | None], missing: list[ProgramCall]
) -> frozenset[str]:
    outcomes = [_command_outcome(command, has, missing) for command in pipeline]
    if any(_missing_in(command, has) for command in pipeline):
        return frozenset({FAIL})
    return outcomes[-1]


def _missing_in(command: SimpleCommand, has: Callable[[str], bool | None]) -> bool:
    call = program_of(command)
    return call is not None and call.name is not None and has(call.name) is False


def _command_outcome(command: SimpleCommand, has: Callable[[str], bool | None], missing: list[ProgramCall]) -> frozenset[str]:
    argv = command.argv
    name = argv[0]
    if name in ("true", ":") or (name == "exit" and len(argv) > 1 and argv[1] == "0"):
        return frozenset({OK})
    if name == "false" or (name == "exit" and len(argv) > 1 and argv[1].isdigit()):
        return frozenset({FAIL})
    call = program_of(command)
    if call is None or call.name is None:
        return frozenset({OK, FAIL})
    if has(call.name) is False:
        missing.append(call)
        return frozenset({FAIL})
    inner = _shell_script_argument(call)
    if inner is not None:
        verdict = can_pass(inner, has)
        missing.extend(verdict.missing)
        return frozenset({OK, FAIL}) if verdict.can_pass else frozenset({FAIL})
    return frozenset({OK, FAIL})


# ---------------------------------------------------------------------------- the health command


@dataclass(frozen=True)
class HealthCommand:
    """A health check's test as Docker runs it: `exec` argv, or a `shell` script for the image shell."""

    shell: bool
    argv: tuple[str, ...]  # exec form
    text: str  # shell form

    @classmethod
    def from_test(cls, test: Sequence[str]) -> HealthCommand | None:
        """From Docker's `Test` list (`["CMD", ...]`, `["CMD-SHELL", "..."]`); None for NONE or empty."""
        if len(test) < 2:
            return None
        if test[0] == "CMD":
            return cls(False, tuple(test[1:]), "")
        if test[0] == "CMD-SHELL":
            # Docker appends every item to `/bin/sh -c`: only the first is the script (HC004's concern).
            return cls(True, (), test[1])
        return None

    @cached_property
    def script(self) -> Script | None:
        if self.shell:
            return read_shell(self.text)
        if not self.argv or not self.argv[0]:
            return None
        words = tuple(ShellWord(value, shlex.quote(value), 0, 0) for value in self.argv)
        return Script((AndOrList(((SimpleCommand(words, 0, 0, False),),), ()),))


# ------------------------------------------------------------------------------------ the image

# Images whose default command runs a server, by knowledge-base entry (each entry's evidence is the
# image's Dockerfile, whose last lines are the ENTRYPOINT and CMD quoted here).
_SERVER_DEFAULTS = {
    "postgres": "postgres", "redis": "redis-server", "mysql": "mysqld", "mariadb": "mariadbd",
    "mongo": "mongod", "nginx": "nginx -g 'daemon off;'", "httpd": "httpd-foreground",
    "memcached": "memcached", "traefik": "traefik", "rabbitmq": "rabbitmq-server",
    "grafana/grafana": "/run.sh", "wordpress": "apache2-foreground",
}  # fmt: skip
# Images whose default command is a shell or an interpreter's prompt, which ends at once when the
# container has no terminal (node's `CMD ["node"]`, python's `CMD ["python3"]`, alpine's `/bin/sh`).
_INTERACTIVE_DEFAULTS = frozenset(
    {"alpine", "debian", "ubuntu", "busybox", "buildpack-deps", "node", "python", "golang",
     "eclipse-temurin", "oraclelinux"}
)  # fmt: skip
# Images that take long to be ready on a first start: initdb and recovery, cluster formation, JVM
# start-up. A health check without a start period counts their start-up failures.
SLOW_STARTING_IMAGES = {
    "postgres": "PostgreSQL", "postgis/postgis": "PostgreSQL", "timescale/timescaledb": "PostgreSQL",
    "timescale/timescaledb-ha": "PostgreSQL", "mysql": "MySQL", "mariadb": "MariaDB",
    "percona": "MySQL", "elasticsearch": "Elasticsearch", "opensearchproject/opensearch": "OpenSearch",
    "kibana": "Kibana", "logstash": "Logstash", "cassandra": "Cassandra", "neo4j": "Neo4j",
    "sonarqube": "SonarQube", "jenkins/jenkins": "Jenkins", "keycloak/keycloak": "Keycloak",
    "quay.io/keycloak/keycloak": "Keycloak", "eclipse-temurin": "a JVM", "openjdk": "a JVM",
    "amazoncorretto": "a JVM", "tomcat": "a JVM", "jetty": "a JVM", "solr": "a JVM",
    "confluentinc/cp-kafka": "Kafka", "bitnami/kafka": "Kafka", "apache/kafka": "Kafka",
    "docker.elastic.co/elasticsearch/elasticsearch": "Elasticsearch",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ImageHealth:
    """Whether an image reports health on its own.

    state: `set` (a HEALTHCHECK), `none` (HEALTHCHECK NONE: switched off on purpose), `absent`, or
    `unknown` (a base image the knowledge base does not know).
    """

    state: str
    spec: HealthcheckSpec | None  # the Dockerfile's HEALTHCHECK in effect, if it is one
    reason: str


def repository_of(facts: ImageFacts | None) -> str | None:
    """`postgres` for the entry `postgres:*-alpine`, `grafana/grafana` for `grafana/grafana:*`."""
    if facts is None:
        return None
    return facts.image.split(":", 1)[0]


_CACHE: weakref.WeakKeyDictionary[Dockerfile, dict[tuple, ProgramSet]] = weakref.WeakKeyDictionary()


def _stage_programs_cached(dockerfile: Dockerfile, stage: Stage, args: Mapping[str, str]) -> ProgramSet:
    per_file = _CACHE.setdefault(dockerfile, {})
    key = (stage.index, tuple(sorted(args.items())))
    if key not in per_file:
        per_file[key] = stage_programs(dockerfile, stage, args)
    return per_file[key]


@dataclass(frozen=True, eq=False)
class ImageView:
    """What a container's image is known to contain: a Compose `image:` or a Dockerfile's final stage."""

    label: str  # how findings name it
    reference: str | None  # the image at the root (the `image:` or the base of the stage chain)
    facts: ImageFacts | None  # the knowledge base on that root image
    dockerfile: Dockerfile | None = None
    stage: Stage | None = None
    build_args: Mapping[str, str] | None = None

    @classmethod
    def of_image(cls, reference: str) -> ImageView:
        ref = parse_image_ref(reference)
        facts = image_facts(ref) if ref is not None else None
        return cls(reference, reference, facts)

    @classmethod
    def of_stage(cls, dockerfile: Dockerfile, stage: Stage, build_args: Mapping[str, str]) -> ImageView:
        reference = base_image(dockerfile, stage, build_args)
        ref: ImageRef | None = parse_image_ref(reference) if reference else None
        facts = image_facts(ref) if ref is not None else None
        where = f"stage `{stage.label}`" if stage.name else "the image"
        label = f"{where} of {dockerfile.path.name}" + (f" (FROM {reference})" if reference else "")
        return cls(label, reference, facts, dockerfile, stage, dict(build_args))

    @property
    def built(self) -> bool:
        return self.dockerfile is not None

    @cached_property
    def chain(self) -> tuple[Stage, ...]:
        """The final stage and the stages it is built FROM, root first; () for an `image:`."""
        if self.dockerfile is None or self.stage is None:
            return ()
        return stage_chain(self.dockerfile, self.stage, self.build_args)

    @cached_property
    def programs(self) -> ProgramSet | None:
        if self.dockerfile is None or self.stage is None:
            return None
        return _stage_programs_cached(self.dockerfile, self.stage, self.build_args or {})

    @property
    def repository(self) -> str | None:
        return repository_of(self.facts)

    def has(self, program: str) -> bool | None:
        if self.programs is not None:
            return program_available(self.programs, program)
        return self.facts.has(program) if self.facts is not None else None

    def why(self, program: str) -> tuple[str, ...]:
        """The evidence that decided `program` (built images: each step; images: the entry)."""
        if self.programs is not None:
            return self.programs.why(program)
        if self.facts is not None:
            return (f"{self.label}: knowledge base entry {self.facts.image} ({', '.join(self.facts.evidence[:2])})",)
        return ()

    def busybox_applet(self, program: str) -> bool:
        """Whether `program` is known to be busybox's applet (not a package's full version)."""
        if self.facts is None or program not in self.facts.busybox_applets:
            return False
        if self.programs is None:
            return True
        # Only the base image's line: no step of the Dockerfile installed or replaced it.
        return len(self.programs.why(program)) <= 1 and self.has(program) is True

    @cached_property
    def shell(self) -> tuple[str, ...] | None:
        """The shell Docker runs a CMD-SHELL health check with; () when the image has none known; None
        when that cannot be told."""
        for stage in reversed(self.chain):
            shells = [i for i in stage.instructions if i.keyword == "SHELL" and i.json_form and i.args]
            if shells:
                return tuple(word.value for word in shells[-1].args)
        if self.facts is None:
            return None
        if self.facts.shell is None:
            return ()
        if self.facts.shell.startswith("/"):
            return (self.facts.shell, "-c")
        return None  # a Windows shell: not judged

    def shell_available(self) -> bool | None:
        shell = self.shell
        if shell is None:
            return None
        if not shell:
            return False
        name = program_name(shell[0])
        return self.has(name) if name else None

    @cached_property
    def health(self) -> ImageHealth:
        if self.dockerfile is not None:
            for stage in reversed(self.chain):
                checks = [i for i in stage.instructions if i.keyword == "HEALTHCHECK"]
                if checks:
                    spec = healthcheck_spec(checks[-1])
                    assert spec is not None
                    line = checks[-1].start_line
                    if spec.none:
                        return ImageHealth("none", spec, f"HEALTHCHECK NONE at line {line} of {self.dockerfile.path.name}")
                    return ImageHealth("set", spec, f"HEALTHCHECK at line {line} of {self.dockerfile.path.name}")
        if self.facts is None:
            base = self.reference or "the base image"
            return ImageHealth("unknown", None, f"{base} is not in mcplint's knowledge base: whether it has a HEALTHCHECK is unknown")
        if self.facts.healthcheck:
            return ImageHealth("set", None, f"{self.reference} defines a HEALTHCHECK (knowledge base {self.facts.image})")
        where = f"{self.label} has no HEALTHCHECK instruction, and " if self.built else ""
        return ImageHealth("absent", None, f"{where}{self.reference} defines none (knowledge base {self.facts.image})")

    def environment(self) -> Mapping[str, str | None]:
        """ENV and ARG values of the final stage (Dockerfile images only)."""
        if self.dockerfile is None or self.stage is None or not self.stage.instructions:
            return {}
        return self.dockerfile.variables_after(self.stage.instructions[-1], self.build_args)

    @cached_property
    def exposed_ports(self) -> tuple[int, ...]:
        if self.dockerfile is None:
            return ()
        ports: list[int] = []
        for stage in self.chain:
            for instruction in stage.instructions:
                if instruction.keyword != "EXPOSE":
                    continue
                variables = self.dockerfile.variables_at(instruction, self.build_args)
                for port in expose_ports(instruction, variables):
                    if port.port is not None and port.proto == "tcp" and port.port not in ports:
                        ports.append(port.port)
        return tuple(ports)

    def image_command(self) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None, bool]:
        """(ENTRYPOINT argv, CMD argv, known) as the image sets them: the Dockerfile chain's (shell
        forms as `/bin/sh -c text`), else the knowledge of a server image's default; `known` is False
        when the command comes from a base image whose default is not known."""
        entrypoint: tuple[str, ...] | None = None
        command: tuple[str, ...] | None = None
        if self.dockerfile is not None:
            for stage in self.chain:
                command_set_here = False
                for instruction in stage.instructions:
                    if instruction.keyword not in ("CMD", "ENTRYPOINT"):
                        continue
                    spec = command_spec(self.dockerfile, instruction)
                    if spec is None:
                        continue
                    if instruction.keyword == "CMD":
                        command, command_set_here = spec.effective_argv, True
                    else:
                        entrypoint = spec.effective_argv
                        if not command_set_here:
                            command = None  # BuildKit drops an inherited CMD when ENTRYPOINT is set
            if entrypoint is not None or command is not None:
                return entrypoint, command, True
        repository = self.repository
        if repository in _SERVER_DEFAULTS:
            return None, tuple(shlex.split(_SERVER_DEFAULTS[repository])), True
        return None, None, False

    @property
    def interactive_default(self) -> bool:
        """Whether the root image's default command is a shell or an interpreter's prompt."""
        return self.facts is not None and (
            self.repository in _INTERACTIVE_DEFAULTS or self.facts.family in ("scratch", "distroless")
        )


def service_image(project: Project, service: Service) -> ImageView | None:
    """The image a Compose service runs: its build's final stage, else its `image:`; None when
    neither can be read (a build whose Dockerfile is missing, a target stage that does not exist)."""
    build = project.build_for(service)
    if build is not None:
        stage = build.final_stage
        return ImageView.of_stage(build.dockerfile, stage, build.args) if stage is not None else None
    if service.build is not None or service.image is None:
        return None
    return ImageView.of_image(service.image)


# ------------------------------------------------------------------------------------- lifetime

# Words that name a job: a migration, seeding, a test run, collecting static files.
_JOB_WORD = re.compile(
    r"(?:^|[-_.:])(?:migrat(?:e|es|ed|ion|ions|or)|seeds?|seeding|seeder|tests?|pytest|jest|mocha|vitest"
    r"|alembic|flyway|liquibase|collectstatic)(?:$|[-_.:])",
    re.IGNORECASE,
)
# Programs that print or set something and return.
_EXITING_PROGRAMS = frozenset({"echo", "printf", "true", "false", "exit", "ls", "cat", "date", "id", "whoami"})


@dataclass(frozen=True, slots=True)
class Lifetime:
    long_running: bool
    reason: str


def service_lifetime(project: Project, service: Service, image: ImageView) -> Lifetime:
    """Whether a Compose service keeps running (a server) or does a job and exits."""
    compose = project.compose
    for other in compose.services if compose is not None else ():
        for dependency in other.depends_on:
            if dependency.name == service.name and dependency.condition == "service_completed_successfully":
                return Lifetime(False, f"`{other.name}` waits for it to complete (`service_completed_successfully`)")
    argv = effective_command(service, image)
    overridden = service.command is not None or service.entrypoint is not None
    if argv is not None:
        job = job_reason(argv)
        if job is not None:
            return Lifetime(False, job)
    elif not overridden and image.interactive_default and not _has_terminal(service):
        return Lifetime(False, f"the default command of {image.reference} is a shell or prompt, which ends at once without a terminal")
    if scalar(service.get("restart")) == "no" and not serves(service, image):
        return Lifetime(False, '`restart: "no"` and no port that it serves')
    return Lifetime(True, "it keeps running")


def _has_terminal(service: Service) -> bool:
    return scalar(service.get("tty")) is True or scalar(service.get("stdin_open")) is True


def effective_command(service: Service, image: ImageView) -> tuple[str, ...] | None:
    """The argv the container starts with (ENTRYPOINT then CMD, Compose overrides applied); None when
    it comes from a base image whose default is not known, or cannot be read."""
    entrypoint, command, known = image.image_command()
    if service.entrypoint is not None:
        # Compose, like `docker run --entrypoint`, drops the image's CMD along with its ENTRYPOINT.
        entrypoint, command, known = service.entrypoint.value, None, True
        if entrypoint is None:
            return None
    if service.command is not None:
        command, known = service.command.value, True
        if command is None:
            return None
    if not known:
        return None
    argv = tuple(entrypoint or ()) + tuple(command or ())
    return argv or None


def job_reason(argv: Sequence[str]) -> str | None:
    """Why a command line is a job that ends (a migration, seeding, a test run, a command that only
    prints), or None."""
    commands = _argv_commands(argv)
    if commands is None:
        return None
    call = program_of(commands[-1])
    # A builtin such as `echo` has no program; in exec form it is one (/bin/echo) all the same.
    last = call.name if call is not None else program_name(commands[-1].argv[0])
    shown = shlex.join(argv)
    if last in _EXITING_PROGRAMS:
        return f"its command `{shown}` ends with `{last}`, which exits"
    for command in commands:
        for word in command.argv:
            if _JOB_WORD.search(posixpath.basename(word.rstrip("/"))):
                return f"its command `{shown}` runs a job (`{word}`)"
    return None


def _argv_commands(argv: Sequence[str]) -> list[SimpleCommand] | None:
    """The simple commands an argv runs: itself, or the script of `sh -c '...'`."""
    if not argv:
        return None
    if len(argv) >= 3 and program_name(argv[0]) in POSIX_SHELLS and argv[1] == "-c":
        script = read_shell(argv[2])
        return list(script.commands) if script is not None else None
    return [_exec_command(argv)]


def _exec_command(argv: Sequence[str]) -> SimpleCommand:
    words = tuple(ShellWord(value, shlex.quote(value), 0, 0) for value in argv)
    return SimpleCommand(words, 0, 0, False)


def serves(service: Service, image: ImageView) -> bool:
    """Whether the service listens: Compose `ports`/`expose`, or EXPOSE in its Dockerfile."""
    return bool(service_ports(service) or image.exposed_ports)


def service_ports(service: Service) -> tuple[int, ...]:
    """Container ports from `ports:` (short and long syntax) and `expose:`, in the order written."""
    found: list[int] = []
    for key in ("ports", "expose"):
        node = service.get(key)
        if not isinstance(node, CSeq):
            continue
        for item in node.items:
            port = _container_port(item)
            if port is not None and port not in found:
                found.append(port)
    return tuple(found)


def _container_port(item: CNode) -> int | None:
    if isinstance(item, CMap):
        target, protocol = scalar(item.get("target")), scalar(item.get("protocol")) or "tcp"
        return int(target) if str(target).isdigit() and protocol == "tcp" else None
    if not isinstance(item, CScalar) or item.value is None:
        return None
    text, _, protocol = str(item.value).partition("/")
    if protocol and protocol != "tcp":
        return None
    first = text.rsplit(":", 1)[-1].split("-", 1)[0]
    return int(first) if first.isdigit() else None


# ------------------------------------------------------------------------------- HTTP requests


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """What a curl or wget command line asks for, in terms every probe tool can express.

    The URL and headers are kept as words, as written, so that a rewritten shell command expands
    them exactly as before.
    """

    url: ShellWord
    fail_on_error: bool  # an HTTP status of 400 or more fails the probe
    follows_redirects: bool
    timeout: str | None  # whole seconds
    headers: tuple[ShellWord, ...]
    insecure: bool
    to_stdout: bool  # the body is read by the next command of a pipeline


# curl's short flags and long options that take no value, and what they change.
_CURL_SHORT = {"f": "fail", "s": "", "S": "", "L": "follow", "k": "insecure", "I": "head", "v": "", "q": ""}
_CURL_LONG = {
    "--fail": "fail", "--fail-with-body": "fail", "--silent": "", "--show-error": "", "--location": "follow",
    "--insecure": "insecure", "--head": "head", "--verbose": "", "--no-progress-meter": "",
}  # fmt: skip
# wget's options without a value (GNU names, which busybox accepts too).
_WGET_FLAGS = {
    "--spider": "", "-q": "", "--quiet": "", "-nv": "", "--no-verbose": "", "--no-check-certificate": "insecure",
    "--no-cache": "", "-S": "", "--server-response": "",
}  # fmt: skip
_WHOLE_SECONDS = re.compile(r"[0-9]+")
_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://")


def http_request(call: ProgramCall) -> HttpRequest | None:
    """The request a `curl` or `wget` call makes; None for what this reading leaves out (methods other
    than GET, request bodies, retries, several URLs, output files, options it does not know)."""
    if call.name not in ("curl", "wget") or call.word is None:
        return None
    words = list(call.command.words)
    arguments = words[words.index(call.word) + 1 :]
    try:
        if call.name == "curl":
            return _read_curl(arguments, call.command.piped)
        return _read_wget(arguments, call.command.piped)
    except _Unreadable:
        return None


class _Options:
    """Walks a command's arguments: `value()` takes the word after an option."""

    def __init__(self, words: list[ShellWord]) -> None:
        self.words = words
        self.index = 0

    def __iter__(self) -> Iterator[ShellWord]:
        while self.index < len(self.words):
            word = self.words[self.index]
            self.index += 1
            yield word

    def value(self, option: str) -> ShellWord:
        if self.index >= len(self.words):
            raise _Unreadable(f"{option} without a value")
        word = self.words[self.index]
        self.index += 1
        return word


def _seconds(text: str) -> str:
    if not _WHOLE_SECONDS.fullmatch(text):
        raise _Unreadable(f"a timeout of {text!r} seconds")
    return text


def _read_curl(arguments: list[ShellWord], piped: bool) -> HttpRequest:
    urls: list[ShellWord] = []
    effects: set[str] = set()
    timeout: str | None = None
    headers: list[ShellWord] = []
    options = _Options(arguments)
    for word in options:
        text = word.text
        name, equals, inline = text.partition("=")
        if not text.startswith("-") or text == "-":
            urls.append(word)
        elif text in _CURL_LONG:
            effects.add(_CURL_LONG[text])
        elif name in ("-m", "--max-time", "--connect-timeout"):
            seconds = _seconds(inline if equals else options.value(name).text)
            timeout = seconds if timeout is None else str(min(int(timeout), int(seconds)))
        elif text in ("-H", "--header"):
            headers.append(options.value(text))
        elif text in ("-o", "--output"):
            if options.value(text).text != "/dev/null":
                raise _Unreadable("an output file")
            effects.add("head")
        elif text in ("-X", "--request"):
            if options.value(text).text != "GET":
                raise _Unreadable("a method other than GET")
        elif not text.startswith("--") and all(letter in _CURL_SHORT for letter in text[1:]):
            effects.update(_CURL_SHORT[letter] for letter in text[1:])
        else:
            raise _Unreadable(f"curl option {text}")
    if len(urls) != 1:
        raise _Unreadable("not one URL")
    return HttpRequest(
        urls[0], "fail" in effects, "follow" in effects, timeout, tuple(headers), "insecure" in effects,
        piped and "head" not in effects,
    )


def _read_wget(arguments: list[ShellWord], piped: bool) -> HttpRequest:
    urls: list[ShellWord] = []
    insecure = to_stdout = False
    timeout: str | None = None
    headers: list[ShellWord] = []
    options = _Options(arguments)
    for word in options:
        text = word.text
        name, equals, inline = text.partition("=")
        if not text.startswith("-") or text == "-":
            urls.append(word)
        elif text in _WGET_FLAGS:
            insecure |= _WGET_FLAGS[text] == "insecure"
        elif name in ("-O", "--output-document") or text.startswith(("-O", "-qO")):
            if equals:
                target = inline
            elif text in ("-O", "--output-document", "-qO"):
                target = options.value(text).text
            else:
                target = text.removeprefix("-q").removeprefix("-O")
            if target == "-":
                to_stdout = True
            elif target != "/dev/null":
                raise _Unreadable("an output file")
        elif name in ("-T", "--timeout") or (text.startswith("-T") and len(text) > 2):
            timeout = _seconds(inline if equals else text[2:] if name not in ("-T", "--timeout") else options.value(name).text)
        elif name in ("-t", "--tries"):
            if not equals:
                options.value(name)
        elif text == "--header":
            headers.append(options.value(text))
        else:
            raise _Unreadable(f"wget option {text}")
    if len(urls) != 1:
        raise _Unreadable("not one URL")
    return HttpRequest(urls[0], True, True, timeout, tuple(headers), insecure, piped and to_stdout)


def _url_word(request: HttpRequest) -> str | None:
    """The URL as a shell word, with the `http://` that curl assumes when none is written."""
    word = request.url
    if _SCHEME.match(word.text):
        return word.raw
    return "http://" + word.raw if word.plain else None


def render_http_probe(request: HttpRequest, image: ImageView, avoid: str = "") -> tuple[str, ...] | None:
    """Shell words that make `request` with a program the image has (other than `avoid`), in this
    order: wget, curl, a node one-liner, a python one-liner. None when none of them can."""
    url = _url_word(request)
    if url is None:
        return None
    if avoid != "wget" and image.has("wget") is True and request.fail_on_error:
        # wget fails on an error status, as `curl -f` does; without -f curl would not.
        words = ["wget", "-q"]
        if request.to_stdout:
            words += ["-O", "-"]
        else:
            # busybox's --spider makes a GET and reads the status only; GNU wget's sends HEAD.
            words += ["--spider"] if image.busybox_applet("wget") else ["-O", "/dev/null"]
        if request.timeout:
            words += ["-T", request.timeout]
        for header in request.headers:
            words += ["--header", header.raw]
        if request.insecure:
            words.append("--no-check-certificate")
        return (*words, url)
    if avoid != "curl" and image.has("curl") is True:
        words = ["curl", "-fsS" if request.fail_on_error else "-sS"]
        if request.follows_redirects:
            words.append("-L")
        if not request.to_stdout:
            words += ["-o", "/dev/null"]
        if request.timeout:
            words += ["-m", request.timeout]
        for header in request.headers:
            words += ["-H", header.raw]
        if request.insecure:
            words.append("-k")
        return (*words, url)
    return _runtime_probe(request, image)


def _runtime_probe(request: HttpRequest, image: ImageView) -> tuple[str, ...] | None:
    text = request.url.text if _SCHEME.match(request.url.text) else "http://" + request.url.text
    if request.to_stdout or request.headers or request.insecure or not request.url.plain or "'" in text:
        return None
    if image.has("node") is True:
        module = "https" if text.startswith("https:") else "http"
        verdict = "r.statusCode < 400 ? 0 : 1" if request.fail_on_error else "0"
        script = f"require('{module}').get('{text}', r => process.exit({verdict})).on('error', () => process.exit(1))"
        if request.timeout:
            script += f".setTimeout({int(request.timeout) * 1000}, () => process.exit(1))"
        return ("node", "-e", shell_quote(script))
    if request.fail_on_error:
        # urlopen raises on an error status, so python exits 1 as `curl -f` would.
        for python in ("python3", "python"):
            if image.has(python) is True:
                script = f"import urllib.request; urllib.request.urlopen('{text}', timeout={request.timeout or 10})"
                return (python, "-c", shell_quote(script))
    return None


def shell_quote(text: str) -> str:
    """`text` as one shell word: as is when nothing in it is special, else in the quotes that need
    no escaping inside (the one-liners above hold single quotes)."""
    if re.fullmatch(r"[A-Za-z0-9_@%+=:,./-]+", text):
        return text
    if "'" not in text:
        return f"'{text}'"
    if not re.search(r'["$`\\!]', text):
        return f'"{text}"'
    return shlex.quote(text)


def shell_words_argv(words: Sequence[str]) -> tuple[str, ...]:
    """Shell words (as `render_http_probe` gives them) as an exec argv: their quoting removed."""
    return tuple(shlex.split(" ".join(words)))


# ------------------------------------------------------------------------------- new probes


@dataclass(frozen=True, slots=True)
class Probe:
    """A health check to insert: Docker's test list, and what it is for the fix's title."""

    test: tuple[str, ...]  # ("CMD", argv...) or ("CMD-SHELL", script)
    what: str

    @property
    def shell(self) -> bool:
        return self.test[0] == "CMD-SHELL"


# Timings of an inserted check: a failure is noticed within a minute, the first start of a slow
# server (initdb, a JVM) is not counted, and a hung probe is cut off well before the next one.
PROBE_TIMINGS: Mapping[str, str | int] = {"interval": "10s", "timeout": "5s", "retries": 5, "start_period": "30s"}


# The database a server program is, for images that build it themselves (FROM alpine, make install).
_SERVER_KINDS = {
    "postgres": "postgres", "postmaster": "postgres", "redis-server": "redis", "mysqld": "mysql",
    "mariadbd": "mariadb", "mongod": "mongo", "memcached": "memcached", "rabbitmq-server": "rabbitmq",
}  # fmt: skip
_DATABASES = frozenset(_SERVER_KINDS.values())
# Ports of servers that do not speak HTTP: a GET there proves nothing.
_NOT_HTTP_PORTS = frozenset({5432, 6379, 3306, 27017, 11211, 5672, 9042, 2181, 9092, 1433, 1521})


def server_kind(image: ImageView, argv: Sequence[str] | None) -> str | None:
    """Which database a container is: its image's repository, else the server its command runs."""
    if image.repository in _DATABASES:
        return image.repository
    for simple in _argv_commands(argv or ()) or ():
        call = program_of(simple)
        if call is not None and call.name in _SERVER_KINDS:
            return _SERVER_KINDS[call.name]
    return None


def server_probe(image: ImageView, kind: str | None, variable: Mapping[str, str]) -> Probe | None:
    """The standard check of a database (`kind`), with a program the image has.

    `variable` maps the environment variables the check may read to the text that reads them in
    the target file (`$${POSTGRES_USER}` in Compose, `${POSTGRES_USER:-postgres}` in a Dockerfile);
    a name that is missing is not set, and the image's default stands in.
    """
    if kind == "postgres" and image.has("pg_isready") is True:
        user = variable.get("POSTGRES_USER")
        database = variable.get("POSTGRES_DB", user)
        if user is None and database is None:
            return Probe(("CMD", "pg_isready", "-U", "postgres", "-d", "postgres"), "`pg_isready`")
        user_text = f'"{user}"' if user is not None else "postgres"
        database_text = f'"{database}"' if database is not None else user_text
        return Probe(("CMD-SHELL", f"pg_isready -U {user_text} -d {database_text}"), "`pg_isready`")
    if kind == "redis" and image.has("redis-cli") is True:
        return Probe(("CMD", "redis-cli", "ping"), "`redis-cli ping`")
    if kind == "mariadb" and image.has("healthcheck.sh") is True:
        return Probe(("CMD", "healthcheck.sh", "--connect", "--innodb_initialized"), "MariaDB's `healthcheck.sh`")
    if kind in ("mysql", "mariadb") and image.has("mysqladmin") is True:
        return Probe(("CMD", "mysqladmin", "ping", "-h", "127.0.0.1", "--silent"), "`mysqladmin ping`")
    if kind == "mongo":
        for shell in ("mongosh", "mongo"):
            if image.has(shell) is True:
                return Probe(("CMD", shell, "--quiet", "--eval", "db.adminCommand('ping')"), f"`{shell}` ping")
    return None


# The port and path the web servers of the knowledge base answer on without configuration.
_WEB_DEFAULTS = {"nginx": (80, "/"), "httpd": (80, "/"), "wordpress": (80, "/"), "grafana/grafana": (3000, "/api/health")}


def web_probe(image: ImageView, ports: Sequence[int]) -> Probe | None:
    """An HTTP GET on the first port (or a web server's own), with a tool the image has; None for
    ports of servers that do not speak HTTP."""
    port, path = _WEB_DEFAULTS.get(image.repository or "", (None, "/"))
    if ports:
        port = ports[0]
    if port is None or port in _NOT_HTTP_PORTS:
        return None
    url = f"http://localhost:{port}{path}"
    request = HttpRequest(ShellWord(url, url, 0, 0), True, False, "3", (), False, False)
    words = render_http_probe(request, image)
    if words is None:
        return None
    return Probe(("CMD", *shell_words_argv(words)), f"an HTTP check of {url}")


def dockerfile_healthcheck(probe: Probe) -> str:
    """The HEALTHCHECK instruction of `probe`, with `PROBE_TIMINGS`."""
    timing = PROBE_TIMINGS
    options = (
        f"--interval={timing['interval']} --timeout={timing['timeout']} "
        f"--start-period={timing['start_period']} --retries={timing['retries']}"
    )
    if probe.shell:
        return f"HEALTHCHECK {options} CMD {probe.test[1]}"
    return f"HEALTHCHECK {options} CMD {json.dumps(list(probe.test[1:]))}"


# --------------------------------------------------------------------------- inserting a probe

# What a Dockerfile HEALTHCHECK reads at run time: the shell expands these in the container, with
# the image's defaults (docker-entrypoint.sh falls back to `postgres`, and the database to the user).
_DOCKERFILE_POSTGRES_VARIABLES = {
    "POSTGRES_USER": "${POSTGRES_USER:-postgres}",
    "POSTGRES_DB": "${POSTGRES_DB:-${POSTGRES_USER:-postgres}}",
}
# Programs whose running means a server: the image serves even without an EXPOSE.
_SERVER_PROGRAMS = frozenset(
    {"postgres", "redis-server", "mysqld", "mariadbd", "mongod", "nginx", "httpd", "httpd-foreground",
     "apache2-foreground", "php-fpm", "gunicorn", "uvicorn", "hypercorn", "daphne", "waitress-serve",
     "caddy", "traefik", "rabbitmq-server", "memcached"}
)  # fmt: skip


def service_probe(service: Service, image: ImageView) -> Probe | None:
    """A check for a Compose service: its database's own, else an HTTP GET on its port (from
    `ports`, `expose`, the Dockerfile's EXPOSE or a `PORT` variable)."""
    environment = image.environment()
    variables = {
        name: "$${" + name + "}"
        for name in ("POSTGRES_USER", "POSTGRES_DB")
        if name in service.environment or environment.get(name) is not None
    }
    kind = server_kind(image, effective_command(service, image))
    if kind is not None:
        return server_probe(image, kind, variables)
    ports = list(service_ports(service)) + list(image.exposed_ports)
    located = service.environment.get("PORT")
    port_variable = located.value if located is not None else environment.get("PORT")
    if port_variable is not None and str(port_variable).isdigit():
        ports.append(int(port_variable))
    return web_probe(image, ports)


def dockerfile_probe(image: ImageView) -> Probe | None:
    """A check for a Dockerfile's image, reading the container's environment when it runs."""
    entrypoint, command, _ = image.image_command()
    kind = server_kind(image, tuple(entrypoint or ()) + tuple(command or ()))
    if kind is not None:
        return server_probe(image, kind, _DOCKERFILE_POSTGRES_VARIABLES)
    ports = list(image.exposed_ports)
    port_variable = image.environment().get("PORT")
    if port_variable is not None and port_variable.isdigit():
        ports.append(int(port_variable))
    return web_probe(image, ports)


_FLOW_PLACEHOLDER = "mcplint-healthcheck-test"


def compose_healthcheck_edit(service: Service, probe: Probe) -> Edit | None:
    """The edit that gives `service` the check `probe`, with `PROBE_TIMINGS`, where it is defined."""
    defining = service.defining
    if defining is None:
        return None
    source, mapping = defining
    parent_key = service.key.start if service.key.source is source else None
    if probe.shell:
        test: str = probe.test[1]
        flow = None
    else:
        # insert_path writes lists as blocks, one line per word; an exec test reads better as the
        # one-line flow list people write (`["CMD", "curl", ...]`, JSON being valid YAML), so a
        # placeholder scalar takes its place and is swapped for it.
        test, flow = _FLOW_PLACEHOLDER, json.dumps(list(probe.test), ensure_ascii=False)
    if service.get("healthcheck") is not None:
        edit = insert_path(source, mapping, ("healthcheck", "test"), test, parent_key_start=parent_key)
    else:
        edit = insert_path(source, mapping, ("healthcheck",), {"test": test, **PROBE_TIMINGS}, parent_key_start=parent_key)
    if edit is None or flow is None:
        return edit
    return Edit(edit.source, edit.start, edit.end, edit.content.replace(_FLOW_PLACEHOLDER, flow, 1))


def dockerfile_healthcheck_edit(dockerfile: Dockerfile, stage: Stage, probe: Probe) -> Edit | None:
    """The edit that adds a HEALTHCHECK line after the last instruction of `stage`."""
    last = stage.instructions[-1] if stage.instructions else stage.from_instruction
    source = dockerfile.source
    offset = source.line_end(last.end_line)
    return Edit.insert(source, offset, source.newline + dockerfile_healthcheck(probe))


def dockerfile_serves(image: ImageView) -> str | None:
    """Why a Dockerfile's image is a server (an EXPOSE, a server program as its command), or None."""
    entrypoint, command, known = image.image_command()
    argv = tuple(entrypoint or ()) + tuple(command or ())
    if known and argv and job_reason(argv) is not None:
        return None
    if image.exposed_ports:
        return f"it exposes port {image.exposed_ports[0]}"
    for simple in _argv_commands(argv) or () if known else ():
        call = program_of(simple)
        if call is not None and call.name in _SERVER_PROGRAMS:
            return f"its command runs `{call.name}`"
    return None


# ------------------------------------------------------------------- rewriting a test in place


def exec_form_span(dockerfile: Dockerfile, spec: HealthcheckSpec) -> tuple[int, int] | None:
    """Where the JSON list of an exec-form HEALTHCHECK is written, brackets included; None when the
    brackets cannot be found around its words."""
    words = spec.command_words
    if not words:
        return None
    text = dockerfile.source.text
    opening = text.rfind("[", spec.type_word.end if spec.type_word else 0, words[0].start)
    closing = text.find("]", words[-1].end)
    return (opening, closing + 1) if opening >= 0 and closing >= 0 else None


def yaml_scalar_like(written: str, value: str) -> str | None:
    """`value` as a YAML scalar in the style of `written` (double-quoted, single-quoted or plain);
    None for block scalars, whose layout a one-line value cannot keep."""
    if written.startswith('"'):
        return json.dumps(value, ensure_ascii=False)
    if written.startswith("'"):
        return "'" + value.replace("'", "''") + "'"
    if written.startswith(("|", ">")):
        return None
    return value if _plain_scalar(value) else render_scalar(value)


_PLAIN_START = re.compile(r"[A-Za-z0-9_/.$(]")
_PLAIN_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"})


def _plain_scalar(value: str) -> bool:
    """Whether go-yaml reads `value`, written without quotes, back as this same string."""
    if not value or not _PLAIN_START.match(value) or value != value.strip() or "\n" in value:
        return False
    if ": " in value or " #" in value or value.endswith(":") or value.lower() in _PLAIN_WORDS:
        return False
    if re.search(r"[,\[\]{}]", value):
        return False  # indicators inside a flow collection, where the scalar may stand
    try:
        float(value)
    except ValueError:
        return True
    return False


def yaml_sequence_edit(sequence: CSeq, values: Sequence[str]) -> Edit | None:
    """The edit that makes a Compose list (flow or block) hold `values`, items styled like its first."""
    items = [item for item in sequence.items if isinstance(item, CScalar)]
    if len(items) != len(sequence.items) or not items:
        return None
    span = sequence.span
    source = span.source
    if any(item.span.source is not source for item in items):
        return None  # items merged in from elsewhere
    style = items[0].span.text
    # An item that keeps its value keeps its text, quoting included.
    rendered = [
        items[index].span.text if index < len(items) and items[index].raw == value else yaml_scalar_like(style, value)
        for index, value in enumerate(values)
    ]
    if any(text is None for text in rendered):
        return None
    if span.text.startswith("["):
        return Edit.replace(span, "[" + ", ".join(str(text) for text in rendered) + "]")
    first, last = items[0].span, items[-1].span
    line_start = source.line_start(source.line_of(first.start))
    dash = source.text.rfind("-", line_start, first.start)
    if dash < 0:
        return None
    separator = source.newline + " " * (dash - line_start) + "- "
    return Edit(source, first.start, last.end, separator.join(str(text) for text in rendered))


def raw_command(raw: Script, value: Script, command: SimpleCommand) -> SimpleCommand | None:
    """The command of the script as written (`raw`, before Compose interpolation) that is `command`
    of the script as run (`value`): same position, same program word; None when they differ."""
    raw_commands, value_commands = list(raw.commands), list(value.commands)
    if len(raw_commands) != len(value_commands) or command not in value_commands:
        return None
    found = raw_commands[value_commands.index(command)]
    if [word.text for word in found.words[:1]] != [word.text for word in command.words[:1]]:
        return None
    return found
