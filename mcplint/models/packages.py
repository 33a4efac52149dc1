"""What a RUN instruction installs, removes, runs and writes: static shell analysis, no execution.

A RUN is a shell script (shell form under the SHELL in effect, exec form `["sh", "-c", "..."]`, or a
heredoc, which BuildKit hands to the shell or, with a shebang, runs as a file). This module parses
that script with the shell parser of `mcplint.models.shell` (words, quotes, `$(...)`, heredocs,
`&&`/`||`/`;`/`|`, `if`/`case`/`for`/`while`, functions, `{ }` and `( )`) and walks it in order,
emitting events:

- `PackageOp`: package-manager operations (apk, apt-get/apt, apt-mark, dnf/yum/microdnf, dpkg and
  rpm removals). `pip install` and friends are not system packages and emit nothing.
- `ProgramUse`: a program the script runs; when its failure would fail the RUN (`fatal`), a
  successful build proves it existed at that point.
- `PathChange`: files written, linked or removed by name (`curl -o`, `wget -O`, `cp`, `install`,
  `ln -s`, `rm`).
- `OpaqueStep`: installers whose effect cannot be read statically (`make install`, archive
  extraction, `dpkg -i`, a script piped to `sh`, `eval`).

Certainty. Commands are assumed to succeed (a failing `apt-get install` is a broken build, not a
branch). What makes an event uncertain is control flow: each event carries `conditions`, the
identifiers of the conditional arms it sits in (if/elif/else branches, case arms, loop bodies,
the right side of `||`, the left side of `|| true`, commands after `&&` that follows a test, a
background `&`). An empty tuple means the event happens whenever the RUN succeeds. Consumers join
arms: an arm's effect may or may not have happened.

Variables. `$VAR` resolves from literal assignments earlier in the same RUN and from the stage's
ARG/ENV values (`Dockerfile.variables_at`); anything else (base-image ENV, command output) is
unknown and reported as `unresolved`, never guessed. Three command outputs are recognised because
the official images rely on them: `savedAptMark="$(apt-mark showmanual)"` (restored later with
`apt-mark manual $savedAptMark`), package lists derived from shared libraries (`scanelf --needed`,
`ldd` piped to `dpkg-query --search`, `so:` names), which name library packages only, and
`$(test && echo name)`, which may or may not print `name`.
"""

from __future__ import annotations

import itertools
import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from mcplint.models.dockerfile import Dockerfile, Heredoc, Instruction, Word
from mcplint.models.images import APK_CONSTRAINT, RPM_ARCH
from mcplint.models.instructions import shell_at
from mcplint.models.shell import (
    AndOr,
    Case,
    Command,
    CommandList,
    FunctionDef,
    Group,
    If,
    Loop,
    Pipeline,
    RawWord,
    Redirect,
    ShellSyntaxError,
    Simple,
    commands_in,
    parse,
    simple_commands,
    skip_backquote,
    skip_braces,
    skip_double_quote,
    skip_parens,
    skip_single_quote,
)

POSIX_SHELLS = frozenset({"sh", "bash", "ash", "dash", "ksh", "mksh", "zsh", "busybox"})
# Directories on the default PATH of Linux images (Docker's default PATH plus /bin and /sbin).
PATH_DIRECTORIES = frozenset(
    {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}
)
_MAX_DEPTH = 6  # nested `sh -c`, function calls and substitutions
_MAX_UNROLL = 32  # a `for` over more literal words is walked once, as an uncertain arm
_MAX_COMMANDS = 20_000  # simple commands walked per RUN; past it, loops are no longer unrolled


# ------------------------------------------------------------------------------------ the events


@dataclass(frozen=True, slots=True)
class PackageOp:
    """One package-manager operation.

    action: `install`, `remove` (named packages; apt purge/remove, apk del, dnf remove),
    `purge_auto` (apt's `--auto-remove` / `autoremove`: removes every auto-marked package nothing
    needs), `mark_auto_all` (`apt-mark auto '.*'`), `mark_auto`, `mark_manual`, `save_manual`
    (`$(apt-mark showmanual)` captured; `saves` numbers it), `restore_manual` (`apt-mark manual
    $saved`; `restores` names the save).
    """

    manager: str  # apk, apt-get, apt, apt-mark, dnf, yum, microdnf, dpkg, rpm
    action: str
    packages: tuple[str, ...]  # names without version pins (`curl=7.88.1-10` is `curl`)
    words: tuple[Word, ...]  # where each package was written, as written (after expansion)
    virtual: str | None  # apk --virtual / -t
    conditions: tuple[int, ...]
    unresolved: tuple[Word, ...] = ()  # package arguments whose value is unknown
    libraries_only: bool = False  # the unresolved names are shared-library packages
    saves: int | None = None
    restores: int | None = None
    start: int = 0
    end: int = 0
    verb: str = ""  # the subcommand as written: add, del, install, purge, auto, ...

    @property
    def certain(self) -> bool:
        return not self.conditions


