"""The Dockerfile model: BuildKit's own parser for the structure, our spans for every word.

BuildKit's parser (PyPI `dockerfile`) decides what the instructions are, exactly as `docker build`
does: heredocs, the `# escape=` directive, continuations, JSON forms. It reports lines but not columns,
so each instruction's logical line is rebuilt here from the raw text with a map back to file offsets,
and every keyword, flag and argument is located in it. Parser directives and comments come from the
raw text (the parser drops them). Checks that BuildKit makes when it turns the parse tree into
instructions (unknown instruction, unknown flag, missing arguments) are reproduced as `problems`, so
that a file `docker build` would reject is reported as such.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import dockerfile as buildkit

from mcplint.models.shellexpand import expand_word
from mcplint.source import SourceFile

# Flags each instruction accepts (BuildKit dockerfile/instructions/parse.go); anything else is an error.
KNOWN_FLAGS: Mapping[str, frozenset[str]] = {
    "FROM": frozenset({"platform"}),
    "RUN": frozenset({"mount", "network", "security", "device"}),
    "COPY": frozenset({"from", "chown", "chmod", "link", "parents", "exclude"}),
    "ADD": frozenset({"chown", "chmod", "link", "checksum", "keep-git-dir", "exclude", "unpack"}),
    "HEALTHCHECK": frozenset({"interval", "timeout", "start-period", "start-interval", "retries"}),
}
INSTRUCTIONS = frozenset(
    {
        "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
        "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
    }
)  # fmt: skip
# ARGs every build defines without a declaration (Dockerfile reference, "Automatic platform ARGs").
AUTOMATIC_ARGS = frozenset(
    {
        "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT", "BUILDPLATFORM", "BUILDOS",
        "BUILDARCH", "BUILDVARIANT", "HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY",
        "ALL_PROXY", "http_proxy", "https_proxy", "ftp_proxy", "no_proxy", "all_proxy",
    }
)  # fmt: skip
_DIRECTIVE = re.compile(r"#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.*?)[ \t]*$")


@dataclass(frozen=True, slots=True)
class Word:
    """A word of an instruction: its value as BuildKit gives it and where it was written."""

    value: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Flag:
    name: str
    value: str | None  # None for a bare flag such as `--link`
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Heredoc:
    name: str
    content: str
    start: int  # span of the body lines (without the terminator line)
    end: int


@dataclass(frozen=True, slots=True)
class Comment:
    text: str  # without the leading '#', stripped
    start: int  # the '#'
    end: int
    line: int


@dataclass(frozen=True, slots=True)
class Directive:
    name: str  # lower-case: syntax, escape, check
    value: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Instruction:
    keyword: str  # upper-case
    keyword_word: Word  # as written (`from`, `From`, ...)
    flags: tuple[Flag, ...]
    args: tuple[Word, ...]
    json_form: bool
    heredocs: tuple[Heredoc, ...]
    start: int
    end: int
    start_line: int
    end_line: int
    logical: str  # the instruction as one line, continuations joined (BuildKit's "original")
    trigger: Instruction | None = None  # the instruction an ONBUILD wraps
    index: int = 0  # position among the file's instructions

    def flag(self, name: str) -> Flag | None:
        for item in self.flags:
            if item.name == name:
                return item
        return None

    @property
    def rest(self) -> Word | None:
        """Everything after keyword and flags, as one word (shell-form commands, FROM lines)."""
        if not self.args:
            return None
        return Word(" ".join(arg.value for arg in self.args), self.args[0].start, self.args[-1].end)


@dataclass(frozen=True, slots=True)
class Problem:
    message: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Stage:
    index: int
    from_instruction: Instruction
    base: Word  # the image or stage reference as written
    name: Word | None
    platform: Flag | None
    instructions: tuple[Instruction, ...]  # after FROM, up to the next FROM

    @property
    def label(self) -> str:
        return self.name.value if self.name else str(self.index)


class Dockerfile:
    """An immutable parsed Dockerfile. Build it with `parse_dockerfile`."""

    def __init__(
        self,
        source: SourceFile,
        instructions: tuple[Instruction, ...],
        comments: tuple[Comment, ...],
        directives: tuple[Directive, ...],
        problems: tuple[Problem, ...],
        escape: str,
    ) -> None:
        self.source = source
        self.instructions = instructions
        self.comments = comments
        self.directives = directives
        self.problems = problems
        self.escape = escape

    @property
    def path(self):  # noqa: ANN201 - pathlib.Path
        return self.source.path

    @functools.cached_property
    def global_args(self) -> tuple[Instruction, ...]:
        first_from = next((i for i, ins in enumerate(self.instructions) if ins.keyword == "FROM"), 0)
        return tuple(ins for ins in self.instructions[:first_from] if ins.keyword == "ARG")

    @functools.cached_property
    def stages(self) -> tuple[Stage, ...]:
        stages: list[Stage] = []
        froms = [i for i, ins in enumerate(self.instructions) if ins.keyword == "FROM"]
        for number, position in enumerate(froms):
            instruction = self.instructions[position]
            following = froms[number + 1] if number + 1 < len(froms) else len(self.instructions)
            args = instruction.args
            name = args[2] if len(args) == 3 and args[1].value.lower() == "as" else None
            base = args[0] if args else Word("", instruction.end, instruction.end)
            stages.append(
                Stage(
                    number,
                    instruction,
                    base,
                    name,
                    instruction.flag("platform"),
                    self.instructions[position + 1 : following],
                )
            )
        return tuple(stages)

    def stage_named(self, name: str) -> Stage | None:
        """The stage a build target or `--from` names, by name or index. Of stages sharing a name
        the last counts: BuildKit's map of names is overwritten in order."""
        lowered = name.lower()
        for stage in reversed(self.stages):
            if stage.name and stage.name.value.lower() == lowered:
                return stage
        if name.isdigit() and int(name) < len(self.stages):
            return self.stages[int(name)]
        return None

    def final_stage(self, target: str | None = None) -> Stage | None:
        if target:
            return self.stage_named(target)
        return self.stages[-1] if self.stages else None

    def directive(self, name: str) -> Directive | None:
        return next((d for d in self.directives if d.name == name), None)

    def parent_stage(self, stage: Stage, build_args: Mapping[str, str] | None = None) -> Stage | None:
        """The earlier stage that `FROM <name>` refers to, else None (an image, or unknown).

        BuildKit expands the base with the global ARGs and looks it up, as written, among the names of
        the stages defined before (stored lower-case; of several, the last).
        """
        name = self.expand(stage.from_instruction, stage.base.value, build_args)
        if name is None:
            return None
        matches = [
            earlier
            for earlier in self.stages[: stage.index]
            if earlier.name is not None and earlier.name.value.lower() == name
        ]
        return matches[-1] if matches else None

    def stage_of(self, instruction: Instruction) -> Stage | None:
        for stage in self.stages:
            if stage.from_instruction is instruction or instruction in stage.instructions:
                return stage
        return None

    def variables_at(
        self, instruction: Instruction, build_args: Mapping[str, str] | None = None
    ) -> dict[str, str | None]:
        """ARG and ENV values visible to an instruction; None where the value is unknown.

        Global ARGs are visible only in FROM lines, and in a stage only once redeclared with `ARG NAME`.
        A stage built FROM an earlier stage starts with that stage's values. Build args
        (`--build-arg`, Compose `build.args`) replace ARG defaults.
        """
        return self._variables(instruction, build_args, through=False)

    def variables_after(
        self, instruction: Instruction, build_args: Mapping[str, str] | None = None
    ) -> dict[str, str | None]:
        """ARG and ENV values once `instruction` has run, its own ENV or ARG included: after a
        stage's last instruction, the variables its image ends with (less the ENV of an external
        base image, which this scope does not know)."""
        return self._variables(instruction, build_args, through=True)

    def _variables(
        self, instruction: Instruction, build_args: Mapping[str, str] | None, through: bool
    ) -> dict[str, str | None]:
        build_args = build_args or {}
        global_scope: dict[str, str | None] = {}
        for arg in self.global_args:
            for name, default in _arg_declarations(arg):
                value = build_args.get(name, default)
                global_scope[name] = _expand_or_none(value, global_scope)
        if instruction.keyword == "FROM" and through:
            return {}  # a stage starts without the global ARGs its FROM line sees
        if instruction.keyword == "FROM" or instruction in self.global_args:
            return global_scope
        stage = self.stage_of(instruction)
        if stage is None:
            return global_scope
        # A stage built FROM another starts with that stage's ENV and ARG values (BuildKit clones
        # its image config and appends its build args).
        parent = self.parent_stage(stage, build_args)
        scope = self._closing_variables(parent, build_args) if parent is not None else {}
        for current in stage.instructions:
            if current is instruction and not through:
                break
            if current.keyword == "ARG":
                for name, default in _arg_declarations(current):
                    if name in build_args:
                        value: str | None = build_args[name]
                    elif default is not None:
                        value = _expand_or_none(default, scope)
                    else:
                        # Unknown without a global default: automatic platform ARGs and the like.
                        value = global_scope.get(name)
                    scope[name] = value
            elif current.keyword == "ENV":
                # Every value of one ENV is expanded before any is set (the Dockerfile reference's
                # `ENV abc=bye def=$abc` gives def the earlier abc).
                before = dict(scope)
                for name, raw in _env_pairs(current):
                    scope[name] = _expand_or_none(raw, before)
            if current is instruction:
                break
        return scope

    def _closing_variables(self, stage: Stage, build_args: Mapping[str, str]) -> dict[str, str | None]:
        if stage.instructions:
            return self._variables(stage.instructions[-1], build_args, through=True)
        parent = self.parent_stage(stage, build_args)
        return self._closing_variables(parent, build_args) if parent is not None else {}

    def expand(
        self, instruction: Instruction, text: str, build_args: Mapping[str, str] | None = None
    ) -> str | None:
        """Expand `$VAR` forms as BuildKit would for this instruction; None when a value is unknown."""
        return _expand_or_none(text, self.variables_at(instruction, build_args))


