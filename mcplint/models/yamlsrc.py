"""Read Compose YAML the way Docker Compose reads it, keeping the exact source span of every node.

Docker Compose decodes YAML with go-yaml v3 (through compose-go), whose dialect is neither YAML 1.1
nor plain YAML 1.2:

- plain scalars resolve with YAML 1.2 core rules, except that a leading `0` still means octal
  (`0755` is 493), `0o17`, `0x1F`, `0b101` and `1_000` are integers, `yes/no/on/off` stay strings
  (only a typed boolean field converts them later) and there are no base-60 numbers (`22:22` is a
  string). Quoted and block scalars are always strings unless explicitly tagged;
- duplicate keys are errors; keys in Compose are scalars;
- merge keys `<<` take a mapping, a sequence of mappings, or an alias to either (compose-go
  substitutes aliases before decoding). A mapping's own keys win over merged ones and earlier
  sources win over later ones;
- anchors stay defined for the following documents of the stream (one decoder reads them all);
- unknown tags such as `!reset` and `!override` are kept for Compose to interpret.

ruamel.yaml is used only as a parser: its pure-Python event stream, with one scanner change so that
a tab after `key:` separates as it does in libyaml/go-yaml. The tree is built here from the events:
immutable nodes whose `start`/`end` are character offsets into the text as given (CRLF included).
A byte order mark is the caller's business: strip it before calling, or offsets are still counted
from the text as passed.

Aliases reuse the anchored node object, so a document is a DAG. A document is refused (returned as
None, with an error) when
- its expanded size (what a walk of `items` visits, merge sources counted in full), computed with
  memoisation while it is built, exceeds `max_nodes`: consumers walk the tree recursively;
- go-yaml's decoder would stop it with "document contains excessive aliasing" (decode.go,
  allowedAliasRatio), counted over the whole document; a merge source written as `<<: *anchor`
  is not an alias for this count, because compose-go hands the decoder the anchored node itself;
- it nests deeper than `max_depth`, which keeps recursive consumers within Python's limit.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError as RuamelError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.scanner import Scanner

from mcplint.gostrings import go_quote

# ------------------------------------------------------------------------------------------ nodes

ScalarValue = str | int | float | bool | None


@dataclass(frozen=True, slots=True, eq=False)
class YScalar:
    value: ScalarValue  # resolved with go-yaml rules (quoted scalars are str)
    text: str  # the content after YAML unescaping and folding
    tag: str | None  # explicit tag in go-yaml's short form ('!reset', '!!str', '!'), or None
    style: str  # '' plain, "'" single, '"' double, '|' literal, '>' folded
    start: int  # offsets into the document text; anchors, tags, quotes and block headers included
    end: int
    # go-yaml's resolved tag: '!!str', '!!int', '!!float', '!!bool', '!!null', '!!timestamp',
    # '!!binary', '!!merge' or the explicit unknown tag. A timestamp keeps its text as `value`,
    # but Compose sees a time (it reformats it and refuses it where a string is expected).
    resolved_tag: str


@dataclass(frozen=True, slots=True, eq=False)
class YMap:
    items: tuple[tuple[YScalar, YNode], ...]  # own keys in source order, then merged keys
    merged_from: tuple[YMap, ...]  # the mappings merged in through '<<', in merge order
    tag: str | None
    start: int
    end: int
    flow: bool
    _positions: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_positions", {key.text: index for index, (key, _) in enumerate(self.items)})

    def get(self, key: str) -> YNode | None:
        """The value of the key whose text is `key` (keys are looked up by text: `1:` is "1")."""
        position = self._positions.get(key)
        return None if position is None else self.items[position][1]

    def key_node(self, key: str) -> YScalar | None:
        """The key node itself: where the key is written (in the anchor's text if merged)."""
        position = self._positions.get(key)
        return None if position is None else self.items[position][0]


@dataclass(frozen=True, slots=True, eq=False)
class YSeq:
    items: tuple[YNode, ...]
    tag: str | None
    start: int
    end: int
    flow: bool


YNode = YScalar | YMap | YSeq


@dataclass(frozen=True, slots=True)
class YamlError:
    message: str
    start: int  # character offset of the problem in the text


# ------------------------------------------------------------------------ go-yaml scalar resolution

_STR, _INT, _FLOAT, _BOOL, _NULL = "!!str", "!!int", "!!float", "!!bool", "!!null"
_TIMESTAMP, _BINARY, _MERGE = "!!timestamp", "!!binary", "!!merge"
_RESOLVABLE_TAGS = frozenset({_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP})
_LONG_TAG_PREFIX = "tag:yaml.org,2002:"

# go-yaml v3 resolve.go: words looked up before any number parsing.
_WORDS: dict[str, tuple[str, object]] = {
    **{word: (_BOOL, True) for word in ("true", "True", "TRUE")},
    **{word: (_BOOL, False) for word in ("false", "False", "FALSE")},
    **{word: (_NULL, None) for word in ("", "~", "null", "Null", "NULL")},
    **{word: (_FLOAT, math.nan) for word in (".nan", ".NaN", ".NAN")},
    **{word: (_FLOAT, math.inf) for word in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")},
    **{word: (_FLOAT, -math.inf) for word in ("-.inf", "-.Inf", "-.INF")},
}
# go-yaml only tries to resolve a plain scalar whose first character hints at a non-string.
_NUMBER_START = frozenset("+-0123456789")
_RESOLVE_START = _NUMBER_START | frozenset("yYnNtTfFoO~.")
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_DOT_FLOAT = re.compile(r"\.([0-9_]*)(?:[eE][-+]?[0-9][0-9_]*)?")
_DIGIT_VALUES = {character: value for value, character in enumerate("0123456789abcdefghijklmnopqrstuvwxyz")}
_DIGIT_VALUES.update({character.upper(): value for character, value in _DIGIT_VALUES.items()})
_TIMESTAMP_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_TIMESTAMP_TIME = re.compile(r"([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,][0-9]+)?")
_TIMESTAMP_ZONE = re.compile(r"Z|[-+]([0-9]{2}):([0-9]{2})")
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _short_tag(tag: str | None) -> str | None:
    if tag is not None and tag.startswith(_LONG_TAG_PREFIX):
        return "!!" + tag[len(_LONG_TAG_PREFIX) :]
    return tag


def _go_parse_uint(digits: str) -> int | None:
    """Go's strconv.ParseUint(s, 0, 64): base prefixes 0b/0o/0x, and a bare leading 0 means octal."""
    if not digits:
        return None
    base = 10
    if digits[0] == "0":
        prefix = digits[1:2].lower()
        if len(digits) >= 3 and prefix in ("b", "o", "x"):
            base, digits = {"b": 2, "o": 8, "x": 16}[prefix], digits[2:]
        else:
            base, digits = 8, digits[1:]
    number = 0
    for character in digits:
        value = _DIGIT_VALUES.get(character)
        if value is None or value >= base:
            return None
        number = number * base + value
    return number if number < 1 << 64 else None


def _go_parse_integer(plain: str) -> int | None:
    """go-yaml's ParseInt(plain, 0, 64), then ParseUint for unsigned values beyond int64."""
    sign = plain[:1] if plain[:1] in ("+", "-") else ""
    magnitude = _go_parse_uint(plain[len(sign) :])
    if magnitude is None:
        return None
    if sign == "-":
        return -magnitude if magnitude <= 1 << 63 else None
    if magnitude < 1 << 63 or not sign:
        return magnitude
    return None  # '+' and beyond int64: ParseUint rejects the sign


def _underscores_between_digits(text: str) -> bool:
    """Go's rule for '_' in number literals: only between digits."""
    previous = "^"
    for character in text:
        if "0" <= character <= "9":
            previous = "0"
        elif character == "_":
            if previous != "0":
                return False
            previous = "_"
        elif previous == "_":
            return False
        else:
            previous = "!"
    return previous != "_"


def _go_parse_dot_float(text: str) -> float | None:
    """Go's strconv.ParseFloat for a scalar starting with '.' (go-yaml passes it unchanged)."""
    match = _DOT_FLOAT.fullmatch(text)
    if match is None or not any("0" <= character <= "9" for character in match.group(1)):
        return None
    if "_" in text and not _underscores_between_digits(text):
        return None
    number = float(text.replace("_", ""))
    return None if math.isinf(number) else number


def _is_go_timestamp(text: str) -> bool:
    """go-yaml's parseTimestamp: time.Parse with its four layouts, ranges checked as Go does."""
    date = _TIMESTAMP_DATE.match(text)
    if date is None:
        return False
    year, month, day = (int(part) for part in date.groups())
    if not 1 <= month <= 12:
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if not 1 <= day <= _DAYS_IN_MONTH[month - 1] + (month == 2 and leap):
        return False
    rest = text[date.end() :]
    if not rest:
        return True
    separator, rest = rest[0], rest[1:]
    if separator not in "Tt ":
        return False
    clock = _TIMESTAMP_TIME.match(rest)
    if clock is None:
        return False
    hour, minute, second = (int(part) for part in clock.groups())
    if hour >= 24 or minute >= 60 or second >= 60:
        return False
    zone_text = rest[clock.end() :]
    if separator == " ":
        return not zone_text  # the layout with a space has no zone
    zone = _TIMESTAMP_ZONE.fullmatch(zone_text)
    if zone is None:
        return False
    return zone.group(1) is None or (int(zone.group(1)) <= 24 and int(zone.group(2)) <= 60)


def _resolve_untagged(text: str, tag: str) -> tuple[str, object]:
    """go-yaml's resolve() for an untagged plain scalar ('' tag) or a resolvable explicit tag."""
    if text and text[0] not in _RESOLVE_START:
        return _STR, text
    word = _WORDS.get(text)
    if word is not None:
        return word
    if text[0] == ".":
        number = _go_parse_dot_float(text)
        if number is not None:
            return _FLOAT, number
    elif text[0] in _NUMBER_START:
        if tag in ("", _TIMESTAMP) and _is_go_timestamp(text):
            return _TIMESTAMP, text
        plain = text.replace("_", "")
        integer = _go_parse_integer(plain)
        if integer is not None:
            return _INT, integer
        if _YAML_STYLE_FLOAT.fullmatch(plain):
            number = float(plain)
            if not math.isinf(number):  # Go reports a range error, go-yaml keeps the string
                return _FLOAT, number
        # go-yaml's separate 0b/0o fallbacks accept nothing ParseInt with base 0 rejected.
    return _STR, text


def _resolve_scalar(text: str, style: str, tag: str | None) -> tuple[ScalarValue, str, str | None]:
    """The value go-yaml decodes into an untyped field, its resolved tag, and a decoding problem."""
    if tag == _STR or (style and tag in (None, "!")):
        return text, _STR, None
    if tag in (None, "!"):
        if text == "<<":
            return text, _MERGE, None
        resolved_tag, value = _resolve_untagged(text, "")
        return value, resolved_tag, None  # type: ignore[return-value]
    if tag == _BINARY:
        try:
            decoded = base64.b64decode(text.replace("\r", "").replace("\n", ""), validate=True)
        except (binascii.Error, ValueError):
            return text, _STR, "!!binary value contains invalid base64 data"
        return decoded.decode("utf-8", errors="replace"), _BINARY, None
    if tag not in _RESOLVABLE_TAGS:
        return text, tag, None
    resolved_tag, value = _resolve_untagged(text, tag)
    if resolved_tag == tag:
        return value, tag, None  # type: ignore[return-value]
    if tag == _FLOAT and resolved_tag == _INT:
        return float(value), _FLOAT, None  # type: ignore[arg-type]
    return text, _STR, f"cannot decode {resolved_tag} `{text}` as a {tag}"


# ---------------------------------------------------------------------------------------- parsing

_LINE_END = "\0\r\n\x85\u2028\u2029"


class _GoYamlScanner(Scanner):  # type: ignore[misc]
    """ruamel's scanner with libyaml's rule for tabs between tokens.

    libyaml (and so go-yaml) skips tabs as separation in flow context and wherever a simple key
    cannot start, e.g. after `key:`; ruamel's pure scanner only in flow context, so `image:<TAB>x`,
    which Compose accepts, would otherwise be a syntax error here.
    """

    def scan_to_next_token(self) -> None:
        peek, forward = self.reader.peek, self.reader.forward
        if self.reader.index == 0 and peek() == "\ufeff":
            forward()
        while True:
            blanks = " \t" if self.flow_level or not self.allow_simple_key else " "
            while peek() in blanks:
                forward()
            if peek() == "#":
                while peek() not in _LINE_END:
                    forward()
            if not self.scan_line_break():
                return
            if not self.flow_level:
                self.allow_simple_key = True


def _events(text: str) -> Iterator[Event]:
    reader = YAML(typ="safe", pure=True)
    reader.Scanner = _GoYamlScanner
    return reader.parse(text)  # type: ignore[no-any-return]


def _syntax_error(error: RuamelError) -> YamlError:
    """ruamel's report, placed where it found the problem (its `problem_mark`)."""
    if isinstance(error, ReaderError):
        character = error.character if isinstance(error.character, int) else ord(error.character)
        return YamlError(f"control characters are not allowed (#x{character:04x})", error.position)
    problem, context = getattr(error, "problem", None), getattr(error, "context", None)
    problem_mark, context_mark = getattr(error, "problem_mark", None), getattr(error, "context_mark", None)
    message = problem or str(error)
    if context:
        where = f" at line {context_mark.line + 1}" if context_mark is not None else ""
        message = f"{message} ({context}{where})"
    mark = problem_mark or context_mark
    return YamlError(message, mark.index if mark is not None else 0)


# ------------------------------------------------------------------------------------ tree building

# go-yaml decode.go allowedAliasRatio: a decode in which more than this share of the visited nodes
# comes from alias expansion fails with "document contains excessive aliasing".
_ALIAS_RATIO_LOW, _ALIAS_RATIO_HIGH = 400_000, 4_000_000


def _excessive_aliasing(visits: int, alias_visits: int) -> bool:
    if visits <= _ALIAS_RATIO_LOW:
        allowed = 0.99
    elif visits >= _ALIAS_RATIO_HIGH:
        allowed = 0.10
    else:
        allowed = 0.99 - 0.89 * (visits - _ALIAS_RATIO_LOW) / (_ALIAS_RATIO_HIGH - _ALIAS_RATIO_LOW)
    return alias_visits > 100 and visits > 1000 and alias_visits / visits > allowed


class _Refused(Exception):
    """A safety limit stops the current document."""

    def __init__(self, message: str, start: int) -> None:
        super().__init__(message)
        self.error = YamlError(message, start)


class _Pending:
    """Marks an anchor whose collection is still open: an alias to it would make a cycle."""


_PENDING = _Pending()


@dataclass(slots=True)
class _Child:
    node: YNode
    via_alias: bool
    start: int  # where this occurrence is written: the alias itself for an alias
    end: int


@dataclass(slots=True)
class _Open:
    """A collection (or the document) whose children are still being read."""

    start: int
    anchor: str | None
    tag: str | None
    flow: bool
    is_map: bool
    children: list[_Child] = field(default_factory=list)
    expanded: int = 1  # nodes a full walk of `items` visits
    visits: int = 1  # nodes go-yaml's decoder visits (its alias-ratio accounting) ...
    alias_visits: int = 0  # ... and how many of those are inside an alias


@dataclass(frozen=True, slots=True)
class _Cost:
    expanded: int
    visits: int
    alias_visits: int


_SCALAR_COST = _Cost(1, 1, 0)


_NODE_EVENTS = (
    ScalarEvent, AliasEvent, MappingStartEvent, MappingEndEvent, SequenceStartEvent, SequenceEndEvent,
)  # fmt: skip
_MERGE_NEEDS_MAPS = "map merge requires map or sequence of maps as the value"


class _Builder:
    def __init__(self, text: str, max_nodes: int, max_depth: int) -> None:
        self.text = text
        self.max_nodes = max_nodes
        self.max_depth = max_depth
        self.errors: list[YamlError] = []
        self.anchors: dict[str, YNode | _Pending] = {}
        self.costs: dict[int, _Cost] = {}  # per collection node, by id (nodes stay alive meanwhile)
        self.stack: list[_Open] = []

    def run(self) -> list[YNode | None]:
        documents: list[YNode | None] = []
        refused = False
        try:
            for event in _events(self.text):
                if isinstance(event, DocumentStartEvent):
                    # The document node counts as a decoder visit, not as part of the expanded size.
                    self.stack = [_Open(event.start_mark.index, None, None, False, False, expanded=0)]
                    refused = False
                elif isinstance(event, DocumentEndEvent):
                    documents.append(None if refused else self._finish_document())
                elif refused or not isinstance(event, _NODE_EVENTS):
                    continue
                else:
                    try:
                        self._on_node_event(event)
                    except _Refused as refusal:
                        self.errors.append(refusal.error)
                        self._forget_pending_anchors()
                        refused = True
        except RuamelError as error:
            self.errors.append(_syntax_error(error))
        return documents

    # -- events

    def _on_node_event(self, event: Event) -> None:
        start, end = event.start_mark.index, event.end_mark.index
        if isinstance(event, ScalarEvent) and start == end and not event.value and not event.anchor:
            start = end = self._empty_value_position(start)
        if isinstance(event, ScalarEvent):
            node = self._scalar(event, start, end)
            self._register(event.anchor, node)
            self._add(_Child(node, False, node.start, node.end))
        elif isinstance(event, AliasEvent):
            self._add(self._alias(event.anchor, start, end))
        elif isinstance(event, (MappingStartEvent, SequenceStartEvent)):
            if len(self.stack) > self.max_depth:
                raise _Refused(f"exceeded max depth of {self.max_depth}", start)
            if event.anchor is not None:
                self.anchors[event.anchor] = _PENDING
            is_map = isinstance(event, MappingStartEvent)
            tag = _short_tag(event.tag)
            self.stack.append(_Open(start, event.anchor, tag, bool(event.flow_style), is_map))
        else:  # MappingEndEvent or SequenceEndEvent
            frame = self.stack.pop()
            end = end if frame.flow else (frame.children[-1].end if frame.children else frame.start)
            node = self._mapping(frame, end) if frame.is_map else self._sequence(frame, end)
            self._register(frame.anchor, node)
            self._add(_Child(node, False, node.start, node.end))

    def _empty_value_position(self, next_token: int) -> int:
        """Where an empty mapping value (`key:` with nothing after it) is written: just after its
        colon. The scanner marks it at the next token, which may be the next key's line, so an edit
        that appends to the value's mapping would land in the next one. Between the key and the
        value only blanks and `?`/`:` indicators stand, so the first colon after the key is its own."""
        frame = self.stack[-1]
        if not frame.is_map or len(frame.children) % 2 == 0:
            return next_token  # a sequence item or a key: the scanner's mark is where it is written
        colon = self.text.find(":", frame.children[-1].end, next_token)
        return next_token if colon < 0 else colon + 1

    def _scalar(self, event: ScalarEvent, start: int, end: int) -> YScalar:
        style = event.style or ""
        tag = _short_tag(event.tag)
        if style in ("|", ">"):
            end = self._block_scalar_end(start, end)
        value, resolved_tag, problem = _resolve_scalar(event.value, style, tag)
        if problem is not None:
            self.errors.append(YamlError(problem, start))
        return YScalar(value, event.value, tag, style, start, end, resolved_tag)

    def _block_scalar_end(self, start: int, end: int) -> int:
        """The scanner's end of a block scalar runs to the next token; keep only the scalar's lines.

        With clip or strip chomping the trailing blank lines are not part of the value, so the span
        ends with the line break of the last line that has content. With keep chomping they are
        part of it and only the next line's indentation is dropped.
        """
        text = self.text
        header = start
        while header < end and text[header] not in "|>":
            if text[header] in "&!":  # node properties before the indicator
                while header < end and text[header] not in " \t\r\n":
                    header += 1
            else:
                header += 1
        indicators_end = header + 1
        while indicators_end < end and text[indicators_end] in "+-0123456789":
            indicators_end += 1
        if "+" in text[header:indicators_end]:
            while end > start and text[end - 1] in " \t":
                end -= 1
            return end
        last = end - 1
        while last > header and text[last] in " \t\r\n":
            last -= 1
        line_end = last + 1
        while line_end < end and text[line_end] not in "\r\n":
            line_end += 1
        if line_end < end:  # take the last content line's break too
            line_end += 2 if text.startswith("\r\n", line_end) and line_end + 2 <= end else 1
        return line_end

    def _alias(self, name: str, start: int, end: int) -> _Child:
        target = self.anchors.get(name)
        if isinstance(target, (YScalar, YMap, YSeq)):
            return _Child(target, True, start, end)
        if target is None:
            self.errors.append(YamlError(f"unknown anchor '{name}' referenced", start))
        else:
            self.errors.append(YamlError(f"anchor '{name}' value contains itself", start))
        placeholder = YScalar(None, "", None, "", start, end, _NULL)
        return _Child(placeholder, False, start, end)

    def _register(self, anchor: str | None, node: YNode) -> None:
        if anchor is not None:
            self.anchors[anchor] = node

    def _forget_pending_anchors(self) -> None:
        for frame in self.stack:
            if frame.anchor is not None and self.anchors.get(frame.anchor) is _PENDING:
                del self.anchors[frame.anchor]

    def _cost(self, node: YNode) -> _Cost:
        return _SCALAR_COST if isinstance(node, YScalar) else self.costs[id(node)]

    def _add(self, child: _Child) -> None:
        frame = self.stack[-1]
        cost = self._cost(child.node)
        frame.expanded += cost.expanded
        if child.via_alias:  # go-yaml visits the alias node, then everything below it "in an alias"
            frame.visits += 1 + cost.visits
            frame.alias_visits += cost.visits
        else:
            frame.visits += cost.visits
            frame.alias_visits += cost.alias_visits
        if frame.expanded > self.max_nodes:
            message = f"document expands to more than {self.max_nodes} nodes through aliases"
            raise _Refused(message, child.start)
        frame.children.append(child)

    # -- collections

    def _sequence(self, frame: _Open, end: int) -> YSeq:
        node = YSeq(tuple(child.node for child in frame.children), frame.tag, frame.start, end, frame.flow)
        self.costs[id(node)] = _Cost(frame.expanded, frame.visits, frame.alias_visits)
        return node

    def _mapping(self, frame: _Open, end: int) -> YMap:
        own: list[tuple[YScalar, YNode]] = []
        merge_values: list[_Child] = []
        first_starts: dict[str, int] = {}
        visits, alias_visits = frame.visits, frame.alias_visits
        children = frame.children
        for key_child, value_child in zip(children[0::2], children[1::2]):
            key = key_child.node
            if not isinstance(key, YScalar):
                kind = "mapping" if isinstance(key, YMap) else "sequence"
                self.errors.append(YamlError(f"invalid map key: a {kind} cannot be a key", key_child.start))
                continue
            if key.text in first_starts:
                line = self._line_of(first_starts[key.text])
                message = f"mapping key {go_quote(key.text)} already defined at line {line}"
                self.errors.append(YamlError(message, key_child.start))
                continue
            first_starts[key.text] = key_child.start
            if not key_child.via_alias and _is_merge_key(key):
                merge_values.append(value_child)
                if value_child.via_alias:
                    # compose-go hands the decoder the anchored node itself under '<<', not an alias.
                    cost = self._cost(value_child.node)
                    visits -= 1
                    alias_visits += cost.alias_visits - cost.visits
            else:
                own.append((key, value_child.node))
        sources = [source for value in merge_values for source in self._merge_sources(value)]
        items = own
        if sources:
            present = set(first_starts)
            for source in sources:
                for key, value in source.items:
                    if key.text not in present:
                        present.add(key.text)
                        items.append((key, value))
        node = YMap(tuple(items), tuple(sources), frame.tag, frame.start, end, frame.flow)
        self.costs[id(node)] = _Cost(frame.expanded, visits, alias_visits)
        return node

    def _merge_sources(self, value: _Child) -> list[YMap]:
        node = value.node
        if isinstance(node, YMap):
            return [node]
        if isinstance(node, YSeq):
            sources = [item for item in node.items if isinstance(item, YMap)]
            if len(sources) == len(node.items):
                return sources
            offender = next(item for item in node.items if not isinstance(item, YMap))
            # An item written inside the list is pointed at; one that came through an alias is not.
            written_here = node.start <= offender.start < node.end and not value.via_alias
            self.errors.append(YamlError(_MERGE_NEEDS_MAPS, offender.start if written_here else value.start))
            return sources
        self.errors.append(YamlError(_MERGE_NEEDS_MAPS, value.start))
        return []

    # -- documents

    def _finish_document(self) -> YNode | None:
        frame = self.stack.pop()
        if not frame.children:
            return None
        root = frame.children[0]
        if _excessive_aliasing(frame.visits, frame.alias_visits):
            self.errors.append(YamlError("document contains excessive aliasing", root.start))
            return None
        node = root.node
        if isinstance(node, YScalar) and node.style == "" and node.tag is None and node.start == node.end:
            return None  # an empty document
        return node

    def _line_of(self, offset: int) -> int:
        """1-based line as YAML counts them (CRLF, CR and LF each end a line)."""
        text = self.text
        return 1 + text.count("\n", 0, offset) + text.count("\r", 0, offset) - text.count("\r\n", 0, offset)


def _is_merge_key(key: YScalar) -> bool:
    """go-yaml's isMerge: a plain '<<' (untagged or non-specific '!') or any '<<' tagged !!merge."""
    return key.text == "<<" and (key.tag == _MERGE or (key.tag in (None, "!") and key.style == ""))


def load_documents(
    text: str, *, max_nodes: int = 1_000_000, max_depth: int = 256
) -> tuple[list[YNode | None], list[YamlError]]:
    """Every document of a YAML stream (None for an empty or refused one) and the problems found.

    Never raises for bad input: a syntax error ends the stream (documents completed before it are
    returned), other problems are reported while the tree is still built around them.
    """
    builder = _Builder(text, max_nodes, max_depth)
    documents = builder.run()
    return documents, builder.errors