@dataclass(frozen=True, slots=True)
class ProgramUse:
    program: str  # the command name (basename when run by absolute path)
    path: str | None  # the absolute path it was run by, if any
    fatal: bool  # its failure would fail the RUN
    conditions: tuple[int, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class PathChange:
    kind: str  # write, link, remove
    path: str
    target: str | None  # a link's target
    conditions: tuple[int, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class OpaqueStep:
    description: str
    conditions: tuple[int, ...]
    start: int
    end: int


Event = PackageOp | ProgramUse | PathChange | OpaqueStep


@dataclass(frozen=True, slots=True)
class RunAnalysis:
    instruction: Instruction
    events: tuple[Event, ...]
    text: str  # every script analysed (heredoc bodies included), for callers that look for names
    analysable: bool  # False: a non-POSIX SHELL, or a script the parser could not read
    problem: str | None = None

    @property
    def operations(self) -> tuple[PackageOp, ...]:
        return tuple(event for event in self.events if isinstance(event, PackageOp))


def package_operations(
    dockerfile: Dockerfile, instruction: Instruction, build_args: Mapping[str, str] | None = None
) -> tuple[PackageOp, ...]:
    """The package-manager operations of a RUN, in order."""
    return analyze_run(dockerfile, instruction, build_args).operations


def analyze_run(
    dockerfile: Dockerfile, instruction: Instruction, build_args: Mapping[str, str] | None = None
) -> RunAnalysis:
    """Everything the RUN (or the RUN an ONBUILD wraps) does that this module can read."""
    run = instruction.trigger if instruction.keyword == "ONBUILD" and instruction.trigger else instruction
    if run.keyword != "RUN":
        return RunAnalysis(instruction, (), "", False, f"{run.keyword} is not RUN")
    variables = dockerfile.variables_at(instruction, build_args)
    walker = _Walker(dockerfile.source.text)
    state = _State(dict(variables), exported=set(variables))
    ctx = _Ctx((), 0)
    if run.json_form:
        fields = [_Field(word.value, None, (word.start, word.end), word) for word in run.args]
        walker.text_parts.append(" ".join(word.value for word in run.args))
        try:
            walker.run_command(fields, ctx, state, fatal=True, stdin=None, redirects=())
        except ShellSyntaxError as exc:
            return RunAnalysis(instruction, tuple(walker.events), walker.all_text, False, str(exc))
        return RunAnalysis(instruction, tuple(walker.events), walker.all_text, True)
    shell = shell_at(dockerfile, instruction)
    if not shell or posixpath.basename(shell[0]) not in POSIX_SHELLS:
        return RunAnalysis(instruction, (), "", False, f"SHELL {list(shell)} is not a POSIX shell")
    _apply_shell_options(shell[1:], state)
    script, shebang = _run_script(run, dockerfile.source.text, dockerfile.escape)
    try:
        if shebang is not None:
            walker.run_shebang(shebang, script, ctx, state)
        else:
            walker.walk_script(script, ctx, state, fatal=True)
    except ShellSyntaxError as exc:
        return RunAnalysis(instruction, tuple(walker.events), walker.all_text, False, str(exc))
    return RunAnalysis(instruction, tuple(walker.events), walker.all_text, True)


# ------------------------------------------------------------------ script text with file offsets


@dataclass(slots=True)
class _Text:
    """A script and, per character, its offset in the Dockerfile (-1 where synthesised)."""

    text: str
    offsets: list[int] | None
    fallback: tuple[int, int]

    def span(self, start: int, end: int) -> tuple[int, int]:
        if self.offsets is None or start >= end:
            return self.fallback
        mapped = [offset for offset in self.offsets[start:end] if offset >= 0]
        if not mapped:
            return self.fallback
        return mapped[0], mapped[-1] + 1

    def sub(self, start: int, end: int) -> _Text:
        offsets = self.offsets[start:end] if self.offsets is not None else None
        return _Text(self.text[start:end], offsets, self.span(start, end))


def _run_script(run: Instruction, source: str, escape: str) -> tuple[_Text, str | None]:
    """The text the shell runs for a shell-form RUN, as BuildKit's dispatchRun builds it.

    Returns the script and, for a lone heredoc whose body starts with `#!`, the shebang line
    (BuildKit then runs the body as a file instead of handing it to the shell).
    """
    word = run.rest
    fallback = (run.start, run.end)
    if word is None:
        return _Text("", None, fallback), None
    head = _Text(word.value, _align_logical(word.value, source, word.start, word.end, escape), (word.start, word.end))
    if not run.heredocs:
        return head, None
    heredocs = [_heredoc_text(heredoc, source) for heredoc in run.heredocs]
    if re.fullmatch(r"<<-?(['\"]?)[^'\"\s]+\1", word.value.strip()) and len(heredocs) == 1:
        body = heredocs[0]
        # BuildKit strips the leading tabs of a <<- body before it looks for a shebang.
        first_line = body.text.split("\n", 1)[0]
        shebang = first_line.lstrip("\t") if word.value.strip().startswith("<<-") else first_line
        if shebang.startswith("#!"):
            return body.sub(len(first_line) + 1, len(body.text)), shebang[2:].strip()
        return body, None
    # Otherwise BuildKit reconstitutes "<line>\n<body><name>\n..." and the shell reads the heredocs.
    text = head.text
    offsets = list(head.offsets) if head.offsets is not None else [-1] * len(head.text)
    for heredoc, body in zip(run.heredocs, heredocs, strict=True):
        text += "\n" + body.text + heredoc.name + "\n"
        body_offsets = body.offsets if body.offsets is not None else [-1] * len(body.text)
        offsets += [-1] + body_offsets + [-1] * (len(heredoc.name) + 1)
    return _Text(text, offsets, fallback), None


def _heredoc_text(heredoc: Heredoc, source: str) -> _Text:
    if source[heredoc.start : heredoc.end] == heredoc.content:
        return _Text(heredoc.content, list(range(heredoc.start, heredoc.end)), (heredoc.start, heredoc.end))
    return _Text(heredoc.content, None, (heredoc.start, heredoc.end))


def _align_logical(value: str, source: str, start: int, end: int, escape: str) -> list[int] | None:
    """Map each character of a RUN's joined line back to the file: BuildKit removed `escape`
    + newline continuations and the comment and blank lines inside them."""
    offsets: list[int] = []
    position = start
    continuation = re.compile(re.escape(escape) + r"[ \t]*\r?\n")
    for char in value:
        while position < end:
            match = continuation.match(source, position)
            if not match:
                break
            position = match.end()
            while position < end:
                line_end = source.find("\n", position)
                line_end = end if line_end < 0 else line_end
                stripped = source[position:line_end].strip()
                if stripped and not stripped.startswith("#"):
                    break
                position = line_end + 1
        if position >= end or source[position] != char:
            return None
        offsets.append(position)
        position += 1
    return offsets


# ------------------------------------------------------------------- expansion and shell state


class _Unknown:
    """A value the analysis cannot know."""


_UNKNOWN = _Unknown()


@dataclass(frozen=True, slots=True)
class _SavedManual:
    save: int  # the save_manual operation that captured `apt-mark showmanual`


@dataclass(frozen=True, slots=True)
class _ManualList:
    """The output of `apt-mark showmanual` flowing into a pipe."""


@dataclass(frozen=True, slots=True)
class _LibraryList:
    """Package names derived from shared libraries (scanelf --needed, ldd + dpkg-query --search)."""


@dataclass(frozen=True, slots=True)
class _Optional:
    """Words a `$(test && echo ...)` may or may not print."""

    words: tuple[str, ...]


_Marker = _SavedManual | _ManualList | _LibraryList | _Optional


@dataclass(frozen=True, slots=True)
class _Field:
    """One word after expansion: its text (None when unknown) or a marker, and where it was written."""

    text: str | None
    marker: _Marker | None
    span: tuple[int, int]
    origin: Word | None = None  # exec-form words keep the model's Word
    raw: str = ""  # the word as written, for reporting an unknown value

    def word(self) -> Word:
        return self.origin or Word(self.text if self.text is not None else self.raw, *self.span)


@dataclass(slots=True)
class _State:
    variables: dict[str, object]  # str, None (unknown) or a marker
    exported: set[str] = field(default_factory=set)
    errexit: bool = False
    pipefail: bool = False

    def copy(self) -> _State:
        return _State(dict(self.variables), set(self.exported), self.errexit, self.pipefail)


@dataclass(frozen=True, slots=True)
class _Ctx:
    conditions: tuple[int, ...]
    depth: int


def _apply_shell_options(arguments: Sequence[str], state: _State) -> None:
    """`set` / shell invocation options: -e, -o errexit, -o pipefail (and their + forms)."""
    items = list(arguments)
    index = 0
    while index < len(items):
        item = items[index]
        if item in ("-o", "+o") and index + 1 < len(items):
            enable = item == "-o"
            if items[index + 1] == "errexit":
                state.errexit = enable
            elif items[index + 1] == "pipefail":
                state.pipefail = enable
            index += 2
            continue
        if re.fullmatch(r"[-+][a-zA-Z]+", item):
            enable = item[0] == "-"
            if "e" in item:
                state.errexit = enable
            if item.endswith("o") and index + 1 < len(items):
                if items[index + 1] == "pipefail":
                    state.pipefail = enable
                elif items[index + 1] == "errexit":
                    state.errexit = enable
                index += 1
        index += 1


# Builtins and commands whose running proves nothing about the image's programs.
_BUILTINS = frozenset(
    {
        ".", ":", "[", "[[", "alias", "break", "cd", "command", "continue", "declare", "echo", "eval",
        "exec", "exit", "export", "false", "getopts", "hash", "local", "printf", "pwd", "read",
        "readonly", "return", "set", "shift", "source", "test", "trap", "true", "type", "typeset",
        "ulimit", "umask", "unalias", "unset", "wait",
    }
)  # fmt: skip
_PREDICATES = frozenset(
    {"[", "[[", "test", "grep", "egrep", "fgrep", "which", "type", "hash", "false", "cmp", "diff",
     "id", "getent", "expr", "pgrep", "pidof"}
)  # fmt: skip
# Commands that run their arguments as a command, and which of their options take a value.
_WRAPPERS: Mapping[str, frozenset[str]] = {
    "sudo": frozenset({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"}),
    "env": frozenset({"-u", "-C", "-S"}),
    "nice": frozenset({"-n"}),
    "nohup": frozenset(),
    "time": frozenset({"-f", "-o"}),
    "eatmydata": frozenset(),
    "fakeroot": frozenset(),
    "stdbuf": frozenset({"-i", "-o", "-e"}),
    "ionice": frozenset({"-c", "-n", "-p"}),
    "timeout": frozenset({"-s", "-k"}),
}


class _Walker:
    """Walks the parsed script in execution order and records the events."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.events: list[Event] = []
        self.text_parts: list[str] = []
        self.arms = itertools.count(1)
        self.saves = itertools.count(1)
        self.functions: dict[str, tuple[Command, _Text]] = {}
        self.expanding: tuple[int, int] | None = None  # span of the word being expanded
        self.commands_left = _MAX_COMMANDS  # nested literal loops multiply; this bounds the walk

    @property
    def all_text(self) -> str:
        return "\n".join(self.text_parts)

    def arm(self, ctx: _Ctx) -> _Ctx:
        return _Ctx((*ctx.conditions, next(self.arms)), ctx.depth)

    # --- scripts and lists

    def walk_script(self, script: _Text, ctx: _Ctx, state: _State, fatal: bool) -> str:
        if ctx.depth > _MAX_DEPTH:
            return "normal"
        self.text_parts.append(script.text)
        tree = parse(script.text)
        return self.walk_list(tree, script, ctx, state, fatal)

    def walk_nested(self, script: _Text, ctx: _Ctx, state: _State, shell: str, span: tuple[int, int]) -> None:
        try:
            self.walk_script(script, ctx, state, fatal=True)
        except ShellSyntaxError as exc:
            self.emit_opaque(f"{shell} runs a script this analysis cannot parse ({exc})", ctx, span)

    def run_shebang(self, shebang: str, body: _Text, ctx: _Ctx, state: _State) -> None:
        words = shebang.split()
        if not words:
            return
        interpreter = words[0]
        arguments = words[1:]
        if posixpath.basename(interpreter) == "env" and arguments:
            interpreter, arguments = arguments[0], arguments[1:]
        name = posixpath.basename(interpreter)
        self.events.append(
            ProgramUse(name, interpreter if interpreter.startswith("/") else None, True, ctx.conditions, *body.fallback)
        )
        if name in POSIX_SHELLS:
            _apply_shell_options(arguments, state)
            self.walk_script(body, ctx, state, fatal=True)
        else:
            self.text_parts.append(body.text)

    def walk_list(self, body: CommandList, script: _Text, ctx: _Ctx, state: _State, fatal: bool) -> str:
        flow = "normal"
        current = ctx
        for index, (and_or, separator) in enumerate(body.items):
            last = index == len(body.items) - 1
            if separator is not None and separator.text == "&":
                # A background job may not have finished (or even started) when the RUN ends.
                self.walk_and_or(and_or, script, self.arm(current), state.copy(), False)
                continue
            result = self.walk_and_or(and_or, script, current, state, fatal and last)
            if result in ("stopped", "failed"):
                return result
            if result == "may_stop":
                current = self.arm(current)
                flow = "may_stop"
        return flow

    def walk_and_or(self, and_or: AndOr, script: _Text, ctx: _Ctx, state: _State, fatal: bool) -> str:
        pipelines = and_or.pipelines
        operators = [operator.text for operator in and_or.operators]
        count = len(pipelines)
        current = ctx
        flow = "normal"
        for index, pipeline in enumerate(pipelines):
            if index:
                operator = operators[index - 1]
                previous = pipelines[index - 1]
                if operator == "&&":
                    if _is_predicate(previous) and not _guard_covers(previous, pipeline, "-n"):
                        current = self.arm(current)
                else:
                    if _always_fails(pipeline):
                        continue  # `|| exit 1`: the left side succeeded in every successful build
                    if not _guard_covers(previous, pipeline, "-z"):
                        current = self.arm(current)
            rescued = (
                index + 1 < count
                and operators[index] == "||"
                and not _always_fails(pipelines[index + 1])
                and not _is_predicate(pipeline)
            )
            pipeline_ctx = self.arm(current) if rescued else current
            pipeline_fatal = (fatal and all(op == "&&" for op in operators[index:])) or (
                index == count - 1 and state.errexit
            )
            conditional = pipeline_ctx.conditions != ctx.conditions
            target_state = state.copy() if conditional else state
            mark = len(self.events)
            result = self.walk_pipeline(pipeline, script, pipeline_ctx, target_state, pipeline_fatal)
            if conditional:
                if result == "failed":
                    del self.events[mark:]  # a successful build never took that path
                    continue
                _merge_into(state, [target_state], exhaustive=False)
                if result != "normal":
                    flow = "may_stop"
            elif result in ("stopped", "failed"):
                return result
            elif result == "may_stop":
                flow = "may_stop"
        return flow

    def walk_pipeline(self, pipeline: Pipeline, script: _Text, ctx: _Ctx, state: _State, fatal: bool) -> str:
        commands = pipeline.commands
        fatal = fatal and not pipeline.negated
        producers: list[Command] = []
        result = "normal"
        for index, command in enumerate(commands):
            single = len(commands) == 1
            command_state = state if single else state.copy()  # pipeline elements run in subshells
            command_fatal = fatal and (index == len(commands) - 1 or state.pipefail)
            result = self.walk_command(command, script, ctx, command_state, command_fatal, producers or None)
            producers.append(command)
        return result if len(commands) == 1 else "normal"

    def walk_command(
        self,
        command: Command,
        script: _Text,
        ctx: _Ctx,
        state: _State,
        fatal: bool,
        stdin: list[Command] | None,
    ) -> str:
        if isinstance(command, Simple):
            return self.walk_simple(command, script, ctx, state, fatal, stdin)
        if isinstance(command, FunctionDef):
            self.functions[command.name] = (command.body, script)
            return "normal"
        if isinstance(command, Group):
            inner = state.copy() if command.subshell else state
            result = self.walk_list(command.body, script, ctx, inner, fatal)
            return "normal" if command.subshell else result
        if isinstance(command, If):
            return self.walk_if(command, script, ctx, state, fatal)
        if isinstance(command, Case):
            return self.walk_case(command, script, ctx, state, fatal)
        return self.walk_loop(command, script, ctx, state, fatal)

    def walk_if(self, command: If, script: _Text, ctx: _Ctx, state: _State, fatal: bool) -> str:
        # Conditions that test known strings pick their branch; the first undecidable one makes
        # every branch an arm (the branches already known false among them are harmless extras).
        for condition, body in command.branches:
            decided = self._decide(condition, script, state)
            if decided is None:
                break
            if decided:
                return self.walk_list(body, script, ctx, state, fatal)
        else:
            if command.otherwise is not None:
                return self.walk_list(command.otherwise, script, ctx, state, fatal)
            return "normal"
        arms = [(condition, body) for condition, body in command.branches]
        if command.otherwise is not None:
            arms.append((None, command.otherwise))
        return self.walk_arms(arms, script, ctx, state, fatal, exhaustive=command.otherwise is not None)

    def walk_arms(
        self,
        arms: list[tuple[CommandList | None, CommandList]],
        script: _Text,
        ctx: _Ctx,
        state: _State,
        fatal: bool,
        exhaustive: bool,
    ) -> str:
        """Branches of which at most one runs. A branch that fails the RUN (`exit 1`) is dropped
        with its events: a successful build did not take it."""
        states = []
        flow = "normal"
        for condition, body in arms:
            arm_ctx = self.arm(ctx)
            arm_state = state.copy()
            mark = len(self.events)
            if condition is not None:
                self.walk_condition(condition, script, arm_ctx, arm_state)
            result = self.walk_list(body, script, arm_ctx, arm_state, fatal)
            if result == "failed":
                del self.events[mark:]
                continue
            if result != "normal":
                flow = "may_stop"
            states.append(arm_state)
        if not states and exhaustive:
            return "failed"
        _merge_into(state, states, exhaustive=exhaustive and len(states) == len(arms))
        return flow

    def walk_condition(self, condition: CommandList, script: _Text, ctx: _Ctx, state: _State) -> None:
        """An if/while condition: its failure is a branch, never a failed RUN (errexit ignores it)."""
        errexit = state.errexit
        state.errexit = False
        self.walk_list(condition, script, ctx, state, False)
        state.errexit = errexit

    def walk_case(self, command: Case, script: _Text, ctx: _Ctx, state: _State, fatal: bool) -> str:
        subject = self.expand_joined(command.subject, script, ctx, state)
        if isinstance(subject, str):
            for patterns, body in command.arms:
                texts = [self.expand_joined(pattern, script, ctx, state) for pattern in patterns]
                if any(not isinstance(text, str) for text in texts):
                    break
                if any(fnmatchcase(subject, text) for text in texts if isinstance(text, str)):
                    return self.walk_list(body, script, ctx, state, fatal)
            else:
                return "normal"
        arms: list[tuple[CommandList | None, CommandList]] = [(None, body) for _patterns, body in command.arms]
        return self.walk_arms(arms, script, ctx, state, fatal, exhaustive=False)

    def walk_loop(self, command: Loop, script: _Text, ctx: _Ctx, state: _State, fatal: bool) -> str:
        values = self._literal_items(command, script, ctx, state)
        if command.variable and values is not None and len(values) <= _MAX_UNROLL and self.commands_left > 0:
            # `for pkg in curl wget; do ...` over literal words: every iteration happens.
            for value in values:
                state.variables[command.variable] = value
                self.walk_list(command.body, script, ctx, state, False)
            return "normal"
        arm_ctx = self.arm(ctx)
        arm_state = state.copy()
        if command.variable:
            arm_state.variables[command.variable] = None
        if command.condition is not None:
            self.walk_condition(command.condition, script, arm_ctx, arm_state)
        self.walk_list(command.body, script, arm_ctx, arm_state, False)
        _merge_into(state, [arm_state], exhaustive=False)
        return "normal"

    def _literal_items(self, command: Loop, script: _Text, ctx: _Ctx, state: _State) -> list[str] | None:
        if command.kind != "for" or command.items is None:
            return None
        values: list[str] = []
        for item in command.items:
            for expanded in self.expand(item, script, ctx, state):
                if expanded.text is None:
                    return None
                values.append(expanded.text)
        return values

    def _decide(self, condition: CommandList, script: _Text, state: _State) -> bool | None:
        """A condition made of one test of known strings (`[ -n "x" ]`, `[ "$a" = b ]`), else None."""
        if len(condition.items) != 1:
            return None
        and_or = condition.items[0][0]
        if len(and_or.pipelines) != 1 or len(and_or.pipelines[0].commands) != 1:
            return None
        pipeline = and_or.pipelines[0]
        command = pipeline.commands[0]
        if not isinstance(command, Simple) or not command.words:
            return None
        ctx = _Ctx((), _MAX_DEPTH)
        texts: list[str] = []
        for word in command.words:
            joined = self.expand_joined(word, script, ctx, state)
            if not isinstance(joined, str):
                return None
            texts.append(joined)
        result = _evaluate_test(texts)
        if result is None:
            return None
        return result != pipeline.negated

    # --- simple commands

    def walk_simple(
        self,
        command: Simple,
        script: _Text,
        ctx: _Ctx,
        state: _State,
        fatal: bool,
        stdin: list[Command] | None,
    ) -> str:
        self.commands_left -= 1
        fields: list[_Field] = []
        for word in command.words:
            fields.extend(self.expand(word, script, ctx, state))
        if not fields:
            for assignment in command.assigns:
                name, _, raw_value = assignment.raw.partition("=")
                name = name.rstrip("+")
                value_word = RawWord(raw_value, assignment.start + len(assignment.raw) - len(raw_value), assignment.end)
                try:
                    state.variables[name] = self.expand_value(value_word, script, ctx, state)
                except ShellSyntaxError:
                    # A subscript holding a quote (`a[']=x']`): split at its `=`, the value is not
                    # one word. No `$name` can read such a name, so an unknown value loses nothing.
                    state.variables[name] = None
            return "normal"
        return self.run_command(fields, ctx, state, fatal, stdin, command.redirects, script)

    def run_command(
        self,
        fields: list[_Field],
        ctx: _Ctx,
        state: _State,
        fatal: bool,
        stdin: list[Command] | None,
        redirects: Sequence[Redirect],
        script: _Text | None = None,
    ) -> str:
        start = unwrapped_command_start([field.text for field in fields])
        fields = fields[start:] if start is not None else []
        if not fields or fields[0].text is None:
            return "normal"
        program = fields[0].text
        name = posixpath.basename(program)
        args = fields[1:]
        span = (fields[0].span[0], fields[-1].span[1])
        if program in self.functions:
            if ctx.depth >= _MAX_DEPTH:
                return "normal"
            body, defined_in = self.functions[program]
            return self.walk_command(body, defined_in, _Ctx(ctx.conditions, ctx.depth + 1), state, fatal, stdin)
        if name in _BUILTINS:
            return self.run_builtin(name, args, ctx, state, fatal, span)
        if "/" not in program or program.startswith("/"):
            self.events.append(
                ProgramUse(name, program if program.startswith("/") else None, fatal, ctx.conditions, *span)
            )
        handler = _HANDLERS.get(name)
        if handler is not None:
            handler(self, _Call(name, args, ctx, state, span, stdin, tuple(redirects), script))
        return "normal"

    def run_builtin(
        self, name: str, args: list[_Field], ctx: _Ctx, state: _State, fatal: bool, span: tuple[int, int]
    ) -> str:
        texts = [arg.text for arg in args]
        if name == "set":
            _apply_shell_options([text for text in texts if text is not None], state)
        elif name in ("export", "readonly", "local", "declare", "typeset"):
            for arg in args:
                if arg.text is None or arg.text.startswith("-"):
                    continue
                variable, equals, value = arg.text.partition("=")
                if equals:
                    state.variables[variable] = arg.marker or value
                state.exported.add(variable)
        elif name == "unset":
            for text in texts:
                if text and not text.startswith("-"):
                    state.variables[text] = ""
        elif name == "exit":
            # A non-zero exit fails the RUN: no image comes out of that path.
            status = texts[0] if texts else "0"
            return "failed" if status is not None and status.isdigit() and int(status) != 0 else "stopped"
        elif name in ("eval", ".", "source"):
            self.events.append(OpaqueStep(f"{name} runs code this analysis cannot read", ctx.conditions, *span))
        elif name == "exec" and args:
            self.run_command(args, ctx, state, fatal, None, ())
            return "stopped"
        elif name == "command" and args and args[0].text not in ("-v", "-V"):
            start = 1 if args[0].text == "-p" else 0
            return self.run_command(args[start:], ctx, state, fatal, None, ())
        return "normal"

    # --- expansion

    def expand(self, word: RawWord, script: _Text, ctx: _Ctx, state: _State) -> list[_Field]:
        """The fields a word expands to (field splitting on unquoted expansions)."""
        span = script.span(word.start, word.end)
        self.expanding = span
        pieces = self._pieces(word.raw, script, ctx, state, quoted=False)
        markers = [piece for piece, _ in pieces if not isinstance(piece, str | _Unknown)]
        if markers:
            others = [piece for piece, _ in pieces if isinstance(piece, str) and piece]
            if len(markers) == 1 and not others and not any(isinstance(p, _Unknown) for p, _ in pieces):
                return [_Field(None, markers[0], span, raw=word.raw)]  # type: ignore[arg-type]
            return [_Field(None, None, span, raw=word.raw)]
        fields: list[list[str | _Unknown]] = []
        current: list[str | _Unknown] = []
        has_content = False
        for piece, splittable in pieces:
            if isinstance(piece, _Unknown) or not splittable:
                current.append(piece)
                has_content = True
            else:
                for index, part in enumerate(re.split(r"[ \t\n]+", piece)):
                    if index and has_content:
                        fields.append(current)
                        current, has_content = [], False
                    if part:
                        current.append(part)
                        has_content = True
        if has_content:
            fields.append(current)
        result = []
        for parts in fields:
            if any(isinstance(part, _Unknown) for part in parts):
                result.append(_Field(None, None, span, raw=word.raw))
            else:
                result.append(_Field("".join(parts), None, span))  # type: ignore[arg-type]
        return result

    def expand_joined(self, word: RawWord, script: _Text, ctx: _Ctx, state: _State) -> str | None:
        """A word expanded without field splitting (case subjects and patterns, test operands)."""
        pieces = self._pieces(word.raw, script, ctx, state, quoted=False)
        if any(not isinstance(piece, str) for piece, _ in pieces):
            return None
        return "".join(piece for piece, _ in pieces)  # type: ignore[misc]

    def expand_value(self, word: RawWord, script: _Text, ctx: _Ctx, state: _State) -> object:
        """An assignment's value: no field splitting; a lone marker stays a marker."""
        self.expanding = script.span(word.start, word.end)
        pieces = self._pieces(word.raw, script, ctx, state, quoted=False)
        markers = [piece for piece, _ in pieces if not isinstance(piece, str | _Unknown)]
        if len(markers) == 1 and all(isinstance(p, str) and not p for p, _ in pieces if p is not markers[0]):
            return markers[0]
        if any(not isinstance(piece, str) for piece, _ in pieces):
            return None
        return "".join(piece for piece, _ in pieces)  # type: ignore[misc]

    def _pieces(
        self, raw: str, script: _Text, ctx: _Ctx, state: _State, quoted: bool
    ) -> list[tuple[object, bool]]:
        """(value, splittable) pieces of a word: literal text, quoted text, expansions."""
        pieces: list[tuple[object, bool]] = []
        position = 0
        while position < len(raw):
            char = raw[position]
            if char == "\\" and not quoted:
                if raw.startswith("\n", position + 1):
                    position += 2
                    continue
                pieces.append((raw[position + 1 : position + 2], False))
                position += 2
            elif char == "\\" and quoted:
                following = raw[position + 1 : position + 2]
                if following == "\n":
                    position += 2
                    continue
                pieces.append((following if following in '$`"\\' else "\\" + following, False))
                position += 2
            elif char == "'" and not quoted:
                end = skip_single_quote(raw, position + 1)
                pieces.append((raw[position + 1 : end - 1], False))
                position = end
            elif char == '"' and not quoted:
                end = skip_double_quote(raw, position + 1)
                inner = self._pieces(raw[position + 1 : end - 1], script, ctx, state, quoted=True)
                if not inner:
                    pieces.append(("", False))
                pieces.extend((value, False) for value, _ in inner)
                position = end
            elif char == "$" and raw.startswith("'", position + 1) and not quoted:
                end = position + 2
                text = []
                while end < len(raw) and raw[end] != "'":
                    if raw[end] == "\\" and end + 1 < len(raw):
                        text.append({"n": "\n", "t": "\t"}.get(raw[end + 1], raw[end + 1]))
                        end += 2
                    else:
                        text.append(raw[end])
                        end += 1
                pieces.append(("".join(text), False))
                position = end + 1
            elif char == "$":
                value, position = self._dollar(raw, position, script, ctx, state)
                pieces.append((value, not quoted))
            elif char == "`":
                end = skip_backquote(raw, position + 1)
                pieces.append((self._substitute(raw[position + 1 : end - 1], script, ctx, state), not quoted))
                position = end
            else:
                pieces.append((char, False))
                position += 1
        return pieces

    def _dollar(
        self, raw: str, position: int, script: _Text, ctx: _Ctx, state: _State
    ) -> tuple[object, int]:
        following = raw[position + 1 : position + 2]
        if following == "(":
            end = skip_parens(raw, position + 2)
            if raw.startswith("((", position + 1):
                return _UNKNOWN, end
            return self._substitute(raw[position + 2 : end - 1], script, ctx, state), end
        if following == "{":
            end = skip_braces(raw, position + 2)
            return self._parameter(raw[position + 2 : end - 1], script, ctx, state), end
        name = re.match(r"[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-]", raw[position + 1 :])
        if name is None:
            return "$", position + 1
        return self._lookup(name.group(), state), position + 1 + name.end()

    def _lookup(self, name: str, state: _State) -> object:
        if name not in state.variables:
            return _UNKNOWN  # unset here, but the base image's ENV may set it
        value = state.variables[name]
        return _UNKNOWN if value is None else value

    def _parameter(self, body: str, script: _Text, ctx: _Ctx, state: _State) -> object:
        match = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(:?[-+=?])?", body)
        if match is None:
            return _UNKNOWN
        name, operator = match.group(1), match.group(2)
        if operator is None:
            return self._lookup(name, state) if match.end() == len(body) else _UNKNOWN
        value = self._lookup(name, state)
        if isinstance(value, _Unknown) or not isinstance(value, str):
            return _UNKNOWN
        word_pieces = self._pieces(body[match.end() :], script, ctx, state, quoted=True)
        if any(not isinstance(piece, str) for piece, _ in word_pieces):
            word: object = _UNKNOWN
        else:
            word = "".join(piece for piece, _ in word_pieces)  # type: ignore[misc]
        empty = value == ""
        if operator in (":-", ":="):
            return word if empty else value
        if operator == ":+":
            return "" if empty else word
        if operator == "+":
            return word
        if operator == ":?" and empty:
            return _UNKNOWN
        return value

    def _substitute(self, inner: str, script: _Text, ctx: _Ctx, state: _State) -> object:
        """The value of `$(...)`: a recognised marker, the literal output of echo, or unknown."""
        if ctx.depth >= _MAX_DEPTH:
            return _UNKNOWN
        try:
            tree = parse(inner)
        except ShellSyntaxError:
            return _UNKNOWN
        commands = list(simple_commands(tree))
        names = [_command_name(command) for command in commands]
        if names == ["apt-mark"] and [w.raw for w in commands[0].words[1:]] == ["showmanual"]:
            save = next(self.saves)
            span = self.expanding or script.fallback
            self.events.append(PackageOp("apt-mark", "save_manual", (), (), None, ctx.conditions, saves=save, start=span[0], end=span[1]))
            return _SavedManual(save)
        if _derives_libraries(commands):
            return _LibraryList()
        inner_text = _Text(inner, None, script.fallback)
        return self._echo_output(tree, inner_text, ctx, state)

    def _echo_output(self, tree: CommandList, script: _Text, ctx: _Ctx, state: _State) -> object:
        """`$(echo a b)` is "a b"; `$([ test ] && echo a)` may print `a` or nothing."""
        optional = False
        words: list[str] = []
        for and_or, _ in tree.items:
            for index, pipeline in enumerate(and_or.pipelines):
                if len(pipeline.commands) != 1 or not isinstance(pipeline.commands[0], Simple):
                    return _UNKNOWN
                command = pipeline.commands[0]
                name = _command_name(command)
                if name in _PREDICATES:
                    optional = True
                    continue
                if name != "echo" or index != len(and_or.pipelines) - 1:
                    return _UNKNOWN
                for word in command.words[1:]:
                    fields = self.expand(word, script, _Ctx(ctx.conditions, ctx.depth + 1), state)
                    if any(item.text is None for item in fields):
                        return _UNKNOWN
                    words.extend(item.text for item in fields if item.text is not None)
        if optional:
            return _Optional(tuple(words))
        return " ".join(words)

    # --- events

    def emit_packages(
        self,
        manager: str,
        action: str,
        args: Sequence[_Field],
        ctx: _Ctx,
        span: tuple[int, int],
        virtual: str | None = None,
        name_of: Callable[[str], str | None] | None = None,
        verb: str = "",
    ) -> None:
        """One operation for the certain arguments, another (in its own arm) for optional ones."""
        packages: list[str] = []
        words: list[Word] = []
        unresolved: list[Word] = []
        library_arguments = 0
        optional: list[tuple[str, Word]] = []
        restores = None
        for arg in args:
            if isinstance(arg.marker, _LibraryList):
                library_arguments += 1
                unresolved.append(arg.word())
            elif isinstance(arg.marker, _SavedManual):
                restores = arg.marker.save
            elif isinstance(arg.marker, _ManualList):
                action = "mark_auto_all" if action == "mark_auto" else action
            elif isinstance(arg.marker, _Optional):
                optional.extend((word, arg.word()) for word in arg.marker.words)
            elif arg.text is None:
                unresolved.append(arg.word())
            else:
                name = name_of(arg.text) if name_of else arg.text
                if name is None:
                    unresolved.append(arg.word())
                else:
                    packages.append(name)
                    words.append(Word(arg.text, *arg.span))
        if restores is not None and action == "mark_manual":
            self.events.append(
                PackageOp(
                    manager, "restore_manual", (), (), None, ctx.conditions, restores=restores,
                    start=span[0], end=span[1], verb=verb,
                )
            )
        libraries_only = bool(unresolved) and library_arguments == len(unresolved)
        if packages or unresolved or action in ("purge_auto", "mark_auto_all") or (virtual and action == "install"):
            self.events.append(
                PackageOp(
                    manager, action, tuple(packages), tuple(words), virtual, ctx.conditions,
                    tuple(unresolved), libraries_only, start=span[0], end=span[1], verb=verb,
                )
            )  # fmt: skip
        if optional:
            arm = self.arm(ctx)
            names = [(name_of(word) if name_of else word, origin) for word, origin in optional]
            known = [(name, origin) for name, origin in names if name is not None]
            self.events.append(
                PackageOp(
                    manager, action, tuple(name for name, _ in known), tuple(origin for _, origin in known),
                    virtual, arm.conditions, start=span[0], end=span[1], verb=verb,
                )
            )  # fmt: skip

    def emit_path(self, kind: str, path: str, target: str | None, ctx: _Ctx, span: tuple[int, int]) -> None:
        self.events.append(PathChange(kind, path, target, ctx.conditions, *span))

    def emit_opaque(self, description: str, ctx: _Ctx, span: tuple[int, int]) -> None:
        self.events.append(OpaqueStep(description, ctx.conditions, *span))


def _merge_into(state: _State, branches: list[_State], exhaustive: bool) -> None:
    """After conditional arms: a variable keeps its value only if every path agrees on it."""
    candidates = branches if exhaustive else [state, *branches]
    if not candidates:
        return
    missing = object()
    names = set(state.variables)
    for branch in branches:
        names |= set(branch.variables)
    merged: dict[str, object] = {}
    for name in names:
        values = [branch.variables.get(name, missing) for branch in candidates]
        first = values[0]
        if all(value == first for value in values) and first is not missing:
            merged[name] = first
        elif any(value is not missing for value in values):
            merged[name] = None
    state.variables = merged
    for branch in branches:
        state.exported |= branch.exported


def _command_name(command: Simple) -> str:
    return posixpath.basename(_unquoted(command.words[0])) if command.words else ""


def _unquoted(word: RawWord) -> str:
    """The word after quote removal (`\\grep`, `'grep'` and `g"rep"` are `grep`); as written when a
    backslash ends the script, which quote removal refuses."""
    try:
        return word.unquoted
    except ShellSyntaxError:
        return word.raw


def _derives_libraries(commands: Sequence[Simple]) -> bool:
    """Whether a pipeline computes package names from shared libraries: scanelf --needed,
    ldd (directly or via find -exec) with dpkg-query --search / dpkg -S, or `so:` names."""
    for command in commands:
        raws = [_unquoted(word) for word in command.words]
        name = posixpath.basename(raws[0]) if raws else ""
        if name == "xargs":
            raws = [raw for raw in raws[1:] if not raw.startswith("-")]
            name = posixpath.basename(raws[0]) if raws else ""
        if name in ("scanelf", "ldd") or "ldd" in raws:
            return True
        if name in ("dpkg-query", "dpkg") and any(raw in ("-S", "--search") for raw in raws):
            return True
        if any("so:" in word.raw for word in command.words):
            return True
    return False


def _is_predicate(pipeline: Pipeline) -> bool:
    """A pipeline run for its exit status (a test), after which `&&` makes the rest conditional."""
    if pipeline.negated:
        return True
    last = pipeline.commands[-1]
    if not isinstance(last, Simple) or not last.words:
        return False
    name = _command_name(last)
    raws = [_unquoted(word) for word in last.words[1:]]
    if name in _PREDICATES:
        return True
    if name == "command":
        return bool(raws) and raws[0] in ("-v", "-V")
    if name in ("dpkg", "dpkg-query"):
        return any(raw in ("-s", "--status", "-l", "-L", "--compare-versions", "-W") for raw in raws)
    if name == "apk":
        return "info" in raws or "-e" in raws
    if name == "rpm":
        return any(raw.startswith("-q") for raw in raws)
    return False


def _always_fails(pipeline: Pipeline) -> bool:
    """`exit 1`, `false`, `return 1` or a group ending in one: a failure that fails the RUN."""
    if pipeline.negated or len(pipeline.commands) != 1:
        return False
    command = pipeline.commands[0]
    if isinstance(command, Group) and command.body.items:
        last = command.body.items[-1][0]
        return len(last.pipelines) == 1 and not last.operators and _always_fails(last.pipelines[0])
    if not isinstance(command, Simple) or not command.words:
        return False
    raws = [_unquoted(word) for word in command.words]
    if raws[0] == "false":
        return True
    if raws[0] in ("exit", "return"):
        return len(raws) == 1 or raws[1] != "0"
    return False


def _guard_covers(test: Pipeline, guarded: Pipeline, operator: str) -> bool:
    """`[ -z "$V" ] || cmd $V` and `[ -n "$V" ] && cmd $V` where cmd is a package command:
    with V empty the command would do nothing, so the guard changes nothing."""
    if len(test.commands) != 1 or len(guarded.commands) != 1 or test.negated:
        return False
    check, command = test.commands[0], guarded.commands[0]
    if not isinstance(check, Simple) or not isinstance(command, Simple) or not command.words:
        return False
    raw = [word.raw for word in check.words]
    if raw[:1] == ["["] and raw[-1:] == ["]"]:
        raw = raw[1:-1]
    elif raw[:1] == ["test"]:
        raw = raw[1:]
    else:
        return False
    if len(raw) != 2 or raw[0] != operator:
        return False
    variable = re.fullmatch(r'"?\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?"?', raw[1])
    if variable is None:
        return False
    name = _command_name(command)
    if name not in ("apt-mark", "apt-get", "apt", "apk", "dnf", "yum", "microdnf"):
        return False
    referenced = {
        match.group(1)
        for word in command.words
        for match in re.finditer(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", word.raw)
    }
    return referenced == {variable.group(1)}


def _evaluate_test(texts: list[str]) -> bool | None:
    if texts[:1] == ["["] and texts[-1:] == ["]"]:
        operands = texts[1:-1]
    elif texts[:1] == ["test"]:
        operands = texts[1:]
    else:
        return None
    if len(operands) == 2 and operands[0] in ("-n", "-z"):
        return (operands[1] != "") == (operands[0] == "-n")
    if len(operands) == 3 and operands[1] in ("=", "==", "!="):
        return (operands[0] == operands[2]) == (operands[1] != "!=")
    if len(operands) == 1:
        return operands[0] != ""
    return None


def unwrapped_command_start(words: Sequence[str | None]) -> int | None:
    """Where the command that wrappers run begins among a command's words (`sudo`, `env X=1`,
    `nice -n 5`, `timeout -s KILL 60`, nested): 0 without a wrapper, len(words) when they run
    nothing, None when a word of unknown value (None) stands among a wrapper's options."""
    start = 0
    for _ in range(4):
        program = words[start] if start < len(words) else None
        name = posixpath.basename(program) if program is not None else ""
        if name not in _WRAPPERS:
            return start
        takes_value = _WRAPPERS[name]
        start += 1
        while start < len(words):
            text = words[start]
            if text is None:
                return None
            if name == "env" and "=" in text and not text.startswith("-"):
                start += 1
            elif text.startswith("-") and text != "-":
                start += 2 if text in takes_value else 1
            else:
                break
        if name == "timeout":
            start += 1  # the duration
    return min(start, len(words))


# ----------------------------------------------------------------------------- command handlers


@dataclass(frozen=True, slots=True)
class _Call:
    """A command about to run, as its handler sees it."""

    name: str  # basename of the program
    args: list[_Field]
    ctx: _Ctx
    state: _State
    span: tuple[int, int]
    stdin: list[Command] | None  # the commands piped into it
    redirects: tuple[Redirect, ...]
    script: _Text | None


def _options(
    args: Sequence[_Field], takes_value: frozenset[str]
) -> tuple[list[_Field], dict[str, list[str | None]]]:
    """Split arguments into operands and options (`--name=value`, `--name value`, `-abc`)."""
    operands: list[_Field] = []
    options: dict[str, list[str | None]] = {}
    index = 0
    only_operands = False
    while index < len(args):
        arg = args[index]
        text = arg.text
        if only_operands or text is None or arg.marker is not None or not text.startswith("-") or text == "-":
            operands.append(arg)
            index += 1
            continue
        if text == "--":
            only_operands = True
            index += 1
            continue
        name, equals, value = text.partition("=")
        if equals:
            options.setdefault(name, []).append(value)
        elif name in takes_value:
            following = args[index + 1] if index + 1 < len(args) else None
            options.setdefault(name, []).append(following.text if following else None)
            index += 1
        elif not name.startswith("--") and len(name) > 2:
            # A cluster of short options; the last may take the next word as its value.
            for letter in name[1:-1]:
                options.setdefault("-" + letter, []).append(None)
            last = "-" + name[-1]
            if last in takes_value:
                following = args[index + 1] if index + 1 < len(args) else None
                options.setdefault(last, []).append(following.text if following else None)
                index += 1
            else:
                options.setdefault(last, []).append(None)
        else:
            options.setdefault(name, []).append(None)
        index += 1
    return operands, options


_APK_VALUES = frozenset(
    {"-p", "--root", "-X", "--repository", "--progress-fd", "--wait", "--keys-dir", "--repositories-file",
     "--cache-dir", "--arch", "--cache-max-age", "--timeout", "--from", "-t", "--virtual"}
)  # fmt: skip


def _apk_name(spec: str) -> str | None:
    if "/" in spec or spec.endswith(".apk"):
        return None  # a local package file: what it contains is not known here
    if spec.startswith("!"):
        return None
    name = APK_CONSTRAINT.sub("", spec)
    return name or None


def _handle_apk(walker: _Walker, call: _Call) -> None:
    args, ctx, span = call.args, call.ctx, call.span
    operands, options = _options(args, _APK_VALUES)
    if not operands or operands[0].text is None:
        return
    applet = operands[0].text
    packages = operands[1:]
    if "-s" in options or "--simulate" in options:
        return
    if applet == "add":
        virtual_values = options.get("-t", []) + options.get("--virtual", [])
        virtual = virtual_values[-1] if virtual_values else None
        walker.emit_packages("apk", "install", packages, ctx, span, virtual, _apk_name, applet)
    elif applet in ("del", "delete"):
        walker.emit_packages("apk", "remove", packages, ctx, span, None, _apk_name, applet)


_APT_VALUES = frozenset(
    {"-o", "--option", "-c", "--config-file", "-t", "--target-release", "--default-release", "-a",
     "--host-architecture", "-P", "--build-profiles"}
)  # fmt: skip
_APT_SIMULATE = frozenset(
    {"-s", "--simulate", "--dry-run", "--just-print", "--recon", "--no-act", "-d", "--download-only", "--print-uris"}
)
_APT_NAME = re.compile(r"[a-z0-9][a-z0-9+.\-]*")


def _apt_name(spec: str) -> str | None:
    if "/" in spec and not re.fullmatch(r"[a-z0-9][a-z0-9+.\-]*/[A-Za-z0-9.\-]+", spec):
        return None  # ./package.deb or a path
    name = re.split(r"[=/]", spec, maxsplit=1)[0]
    name = re.sub(r":[a-z0-9\-]+$", "", name)
    return name if _APT_NAME.fullmatch(name) else None


def _handle_apt(walker: _Walker, call: _Call) -> None:
    name, args, ctx, span = call.name, call.args, call.ctx, call.span
    operands, options = _options(args, _APT_VALUES)
    if not operands or operands[0].text is None or _APT_SIMULATE & options.keys():
        return
    command = operands[0].text
    packages = operands[1:]
    auto_remove = bool({"--auto-remove", "--autoremove"} & options.keys()) or any(
        value is not None and value.lower().replace(" ", "") in ("apt::get::automaticremove=true", "apt::get::automaticremove=1")
        for value in options.get("-o", []) + options.get("--option", [])
    )
    if command in ("install", "reinstall"):
        installs = [arg for arg in packages if not (arg.text or "").endswith("-")]
        removals = [_Field(arg.text[:-1], None, arg.span) for arg in packages if arg.text and arg.text.endswith("-")]
        walker.emit_packages(name, "install", installs, ctx, span, None, _apt_name, command)
        if removals:
            walker.emit_packages(name, "remove", removals, ctx, span, None, _apt_name, command)
    elif command in ("remove", "purge"):
        walker.emit_packages(name, "remove", packages, ctx, span, None, _apt_name, command)
        if auto_remove:
            walker.emit_packages(name, "purge_auto", [], ctx, span, verb=command)
    elif command in ("autoremove", "autopurge"):
        walker.emit_packages(name, "purge_auto", [], ctx, span, verb=command)
    elif command in ("build-dep", "satisfy"):
        # Installs dependencies this analysis cannot list.
        walker.emit_packages(name, "install", [_Field(None, None, span, raw=f"({command} dependencies)")], ctx, span, verb=command)


def _handle_apt_mark(walker: _Walker, call: _Call) -> None:
    args, ctx, span = call.args, call.ctx, call.span
    operands, _ = _options(args, frozenset({"-f", "--file", "-o", "--option", "-c", "--config-file"}))
    if not operands or operands[0].text is None:
        return
    command = operands[0].text
    packages = operands[1:]
    if command in ("auto", "markauto"):
        if any(arg.text in (".*", "^.*", ".*$", "^.*$", ".+") for arg in packages):
            walker.emit_packages("apt-mark", "mark_auto_all", [], ctx, span, verb=command)
            return
        walker.emit_packages("apt-mark", "mark_auto", packages, ctx, span, None, _apt_mark_name, command)
    elif command in ("manual", "unmarkauto"):
        walker.emit_packages("apt-mark", "mark_manual", packages, ctx, span, None, _apt_mark_name, command)
    elif command == "minimize-manual":
        walker.emit_packages("apt-mark", "mark_auto", [_Field(None, None, span, raw="(minimize-manual)")], ctx, span)


def _apt_mark_name(spec: str) -> str | None:
    if re.search(r"[*?\[\]^$+|()]", spec):
        return None  # a pattern: which packages it matches is not known here
    return _apt_name(spec)


_DNF_VALUES = frozenset(
    {"-c", "--config", "--installroot", "--releasever", "--enablerepo", "--disablerepo", "--repo", "--repoid",
     "-x", "--exclude", "--setopt", "-d", "--debuglevel", "-e", "--errorlevel", "--rpmverbosity", "--forcearch",
     "--destdir", "--downloaddir", "--comment", "--color", "--advisory", "--bz", "--cve", "--sec-severity"}
)  # fmt: skip


def _dnf_name(spec: str) -> str | None:
    if spec.startswith("/"):
        return spec  # a file it provides (dnf install /usr/bin/curl); image_contents reads the path
    if spec.startswith("@") or "/" in spec or spec.endswith(".rpm") or re.search(r"[*?\[\]]", spec):
        return None
    name = re.split(r"\s*[<>=]", spec, maxsplit=1)[0]
    name = RPM_ARCH.sub("", name)
    return name or None


def _handle_dnf(walker: _Walker, call: _Call) -> None:
    name, args, ctx, span = call.name, call.args, call.ctx, call.span
    operands, options = _options(args, _DNF_VALUES)
    if not operands or operands[0].text is None:
        return
    if {"--assumeno", "--downloadonly"} & options.keys():
        return
    command = operands[0].text
    packages = operands[1:]
    if command in ("group", "groups", "module") and len(packages) >= 1:
        if packages[0].text == "install":
            walker.emit_packages(name, "install", [_Field(None, None, span, raw=f"({command} install)")], ctx, span)
        return
    if command in ("install", "in", "reinstall", "localinstall"):
        walker.emit_packages(name, "install", packages, ctx, span, None, _dnf_name, command)
    elif command == "groupinstall":
        walker.emit_packages(name, "install", [_Field(None, None, span, raw="(groupinstall)")], ctx, span)
    elif command in ("remove", "erase", "rm"):
        walker.emit_packages(name, "remove", packages, ctx, span, None, _dnf_name, command)


def _handle_dpkg(walker: _Walker, call: _Call) -> None:
    args, ctx, span = call.args, call.ctx, call.span
    operands, options = _options(args, frozenset({"--root", "--admindir", "--instdir"}))
    if {"-i", "--install", "--unpack"} & options.keys():
        walker.emit_opaque("dpkg installs a package file", ctx, span)
    elif {"-r", "--remove", "-P", "--purge"} & options.keys():
        walker.emit_packages("dpkg", "remove", operands, ctx, span, None, _apt_name)


def _handle_rpm(walker: _Walker, call: _Call) -> None:
    args, ctx, span = call.args, call.ctx, call.span
    operands, options = _options(args, frozenset({"--root", "--dbpath", "--define", "-D"}))
    flags = "".join(key.lstrip("-") for key in options if not key.startswith("--"))
    if "i" in flags or "U" in flags or "F" in flags or {"--install", "--upgrade", "--freshen"} & options.keys():
        walker.emit_opaque("rpm installs a package file", ctx, span)
    elif "e" in flags or "--erase" in options:
        walker.emit_packages("rpm", "remove", operands, ctx, span, None, _dnf_name)


def _handle_make(walker: _Walker, call: _Call) -> None:
    name, args, ctx, span = call.name, call.args, call.ctx, call.span
    targets = [arg.text for arg in args if arg.text is not None and not arg.text.startswith("-")]
    if name == "cmake":
        if any(arg.text == "--install" for arg in args):
            walker.emit_opaque("cmake --install", ctx, span)
        return
    if any(target == "install" or target.startswith(("install-", "install_")) for target in targets):
        walker.emit_opaque(f"{name} install", ctx, span)


def _handle_extract(walker: _Walker, call: _Call) -> None:
    name, args, ctx, span = call.name, call.args, call.ctx, call.span
    texts = [arg.text or "" for arg in args]
    if name in ("unzip", "7z", "7za"):
        walker.emit_opaque(f"{name} extracts an archive", ctx, span)
        return
    first = texts[0] if texts else ""
    extracts = (
        any(text in ("-x", "--extract", "--get") for text in texts)
        or any(re.fullmatch(r"-[A-Za-z]*x[A-Za-z]*", text) for text in texts)
        or (first and not first.startswith("-") and "x" in first and re.fullmatch(r"[A-Za-z]+", first))
    )
    if extracts:
        walker.emit_opaque(f"{name} extracts an archive", ctx, span)


def _handle_copy_command(walker: _Walker, call: _Call) -> None:
    name, args, ctx, span = call.name, call.args, call.ctx, call.span
    takes = {"install": frozenset({"-m", "--mode", "-o", "--owner", "-g", "--group", "-t", "--target-directory", "-S", "--suffix"}),
             "ln": frozenset({"-t", "--target-directory", "-S", "--suffix"})}.get(name, frozenset({"-t", "--target-directory", "-S", "--suffix"}))  # fmt: skip
    operands, options = _options(args, takes)
    if name == "install" and ("-d" in options or "--directory" in options):
        return
    target_dir = (options.get("-t") or options.get("--target-directory") or [None])[-1]
    no_target_dir = "-T" in options or "--no-target-directory" in options
    if target_dir is not None:
        destination, sources, into_directory = target_dir, operands, True
    elif len(operands) >= 2:
        destination, sources = operands[-1].text, operands[:-1]
        into_directory = not no_target_dir and (
            len(sources) > 1 or (destination or "").endswith("/") or (destination or "").rstrip("/") in PATH_DIRECTORIES
        )
    elif name == "ln" and len(operands) == 1:
        destination, sources, into_directory = ".", operands, True
    else:
        return
    kind = "link" if name == "ln" and ("-s" in options or "--symbolic" in options) else "write"
    for source in sources:
        if destination is None or source.text is None:
            walker.emit_opaque(f"{name} writes a file whose name is not known", ctx, span)
            continue
        path = posixpath.join(destination, posixpath.basename(source.text.rstrip("/"))) if into_directory else destination
        walker.emit_path(kind, posixpath.normpath(path), source.text if kind == "link" else None, ctx, source.span)


def _handle_rm(walker: _Walker, call: _Call) -> None:
    operands, _ = _options(call.args, frozenset())
    for operand in operands:
        if operand.text is not None:
            walker.emit_path("remove", operand.text, None, call.ctx, operand.span)


def _handle_download(walker: _Walker, call: _Call) -> None:
    name, args, ctx, span = call.name, call.args, call.ctx, call.span
    values = frozenset({"-o", "--output"}) if name == "curl" else frozenset({"-O", "--output-document"})
    if name == "curl":
        values |= {"-H", "--header", "-u", "--user", "-d", "--data", "-X", "--request", "-A", "--user-agent",
                   "-e", "--referer", "--retry", "-m", "--max-time", "--connect-timeout", "-w", "--write-out",
                   "--cacert", "--proto", "-x", "--proxy", "-T", "--upload-file", "-r", "--range", "-b", "--cookie"}  # fmt: skip
    _, options = _options(args, frozenset(values))
    keys = ("-o", "--output") if name == "curl" else ("-O", "--output-document")
    for key in keys:
        for value in options.get(key, []):
            if value and value != "-":
                walker.emit_path("write", value, None, ctx, span)


def _handle_shell(walker: _Walker, call: _Call) -> None:
    name, args, ctx, span = call.name, call.args, call.ctx, call.span
    state, stdin, redirects, script = call.state, call.stdin, call.redirects, call.script
    if name == "busybox":
        if not args or args[0].text not in ("sh", "ash"):
            return
        args = args[1:]
    index = 0
    command_string = False
    options: list[str] = []
    while index < len(args) and args[index].text and args[index].text.startswith(("-", "+")) and args[index].text != "-":
        text = args[index].text
        if text in ("-o", "+o") and index + 1 < len(args):
            options += [text, args[index + 1].text or ""]
            index += 2
            continue
        if text == "--":
            index += 1
            break
        if not text.startswith("--") and "c" in text:
            command_string = True
        options.append(text)
        index += 1
    child = _State(
        {key: value for key, value in state.variables.items() if key in state.exported}, set(state.exported)
    )
    _apply_shell_options(options, child)
    inner_ctx = _Ctx(ctx.conditions, ctx.depth + 1)
    if command_string:
        if index >= len(args) or args[index].text is None:
            walker.emit_opaque(f"{name} -c runs a command this analysis cannot read", ctx, span)
            return
        walker.walk_nested(_nested_text(args[index], walker.source), inner_ctx, child, name, span)
        return
    if index < len(args):
        walker.emit_opaque(f"{name} runs a script file", ctx, span)
        return
    heredoc = next((r for r in redirects if r.operator in ("<<", "<<-") and r.heredoc_body), None)
    if heredoc is not None and script is not None:
        start, end = heredoc.heredoc_body  # type: ignore[misc]
        walker.walk_nested(script.sub(start, end), inner_ctx, child, name, span)
    elif stdin:
        walker.emit_opaque(f"a script piped to {name}", ctx, span)


def _nested_text(argument: _Field, source: str) -> _Text:
    """The text of a `sh -c` argument, mapped to the file when it was written as one literal."""
    text = argument.text or ""
    start, end = argument.span
    written = source[start:end]
    if written[:1] in ("'", '"') and written[-1:] == written[:1] and written[1:-1] == text:
        return _Text(text, list(range(start + 1, end - 1)), argument.span)
    if written == text:
        return _Text(text, list(range(start, end)), argument.span)
    return _Text(text, None, argument.span)


def _handle_xargs(walker: _Walker, call: _Call) -> None:
    args, ctx, state, span, stdin = call.args, call.ctx, call.state, call.span, call.stdin
    takes = frozenset({"-a", "--arg-file", "-d", "--delimiter", "-E", "-e", "-I", "-i", "-L", "-l", "-n",
                       "--max-args", "-P", "--max-procs", "-s", "--max-chars"})  # fmt: skip
    index = 0
    while index < len(args) and args[index].text and args[index].text.startswith("-"):
        index += 2 if args[index].text in takes else 1
    command = list(args[index:])
    if not command:
        return
    producers = [simple for command in stdin or [] for simple in commands_in(command)]
    if any(_command_name(p) == "apt-mark" and [w.raw for w in p.words[1:]] == ["showmanual"] for p in producers):
        marker: _Marker | None = _ManualList()
    elif _derives_libraries(producers):
        marker = _LibraryList()
    else:
        marker = None
    command.append(_Field(None, marker, span, raw="(standard input)"))
    walker.run_command(command, ctx, state, False, None, ())


_HANDLERS = {
    "apk": _handle_apk,
    "apt-get": _handle_apt,
    "apt": _handle_apt,
    "apt-mark": _handle_apt_mark,
    "dnf": _handle_dnf,
    "yum": _handle_dnf,
    "microdnf": _handle_dnf,
    "tdnf": _handle_dnf,
    "dpkg": _handle_dpkg,
    "rpm": _handle_rpm,
    "make": _handle_make,
    "gmake": _handle_make,
    "ninja": _handle_make,
    "cmake": _handle_make,
    "tar": _handle_extract,
    "bsdtar": _handle_extract,
    "unzip": _handle_extract,
    "7z": _handle_extract,
    "7za": _handle_extract,
    "cp": _handle_copy_command,
    "mv": _handle_copy_command,
    "install": _handle_copy_command,
    "ln": _handle_copy_command,
    "rm": _handle_rm,
    "curl": _handle_download,
    "wget": _handle_download,
    "xargs": _handle_xargs,
    **{shell: _handle_shell for shell in POSIX_SHELLS},
}
