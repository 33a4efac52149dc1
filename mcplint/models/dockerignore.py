"""`.dockerignore` exactly as Docker's builder reads and applies it.

Reading (moby/buildkit `dockerignore.ReadAll`, now moby/patternmatcher `ignorefile.ReadAll`):

- lines end at LF (a CR before it is dropped); a UTF-8 BOM opening the file is skipped;
- a line whose FIRST character is `#` is a comment (`  # x` is a pattern, not a comment);
- the rest is trimmed of Go Unicode white space, blank lines are skipped; a leading `!` makes an
  exception, the text after it is trimmed again; the pattern is then `filepath.Clean`ed and one
  leading `/` removed (so `/docs/`, `./docs` and `docs` are the same pattern);
- `patternmatcher.New` trims and cleans once more (the `!` now inside the path: `./!x` becomes the
  exception `x`), refuses a lone `!` and any pattern that Go's `filepath.Match` calls malformed.

Matching (moby/patternmatcher `Pattern.compile`/`match`): `*` and `?` never match `/`; `**` matches
any number of directories; `[...]`, `[^...]` and `\\` escapes follow Go; a pattern is compared as a
literal, a prefix (`dir/**`), a suffix (`**/x`, which also matches `x` and, being a plain suffix,
`**x` matches `ax`) or as a Go regular expression built from the pattern. In that expression only
`. + ( ) $` are escaped (the escape bitmap drops bytes from 64 up), so `|` alternates, `{2}`
repeats, `[[:alpha:]]` and `\\d` are classes. Docker compiles it lazily: one that Go's `regexp`
refuses (`[z-a]`, `*{2}`, `\\é`) fails the build only when the walk first evaluates it.

Applying (tonistiigi/fsutil `filterFS.Walk`, which sends the context): the context is walked
depth-first; each path is decided by `MatchesUsingParentResults` with the results of its parent
directory. A pattern that matched a directory keeps matching everything below it, so `node_modules`
excludes `node_modules/a/b`, and `!` exceptions still re-include a file inside an excluded directory
(`docs` + `!docs/README.md` sends `docs/README.md`). An exception pattern is only evaluated while the
path is excluded and a plain pattern only while it is included; Docker's results depend on that
order (e.g. `a/b` + `!a` leaves `a/b` excluded, because `!a` was skipped at `a`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from mcplint.models.contextglob import BadPattern, filepath_match, go_clean
from mcplint.models.dotenv import GO_UNICODE_SPACE

_UTF8_BOM = "\ufeff"
# patternmatcher's shouldEscape is meant to escape ".+()|{}$", but its bitmap keeps a bit only for
# bytes below 64: "|", "{" and "}" reach Go's regexp parser unescaped.
_ESCAPED_FOR_REGEXP = frozenset(".+()$")
_MAX_RUNE = 0x10FFFF


@dataclass(frozen=True, slots=True)
class IgnorePattern:
    text: str  # the pattern after cleaning (no leading '!')
    exclusion: bool  # True for a '!' exception line (re-includes)
    line: int  # 1-based line in the ignore file
    start: int  # char offset of the pattern's first char (incl. '!') in the file text
    end: int  # char offset just past the pattern text on that line (before trailing spaces)


class IgnorePatternError(ValueError):
    """A pattern that makes Docker fail the build, or that mcplint cannot evaluate.

    `docker_fails` is False only for Go regular-expression features Python's `re` lacks (`\\p{...}`
    Unicode classes); Docker accepts those patterns, mcplint just cannot tell what they match.
    """

    def __init__(self, pattern: IgnorePattern, reason: str, *, docker_fails: bool = True) -> None:
        super().__init__(f"line {pattern.line}: {reason}")
        self.pattern = pattern
        self.reason = reason
        self.docker_fails = docker_fails


# ------------------------------------------------------------------------------ reading


def parse_dockerignore(text: str) -> tuple[IgnorePattern, ...]:
    """Every pattern of an ignore file, cleaned exactly as Docker cleans it, with its position.

    Never raises: a pattern Docker refuses is returned too; `pattern_error` tells why and
    `IgnoreMatcher` raises for it.
    """
    patterns: list[IgnorePattern] = []
    line_start = 0
    line_number = 0
    while line_start < len(text):
        newline = text.find("\n", line_start)
        line_end = len(text) if newline < 0 else newline
        next_start = line_end + 1
        line_number += 1
        content_start = line_start
        if line_number == 1 and text.startswith(_UTF8_BOM):
            content_start += 1
        content_end = line_end
        if content_end > content_start and text[content_end - 1] == "\r":
            content_end -= 1
        line_start = next_start
        if text.startswith("#", content_start, content_end):
            continue
        start, end = _go_trim_span(text, content_start, content_end)
        if start == end:
            continue
        exclusion, cleaned = _cleaned_for_matcher(_read_all_pattern(text[start:end]))
        patterns.append(IgnorePattern(cleaned, exclusion, line_number, start, end))
    return tuple(patterns)


def _read_all_pattern(trimmed: str) -> str:
    """The string `ReadAll` hands to the matcher for one trimmed, non-comment line."""
    invert = trimmed.startswith("!")
    pattern = _go_trim_space(trimmed[1:]) if invert else trimmed
    if pattern:
        pattern = go_clean(pattern)
        if len(pattern) > 1 and pattern.startswith("/"):
            pattern = pattern[1:]
    return "!" + pattern if invert else pattern


def _cleaned_for_matcher(pattern: str) -> tuple[bool, str]:
    """What `patternmatcher.New` does to a `ReadAll` line: trim, clean, split off the `!`."""
    pattern = go_clean(_go_trim_space(pattern))
    if pattern.startswith("!"):
        return True, pattern[1:]
    return False, pattern


def pattern_error(pattern: IgnorePattern) -> str | None:
    """Why `patternmatcher.New` refuses this pattern (Docker fails the build), or None."""
    if pattern.exclusion and not pattern.text:
        return 'illegal exclusion pattern: "!"'
    try:
        # patternmatcher.New asks Go's Match about ".": only the malformations Match reaches count.
        filepath_match(pattern.text, ".")
    except BadPattern:
        return f"syntax error in pattern {pattern.text!r}"
    return None


def _go_trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in GO_UNICODE_SPACE:
        start += 1
    while end > start and text[end - 1] in GO_UNICODE_SPACE:
        end -= 1
    return start, end


def _go_trim_space(text: str) -> str:
    start, end = _go_trim_span(text, 0, len(text))
    return text[start:end]


# ------------------------------------------------------------------------------ compiling


class _Kind(Enum):
    EXACT = "exact"
    PREFIX = "prefix"
    SUFFIX = "suffix"
    REGEX = "regex"


def _go_regexp_source(pattern: str) -> tuple[_Kind, str]:
    """How patternmatcher's `compile` classifies a cleaned pattern, and the Go regexp it builds."""
    source = "^"
    kind = _Kind.EXACT
    position = 0
    iteration = 0
    while position < len(pattern):
        char = pattern[position]
        position += 1
        if char == "*":
            if pattern.startswith("*", position):
                position += 1
                if pattern.startswith("/", position):
                    position += 1
                if position == len(pattern):
                    if kind is _Kind.EXACT:
                        kind = _Kind.PREFIX
                    else:
                        source += ".*"
                        kind = _Kind.REGEX
                else:
                    source += "(.*/)?"
                    kind = _Kind.REGEX
                if iteration == 0:
                    kind = _Kind.SUFFIX
            else:
                source += "[^/]*"
                kind = _Kind.REGEX
        elif char == "?":
            source += "[^/]"
            kind = _Kind.REGEX
        elif char in _ESCAPED_FOR_REGEXP:
            source += "\\" + char
        elif char == "\\":
            if position < len(pattern):
                source += "\\" + pattern[position]
                position += 1
                kind = _Kind.REGEX
            else:
                source += "\\"
        elif char in "[]":
            source += char
            kind = _Kind.REGEX
        else:
            source += char
        iteration += 1
    return kind, source + "$"


