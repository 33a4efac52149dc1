"""The `.env` / `env_file` grammar: documented rules, then the docker-compose binary as the oracle.

Documentation quoted below: "Environment file syntax" in
https://docs.docker.com/compose/how-tos/environment-variables/variable-interpolation/ and the README of
joho/godotenv, which compose-go's dotenv package is a fork of.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from mcplint.models.dotenv import DotenvError, EnvEntry, parse_dotenv
from tests.compose_oracle import compose_config, requires_compose, services_yaml, unescape

ORACLE_PHASES = (Phase.explicit, Phase.reuse, Phase.generate)


def values(text: str, lookup: Callable[[str], str | None] = lambda _: None) -> dict[str, str | None]:
    return {entry.key: entry.value for entry in parse_dotenv(text, lookup)}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # "Each line represents a key-value pair. Values can optionally be quoted."
        ("VAR=VAL", "VAL"),
        ('VAR="VAL"', "VAL"),
        ("VAR='VAL'", "VAL"),
        # "Inline comments for unquoted values must be preceded with a space."
        ("VAR=VAL # comment", "VAL"),
        ("VAR=VAL# not a comment", "VAL# not a comment"),
        # "Inline comments for quoted values must follow the closing quote."
        ('VAR="VAL # not a comment"', "VAL # not a comment"),
        ('VAR="VAL" # comment', "VAL"),
        # "Single-quoted (') values are used literally."
        ("VAR='$OTHER'", "$OTHER"),
        ("VAR='${OTHER}'", "${OTHER}"),
        # "Quotes can be escaped with \."
        ("VAR='Let\\'s go!'", "Let's go!"),
        ('VAR="{\\"hello\\": \\"json\\"}"', '{"hello": "json"}'),
        # "Common shell escape sequences including \n, \r, \t, and \\ are supported in double-quoted values."
        ('VAR="some\\tvalue"', "some\tvalue"),
        ("VAR='some\\tvalue'", "some\\tvalue"),
        ("VAR=some\\tvalue", "some\\tvalue"),
        ('VAR="a\\nb\\rc\\\\d"', "a\nb\rc\\d"),
        # godotenv README: "export" prefixes and YAML(ish) "KEY: value" lines.
        ("export VAR=exported", "exported"),
        ("VAR: yamlish", "yamlish"),
        # godotenv README: multi-line values in double quotes.
        ('VAR="first\nsecond"', "first\nsecond"),
    ],
)
def test_documented_syntax(line: str, expected: str) -> None:
    assert values(line + "\n")["VAR"] == expected


def test_comments_and_blank_lines_are_ignored() -> None:
    # "Lines beginning with # are processed as comments and ignored." "Blank lines are ignored."
    text = "# a comment\n\n   \n  # indented comment\nA=1\n"
    assert parse_dotenv(text) == (EnvEntry("A", "1", 5),)


def test_unquoted_and_double_quoted_values_are_interpolated() -> None:
    # "Unquoted and double-quoted (") values have interpolation applied."
    text = "BASE=/srv\nUNQUOTED=$BASE/a\nDOUBLE=\"${BASE}/b\"\nSINGLE='$BASE/c'\nDEFAULT=${MISSING:-d}\n"
    assert values(text) == {
        "BASE": "/srv",
        "UNQUOTED": "/srv/a",
        "DOUBLE": "/srv/b",
        "SINGLE": "$BASE/c",
        "DEFAULT": "d",
    }


def test_the_environment_wins_over_earlier_keys_when_interpolating() -> None:
    environment = {"BASE": "from-shell"}
    assert values("BASE=from-file\nPATHLIKE=$BASE/x\n", environment.get) == {
        "BASE": "from-file",
        "PATHLIKE": "from-shell/x",
    }


def test_a_bare_key_takes_the_environment_value() -> None:
    assert parse_dotenv("ONLY_KEY\nA=1\n") == (EnvEntry("ONLY_KEY", None, 1), EnvEntry("A", "1", 2))


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("A=1\nMY KEY=1\n", "key cannot contain a space", 2),
        ("A@B=1\n", "unexpected character", 1),
        ('A=1\nB="open\nstill open\n', "unterminated quoted value", 2),
        ("A=${NEEDED:?set it}\n", "required variable NEEDED is missing a value: set it", 1),
    ],
)
def test_errors_name_the_line(text: str, message: str, line: int) -> None:
    with pytest.raises(DotenvError, match=message) as raised:
        parse_dotenv(text)
    assert raised.value.line == line


# --- The oracle --------------------------------------------------------------------------------

ORACLE_ENV = {"A": "osA", "H": "fromenv", "E": "", "COMPOSE_DISABLE_ENV_FILE": "1"}

TRICKY_FILES = [
    "J='a\\'b'\n", 'J="a\\"b" \n', "J='a\\\\'\n", 'J="a\\\\" \n',
    'J="\\a\\b\\c\\f\\n\\r\\t\\v\\$\\"\\\\\\0101\\x41\\u0041\\q"\n', "J='\\n$A'\n", 'J="x" trailing\n',
    "J='x' # c\n", "J=a #b\n", "J=a\t#b\n", "J=#b\n", "J= #b\n", "J=\n", "J\n", "H\n", "export J=1\n",
    "exportJ=1\n", "export  J=2\n", "export\tJ=3\n", "export\n", "export \n", "J = spaced\n", "J\t=\tt\n",
    "CAF\u00c9=1\n", "a.b-c[0]=1\n", "J=$$A\n", "J=\\$A\n", 'J="\\$A"\n', "J=${A:-d}\n", "J='${'\n",
    "\ufeffJ=bom\n", 'J="\\\n"\n', "J=a\rK=b\n", "J=x\r\nK=y\r\n", 'J="x\r\ny"\n', 'J="x" K=y\n',
    "  J=indented\n", 'J="esc\\\'q"\n', "J='esc\\\"q'\n", 'J:"colon"\n', "J=v\u00a0#c\n", "J=a # b # c\n",
    'J="x"#c\nK=1\n', "J", "=v\n", "J\tK=1\n", 'J="\\0101\\0\\01\\012\\0777\\0351\\0089"\n',
    'J="\\\\\\""\n', "J=1\nJ=2\nK=$J\n", "K=${J}\nJ=later\n", "J=x\u2028K=y\n", "J=\u00a0v\n", "J=v  \t \n",
    "#only comment", "J=\"a\" # c\nK='b'#c\n", 'J="${A:-x} $$A"\n', "J='$$'\n", "J=$1\n", "J:=x\n",
    "J==x\n", "J=a=b\n", "-J=1\n.J=2\n[=3\n", 'J= "sp"\n', 'J ="sp2"\n', "J=v\x85#c\n", "J\x85=v\n",
    "J = \n", 'J=""\n', "J=''\n", "A=1\nA\nB=$A\n", "J=1\nexport", "E\nJ=${E-unset}\n", "J=${E:-empty}\n",
    'J="multi\nline ${A}\n"\nK=after\n', "J='multi\nline $A'\n",
]

TRICKY_ERROR_FILES = [
    "J K=1\n", "J@=1\n", 'J="unterminated\nmore\n', "J=${U:?boom}\n", "J=${\n", 'J="a""b"\n', "export ",
    'A=1\nB="c\n\n', "J=\"${U?in quotes}\"\n", "J=ok\nK='never closed\n",
]

_ERROR_KINDS = {
    "key cannot contain a space": "key cannot contain a space",
    "unexpected character": "unexpected character",
    "unterminated quoted value": "unterminated quoted value",
    "zero length string": "zero length string",
    "required variable": "required variable",
    "invalid interpolation format": "Invalid template",
}


def resolve(entries: tuple[EnvEntry, ...], lookup: Callable[[str], str | None]) -> dict[str, str]:
    """The variables an env file defines, as Compose applies its statements in order."""
    result: dict[str, str] = {}
    for entry in entries:
        value = entry.value if entry.value is not None else lookup(entry.key)
        if value is not None:
            result[entry.key] = value
    return result


def _check_env_files(directory: Path, texts: list[str]) -> None:
    parsed: list[tuple[EnvEntry, ...] | DotenvError] = []
    for text in texts:
        try:
            parsed.append(parse_dotenv(text, ORACLE_ENV.get))
        except DotenvError as error:
            parsed.append(error)
    pairs = list(zip(texts, parsed, strict=True))
    good = [(text, outcome) for text, outcome in pairs if isinstance(outcome, tuple)]
    if good:
        bodies = [f"env_file: [e{index}.env]" for index in range(len(good))]
        files = {f"e{index}.env": text for index, (text, _) in enumerate(good)}
        result = compose_config(directory / "good", services_yaml(bodies), env=ORACLE_ENV, files=files)
        assert result.returncode == 0, f"Compose fails where we do not: {result.stderr}"
        for index, (text, entries) in enumerate(good):
            environment = result.service(f"s{index}").get("environment") or {}
            printed = {key: unescape(value) for key, value in environment.items()}
            assert printed == resolve(entries, ORACLE_ENV.get), f"env file {text!r}"
    for index, (text, error) in enumerate(pairs):
        if isinstance(error, DotenvError):
            _check_env_file_error(directory / f"bad{index}", text, error)


def _check_env_file_error(directory: Path, text: str, error: DotenvError) -> None:
    project = services_yaml(["env_file: [e.env]"])
    result = compose_config(directory, project, env=ORACLE_ENV, files={"e.env": text})
    assert result.returncode != 0, f"Compose accepts env file {text!r}, we fail: {error}"
    kind = next(kind for kind in _ERROR_KINDS if error.message.startswith(kind))
    assert _ERROR_KINDS[kind] in result.stderr, f"{text!r}: Compose says {result.stderr!r}, we say {error}"


@requires_compose
def test_parse_dotenv_agrees_with_compose_env_file(tmp_path: Path) -> None:
    _check_env_files(tmp_path, TRICKY_FILES)


@requires_compose
@pytest.mark.parametrize("text", TRICKY_ERROR_FILES)
def test_parse_dotenv_fails_where_compose_fails(tmp_path: Path, text: str) -> None:
    with pytest.raises(DotenvError) as raised:
        parse_dotenv(text, ORACLE_ENV.get)
    _check_env_file_error(tmp_path, text, raised.value)


PROJECT_ENV_FILES = [
    ("A=file\nB=${A}\nC\nD=\"q\"\n", {"A": "os", "C": "osC"}),
    ("export X='lit $A'\nY=\"${X}-y\"\nZ=${UNSET:-zd}\n", {}),
    ("P=1\nP=2\nQ=$P$P # two\n", {"P": "shell"}),
]


@requires_compose
@pytest.mark.parametrize(("dotenv_text", "shell"), PROJECT_ENV_FILES)
def test_project_dotenv_drives_interpolation(
    tmp_path: Path, dotenv_text: str, shell: Mapping[str, str]
) -> None:
    """The project `.env` feeds interpolation; the shell environment overrides it."""
    entries = parse_dotenv(dotenv_text, shell.get)
    project_environment = {**resolve(entries, shell.get), **shell}
    names = sorted({entry.key for entry in entries} | {"UNSET"})
    lines = ["services:", "  s:", "    image: scratch", "    environment:"]
    lines += [f'      {name}: "${{{name}-__unset__}}"' for name in names]
    result = compose_config(tmp_path, "\n".join(lines) + "\n", env=dict(shell), files={".env": dotenv_text})
    printed = {k: unescape(v) for k, v in result.service("s")["environment"].items()}
    assert printed == {name: project_environment.get(name, "__unset__") for name in names}


_KEYS = st.sampled_from(["A", "J", "K1", "k.x", "B-1", "E", "H"])
_UNQUOTED = st.text("ab #$\\{}:-", max_size=6)
_SINGLE = st.text("ab \\\"$#\n", max_size=6).map(lambda body: f"'{body}'")
_DOUBLE = st.text("ab \\'$#nt{}0\n", max_size=6).map(lambda body: f'"{body}"')
_VALUE = st.one_of(_UNQUOTED, _SINGLE, _DOUBLE, st.sampled_from(['"open', "'open", "${A:-d}", "$A$H"]))
_STATEMENT = st.one_of(
    st.tuples(
        st.sampled_from(["", "", "export ", "  "]),
        _KEYS,
        st.sampled_from(["=", "=", ":", " = "]),
        _VALUE,
        st.sampled_from(["", "", " # c", "#c", " junk"]),
    ).map("".join),
    _KEYS,
    st.just("# comment"),
    st.just(""),
)
ENV_FILES = st.tuples(
    st.lists(_STATEMENT, min_size=1, max_size=5), st.sampled_from(["\n", "\r\n"]), st.booleans()
).map(lambda parts: parts[1].join(parts[0]) + (parts[1] if parts[2] else ""))


@requires_compose
@settings(max_examples=5, deadline=None, phases=ORACLE_PHASES)
@given(st.lists(ENV_FILES, min_size=20, max_size=20))
def test_parse_dotenv_agrees_with_compose_on_generated_files(texts: list[str]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        _check_env_files(Path(directory), texts)