def _expand_or_none(text: str | None, scope: Mapping[str, str | None]) -> str | None:
    if text is None:
        return None
    return expand_word(text, scope)


def _arg_declarations(instruction: Instruction) -> Iterator[tuple[str, str | None]]:
    for word in instruction.args:
        name, sep, default = word.value.partition("=")
        yield name, (_unquote(default) if sep else None)


def _env_pairs(instruction: Instruction) -> Iterator[tuple[str, str]]:
    values = [word.value for word in instruction.args]
    for name, value in zip(values[::2], values[1::2]):
        yield name, _unquote(value)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


# --------------------------------------------------------------------------------------- parsing


def parse_dockerfile(source: SourceFile) -> Dockerfile:
    """Parse with BuildKit's parser; never raises. Problems are what `docker build` would reject."""
    text = source.text
    directives, escape = _read_directives(text)
    problems: list[Problem] = []
    try:
        commands = buildkit.parse_string(text)
    except buildkit.GoParseError as exc:
        commands = ()
        problems.append(_locate_parse_error(str(exc), text))
    except Exception as exc:  # the extension raises other Go errors as plain exceptions
        commands = ()
        problems.append(Problem(f"cannot parse: {exc}", 0, min(len(text), text.find("\n") % (len(text) + 1))))
    lines = _LineTable(text)
    instructions = []
    for index, command in enumerate(commands):
        instruction = _build_instruction(command, lines, escape, index)
        instructions.append(instruction)
        problems.extend(_instruction_problems(instruction))
    if commands and not any(ins.keyword == "FROM" for ins in instructions):
        problems.append(Problem("no FROM instruction: a Dockerfile must start a stage", 0, 0))
    comments = _read_comments(text, instructions, lines)
    return Dockerfile(
        source, tuple(instructions), comments, directives, tuple(problems), escape
    )