class _RegexUnusable(Exception):
    def __init__(self, reason: str, *, docker_fails: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.docker_fails = docker_fails


# Go regexp/syntax Perl and POSIX classes (perl_groups.go), as inclusive code point ranges.
_DIGIT = ((0x30, 0x39),)
_SPACE = ((0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20))
_WORD = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))
_PERL_CLASSES = {"d": _DIGIT, "s": _SPACE, "w": _WORD}
_POSIX_CLASSES = {
    "alnum": ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)),
    "alpha": ((0x41, 0x5A), (0x61, 0x7A)),
    "ascii": ((0x00, 0x7F),),
    "blank": ((0x09, 0x09), (0x20, 0x20)),
    "cntrl": ((0x00, 0x1F), (0x7F, 0x7F)),
    "digit": _DIGIT,
    "graph": ((0x21, 0x7E),),
    "lower": ((0x61, 0x7A),),
    "print": ((0x20, 0x7E),),
    "punct": ((0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)),
    "space": ((0x09, 0x0D), (0x20, 0x20)),
    "upper": ((0x41, 0x5A),),
    "word": _WORD,
    "xdigit": ((0x30, 0x39), (0x41, 0x46), (0x61, 0x66)),
}
_OCTAL = "01234567"
_HEX = "0123456789abcdefABCDEF"
_C_ESCAPES = {"a": "\a", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _merge(ranges: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def _negate(ranges: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    result: list[tuple[int, int]] = []
    next_low = 0
    for low, high in sorted(ranges):
        if low > next_low:
            result.append((next_low, low - 1))
        next_low = max(next_low, high + 1)
    if next_low <= _MAX_RUNE:
        result.append((next_low, _MAX_RUNE))
    return result


def _python_class(ranges: Sequence[tuple[int, int]]) -> str:
    if not ranges:
        return "(?!)"
    items = "".join(
        f"\\U{low:08x}" if low == high else f"\\U{low:08x}-\\U{high:08x}" for low, high in ranges
    )
    return f"[{items}]"


def _perl_class(letter: str) -> list[tuple[int, int]] | None:
    ranges = _PERL_CLASSES.get(letter.lower())
    if ranges is None:
        return None
    return _negate(ranges) if letter.isupper() else list(ranges)


def _go_escape(source: str, position: int) -> tuple[str, int]:
    """Go's parseEscape at `source[position] == '\\'`: the character meant and where parsing goes on."""
    position += 1
    if position == len(source):
        raise _RegexUnusable("trailing backslash at end of expression", docker_fails=True)
    char = source[position]
    position += 1
    if ord(char) < 0x80 and not char.isalnum():
        return char, position
    if char in "1234567" and not source.startswith(tuple(_OCTAL), position):
        raise _RegexUnusable(f"invalid escape sequence: \\{char}", docker_fails=True)
    if char in _OCTAL:
        value = int(char)
        for _ in range(2):
            if position < len(source) and source[position] in _OCTAL:
                value = value * 8 + int(source[position])
                position += 1
        return chr(value), position
    if char == "x":
        return _go_hex_escape(source, position)
    if char in _C_ESCAPES:
        return _C_ESCAPES[char], position
    raise _RegexUnusable(f"invalid escape sequence: \\{char}", docker_fails=True)


def _go_hex_escape(source: str, position: int) -> tuple[str, int]:
    invalid = _RegexUnusable("invalid escape sequence: \\x", docker_fails=True)
    if source.startswith("{", position):
        close = source.find("}", position + 1)
        digits = source[position + 1 : close] if close >= 0 else ""
        if not digits or any(d not in _HEX for d in digits) or int(digits, 16) > _MAX_RUNE:
            raise invalid
        return chr(int(digits, 16)), close + 1
    digits = source[position : position + 2]
    if len(digits) < 2 or any(d not in _HEX for d in digits):
        raise invalid
    return chr(int(digits, 16)), position + 2


def _go_class(source: str, position: int) -> tuple[list[tuple[int, int]], int]:
    """Go's parseClass at `source[position] == '['`: the matched code points and where it ends."""
    position += 1
    negated = source.startswith("^", position)
    if negated:
        position += 1
    ranges: list[tuple[int, int]] = []
    first = True
    while position == len(source) or source[position] != "]" or first:
        first = False
        if position == len(source):
            raise _RegexUnusable("missing closing ]", docker_fails=True)
        rest = source[position:]
        if len(rest) > 2 and rest.startswith("[:"):
            close = rest.find(":]", 2)
            if close >= 0:
                name = rest[2:close]
                group = _POSIX_CLASSES.get(name.removeprefix("^"))
                if group is None:
                    raise _RegexUnusable(f"invalid character class range: [:{name}:]", docker_fails=True)
                ranges.extend(_negate(group) if name.startswith("^") else group)
                position += close + 2
                continue
        if rest.startswith(("\\p", "\\P")):
            raise _RegexUnusable("Unicode class escapes are not evaluated by mcplint", docker_fails=False)
        if rest.startswith("\\") and len(rest) > 1 and (perl := _perl_class(rest[1])) is not None:
            ranges.extend(perl)
            position += 2
            continue
        low, position = _go_class_char(source, position)
        high = low
        if source.startswith("-", position) and position + 1 < len(source) and source[position + 1] != "]":
            high, position = _go_class_char(source, position + 1)
            if high < low:
                raise _RegexUnusable("invalid character class range", docker_fails=True)
        ranges.append((ord(low), ord(high)))
    return (_negate(ranges) if negated else _merge(ranges)), position + 1


def _go_class_char(source: str, position: int) -> tuple[str, int]:
    if source[position] == "\\":
        return _go_escape(source, position)
    return source[position], position + 1


_ATOM, _REPEATED, _BAR = "atom", "repeated", "bar"
_MAX_REPEAT = 1000
# Go without flags: `^`/`$` anchor the whole text (Python's \A, \Z); escaped anchors keep their meaning.
_TEXT_ANCHORS = {"^": r"\A", "$": r"\Z"}
_ESCAPED_ANCHORS = {"A": r"\A", "z": r"\Z", "b": r"\b", "B": r"\B"}


def _python_regex(go_source: str) -> re.Pattern[str]:
    """Translate the Go regexp patternmatcher builds into an equivalent Python one.

    patternmatcher escapes only `. + ( ) $` (its escape bitmap loses every byte from 64 up), so
    besides its own `[^/]*`, `[^/]`, `.*` and `(.*/)?` a pattern can hand Go's parser raw `|`
    (alternation), `{n,m}` repetitions, `^` anchors, classes with POSIX and Perl classes, and
    backslash escapes with Go's meaning. Each token is kept as one atom, as on Go's parser stack,
    so that a repetition applies to the right thing and the same misuses are errors.
    """
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(go_source):
        char = go_source[position]
        if char == "\\":
            position = _escape_tokens(go_source, position, tokens)
        elif char == "[":
            ranges, position = _go_class(go_source, position)
            tokens.append((_python_class(ranges), _ATOM))
        elif char == "(":
            # The only group patternmatcher writes is "(.*/)"; users' parentheses are escaped.
            tokens.append(("(?:.*/)", _ATOM))
            position += len("(.*/)")
        elif char in "*?":
            _repeat(tokens, char, char)
            position += 1
        elif char == "{" and (counts := _go_repeat_counts(go_source, position)) is not None:
            low, high, after = counts
            written = go_source[position:after]
            if low < 0 or low > _MAX_REPEAT or high > _MAX_REPEAT or 0 <= high < low:
                raise _RegexUnusable(f"invalid repeat count: {written}", docker_fails=True)
            bounds = str(low) if low == high else f"{low},{'' if high < 0 else high}"
            _repeat(tokens, f"{{{bounds}}}", written)
            position = after
        elif char == "|":
            tokens.append(("|", _BAR))
            position += 1
        else:
            # Go's `.` without flags excludes only "\n", like Python's.
            tokens.append((_TEXT_ANCHORS.get(char, "." if char == "." else re.escape(char)), _ATOM))
            position += 1
    return re.compile("".join(text for text, _ in tokens), re.ASCII)


def _escape_tokens(source: str, position: int, tokens: list[tuple[str, str]]) -> int:
    """Go's handling of `\\` outside a class; appends the atoms it means, returns where to go on."""
    follower = source[position + 1 : position + 2]
    if follower in _ESCAPED_ANCHORS:
        tokens.append((_ESCAPED_ANCHORS[follower], _ATOM))
        return position + 2
    if follower == "Q":
        close = source.find("\\E", position + 2)
        end = len(source) if close < 0 else close
        tokens.extend((re.escape(char), _ATOM) for char in source[position + 2 : end])
        return end if close < 0 else close + 2
    if follower == "C":
        raise _RegexUnusable("invalid escape sequence: \\C", docker_fails=True)
    if follower in ("p", "P"):
        raise _RegexUnusable("Unicode class escapes are not evaluated by mcplint", docker_fails=False)
    perl = _perl_class(follower) if follower else None
    if perl is not None:
        tokens.append((_python_class(perl), _ATOM))
        return position + 2
    literal, position = _go_escape(source, position)
    tokens.append((re.escape(literal), _ATOM))
    return position


def _repeat(tokens: list[tuple[str, str]], quantifier: str, written: str) -> None:
    """Go's parser.repeat: the top atom takes the quantifier; no atom, or a stacked one, is an error."""
    text, kind = tokens[-1]
    if kind == _BAR:
        raise _RegexUnusable(f"missing argument to repetition operator: {written}", docker_fails=True)
    if kind == _REPEATED:
        raise _RegexUnusable(f"invalid nested repetition operator: {written}", docker_fails=True)
    tokens[-1] = (f"(?:{text}){quantifier}", _REPEATED)


def _go_repeat_counts(source: str, position: int) -> tuple[int, int, int] | None:
    """Go's parseRepeat at `{`: (min, max or -1 for none, end), or None when `{` is a literal."""
    low, position = _go_int(source, position + 1)
    if low is None or position == len(source):
        return None
    high = low
    if source[position] == ",":
        position += 1
        if position == len(source):
            return None
        if source[position] == "}":
            high = -1
        else:
            written_high, position = _go_int(source, position)
            if written_high is None:
                return None
            high = written_high
            if high < 0:
                low = -1
    if not source.startswith("}", position):
        return None
    return low, high, position + 1


def _go_int(source: str, position: int) -> tuple[int | None, int]:
    """Go's parseInt: decimal digits without a leading zero; -1 when the value is too big to matter."""
    end = position
    while end < len(source) and source[end] in "0123456789":
        end += 1
    digits = source[position:end]
    if not digits or (len(digits) > 1 and digits[0] == "0"):
        return None, position
    return (int(digits) if len(digits) <= 9 else -1), end


@dataclass(frozen=True, slots=True)
class _Compiled:
    kind: _Kind
    text: str
    regex: re.Pattern[str] | None
    problem: _RegexUnusable | None

    def matches(self, path: str) -> bool:
        if self.kind is _Kind.EXACT:
            return path == self.text
        if self.kind is _Kind.PREFIX:
            return path.startswith(self.text[:-2])
        if self.kind is _Kind.SUFFIX:
            suffix = self.text[2:]
            return path.endswith(suffix) or (suffix.startswith("/") and path == suffix[1:])
        assert self.regex is not None
        return self.regex.search(path) is not None


def _compile(pattern: str) -> _Compiled:
    kind, source = _go_regexp_source(pattern)
    if kind is not _Kind.REGEX:
        return _Compiled(kind, pattern, None, None)
    try:
        return _Compiled(kind, pattern, _python_regex(source), None)
    except _RegexUnusable as problem:
        return _Compiled(kind, pattern, None, problem)


# ------------------------------------------------------------------------------ matching


class IgnoreMatcher:
    """Which context paths Docker leaves out, with the ignore-file line that decides it."""

    def __init__(self, patterns: Sequence[IgnorePattern]) -> None:
        for pattern in patterns:
            problem = pattern_error(pattern)
            if problem is not None:
                raise IgnorePatternError(pattern, problem)
        self._patterns = tuple(patterns)
        self._compiled = tuple(_compile(pattern.text) for pattern in self._patterns)
        # Per directory: for each pattern, whether it matched there (MatchInfo.parentMatched).
        self._directory_results: dict[str, tuple[bool, ...]] = {}

    @property
    def broken_patterns(self) -> tuple[IgnorePatternError, ...]:
        """Patterns whose Go regexp cannot be used: Docker fails the build once its walk reaches one
        (`docker_fails`), or mcplint cannot evaluate it (Unicode class escapes)."""
        return tuple(
            IgnorePatternError(pattern, compiled.problem.reason, docker_fails=compiled.problem.docker_fails)
            for pattern, compiled in zip(self._patterns, self._compiled, strict=True)
            if compiled.problem is not None
        )

    def deciding_pattern(self, path: str) -> IgnorePattern | None:
        """The pattern that excludes `path` (slash-separated, context-relative), or None if it is sent.

        Raises IgnorePatternError when deciding needs a pattern Docker cannot compile, and
        ValueError for a path outside the context.
        """
        cleaned = go_clean(path.lstrip("/")) if path else "."
        if cleaned == ".":
            return None
        if cleaned == ".." or cleaned.startswith("../"):
            raise ValueError(f"{path!r} is outside the build context")
        parent, _, _ = cleaned.rpartition("/")
        excluded, results = self._decide(cleaned, self._results_for_directory(parent))
        if not excluded:
            return None
        return self._patterns[max(index for index, matched in enumerate(results) if matched)]

    def is_excluded(self, path: str) -> bool:
        return self.deciding_pattern(path) is not None

    def _results_for_directory(self, directory: str) -> tuple[bool, ...] | None:
        """The walk's results for a directory ("" is the root, which passes none down)."""
        if not directory:
            return None
        missing: list[str] = []
        ancestor = directory
        while ancestor and ancestor not in self._directory_results:
            missing.append(ancestor)
            ancestor = ancestor.rpartition("/")[0]
        results = self._directory_results.get(ancestor) if ancestor else None
        for path in reversed(missing):
            results = self._decide(path, results)[1]
            self._directory_results[path] = results
        return results

    def _decide(self, path: str, parent_results: tuple[bool, ...] | None) -> tuple[bool, tuple[bool, ...]]:
        """patternmatcher `MatchesUsingParentResults`: excluded?, and per-pattern results to pass down."""
        excluded = False
        results = [False] * len(self._patterns)
        for index, (pattern, compiled) in enumerate(zip(self._patterns, self._compiled, strict=True)):
            matched = parent_results[index] if parent_results is not None else False
            if not matched:
                # An exception is only evaluated for an excluded path, a pattern only for an included one.
                if pattern.exclusion != excluded:
                    continue
                if compiled.problem is not None:
                    raise IgnorePatternError(
                        pattern, compiled.problem.reason, docker_fails=compiled.problem.docker_fails
                    )
                matched = compiled.matches(path)
            results[index] = matched
            if matched:
                excluded = not pattern.exclusion
        return excluded, tuple(results)
