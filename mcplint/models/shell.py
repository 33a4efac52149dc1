"""POSIX shell syntax, read without running anything: words, operators and commands, with offsets.

Two readers build on it. The RUN analysis (`mcplint.models.packages`) walks the whole tree, control
structures included, and expands words itself; the health-check reader
(`mcplint.models.healthprobe`) keeps only the plain and-or lists of simple commands a health
command is, with each word's text after quote removal (`RawWord.unquoted`).

`parse` reads a script into a `CommandList`. The grammar is POSIX's (`&&`, `||`, `;`, `&`, `|`,
newlines, `if`/`case`/`for`/`while`/`until`, functions, `{ }`, `( )`, heredocs, redirections) plus
the bash forms Dockerfiles use (`[[ ]]`, `(( ))`, `for ((...))`, `function name`, `$'...'`,
`<(...)`, `|&`). Every word and operator keeps the offsets it was written at, so a caller can point
at it or rewrite it in place.

The scanners (`skip_single_quote`, `skip_double_quote`, `skip_backquote`, `skip_dollar`,
`skip_parens`, `skip_braces`) say where a quoted string or an expansion that starts at an offset
ends. The parser delimits words with them, and callers that take a word apart (quote removal here,
variable expansion in `packages`) use the same ones, so every reader agrees on where each part of a
word ends.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

# Characters that separate words unless quoted. A caller may leave `\r` out: the shell itself reads
# it as part of a word, while a script from a file saved with CRLF line ends means it as a blank.
DEFAULT_BLANKS = " \t\r"


class ShellSyntaxError(ValueError):
    """The text is not a script this parser reads: an unclosed quote, a missing `fi`, a stray `)`."""


# ---------------------------------------------------------------------------------- the scanners

# Runs of characters that cannot open or close anything, skipped in one step.
_PLAIN_IN_DOUBLE = re.compile(r'[^\\"`$]+')
_PLAIN_IN_BACKQUOTE = re.compile(r"[^\\`]+")
_PLAIN_IN_PARENS = re.compile(r"[^\\'\"`()]+")
_PLAIN_IN_BRACES = re.compile(r"[^\\'\"$}]+")
_PLAIN_IN_ANSI = re.compile(r"[^\\']+")


def skip_single_quote(text: str, position: int) -> int:
    """The offset after the `'` that closes a single-quoted string whose body starts at `position`."""
    close = text.find("'", position)
    if close < 0:
        raise ShellSyntaxError("unclosed single quote")
    return close + 1


def skip_double_quote(text: str, position: int) -> int:
    """The offset after the `"` that closes a double-quoted string whose body starts at `position`."""
    length = len(text)
    while position < length:
        plain = _PLAIN_IN_DOUBLE.match(text, position)
        if plain is not None:
            position = plain.end()
            continue
        char = text[position]
        if char == "\\":
            position += 2
        elif char == '"':
            return position + 1
        elif char == "`":
            position = skip_backquote(text, position + 1)
        elif text.startswith(("$(", "${"), position):
            position = skip_dollar(text, position)
        else:
            position += 1  # `$'` quotes nothing inside double quotes
    raise ShellSyntaxError("unclosed double quote")


def skip_backquote(text: str, position: int) -> int:
    """The offset after the backquote that closes a command substitution whose body starts at `position`."""
    length = len(text)
    while position < length:
        plain = _PLAIN_IN_BACKQUOTE.match(text, position)
        if plain is not None:
            position = plain.end()
        elif text[position] == "\\":
            position += 2
        else:
            return position + 1
    raise ShellSyntaxError("unclosed backtick")


def skip_dollar(text: str, position: int) -> int:
    """The offset after the expansion whose `$` is at `position`: `$(...)`, `$((...))`, `${...}` or
    `$'...'` as a whole; past the `$` alone for anything else (`$name` ends where a name does)."""
    following = text[position + 1 : position + 2]
    if following == "(":
        return skip_parens(text, position + 2)
    if following == "{":
        return skip_braces(text, position + 2)
    if following == "'":
        inner = position + 2
        while inner < len(text):
            plain = _PLAIN_IN_ANSI.match(text, inner)
            if plain is not None:
                inner = plain.end()
            elif text[inner] == "\\":
                inner += 2
            else:
                return inner + 1
        raise ShellSyntaxError("unclosed $'")
    return position + 1


def skip_parens(text: str, position: int) -> int:
    """The offset after the `)` that closes a `$(`, `$((` or `<(` whose body starts at `position`."""
    depth = 1
    length = len(text)
    while position < length:
        plain = _PLAIN_IN_PARENS.match(text, position)
        if plain is not None:
            position = plain.end()
            continue
        char = text[position]
        if char == "\\":
            position += 2
        elif char == "'":
            position = skip_single_quote(text, position + 1)
        elif char == '"':
            position = skip_double_quote(text, position + 1)
        elif char == "`":
            position = skip_backquote(text, position + 1)
        else:
            depth += 1 if char == "(" else -1
            position += 1
            if depth == 0:
                return position
    raise ShellSyntaxError("unclosed $(")


def skip_braces(text: str, position: int) -> int:
    """The offset after the `}` that closes a `${` whose body starts at `position`."""
    length = len(text)
    while position < length:
        plain = _PLAIN_IN_BRACES.match(text, position)
        if plain is not None:
            position = plain.end()
            continue
        char = text[position]
        if char == "\\":
            position += 2
        elif char == "'":
            position = skip_single_quote(text, position + 1)
        elif char == '"':
            position = skip_double_quote(text, position + 1)
        elif char == "$":
            position = skip_braces(text, position + 2) if text.startswith("{", position + 1) else position + 1
        else:
            return position + 1
    raise ShellSyntaxError("unclosed ${")


# ------------------------------------------------------------------------------- words and nodes


@dataclass(frozen=True, slots=True)
class RawWord:
    """A word exactly as written (quotes and expansions included), and where: `text[start:end] == raw`."""

    raw: str
    start: int
    end: int

    @property
    def unquoted(self) -> str:
        """The word after quote removal, expansions kept as written: `'a b'` is `a b`, `"$(x)"` is
        `$(x)`, `\\$HOME` is `$HOME`.

        Inside double quotes `${...}` is read character by character, so a quote nested in it ends
        the string. Raises ShellSyntaxError for a backslash that ends the word and for a quote left
        open that way."""
        return _unquote(self.raw)


@dataclass(frozen=True, slots=True)
class Operator:
    """A control operator (`&&`, `||`, `|`, `|&`, `;`, `&`, or a newline ending a command) and where."""

    text: str
    start: int
    end: int


# The nodes are built in place: a heredoc's body arrives after the line that names it, and the
# redirections written after a compound command are read once the command is.


@dataclass(slots=True)
class Redirect:
    operator: str  # without the file descriptor number: `2>&1` is `>&`
    target: RawWord | None
    start: int  # the operator's, file descriptor number included
    end: int  # the target's, or the operator's when it has none
    heredoc_body: tuple[int, int] | None = None  # the body's span in the script
    strip_tabs: bool = False  # `<<-`
    delimiter: str = ""  # the heredoc delimiter after quote removal


@dataclass(slots=True)
class Simple:
    """A simple command; also `(( ... ))` and `[[ ... ]]`, kept as words."""

    assigns: list[RawWord]  # the `NAME=value` words before the command name
    words: list[RawWord]
    redirects: list[Redirect]
    start: int  # of its first word, assignment or redirection
    end: int  # of its last


@dataclass(slots=True)
class Group:
    body: CommandList
    subshell: bool  # `( ... )`; otherwise `{ ...; }`
    redirects: list[Redirect] = field(default_factory=list)


@dataclass(slots=True)
class If:
    branches: list[tuple[CommandList, CommandList]]  # (condition, body) of `if` and each `elif`
    otherwise: CommandList | None
    redirects: list[Redirect] = field(default_factory=list)


@dataclass(slots=True)
class Loop:
    kind: str  # for, while, until
    variable: str | None
    items: list[RawWord] | None  # for: the words after `in` (None: "$@")
    condition: CommandList | None
    body: CommandList
    redirects: list[Redirect] = field(default_factory=list)


@dataclass(slots=True)
class Case:
    subject: RawWord
    arms: list[tuple[list[RawWord], CommandList]]
    redirects: list[Redirect] = field(default_factory=list)


@dataclass(slots=True)
class FunctionDef:
    name: str
    body: Command


Command = Simple | Group | If | Loop | Case | FunctionDef


@dataclass(slots=True)
class Pipeline:
    commands: list[Command]
    negated: bool  # `! pipeline`
    operators: list[Operator]  # `|` or `|&`, between commands


@dataclass(slots=True)
class AndOr:
    pipelines: list[Pipeline]
    operators: list[Operator]  # `&&` or `||`, between pipelines


@dataclass(slots=True)
class CommandList:
    items: list[tuple[AndOr, Operator | None]]  # the separator after each: `;`, `&`, newline or none


def parse(text: str, blanks: str = DEFAULT_BLANKS) -> CommandList:
    """The script as a tree; raises ShellSyntaxError for what the grammar above does not read."""
    return _Parser(text, blanks).parse()


def simple_commands(tree: CommandList) -> Iterator[Simple]:
    """Every simple command of the tree, in the order written, inside compound commands too."""
    for and_or, _ in tree.items:
        for pipeline in and_or.pipelines:
            for command in pipeline.commands:
                yield from commands_in(command)


def commands_in(command: Command) -> Iterator[Simple]:
    """The simple commands of one command (a function definition's body is not run where it stands)."""
    if isinstance(command, Simple):
        yield command
    elif isinstance(command, Group):
        yield from simple_commands(command.body)
    elif isinstance(command, If):
        for condition, body in command.branches:
            yield from simple_commands(condition)
            yield from simple_commands(body)
        if command.otherwise is not None:
            yield from simple_commands(command.otherwise)
    elif isinstance(command, Loop):
        if command.condition is not None:
            yield from simple_commands(command.condition)
        yield from simple_commands(command.body)
    elif isinstance(command, Case):
        for _, body in command.arms:
            yield from simple_commands(body)


# -------------------------------------------------------------------------------- quote removal

_ESCAPABLE_IN_DOUBLE = '$`"\\\n'


def _unquote(raw: str) -> str:
    pieces: list[str] = []
    position = 0
    length = len(raw)
    while position < length:
        char = raw[position]
        if char == "'":
            end = skip_single_quote(raw, position + 1)
            pieces.append(raw[position + 1 : end - 1])
            position = end
        elif char == '"':
            position = _unquote_double(raw, position + 1, pieces)
        elif char == "\\":
            if position + 1 >= length:
                raise ShellSyntaxError("trailing backslash")
            pieces.append(raw[position + 1])
            position += 2
        elif char == "$" and raw.startswith(("$(", "${"), position):
            end = skip_dollar(raw, position)
            pieces.append(raw[position:end])
            position = end
        elif char == "`":
            end = skip_backquote(raw, position + 1)
            pieces.append(raw[position:end])
            position = end
        else:
            pieces.append(char)
            position += 1
    return "".join(pieces)


def _unquote_double(raw: str, position: int, pieces: list[str]) -> int:
    """Appends the text of the double-quoted string whose body starts at `position`; returns the
    offset after its closing quote. Command substitutions are copied whole (they may hold quotes);
    `${...}` character by character."""
    length = len(raw)
    while position < length:
        char = raw[position]
        if char == '"':
            return position + 1
        if char == "\\" and position + 1 < length and raw[position + 1] in _ESCAPABLE_IN_DOUBLE:
            pieces.append(raw[position + 1])
            position += 2
        elif char == "$" and raw.startswith("$(", position):
            end = skip_parens(raw, position + 2)
            pieces.append(raw[position:end])
            position = end
        elif char == "`":
            end = skip_backquote(raw, position + 1)
            pieces.append(raw[position:end])
            position = end
        else:
            pieces.append(char)
            position += 1
    raise ShellSyntaxError("unclosed double quote")


# ----------------------------------------------------------------------------------- the parser

_RESERVED_STARTS = frozenset({"if", "for", "while", "until", "case", "{", "function", "[["})
_OPERATORS = ("&&", "||", ";;&", ";;", ";&", "|&", ";", "&", "|", "(", ")")
_OPERATOR_FIRST = frozenset(operator[0] for operator in _OPERATORS)
_CASE_ENDS = frozenset({")", ";;", ";&", ";;&"})
_REDIRECT = re.compile(r"[0-9]*(?:<<-|<<<|<<|<>|<&|>>|>&|>\||<|>)|&>>|&>")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=")
_EMPTY_PARENS = re.compile(r"\(\s*\)")
_BRACKET_OPERATORS = ("&&", "||", "(", ")", "<", ">", "!")


@cache
def _plain_in_word(blanks: str) -> re.Pattern[str]:
    """Runs of word characters that need no attention: not blanks, operators, quotes or `$`."""
    return re.compile("[^" + re.escape(blanks) + r"\n;&|()<>\\'\"`$]+")


class _Parser:
    """Recursive descent over the grammar, character by character (heredoc bodies, `case`
    patterns and `[[ ]]` need the context a separate tokenizer would not have)."""

    def __init__(self, text: str, blanks: str) -> None:
        self.text = text
        self.pos = 0
        self.blanks = blanks
        self.word_ends = frozenset(blanks + "\n;&|()")
        self.plain = _plain_in_word(blanks)
        self.pending: list[Redirect] = []
        # The word last read and where it ended: a word is peeked at before it is read.
        self.last_word: tuple[int, RawWord | None, int] = (-1, None, -1)

    def parse(self) -> CommandList:
        body = self.parse_list(frozenset())
        self.skip_linebreaks()
        if self.pos < len(self.text):
            raise ShellSyntaxError(f"unexpected {self.text[self.pos]!r} at offset {self.pos}")
        return body

    # --- characters

    def skip_blanks(self) -> None:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char in self.blanks:
                self.pos += 1
            elif char == "\\" and text.startswith("\n", self.pos + 1):
                self.pos += 2
            elif char == "#":
                newline = text.find("\n", self.pos)
                self.pos = len(text) if newline < 0 else newline
            else:
                break

    def skip_linebreaks(self) -> None:
        while True:
            self.skip_blanks()
            if self.pos < len(self.text) and self.text[self.pos] == "\n":
                self.pos += 1
                self.read_heredoc_bodies()
            else:
                return

    def read_heredoc_bodies(self) -> None:
        text = self.text
        for redirect in self.pending:
            body_start = self.pos
            while self.pos < len(text):
                line_end = text.find("\n", self.pos)
                line_end = len(text) if line_end < 0 else line_end
                line = text[self.pos : line_end].rstrip("\r")
                if (line.lstrip("\t") if redirect.strip_tabs else line) == redirect.delimiter:
                    redirect.heredoc_body = (body_start, self.pos)
                    self.pos = min(line_end + 1, len(text))
                    break
                self.pos = line_end + 1
            else:
                redirect.heredoc_body = (body_start, len(text))
                self.pos = len(text)
        self.pending = []

    def peek_operator(self) -> str | None:
        if self.pos >= len(self.text) or self.text[self.pos] not in _OPERATOR_FIRST:
            return None
        for operator in _OPERATORS:
            if self.text.startswith(operator, self.pos):
                return operator
        return None

    def take_operator(self, operator: str) -> Operator:
        start = self.pos
        self.pos += len(operator)
        return Operator(operator, start, self.pos)

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def peek_word(self) -> str | None:
        saved = self.pos
        try:
            word = self.read_word()
        finally:
            self.pos = saved
        return word.raw if word else None

    def read_word(self) -> RawWord | None:
        start = self.pos
        cached_start, cached, cached_end = self.last_word
        if cached_start == start:
            self.pos = cached_end
            return cached
        text = self.text
        length = len(text)
        position = start
        while position < length:
            plain = self.plain.match(text, position)
            if plain is not None:
                position = plain.end()
                continue
            char = text[position]
            if char in self.word_ends:
                break
            if char in "<>":
                if position == start and text.startswith("(", position + 1):
                    position = skip_parens(text, position + 2)  # <(...) process substitution
                    continue
                break
            if char == "\\":
                position += 2
            elif char == "'":
                position = skip_single_quote(text, position + 1)
            elif char == '"':
                position = skip_double_quote(text, position + 1)
            elif char == "`":
                position = skip_backquote(text, position + 1)
            else:
                position = skip_dollar(text, position)
        self.pos = min(position, length)
        word = RawWord(text[start : self.pos], start, self.pos) if self.pos > start else None
        self.last_word = (start, word, self.pos)
        return word

    # --- grammar

    def at_stop(self, stops: frozenset[str]) -> bool:
        if self.peek_operator() in _CASE_ENDS:
            return True
        if not stops:
            return False
        word = self.peek_word()
        return word is not None and word in stops

    def expect(self, reserved: str) -> None:
        self.skip_linebreaks()
        word = self.read_word()
        if word is None or word.raw != reserved:
            found = word.raw if word else self.text[self.pos : self.pos + 1] or "end of script"
            raise ShellSyntaxError(f"expected {reserved!r}, found {found!r}")

    def parse_list(self, stops: frozenset[str]) -> CommandList:
        items: list[tuple[AndOr, Operator | None]] = []
        while True:
            self.skip_linebreaks()
            if self.at_end() or self.at_stop(stops):
                break
            and_or = self.parse_and_or()
            self.skip_blanks()
            operator = self.peek_operator()
            if operator in (";", "&"):
                items.append((and_or, self.take_operator(operator)))
                continue
            if self.pos < len(self.text) and self.text[self.pos] == "\n":
                items.append((and_or, Operator("\n", self.pos, self.pos + 1)))
                continue
            items.append((and_or, None))
            break
        return CommandList(items)

    def parse_and_or(self) -> AndOr:
        pipelines = [self.parse_pipeline()]
        operators: list[Operator] = []
        while True:
            self.skip_blanks()
            operator = self.peek_operator()
            if operator not in ("&&", "||"):
                return AndOr(pipelines, operators)
            operators.append(self.take_operator(operator))
            self.skip_linebreaks()
            pipelines.append(self.parse_pipeline())

    def parse_pipeline(self) -> Pipeline:
        self.skip_blanks()
        negated = False
        if self.peek_word() == "!":
            self.read_word()
            negated = True
        commands = [self.parse_command()]
        operators: list[Operator] = []
        while True:
            self.skip_blanks()
            operator = self.peek_operator()
            if operator not in ("|", "|&"):
                return Pipeline(commands, negated, operators)
            operators.append(self.take_operator(operator))
            self.skip_linebreaks()
            commands.append(self.parse_command())

    def parse_command(self) -> Command:
        self.skip_blanks()
        if self.text.startswith("((", self.pos):
            start = self.pos
            self.pos = skip_parens(self.text, self.pos + 2)
            if self.text.startswith(")", self.pos):
                self.pos += 1
            return Simple([], [RawWord(self.text[start : self.pos], start, self.pos)], [], start, self.pos)
        if self.text.startswith("(", self.pos):
            self.pos += 1
            body = self.parse_list(frozenset())
            self.skip_linebreaks()
            if not self.text.startswith(")", self.pos):
                raise ShellSyntaxError("expected ')'")
            self.pos += 1
            return Group(body, True, self.parse_redirects())
        word = self.peek_word()
        if word in _RESERVED_STARTS:
            self.read_word()
            if word == "if":
                command: Command = self.parse_if()
            elif word == "for":
                command = self.parse_for()
            elif word in ("while", "until"):
                condition = self.parse_list(frozenset({"do"}))
                self.expect("do")
                body = self.parse_list(frozenset({"done"}))
                self.expect("done")
                command = Loop(word, None, None, condition, body)
            elif word == "case":
                command = self.parse_case()
            elif word == "{":
                body = self.parse_list(frozenset({"}"}))
                self.expect("}")
                command = Group(body, False)
            elif word == "function":
                self.skip_blanks()
                name = self.read_word()
                self.skip_blanks()
                if self.text.startswith("()", self.pos):
                    self.pos += 2
                self.skip_linebreaks()
                return FunctionDef(name.raw if name else "", self.parse_command())
            else:
                return self.parse_double_bracket(word)
            command.redirects.extend(self.parse_redirects())  # type: ignore[union-attr]
            return command
        return self.parse_simple()

    def parse_double_bracket(self, opening: str) -> Simple:
        start = self.pos - len(opening)
        words = [RawWord(opening, start, self.pos)]
        while True:
            self.skip_blanks()
            if self.at_end() or self.text[self.pos] == "\n":
                raise ShellSyntaxError("unclosed [[")
            operator = next((op for op in _BRACKET_OPERATORS if self.text.startswith(op, self.pos)), None)
            if operator:
                words.append(RawWord(operator, self.pos, self.pos + len(operator)))
                self.pos += len(operator)
                continue
            word = self.read_word()
            if word is None:
                raise ShellSyntaxError("unexpected character in [[ ]]")
            words.append(word)
            if word.raw == "]]":
                redirects = self.parse_redirects()
                return Simple([], words, redirects, start, redirects[-1].end if redirects else word.end)

    def parse_redirects(self) -> list[Redirect]:
        redirects = []
        while True:
            self.skip_blanks()
            redirect = self.try_redirect()
            if redirect is None:
                return redirects
            redirects.append(redirect)

    def try_redirect(self) -> Redirect | None:
        match = _REDIRECT.match(self.text, self.pos)
        if not match:
            return None
        if self.text.startswith("(", match.end()) and match.group().endswith(("<", ">")):
            return None  # <(...) is a word, not a redirection
        operator = match.group().lstrip("0123456789")
        self.pos = match.end()
        self.skip_blanks()
        target = self.read_word()
        redirect = Redirect(operator, target, match.start(), target.end if target else match.end())
        if operator in ("<<", "<<-"):
            if target is None:
                raise ShellSyntaxError("heredoc without a delimiter")
            redirect.strip_tabs = operator == "<<-"
            redirect.delimiter = target.unquoted
            self.pending.append(redirect)
        return redirect

    def parse_simple(self) -> Command:
        assigns: list[RawWord] = []
        words: list[RawWord] = []
        redirects: list[Redirect] = []
        start = end = self.pos
        while True:
            self.skip_blanks()
            if self.at_end() or self.text[self.pos] == "\n":
                break
            if not (assigns or words or redirects):
                start = self.pos
            redirect = self.try_redirect()
            if redirect is not None:
                redirects.append(redirect)
                end = redirect.end
                continue
            if len(words) == 1 and not assigns and _EMPTY_PARENS.match(self.text, self.pos):
                self.pos = self.text.index(")", self.pos) + 1
                self.skip_linebreaks()
                return FunctionDef(words[0].raw, self.parse_command())
            word = self.read_word()
            if word is None:
                break
            end = word.end
            if not words and _ASSIGNMENT.match(word.raw):
                assigns.append(word)
            else:
                words.append(word)
        if not (assigns or words or redirects):
            found = self.text[self.pos : self.pos + 2] or "end of script"
            raise ShellSyntaxError(f"expected a command, found {found!r}")
        return Simple(assigns, words, redirects, start, end)

    def parse_if(self) -> If:
        branches = []
        otherwise = None
        condition = self.parse_list(frozenset({"then"}))
        self.expect("then")
        body = self.parse_list(frozenset({"elif", "else", "fi"}))
        branches.append((condition, body))
        while True:
            self.skip_linebreaks()
            word = self.read_word()
            keyword = word.raw if word else ""
            if keyword == "elif":
                condition = self.parse_list(frozenset({"then"}))
                self.expect("then")
                branches.append((condition, self.parse_list(frozenset({"elif", "else", "fi"}))))
            elif keyword == "else":
                otherwise = self.parse_list(frozenset({"fi"}))
                self.expect("fi")
                return If(branches, otherwise)
            elif keyword == "fi":
                return If(branches, otherwise)
            else:
                raise ShellSyntaxError(f"expected 'fi', found {keyword or 'end of script'!r}")

    def parse_for(self) -> Loop:
        self.skip_blanks()
        if self.text.startswith("((", self.pos):
            # Past the `))` (an unclosed one stops at the end of the script).
            self.pos = min(skip_parens(self.text, self.pos + 2) + 1, len(self.text))
            self.skip_blanks()
            if self.peek_operator() == ";":
                self.pos += 1
            self.expect("do")
            body = self.parse_list(frozenset({"done"}))
            self.expect("done")
            return Loop("for", None, None, None, body)
        variable = self.read_word()
        if variable is None:
            raise ShellSyntaxError("for without a variable")
        self.skip_linebreaks()
        items: list[RawWord] | None = None
        if self.peek_word() == "in":
            self.read_word()
            items = []
            while True:
                self.skip_blanks()
                if self.at_end() or self.text[self.pos] in ";\n":
                    break
                word = self.read_word()
                if word is None:
                    raise ShellSyntaxError("unexpected character in a for list")
                items.append(word)
        self.skip_blanks()
        if self.peek_operator() == ";":
            self.pos += 1
        self.expect("do")
        body = self.parse_list(frozenset({"done"}))
        self.expect("done")
        return Loop("for", variable.raw, items, None, body)

    def parse_case(self) -> Case:
        self.skip_blanks()
        subject = self.read_word()
        if subject is None:
            raise ShellSyntaxError("case without a word")
        self.expect("in")
        arms = []
        while True:
            self.skip_linebreaks()
            if self.peek_word() == "esac":
                self.read_word()
                return Case(subject, arms)
            if self.at_end():
                raise ShellSyntaxError("expected 'esac'")
            if self.text.startswith("(", self.pos):
                self.pos += 1
            patterns = []
            while True:
                self.skip_blanks()
                word = self.read_word()
                if word is None:
                    raise ShellSyntaxError("expected a case pattern")
                patterns.append(word)
                self.skip_blanks()
                if self.text.startswith("|", self.pos):
                    self.pos += 1
                    continue
                if self.text.startswith(")", self.pos):
                    self.pos += 1
                    break
                raise ShellSyntaxError("expected ')' after a case pattern")
            body = self.parse_list(frozenset({"esac"}))
            arms.append((patterns, body))
            self.skip_blanks()
            operator = self.peek_operator()
            if operator in (";;", ";&", ";;&"):
                self.pos += len(operator)

