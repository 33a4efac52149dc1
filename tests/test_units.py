"""Byte sizes and durations: documented rules, then the docker-compose binary as the oracle."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from tests.compose_oracle import (
    ComposeResult,
    compose_config,
    field_errors,
    requires_compose,
    services_yaml,
    yaml_string,
)
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from mcplint.models.units import UnitError, format_bytes, parse_bytes, parse_compose_duration, parse_duration

KIB, MIB, GIB, TIB, PIB = (1024**power for power in range(1, 6))
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
NO_ENV_FILE = {"COMPOSE_DISABLE_ENV_FILE": "1"}
# Each example runs the binary; the assertion messages name the offending value, so no shrinking.
ORACLE_PHASES = (Phase.explicit, Phase.reuse, Phase.generate)


# --- Byte values -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Compose spec, "Specifying byte values": {amount}{byte unit} with b, k/kb, m/mb, g/gb.
        ("2b", 2),
        ("1024kb", 1024 * KIB),
        ("2048k", 2048 * KIB),
        ("300m", 300 * MIB),
        ("1gb", GIB),
        # docker/go-units RAMInBytes doc: "Units are case-insensitive, and the 'b' suffix is optional",
        # and the units are binary (kibibytes, mebibytes, ...), with t and p beyond g.
        ("512M", 512 * MIB),
        ("512MB", 512 * MIB),
        ("512MiB", 512 * MIB),
        ("512mib", 512 * MIB),
        ("2T", 2 * TIB),
        ("1pb", PIB),
        ("4096", 4096),
        # The number is a float; the product is truncated to whole bytes.
        ("1.5g", GIB + GIB // 2),
        ("0.5k", 512),
        # One space may separate number and unit ("1 GB").
        ("1 GB", GIB),
        # compose-go UnitBytes: a plain integer string is parsed as an integer first, so -1 works.
        ("-1", -1),
    ],
)
def test_parse_bytes_documented_forms(text: str, expected: int) -> None:
    assert parse_bytes(text) == expected


def test_parse_bytes_takes_yaml_integers_as_bytes() -> None:
    # Compose spec: mem_limit etc. accept a number, which is a byte count.
    assert parse_bytes(1073741824) == GIB
    assert parse_bytes(-1) == -1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1mbb", "invalid suffix: 'mbb'"),
        ("12x", "invalid suffix: 'x'"),
        ("1kib b", "invalid number"),
        ("-1k", "invalid size: '-1k'"),  # go-units rejects negative sizes
        ("", "invalid size"),
        ("lots", "invalid size"),
    ],
)
def test_parse_bytes_rejects_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(UnitError, match=re.escape(message)):
        parse_bytes(text)


def test_parse_bytes_rejects_yaml_floats_and_booleans() -> None:
    with pytest.raises(UnitError, match="not a whole number of bytes"):
        parse_bytes(1.5)
    with pytest.raises(UnitError, match="not a byte size"):
        parse_bytes(True)


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1 KiB"),
        (512 * MIB, "512 MiB"),
        (GIB + GIB // 2, "1.5 GiB"),
        (GIB + 1, "~1 GiB"),
        (-1, "-1 B"),
    ],
)
def test_format_bytes_uses_binary_units(count: int, text: str) -> None:
    assert format_bytes(count) == text


# Inputs chosen for the corners of go-units' grammar; the expected results come from the binary.
TRICKY_SIZES = [
    "1.5G", "1 GB", "512mib", ".5k", "+1k", "-0", "1e3", "1e3k", "1_000", "1_000k", "1 ", "0x1p4",
    "0x1.8p1", "0x_1p4", "1KIB", "1kB", "1t", "1p", "8191p", "1.9999999999b", "0", "007", "1.", "1b",
    "1B", "1e-3", "1e1_0", "-0k", "1e-400k", "1\u212a",  # KELVIN SIGN lower-cases to "k" in Go too
    "1\u212ab",  # ... but the suffix is then 4 UTF-8 bytes, over go-units' limit of 3
    "1e309", "", " ", "abc", "1x", "1kbb", "1ki", "1kibb", "1 k b", "1  G", " 1G", "1G ", "k", "1bi",
    "1iB", "1\t", "1\u00a0k", "\u0661k", "0xp1", "0x10", "1..", "..5", ".", "-", "+", "-0.5", "-1k",
    "1__0", "_1", "1_", "1_.5", "-inf k", "inf", "1.5.5k",
    # Beyond 64 bits (or inf/nan): Compose accepts and prints garbage; parse_bytes refuses.
    "1e30", "8192p", "inf k", "nan b", "Infinity ",
    # Negative integers: the ParseInt-first path of newer compose-go; Compose 2.40 still rejects.
    "-1", "-4096",
]


def _check_sizes_against_compose(directory: Path, values: list[str]) -> None:
    ours: dict[str, int | UnitError] = {}
    for value in values:
        try:
            ours[value] = parse_bytes(value)
        except UnitError as error:
            ours[value] = error
    newer_compose_only = [v for v in values if re.fullmatch(r"-[0-9]+", v) and int(v) != 0]
    garbage = [v for v in values if isinstance(ours[v], UnitError) and "does not fit" in str(ours[v])]
    accepted = [v for v in values if isinstance(ours[v], int) and v not in newer_compose_only]
    rejected = [v for v in values if isinstance(ours[v], UnitError) and v not in garbage]

    if accepted:
        result = _run_sizes(directory / "accepted", accepted)
        errors = {accepted[int(name[1:])]: message for name, message in field_errors(result.stderr).items()}
        assert result.returncode == 0, f"Compose rejects sizes that parse_bytes accepts: {errors}"
        for index, value in enumerate(accepted):
            printed = _printed_size(result, index, "mem_limit")
            assert printed == ours[value], f"{value!r}: Compose {printed}, parse_bytes {ours[value]}"
    if rejected or newer_compose_only:
        failing = rejected + newer_compose_only
        result = _run_sizes(directory / "rejected", failing)
        errors = field_errors(result.stderr)
        missed = [value for index, value in enumerate(failing) if f"s{index}" not in errors]
        assert not missed, f"Compose accepts sizes that parse_bytes rejects: {missed}"
    if garbage:
        result = _run_sizes(directory / "garbage", garbage)
        for index, value in enumerate(garbage):
            printed = _printed_size(result, index, "mem_limit")
            # Go's float->int64 conversion out of range: amd64 gives INT64_MIN, arm64 saturates.
            assert printed in (INT64_MIN, INT64_MAX, 0), f"{value!r}: Compose printed {printed}"


def _printed_size(result: ComposeResult, index: int, field: str) -> int:
    # Compose prints byte sizes as JSON strings and omits a size of 0.
    return int(result.service(f"s{index}").get(field, 0))


def _run_sizes(directory: Path, values: list[str]) -> ComposeResult:
    project = services_yaml([f"mem_limit: {yaml_string(value)}" for value in values])
    return compose_config(directory, project, env=NO_ENV_FILE)


@requires_compose
def test_parse_bytes_agrees_with_compose_on_tricky_sizes(tmp_path: Path) -> None:
    _check_sizes_against_compose(tmp_path, TRICKY_SIZES)


@requires_compose
def test_shm_size_uses_the_same_grammar(tmp_path: Path) -> None:
    values = ["1.5g", "64m", "1 kb", "0x1p4k"]
    project = services_yaml([f"shm_size: {yaml_string(value)}" for value in values])
    result = compose_config(tmp_path, project, env=NO_ENV_FILE)
    for index, value in enumerate(values):
        assert _printed_size(result, index, "shm_size") == parse_bytes(value)


@requires_compose
def test_yaml_numbers_for_byte_sizes(tmp_path: Path) -> None:
    """YAML integers are byte counts; Compose 2.40 silently drops non-integer YAML numbers."""
    project = services_yaml(["mem_limit: 1073741824", "mem_limit: -1", "mem_limit: 1.5", "mem_limit: 2.0"])
    result = compose_config(tmp_path, project, env=NO_ENV_FILE)
    assert _printed_size(result, 0, "mem_limit") == parse_bytes(1073741824)
    assert _printed_size(result, 1, "mem_limit") == parse_bytes(-1)
    for name, number in (("s2", 1.5), ("s3", 2.0)):
        assert "mem_limit" not in result.service(name)
        with pytest.raises(UnitError):
            parse_bytes(number)


def _cased(text: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(text), max_size=len(text)).map(
        lambda upper: "".join(c.upper() if u else c for c, u in zip(text, upper, strict=True))
    )


_DIGITS = st.text("0123456789", min_size=1, max_size=5)
_MANTISSA = st.one_of(
    _DIGITS,
    st.tuples(_DIGITS, st.text("0123456789", max_size=3)).map(lambda p: f"{p[0]}.{p[1]}"),
    _DIGITS.map(lambda d: "." + d),
    st.tuples(_DIGITS, _DIGITS).map(lambda p: f"{p[0]}_{p[1]}"),
)
_EXPONENT = st.one_of(
    st.just(""),
    st.tuples(st.sampled_from(["e", "E", "e+", "e-"]), st.text("0123456789", min_size=1, max_size=2)).map(
        "".join
    ),
)
_SUFFIX = st.one_of(
    st.sampled_from(["", "b", "k", "kb", "kib", "m", "mb", "mib", "g", "gb", "gib", "t", "tib", "p", "pb"])
    .flatmap(_cased),
    st.text("bkmgtpiBKMGTPIx ", max_size=4),
)
SIZE_STRINGS = st.one_of(
    st.tuples(
        st.sampled_from(["", "", "", "+", "-"]),
        _MANTISSA,
        _EXPONENT,
        st.sampled_from(["", "", " ", "  "]),
        _SUFFIX,
    ).map("".join),
    st.text("0123456789.kmgbiB _-+eEx", max_size=8),
)


@requires_compose
@settings(max_examples=4, deadline=None, phases=ORACLE_PHASES)
@given(st.lists(SIZE_STRINGS, min_size=60, max_size=60))
def test_parse_bytes_agrees_with_compose_on_generated_sizes(values: list[str]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        _check_sizes_against_compose(Path(directory), values)


# --- Durations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        # Go time.ParseDuration doc: "a possibly signed sequence of decimal numbers, each with
        # optional fraction and a unit suffix, such as "300ms", "-1.5h" or "2h45m". Valid time
        # units are "ns", "us" (or "µs"), "ms", "s", "m", "h"."
        ("300ms", 0.3),
        ("-1.5h", -5400.0),
        ("2h45m", 9900.0),
        ("1500ns", 1.5e-6),
        ("7us", 7e-6),
        ("7\u00b5s", 7e-6),
        ("0", 0.0),
        # Compose spec, "Specifying durations": units can be combined without separator.
        ("10ms", 0.01),
        ("40s", 40.0),
        ("1m30s", 90.0),
        ("1h5m30s20ms", 3930.02),
    ],
)
def test_parse_duration_documented_forms(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)
    assert parse_compose_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "1", "1.5", "s", "1S", "1 s", " 1s", "1e3s", "--1s", "1h-1m"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(UnitError, match="time: "):
        parse_duration(text)
    with pytest.raises(UnitError, match="time: "):
        parse_compose_duration(text)


def test_days_and_weeks_only_when_compose_decodes() -> None:
    # xhit/go-str2duration README: "d" for days and "w" for weeks, on top of Go's units.
    assert parse_compose_duration("1w2d") == 9 * 24 * 3600
    with pytest.raises(UnitError, match='unknown unit "d"'):
        parse_duration("1d")


TRICKY_DURATIONS = [
    "1.5h", "0", "+0", "-0", "-1s", "1h1m1.5s", ".5s", "5.s", "1\u00b5s", "1\u03bcs", "1us", "1ns", "0s",
    "1.000000001s", "2562047h47m16.854775807s", "1.0000000000000000000001s", "1d", "1w2d", "0.5d",
    "9223372036854775807ns", "1h0.0000001ns", "",
    "1", "s", ".s", "1S", "1 s", " 1s", "1s ", "1e3s", "1h-1m", "--1s", "9223372036854775808ns", "2562048h",
    "-2562047h47m16.854775808s", "1.5", "1x", "1sm", "1ms1", "0.0", "00", "+", "-", "15250w",
]


def _check_durations_against_compose(directory: Path, values: list[str]) -> None:
    ours: dict[str, float | None] = {}
    for value in values:
        try:
            ours[value] = parse_compose_duration(value)
        except UnitError:
            ours[value] = None
    accepted = [value for value in values if ours[value] is not None]
    rejected = [value for value in values if ours[value] is None]
    if accepted:
        result = _run_durations(directory / "accepted", accepted)
        errors = {accepted[int(name[1:])]: message for name, message in field_errors(result.stderr).items()}
        assert result.returncode == 0, f"Compose rejects durations that we accept: {errors}"
        for index, value in enumerate(accepted):
            printed = result.service(f"s{index}")["healthcheck"]["interval"]
            assert parse_duration(printed) == ours[value], f"{value!r} printed as {printed!r}"
    if rejected:
        errors = field_errors(_run_durations(directory / "rejected", rejected).stderr)
        missed = [value for index, value in enumerate(rejected) if f"s{index}" not in errors]
        assert not missed, f"Compose accepts durations that we reject: {missed}"


def _run_durations(directory: Path, values: list[str]) -> ComposeResult:
    project = services_yaml(
        [f'healthcheck:\n  test: ["CMD", "true"]\n  interval: {yaml_string(value)}' for value in values]
    )
    return compose_config(directory, project, env=NO_ENV_FILE)


@requires_compose
def test_parse_compose_duration_agrees_with_compose_on_tricky_durations(tmp_path: Path) -> None:
    _check_durations_against_compose(tmp_path, TRICKY_DURATIONS)


_DURATION_PART = st.tuples(
    st.one_of(
        st.text("0123456789", min_size=1, max_size=4),
        st.text("0123456789", min_size=1, max_size=3).map(lambda d: "." + d),
        st.tuples(st.text("0123456789", max_size=3), st.text("0123456789", max_size=10)).map(".".join),
        st.text("0123456789", min_size=17, max_size=20),
    ),
    st.sampled_from(["ns", "us", "\u00b5s", "ms", "s", "m", "h", "d", "w", "", "S", "x", " s", "H"]),
).map("".join)
DURATION_STRINGS = st.one_of(
    st.tuples(
        st.sampled_from(["", "", "+", "-"]), st.lists(_DURATION_PART, min_size=1, max_size=3).map("".join)
    ).map("".join),
    st.text("0123456789.nsmhdw-+ ", max_size=6),
)


@requires_compose
@settings(max_examples=4, deadline=None, phases=ORACLE_PHASES)
@given(st.lists(DURATION_STRINGS, min_size=60, max_size=60))
def test_parse_compose_duration_agrees_with_compose_on_generated_durations(values: list[str]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        _check_durations_against_compose(Path(directory), values)