class _LineTable:
    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer(r"\n", text)]

    def start(self, line: int) -> int:
        return self.starts[line - 1] if line - 1 < len(self.starts) else len(self.text)

    def content_end(self, line: int) -> int:
        end = self.starts[line] - 1 if line < len(self.starts) else len(self.text)
        if end > self.start(line) and self.text[end - 1] == "\r":
            end -= 1
        return max(end, self.start(line))

    def content(self, line: int) -> str:
        return self.text[self.start(line) : self.content_end(line)]


def _read_directives(text: str) -> tuple[tuple[Directive, ...], str]:
    """Parser directives: `# name=value` lines at the very top, before any blank line or comment."""
    directives: list[Directive] = []
    escape = "\\"
    offset = 0
    seen: set[str] = set()
    for line in text.splitlines(keepends=True):
        content = line.rstrip("\r\n")
        match = _DIRECTIVE.fullmatch(content.strip())
        if not match:
            break
        name = match.group(1).lower()
        if name in seen:
            break
        seen.add(name)
        start = offset + content.index("#")
        directives.append(Directive(name, match.group(2), start, offset + len(content.rstrip())))
        if name == "escape" and match.group(2) in ("`", "\\"):
            escape = match.group(2)
        offset += len(line)
    return tuple(directives), escape


def _locate_parse_error(message: str, text: str) -> Problem:
    if "heredoc" in message:
        for match in re.finditer(r"<<-?[\"']?([A-Za-z_][A-Za-z0-9_]*)", text):
            terminator = match.group(1)
            if not re.search(rf"^[ \t]*{re.escape(terminator)}[ \t]*\r?$", text[match.end() :], re.M):
                return Problem(message, match.start(), match.end())
    if "no instructions" in message:
        return Problem("empty Dockerfile: " + message, 0, 0)
    return Problem(message, 0, 0)


