"""Splitting a string `command:` as Compose does: documented rules, then docker-compose as the oracle.

compose-go `types.ShellCommand` hands the string to mattn/go-shellwords `Parse` (README: "Parse line
as shell words"; `ParseEnv` and `ParseBacktick` default to false).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from mcplint.models.shellwords import CommandSplitError, scan_command, split_command
from tests.compose_oracle import (
    compose_config,
    field_errors,
    requires_compose,
    services_yaml,
    unescape,
    yaml_string,
)

ORACLE_PHASES = (Phase.explicit, Phase.reuse, Phase.generate)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # Compose docs (services, command): `command: bundle exec thin -p 3000` runs those four words.
        ("bundle exec thin -p 3000", ["bundle", "exec", "thin", "-p", "3000"]),
        # go-shellwords README: `shellwords.Parse("./foo --bar=baz")` gives ["./foo", "--bar=baz"].
        ("./foo --bar=baz", ["./foo", "--bar=baz"]),
        # Quotes group words and are removed; a backslash escapes the next character.
        ('sh -c "echo hello world"', ["sh", "-c", "echo hello world"]),
        ("echo 'single $quoted'", ["echo", "single $quoted"]),
        ("a\\ b c", ["a b", "c"]),
        ('echo ""', ["echo", ""]),
        # ParseEnv is off: variables stay as written (Compose already interpolated the string).
        ("echo $HOME", ["echo", "$HOME"]),
        ("", []),
    ],
)
def test_documented_splitting(text: str, words: list[str]) -> None:
    assert split_command(text) == words


def test_shell_operators_end_the_command() -> None:
    # go-shellwords stops at an unquoted ; & | < > (its Position field says where); Compose
    # ignores the rest of the string.
    split = scan_command("echo a && echo b")
    assert split.words == ("echo", "a")
    assert split.stopped_at == len("echo a ")
    assert scan_command("echo 'a && b'").stopped_at is None


@pytest.mark.parametrize("text", ['echo "unclosed', "echo 'unclosed", "trailing\\", "echo (x)", "echo `x"])
def test_invalid_command_lines(text: str) -> None:
    with pytest.raises(CommandSplitError, match="invalid command line string"):
        split_command(text)


# --- The oracle --------------------------------------------------------------------------------

TRICKY_COMMANDS = [
    "echo a && echo b", "a;b", "a|b", "a<b", "a>b", "echo 2>&1 x", "a 2>x", "12>x", "a2>x", "2a>x", "1 >x",
    "a\\;b", '"a;b"', "$(echo hi there) z", "`echo  hi` z", '"a\\"b"', '"a\\nb"', "a\\nb", "'a\\nb'", '""',
    "''", 'a "" b', "x  y\t z\n w\r v", "$HOME", "${HOME}", 'a"b c"d', "a'b c'd", "\u00e9 \u00fc", "  ",
    "a\u00a0b", "a\u3000b", "\\ a", '"\\$x"', "'\\'", "a#b #c", '\\"', "a)b)c", "a) b)", '`a "b` c" `',
    "`a\\ b`", "$(a\\ b)", '"`a b"', "'$(x'", "a$(b c)d e", "a\\$(b c)", 'x "a b"c d', "a\\\nb",
    "$(a'b) c", "$(x) $(y z)", "a`b c`d e", 'a "b\\\\" c', "; a", "a <<EOF", "`a;b`", "$(a;b)",
    # errors
    "echo (x)", "a)b c", '"unbalanced', "'unb", "trail\\", "$(a (b) c)", "x `a b", "a ) b",
    '`a "b c` d"', '$(a "b c)"', "`a 'b` c'", "$(a `b) c` d", "`a $(b` c) d", "$ (x)", "\\",
]


def _check_commands(directory: Path, commands: list[str]) -> None:
    if not commands:
        return
    # Compose interpolates before splitting, so each "$" is written as "$$" to reach the splitter.
    project = services_yaml([f"command: {yaml_string(command.replace('$', '$$'))}" for command in commands])
    result = compose_config(directory, project, env={"COMPOSE_DISABLE_ENV_FILE": "1"})
    errors = field_errors(result.stderr)
    ours: list[list[str] | None] = []
    for command in commands:
        try:
            ours.append(split_command(command))
        except CommandSplitError:
            ours.append(None)
    for index, command in enumerate(commands):
        if ours[index] is None:
            assert errors.get(f"s{index}") == "invalid command line string", f"Compose splits {command!r}"
        else:
            assert f"s{index}" not in errors, f"Compose rejects {command!r}, we split it as {ours[index]}"
    if not errors:
        for index, command in enumerate(commands):
            printed = [unescape(word) for word in result.service(f"s{index}")["command"]]
            assert printed == ours[index], f"{command!r}: Compose {printed}, ours {ours[index]}"


@requires_compose
def test_split_command_agrees_with_compose(tmp_path: Path) -> None:
    valid = []
    for command in TRICKY_COMMANDS:
        try:
            split_command(command)
            valid.append(command)
        except CommandSplitError:
            pass
    _check_commands(tmp_path / "valid", valid)
    _check_commands(tmp_path / "mixed", TRICKY_COMMANDS)


COMMANDS = st.text(" \t\n\"'\\`$()&;|<>#2ab", max_size=12)


@requires_compose
@settings(max_examples=5, deadline=None, phases=ORACLE_PHASES)
@given(st.lists(COMMANDS, min_size=60, max_size=60))
def test_split_command_agrees_with_compose_on_generated_strings(commands: list[str]) -> None:
    valid = []
    for command in commands:
        try:
            split_command(command)
            valid.append(command)
        except CommandSplitError:
            pass
    with tempfile.TemporaryDirectory() as directory:
        _check_commands(Path(directory) / "valid", valid)
        _check_commands(Path(directory) / "mixed", commands)
