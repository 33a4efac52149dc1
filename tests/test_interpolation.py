"""Compose interpolation: the documented rules, then the docker-compose binary as the oracle.

Documentation quoted below: https://docs.docker.com/reference/compose-file/interpolation/
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from mcplint.models.interpolation import InterpolationError, has_interpolation, interpolate
from tests.compose_oracle import (
    compose_config,
    requires_compose,
    unescape,
    unset_variable_warnings,
    yaml_string,
)

ENV = {"VAR": "value", "EMPTY": "", "FOO": "foo", "COMPOSE_DISABLE_ENV_FILE": "1"}
ORACLE_PHASES = (Phase.explicit, Phase.reuse, Phase.generate)


def value_of(text: str, env: dict[str, str] = ENV) -> str:
    return interpolate(text, env.get).value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "Both $VARIABLE and ${VARIABLE} syntax is supported."
        ("$VAR", "value"),
        ("${VAR}", "value"),
        ("pre-${VAR}-post", "pre-value-post"),
        # "${VAR:-default} -> value of VAR if set and non-empty, otherwise default"
        ("${VAR:-default}", "value"),
        ("${EMPTY:-default}", "default"),
        ("${UNSET:-default}", "default"),
        # "${VAR-default} -> value of VAR if set, otherwise default"
        ("${VAR-default}", "value"),
        ("${EMPTY-default}", ""),
        ("${UNSET-default}", "default"),
        # "${VAR:?error} -> value of VAR if set and non-empty"; "${VAR?error} -> value of VAR if set"
        ("${VAR:?error}", "value"),
        ("${EMPTY?error}", ""),
        # "${VAR:+replacement} -> replacement if VAR is set and non-empty, otherwise empty"
        ("${VAR:+replacement}", "replacement"),
        ("${EMPTY:+replacement}", ""),
        ("${UNSET:+replacement}", ""),
        # "${VAR+replacement} -> replacement if VAR is set, otherwise empty"
        ("${EMPTY+replacement}", "replacement"),
        ("${UNSET+replacement}", ""),
        # "Interpolation can also be nested"
        ("${UNSET:-${FOO}}", "foo"),
        ("${VAR?$FOO}", "value"),
        ("${UNSET:-${UNSET2:-default}}", "default"),
        # "You can use a $$ (double-dollar sign) when your configuration needs a literal dollar sign."
        ("$$VAR_NOT_INTERPOLATED_BY_COMPOSE", "$VAR_NOT_INTERPOLATED_BY_COMPOSE"),
        ("$${VAR}", "${VAR}"),
        # "Compose processes any string following a $ sign as long as it makes it a valid variable
        # definition - either an alphanumeric name ([_a-zA-Z][_a-zA-Z0-9]*) or a braced string starting
        # with ${. In other circumstances, it will be preserved".
        ("$1", "$1"),
        ("cost: 5$", "cost: 5$"),
        ("$VAR-x", "value-x"),
        # "If Compose can't resolve a substituted variable and no default value is defined, it displays
        # a warning and substitutes the variable with an empty string."
        ("[$UNSET]", "[]"),
    ],
)
def test_documented_forms(text: str, expected: str) -> None:
    assert value_of(text) == expected


def test_unset_variables_are_reported_as_missing() -> None:
    result = interpolate("$UNSET ${VAR} ${ALSO_UNSET} ${UNSET3:-d}", ENV.get)
    assert result.missing == ("UNSET", "ALSO_UNSET")
    assert set(result.used) == {"UNSET", "VAR", "ALSO_UNSET", "UNSET3"}


@pytest.mark.parametrize(
    ("text", "name", "reason"),
    [
        # "${VAR:?error} -> ... otherwise exit with error"; "${VAR?error} -> ... otherwise exit with error"
        ("${EMPTY:?need it}", "EMPTY", "need it"),
        ("${UNSET?need $FOO}", "UNSET", "need foo"),
        ("${UNSET:?}", "UNSET", ""),
    ],
)
def test_required_variables_fail(text: str, name: str, reason: str) -> None:
    with pytest.raises(InterpolationError) as raised:
        interpolate(text, ENV.get)
    assert name in raised.value.message
    assert reason in raised.value.message
    assert raised.value.offset == 0


def test_error_offset_points_at_the_failing_expression() -> None:
    text = "ok ${VAR} then ${UNSET:-${NEEDED:?x}}"
    with pytest.raises(InterpolationError) as raised:
        interpolate(text, ENV.get)
    assert text.startswith("${NEEDED", raised.value.offset)


@pytest.mark.parametrize(
    "text",
    [
        "${VARIABLE/foo/bar}",  # "Other extended shell-style features ... are not supported by Compose."
        "${VAR#prefix}",
        "${VAR:1}",
        "${}",
        "${1}",
        "${VAR",
        "${VAR }",
    ],
)
def test_unsupported_and_broken_expressions_fail(text: str) -> None:
    with pytest.raises(InterpolationError, match="invalid interpolation format") as raised:
        interpolate(text, ENV.get)
    assert text[raised.value.offset] == "$"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("plain", False), ("a $1", False), ("$$", True), ("$VAR", True), ("${", True), ("x${A:-b}", True)],
)
def test_has_interpolation(text: str, expected: bool) -> None:
    assert has_interpolation(text) is expected


# --- The oracle --------------------------------------------------------------------------------

ORACLE_ENV = {"A": "1", "B": "two words", "E": "", "COMPOSE_DISABLE_ENV_FILE": "1"}

TRICKY_TEMPLATES = [
    "${A:-{x}}", "${U:-{x}}", "${U:-{}}", "${A:-{}} and $A", "${A:-$B}", "${U:-$B}",
    "${A:+$C}", "${A?$D}", "$$", "$${A}", "$$$A", "$1", "a$", "$ x", "$A-B", "$A\u00e9", "${A}}", "${U-x}}",
    "${E:-d}", "${E-d}", "${E:+r}", "${E+r}", "${U:+r}", "${U+r}", "${a}", "${A:-x:?y}", "${U-x:?y}",
    "${U:-{${A}}}", "${U:-}x}", "{}", "${A}${U:-q}", "${U:-${U2:-${A}}}", "${U:-a}b}c}", "${A:+x${B}y}",
    "${U-${E:-${B}}}", "line1\n${U:-x}\nline2", "${U:-x\\}y}", "$B$A", "${A:-\u017f}", "$\u017f",
    "${U:-a:-b}", "${U-a-b}",
]

TRICKY_ERRORS = [
    "${A:-x} ${U:?err}", "${A:-${U:?err}}", "${U:?}", "${E:?must $A}", "${U?}", "${1}", "${}", "${A",
    "${A:x}", "${A/x/y}", "pre ${A }", "${A:-x\ny}", "ok ${A:-${U:?inner}} tail", "${A:-${}}",
    "${\u0130}", "${U:-${A:+${E:?deep}}}",
    # Arguments are interpolated before the variable is looked up, even when they go unused.
    "${A+${U?}}", "${A:-${U:?unused default}}",
    # The brace counter skips the character after each "{", so this "${" never closes: the default
    # runs to the last "}" on the line and contains a broken "${A".
    "${U:-{}} and ${A}",
]


def _run_environment(directory: Path, templates: list[str]) -> tuple[int, dict[str, str], str]:
    lines = ["services:", "  s:", "    image: scratch", "    environment:"]
    lines += [f"      K{index}: {yaml_string(template)}" for index, template in enumerate(templates)]
    result = compose_config(directory, "\n".join(lines) + "\n", env=ORACLE_ENV)
    environment = result.service("s").get("environment") or {} if result.config else {}
    return result.returncode, environment, result.stderr


def _check_values(directory: Path, templates: list[str]) -> None:
    ours = [interpolate(template, ORACLE_ENV.get) for template in templates]
    returncode, environment, stderr = _run_environment(directory, templates)
    assert returncode == 0, f"Compose fails where we do not: {stderr}"
    for index, template in enumerate(templates):
        printed = unescape(environment[f"K{index}"])
        assert printed == ours[index].value, f"{template!r}: Compose {printed!r}, ours {ours[index].value!r}"
    assert unset_variable_warnings(stderr) == {name for result in ours for name in result.missing}


def _check_error(directory: Path, template: str) -> None:
    with pytest.raises(InterpolationError) as raised:
        interpolate(template, ORACLE_ENV.get)
    returncode, _, stderr = _run_environment(directory, [template])
    assert returncode != 0, f"Compose accepts {template!r}, we fail: {raised.value.message}"
    message = raised.value.message
    if message.startswith("required variable"):
        assert message in stderr, f"{template!r}: Compose says {stderr!r}, we say {message!r}"
    else:
        broken = re.fullmatch(r'invalid interpolation format in "(.*)": .*', message, re.DOTALL)
        assert broken is not None
        assert "invalid interpolation format" in stderr
        assert stderr.rstrip("\n").endswith(broken.group(1)), f"{template!r}: Compose says {stderr!r}"


@requires_compose
def test_interpolate_agrees_with_compose_on_tricky_values(tmp_path: Path) -> None:
    _check_values(tmp_path, TRICKY_TEMPLATES)


@requires_compose
@pytest.mark.parametrize("template", TRICKY_ERRORS)
def test_interpolate_fails_where_compose_fails(tmp_path: Path, template: str) -> None:
    _check_error(tmp_path, template)


_NAMES = st.sampled_from(["A", "B", "E", "U", "V_1"])
_OPERATORS = st.sampled_from([":-", "-", ":+", "+", ":?", "?"])
_LITERAL = st.text("ab -}{:?+$#/", max_size=3)
TEMPLATES = st.recursive(
    st.one_of(_LITERAL, st.just("$$"), _NAMES.map(lambda n: "$" + n), _NAMES.map(lambda n: "${" + n + "}")),
    lambda inner: st.one_of(
        st.tuples(_NAMES, _OPERATORS, st.lists(inner, max_size=3).map("".join)).map(
            lambda parts: "${" + "".join(parts) + "}"
        ),
        st.lists(inner, min_size=2, max_size=3).map("".join),
    ),
    max_leaves=8,
)


@requires_compose
@settings(max_examples=6, deadline=None, phases=ORACLE_PHASES)
@given(st.lists(TEMPLATES, min_size=30, max_size=30))
def test_interpolate_agrees_with_compose_on_generated_templates(templates: list[str]) -> None:
    succeeding, failing = [], []
    for template in templates:
        try:
            interpolate(template, ORACLE_ENV.get)
            succeeding.append(template)
        except InterpolationError:
            failing.append(template)
    with tempfile.TemporaryDirectory() as directory:
        if succeeding:
            _check_values(Path(directory) / "values", succeeding)
        # Compose stops at the first error, so each failing value needs its own run: check a few.
        for index, template in enumerate(failing[:3]):
            _check_error(Path(directory) / f"error{index}", template)