def _logical_line(
    lines: _LineTable, start_line: int, end_line: int, escape: str
) -> tuple[str, list[tuple[int, int]], int]:
    """Join the continuation lines of an instruction as BuildKit does.

    Returns the joined text, a list of (logical index, file offset) segment starts for mapping back,
    and the last physical line of the joined part (heredoc bodies follow it).
    """
    continuation = re.compile(re.escape(escape) + r"[ \t]*$")
    parts: list[str] = []
    segments: list[tuple[int, int]] = []
    length = 0
    line = start_line
    while line <= end_line:
        content = lines.content(line)
        if line != start_line and (not content.strip() or content.lstrip().startswith("#")):
            line += 1
            continue
        match = continuation.search(content)
        piece = content[: match.start()] if match else content
        segments.append((length, lines.start(line)))
        parts.append(piece)
        length += len(piece)
        if not match:
            break
        line += 1
    return "".join(parts), segments, min(line, end_line)


def _to_offset(segments: list[tuple[int, int]], logical_index: int) -> int:
    offset = segments[0][1] + logical_index
    for logical_start, file_start in segments:
        if logical_start <= logical_index:
            offset = file_start + (logical_index - logical_start)
        else:
            break
    return offset


def _build_instruction(command, lines: _LineTable, escape: str, index: int) -> Instruction:  # noqa: ANN001
    logical, segments, last_joined_line = _logical_line(
        lines, command.start_line, command.end_line, escape
    )

    def span(logical_start: int, logical_end: int) -> tuple[int, int]:
        start = _to_offset(segments, logical_start)
        end = _to_offset(segments, max(logical_end - 1, logical_start)) + (
            1 if logical_end > logical_start else 0
        )
        return start, end

    cursor = len(logical) - len(logical.lstrip())
    keyword_text = logical[cursor:].split(None, 1)[0] if logical.strip() else command.cmd
    keyword_word = Word(keyword_text, *span(cursor, cursor + len(keyword_text)))
    cursor += len(keyword_text)
    trigger_keyword = None
    if command.sub_cmd:
        rest = logical[cursor:]
        skipped = len(rest) - len(rest.lstrip())
        trigger_keyword = rest.lstrip().split(None, 1)[0] if rest.strip() else command.sub_cmd
        trigger_start = cursor + skipped
        cursor = trigger_start + len(trigger_keyword)

    flags: list[Flag] = []
    for raw_flag in command.flags:
        found = logical.find(raw_flag, cursor)
        body = raw_flag[2:]
        name, sep, value = body.partition("=")
        length = len(raw_flag)
        if found < 0:
            # BuildKit removed quotes from the value (`--from="build"`): find the written token.
            written = re.compile(rf"--{re.escape(name)}(?:=(?:\"[^\"]*\"|'[^']*'|\S)*)?", re.I).search(logical, cursor)
            if written is not None:
                found, length = written.start(), written.end() - written.start()
        if found < 0:
            start, end = span(cursor, cursor)
        else:
            start, end = span(found, found + length)
            cursor = found + length
        flags.append(Flag(name.lower(), value if sep else None, start, end))

    args: list[Word] = []
    values = list(command.value)
    if command.json:
        args = _locate_json_args(logical, cursor, values, span)
    else:
        for value in values:
            if not value:
                continue
            found = logical.find(value, cursor)
            if found < 0:
                start, end = span(cursor, len(logical))
            else:
                start, end = span(found, found + len(value))
                cursor = found + len(value)
            args.append(Word(value, start, end))

    heredocs = _locate_heredocs(command.heredocs, lines, last_joined_line, command.end_line)
    start = keyword_word.start
    end = lines.content_end(command.end_line)
    keyword = command.cmd.upper()
    trigger = None
    if command.sub_cmd and trigger_keyword is not None:
        t_start, t_end = span(trigger_start, trigger_start + len(trigger_keyword))
        trigger = Instruction(
            command.sub_cmd.upper(), Word(trigger_keyword, t_start, t_end), tuple(flags), tuple(args),
            command.json, heredocs, t_start, end, command.start_line, command.end_line,
            logical[trigger_start:], None, index,
        )  # fmt: skip
        flags, args = [], []
    return Instruction(
        keyword, keyword_word, tuple(flags), tuple(args), command.json, heredocs, start, end,
        command.start_line, command.end_line, logical, trigger, index,
    )  # fmt: skip


def _locate_json_args(logical: str, cursor: int, values: list[str], span) -> list[Word]:  # noqa: ANN001
    args = []
    for value in values:
        encoded = json.dumps(value)
        found = logical.find(encoded, cursor)
        if found < 0:
            found = logical.find(value, cursor)
            length = len(value)
        else:
            length = len(encoded)
        if found < 0:
            start, end = span(cursor, len(logical))
        else:
            start, end = span(found, found + length)
            cursor = found + length
        args.append(Word(value, start, end))
    return args


def _locate_heredocs(heredocs, lines: _LineTable, first_line: int, last_line: int) -> tuple[Heredoc, ...]:  # noqa: ANN001
    located = []
    line = first_line + 1
    for heredoc in heredocs:
        body_start = lines.start(line)
        body_lines = heredoc.content.count("\n")
        end_line = line + body_lines - 1
        body_end = lines.start(end_line + 1) if body_lines else body_start
        located.append(Heredoc(heredoc.name, heredoc.content, body_start, min(body_end, len(lines.text))))
        line = end_line + 2  # skip the terminator line
        if line > last_line + 1:
            break
    return tuple(located)


def _instruction_problems(instruction: Instruction) -> Iterator[Problem]:
    keyword = instruction.keyword
    word = instruction.keyword_word
    if keyword not in INSTRUCTIONS:
        yield Problem(f"unknown instruction: {word.value}", word.start, word.end)
        return
    if keyword == "ONBUILD":
        trigger = instruction.trigger
        if trigger is None:
            yield Problem("ONBUILD needs an instruction to run", word.start, word.end)
            return
        if trigger.keyword in ("ONBUILD", "FROM", "MAINTAINER"):
            yield Problem(
                f"{trigger.keyword} isn't allowed as an ONBUILD trigger",
                trigger.keyword_word.start,
                trigger.keyword_word.end,
            )
        instruction = trigger
        keyword = trigger.keyword
        if keyword not in INSTRUCTIONS:
            yield Problem(f"unknown instruction: {trigger.keyword_word.value}", trigger.start, trigger.keyword_word.end)
            return
    allowed = KNOWN_FLAGS.get(keyword, frozenset())
    for flag in instruction.flags:
        if flag.name not in allowed:
            yield Problem(f"unknown flag: --{flag.name} (for {keyword})", flag.start, flag.end)
    count = len(instruction.args)
    minimum = {"COPY": 2, "ADD": 2, "ENV": 1, "LABEL": 1, "ARG": 1, "FROM": 1, "EXPOSE": 1,
               "USER": 1, "WORKDIR": 1, "STOPSIGNAL": 1, "HEALTHCHECK": 1, "SHELL": 1,
               "VOLUME": 1, "RUN": 1, "MAINTAINER": 1}.get(keyword, 0)  # fmt: skip
    if count < minimum and not (keyword in ("COPY", "ADD", "RUN") and instruction.heredocs):
        yield Problem(
            f"{keyword} requires at least {minimum} argument{'s' if minimum > 1 else ''}",
            word.start,
            instruction.end,
        )
    if keyword == "FROM" and count not in (1, 3):
        yield Problem("FROM takes an image and optionally `AS name`", word.start, instruction.end)
    if keyword == "FROM" and count == 3 and instruction.args[1].value.lower() != "as":
        bad = instruction.args[1]
        yield Problem(f"expected `AS` after the image, found {bad.value!r}", bad.start, bad.end)
    if keyword in ("ENV", "LABEL") and count % 2:
        yield Problem(f"{keyword} needs a value for every name", word.start, instruction.end)
    if keyword == "SHELL" and not instruction.json_form and count:
        yield Problem("SHELL requires the JSON form: SHELL [\"executable\", \"parameters\"]", word.start, instruction.end)
    if keyword == "HEALTHCHECK" and count and instruction.args[0].value.upper() not in ("CMD", "NONE"):
        first = instruction.args[0]
        yield Problem(f"unknown type {first.value!r} for HEALTHCHECK (expected CMD or NONE)", first.start, first.end)


def _read_comments(text: str, instructions: list[Instruction], lines: _LineTable) -> tuple[Comment, ...]:
    """Own-line comments outside instructions (comments inside a continuation belong to it)."""
    covered = set()
    for instruction in instructions:
        covered.update(range(instruction.start_line, instruction.end_line + 1))
    comments = []
    for number in range(1, len(lines.starts) + 1):
        if number in covered:
            continue
        content = lines.content(number)
        stripped = content.lstrip()
        if stripped.startswith("#"):
            start = lines.start(number) + len(content) - len(stripped)
            comments.append(Comment(stripped[1:].strip(), start, lines.content_end(number), number))
    return tuple(comments)
