"""mcplint.models.pgconf against the real thing.

The oracle is a PostgreSQL 15 server: `postgres -C name ...` prints the value it would run with, or
fails with the message it would fail with at start-up. Values, whole configuration files (with
includes) and command lines are all put to it, many at once. The few tests without a server take
their expectations from the PostgreSQL documentation (config.sgml, "Parameter Names and Values").
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from mcplint.models.pgconf import (
    ArgSetting,
    ConfEntry,
    Include,
    ParamSpec,
    PgValueError,
    format_real,
    load_conf,
    parse_conf,
    parse_server_args,
    parse_value,
    settings_table,
    suggest_name,
    to_bytes,
)
from tests.pgserver import PgServer, ShowResult

TABLE = settings_table(15)


def shown(spec: ParamSpec, value: int | float | bool | str) -> str:
    """A parsed value as `postgres -C` prints it."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return format_real(value)
    return str(value)


def our_verdict(spec: ParamSpec, raw: str) -> tuple[str, str | None, str | None]:
    try:
        return ("ok", shown(spec, parse_value(spec, raw)), None)
    except PgValueError as error:
        return ("error", error.message, error.hint)


def server_verdict(result: ShowResult) -> tuple[str, str | None, str | None]:
    if result.ok:
        return ("ok", result.value, None)
    return ("error", result.error, result.first("HINT"))


def assert_values_agree(server: PgServer, cases: Sequence[tuple[str, str]]) -> None:
    """parse_value must accept exactly what the server accepts, with its value or its message."""
    results = server.show_many([(name, ["-c", f"{name}={raw}"]) for name, raw in cases])
    mismatches = []
    for (name, raw), result in zip(cases, results, strict=True):
        ours, theirs = our_verdict(TABLE[name], raw), server_verdict(result)
        if ours != theirs:
            mismatches.append(f"{name}={raw!r}: ours {ours} server {theirs}")
    assert not mismatches, "\n".join(mismatches)


# ------------------------------------------------------------------------------------------------
# Values, against the documentation (no server needed)


def test_documented_rounding_of_fractional_values_with_a_unit() -> None:
    # config.sgml: "30.1 GB will be converted to 30822 MB not 32319628902 B" (a parameter in MB).
    assert parse_value(TABLE["min_dynamic_shared_memory"], "30.1GB") == 30822


def test_documented_unit_grammar() -> None:
    # "Unit names are case-sensitive, and there can be whitespace between the numeric value and the unit."
    work_mem = TABLE["work_mem"]
    assert parse_value(work_mem, "1 MB") == parse_value(work_mem, "1MB") == 1024
    with pytest.raises(PgValueError) as raised:
        parse_value(work_mem, "1mb")
    assert raised.value.hint == 'Valid units for this parameter are "B", "kB", "MB", "GB", and "TB".'
    # "If no unit is given, the parameter's base unit is used" (shared_buffers: 8 kB pages).
    assert parse_value(TABLE["shared_buffers"], "128MB") == 128 * 1024 // 8


def test_documented_boolean_spellings() -> None:
    # "on, off, true, false, yes, no, 1, 0 (all case-insensitive) or any unambiguous prefix of one of these"
    fsync = TABLE["fsync"]
    words = {"on": True, "off": False, "true": True, "false": False, "yes": True, "no": False, "1": True,
             "0": False}
    for word, meaning in words.items():
        assert parse_value(fsync, word.upper()) is meaning
    for prefix, meaning in {"t": True, "tru": True, "f": False, "fals": False, "y": True, "ye": True,
                            "n": False, "of": False}.items():
        assert parse_value(fsync, prefix) is meaning
    for ambiguous_or_wrong in ("o", "", "2", "onn", "yess"):
        with pytest.raises(PgValueError):
            parse_value(fsync, ambiguous_or_wrong)


def test_to_bytes_uses_the_base_unit() -> None:
    assert to_bytes(TABLE["shared_buffers"], 16384) == 128 * 1024 * 1024
    assert to_bytes(TABLE["work_mem"], 4096) == 4 * 1024 * 1024
    assert to_bytes(TABLE["min_dynamic_shared_memory"], 3) == 3 * 1024 * 1024
    assert to_bytes(TABLE["wal_buffers"], -1) is None  # "derive it", not a size
    assert to_bytes(TABLE["statement_timeout"], 1000) is None  # not memory


def test_suggest_name() -> None:
    assert suggest_name("shared_bufers") == "shared_buffers"
    assert suggest_name("Shared-Buffers") == "shared_buffers"
    assert suggest_name("work_mem") is None  # known: nothing to suggest
    assert suggest_name("xyzzy_plugh_frobnicate") is None


@given(st.sampled_from(sorted(TABLE)), st.data())
@settings(max_examples=60, deadline=None)
def test_suggest_name_recovers_from_one_dropped_letter(name: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(name) - 1))
    typo = name[:position] + name[position + 1 :]
    suggestion = suggest_name(typo)
    if typo in TABLE:
        assert suggestion is None
    else:
        assert suggestion is not None and suggestion.lower() in TABLE


def test_unknown_major_falls_back_to_15() -> None:
    assert settings_table(99) == settings_table(15)


# ------------------------------------------------------------------------------------------------
# Values, against the server

TRICKY_VALUES: list[tuple[str, str]] = [
    (name, raw)
    for name, raws in {
        "shared_buffers": ["128MB", "1gb", "1GB", "1 GB", "1.5GB", "0x20000", "128", "1TB", "8TB", "16", "15",
                           "010", "08", "1e3", "1E3", ".5", " .5", "-0.5", "0x1.8p1", "0X10", "0x", "0xg",
                           "128MB ", " 128MB", "128 MB ", "128mB", "128Mb", "1.5", "2.5", "3.5", "1kB", "8kB",
                           "12kB", "20kB", "28kB", "1B", "8192B", "4095B", "1 B", "1KB", "1kb", "128MBx",
                           "128 M B", "99999999999999999999", "3000000000", "-3000000000", "1e10", "1e400",
                           "nan", "inf", "", " ", "+128MB", "- 128MB", "1e", "1e+", "1.5e3kB", "0x1e3",
                           "1 minute", "1MBB", "0b101", "1_000"],
        "wal_buffers": ["-1", "-2", "0", "1", "3", "5", "1TB", "64kB", "16MB", "-1MB", "-0"],
        "work_mem": ["64", "63", "1.5MB", "0.5kB", "1.5kB", "2.5kB", "1536B", "1us", "4 MB", "2TB",
                     "1.9999TB",
                     "2147483647", "2147483648", "1e-3MB", "0.0001GB"],
        "autovacuum_work_mem": ["-1", "0", "100", "1023", "1024", "1GB", "-2"],
        "min_dynamic_shared_memory": ["1GB", "1kB", "512kB", "1536kB", "2560kB", "1.5B", "30.1GB"],
        "effective_cache_size": ["1TB", "4GB", "0", "1"],
        "track_activity_query_size": ["1kB", "1.5kB", "100", "99", "1MB", "2MB"],
        "statement_timeout": ["1s", "1 min", "1min", "1h", "1d", "5B", "1.5s", "1.5ms", "2.5ms", "1500us",
                              "1us", "1m", "1 sec", "25d", "24d", "-1", "1S", "1MS", "1.5min", "0.5ms"],
        "checkpoint_timeout": ["5min", "1h", "30", "29", "1.5min", "500ms", "30000ms", "30s", "1d", "2d"],
        "log_rotation_age": ["1d", "90s", "30s", "1h", "150s", "1500ms"],
        "vacuum_cost_delay": ["1.5us", "2", "101", "1s", "inf", "nan", "-inf", "0x10", "1e-310", "0.1ms", "-0",
                              "-0ms", "-0.4us",
                              "100.0001", "1 s", "Infinity"],
        "seq_page_cost": ["1.5", "1e308", "1e309", "1.79769313486231570e+308", "inf", "-1", "1e-310",
                          "4.9406564584124654e-324", "0x1p-1074", "0x1p-1075", "2.2250738585072014e-308",
                          "1 ms", "  1.5  ", "0x1.8", "infinity", "INF", "1e5x", "0x.8", "1.e2", ".", "-",
                          "+.5", "5e-1", "1e-400"],
        "hash_mem_multiplier": ["0.5", "1000.5", "2", "1", "1000"],
        "max_connections": ["100", "0", "100k", "1e2", "0x64", "262144", "-1", "010", "1.4", "1.5", "2.5"],
        "fsync": ["on", "off", "of", "o", "ye", "y", "yes", "YES", "tRuE", "t", "f", "fa", "1", "0", "10", "",
                  " on", "on ", "nope", "n", "offf", "oN", "2", "true1", "NO"],
        "huge_pages": ["on", "off", "try", "TRY", "yes", "1", "0", "true", "false", "maybe", "", " on", "tr",
                       "On"],
        "wal_level": ["minimal", "replica", "logical", "archive", "hot_standby", "HOT_STANDBY", "full"],
        "dynamic_shared_memory_type": ["posix", "sysv", "mmap", "none", "windows", "POSIX"],
        "client_min_messages": ["debug", "info", "DEBUG2", "fatal", "log"],
        "log_min_messages": ["debug", "info", "fatal", "panic"],
        "wal_compression": ["on", "lz4", "zstd", "1", "off", "pglz", "gzip"],
        "synchronous_commit": ["local", "true", "2", "remote_apply"],
        "ssl_max_protocol_version": ["", "TLSV1.3", "tls"],
        "ssl_min_protocol_version": ["", "tlsv1.2"],
    }.items()
    for raw in raws
]


@pytest.mark.postgres
def test_tricky_values_match_the_server(server: PgServer) -> None:
    assert_values_agree(server, TRICKY_VALUES)


# Server-backed property tests judge 30 values per example; shrinking such a list costs minutes and the
# failure message already names each mismatching value, so they do not shrink.
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)

# A grammar of plausible and implausible numbers, so that the server judges the corners too.
_NUMERIC_PARAMS = [
    "shared_buffers", "wal_buffers", "work_mem", "maintenance_work_mem", "min_dynamic_shared_memory",
    "track_activity_query_size", "effective_cache_size", "statement_timeout", "checkpoint_timeout",
    "log_rotation_age", "vacuum_cost_delay", "seq_page_cost", "hash_mem_multiplier", "max_connections",
    "autovacuum_work_mem", "autovacuum_vacuum_scale_factor",
]
_space = st.sampled_from(["", "", " ", "  ", "\t"])
_number = st.one_of(
    st.integers(-10**12, 10**12).map(str),
    st.integers(0, 2**40).map(hex),
    st.integers(0, 4096).map(lambda n: "0" + format(n, "o")),
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False).map(repr),
    st.from_regex(r"[-+]?[0-9]{0,4}\.?[0-9]{0,3}(?:[eE][-+]?[0-9]{1,3})?", fullmatch=True),
    st.from_regex(r"[-+]?0[xX][0-9a-fA-F]{0,4}\.?[0-9a-fA-F]{0,2}(?:[pP][-+]?[0-9]{1,2})?", fullmatch=True),
)
_unit = st.sampled_from(["", "", "B", "kB", "MB", "GB", "TB", "kb", "KB", "mb", "Gb", "us", "ms", "s", "min",
                         "h", "d", "m", "sec", "mins", "x", "e"])
_numeric_case = st.tuples(
    st.sampled_from(_NUMERIC_PARAMS),
    st.builds(lambda *parts: "".join(parts), _space, _number, _space, _unit, _space),
)


@pytest.mark.postgres
@given(st.lists(_numeric_case, min_size=30, max_size=30))
@settings(max_examples=10, deadline=None, phases=NO_SHRINK)
def test_numbers_and_units_match_the_server(server: PgServer, cases: list[tuple[str, str]]) -> None:
    assert_values_agree(server, cases)


_ENUM_AND_BOOL_PARAMS = ["fsync", "huge_pages", "wal_level", "synchronous_commit", "wal_compression",
                         "archive_mode", "client_min_messages", "jit", "dynamic_shared_memory_type"]


@pytest.mark.postgres
@given(st.lists(st.tuples(st.sampled_from(_ENUM_AND_BOOL_PARAMS),
                          st.text(alphabet="onfftrueyesalwyzpgmixdcONYS10_ ", max_size=7)),
                min_size=30, max_size=30))
@settings(max_examples=8, deadline=None, phases=NO_SHRINK)
def test_words_match_the_server(server: PgServer, cases: list[tuple[str, str]]) -> None:
    assert_values_agree(server, cases)


# ------------------------------------------------------------------------------------------------
# postgresql.conf

SERVER_SYNTAX_ERROR = re.compile(
    r'syntax error in file ".*" line (\d+), (near token "(.*)"|near end of line)$'
)


def server_syntax_errors(result: ShowResult) -> list[tuple[int, str]]:
    """(line, what) of each syntax error the server logged, worded as parse_conf words them."""
    found = []
    for message in result.messages:
        match = SERVER_SYNTAX_ERROR.match(message.text)
        if match:
            near = "end of line" if match[3] is None else f'token "{match[3]}"'
            what = f"syntax error near {near}"
            found.append((int(match[1]), what))
    return found


def test_parse_conf_positions_and_forms() -> None:
    text = "# comment\nWork_Mem = '8MB' # trailing\nshared_buffers 256MB\ninclude_dir 'conf.d'\n"
    items, errors = parse_conf(text)
    assert errors == []
    first, second, third = items
    assert isinstance(first, ConfEntry) and first.name == "work_mem" and first.raw_value == "8MB"
    assert text[first.name_start : first.name_end] == "Work_Mem"
    assert text[first.value_start : first.value_end] == "'8MB'" and first.line == 2
    assert isinstance(second, ConfEntry)
    assert (second.name, second.raw_value, second.line) == ("shared_buffers", "256MB", 3)
    assert isinstance(third, Include)
    assert (third.kind, third.target, third.line) == ("include_dir", "conf.d", 4)
    assert text[third.start : third.end] == "include_dir 'conf.d'"
    assert text[third.target_start : third.target_end] == "'conf.d'"


# Values that stress the lexer; archive_command is a string parameter without a check hook, so the
# server reports exactly what it read.
LEXER_VALUES = [
    "'plain'", "'it''s'", r"'tab\there'", r"'oct\101\60'", r"'nul\0rest'", r"'back\\slash'", r"'quote\'s'",
    r"'c:\\path'", "'#not a comment'", "foo-bar_baz:/x", "café", "a.b.c", "basic.so", "/abs/path", "0x10",
    "0X10", "1e3", ".5", "-1", "+64", "1.5GB", "'1.5GB'", "1_000", "'unterminated", "''''", "'a''''b'",
    "'\\", "x#y", "= 3", "abc def", "'a' 'b'", "'ünï'", "'\\q'", "'\\1234'", "'\\377'", "''", "1.5e3",
    "-.5e-2x",
]


@pytest.mark.postgres
def test_each_value_form_reads_as_the_server_reads_it(server: PgServer) -> None:
    texts = [f"archive_command = {value}\n" for value in LEXER_VALUES]
    paths = [server.write_file(f"lexer/{i}.conf", text) for i, text in enumerate(texts)]
    results = server.show_many([("archive_command", ["-c", f"config_file={path}"]) for path in paths])
    mismatches = []
    for text, result in zip(texts, results, strict=True):
        items, errors = parse_conf(text)
        values = [as_printed(item.raw_value) for item in items if isinstance(item, ConfEntry)]
        ours = ([(e.line, e.message) for e in errors], values)
        # archive_command has no check hook: the server fails only on syntax errors, and then keeps nothing
        theirs = ([], [result.value]) if result.ok else (server_syntax_errors(result), [])
        if ours != theirs:
            mismatches.append(f"{text!r}: ours {ours} server {theirs} ({result.output.strip()})")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.postgres
def test_syntax_errors_are_reported_on_the_servers_lines(server: PgServer) -> None:
    text = "\n".join([
        "work_mem = 4MB",
        "shared_buffers = 1.5GB",  # REAL then ID
        "bad line here",
        "= 5",
        "max_connections",  # no value
        "max_connections = = 5",
        "archive_library = basic_archive.so",
        "  # only a comment",
        "foo.bar.baz = 1",  # not an identifier
        "work-mem = 1",
        "listen_addresses = '*' extra",
        "x = 'unterminated",
        "y = 'ok' # fine",
        "",
    ])
    path = server.write_file("syntax/postgresql.conf", text)
    result = server.show("work_mem", config_file=path)
    _, errors = parse_conf(text)
    assert not result.ok
    assert [(e.line, e.message) for e in errors] == server_syntax_errors(result)


@pytest.mark.postgres
def test_syntax_error_at_end_of_file_without_newline(server: PgServer) -> None:
    # The server counts the missing newline's line as one less ("line 0" for a one-line file);
    # parse_conf reports the line the text is on.
    path = server.write_file("syntax/eof.conf", "work_mem = 4MB\nshared_buffers")
    result = server.show("work_mem", config_file=path)
    _, errors = parse_conf("work_mem = 4MB\nshared_buffers")
    assert server_syntax_errors(result) == [(1, "syntax error near end of line")]
    assert [(e.line, e.message) for e in errors] == [(2, "syntax error near end of line")]


def as_printed(value: str) -> str:
    """A value as it arrives from the server's stdout: bytes (octal escapes can make any byte) read as
    UTF-8 with replacement characters, final newline dropped."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace").rstrip("\n")


def read_or_none(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def assert_load_conf_matches_server(server: PgServer, main: Path, names: Sequence[str]) -> None:
    resolved = load_conf(main, read_or_none)
    assert resolved.problems == ()
    for name in names:
        result = server.show(name, config_file=main)
        assert result.ok, result.output
        spec = TABLE[name]
        assert name in resolved.settings, f"{name} missing from load_conf"
        assert shown(spec, parse_value(spec, resolved.settings[name].raw_value)) == result.value, name


@pytest.mark.postgres
def test_includes_and_include_dir_order(server: PgServer) -> None:
    base = "inc1"
    server.write_file(f"{base}/conf.d/b.conf", "work_mem = 2MB\nmaintenance_work_mem = 100MB\n")
    server.write_file(f"{base}/conf.d/a.conf", "work_mem = 1MB\ntemp_buffers = 16MB\nmax_connections = 50\n")
    # 'Z' sorts before 'a' in C order
    server.write_file(f"{base}/conf.d/Z.conf", "temp_buffers = 32MB\nmax_connections = 60\n")
    server.write_file(f"{base}/conf.d/.hidden.conf", "work_mem = 99MB\n")  # dotfiles are skipped
    server.write_file(f"{base}/conf.d/extra.conf.bak", "work_mem = 98MB\n")  # only *.conf
    server.write_file(f"{base}/conf.d/sub.conf/x.conf", "work_mem = 97MB\n")  # a directory named *.conf
    server.write_file(f"{base}/conf.d/zz.CONF", "work_mem = 96MB\n")  # the suffix is case-sensitive
    server.write_file(f"{base}/more/extra.conf", "shared_buffers = '64MB'\ninclude '../last.conf'\n")
    server.write_file(f"{base}/last.conf", "hash_mem_multiplier = 3\n")
    main = server.write_file(f"{base}/postgresql.conf", "\n".join([
        "work_mem = 512kB",
        "shared_buffers = 32MB",
        "include_dir 'conf.d'",
        "include 'more/extra.conf'",
        "include_if_exists 'missing.conf'",
        "effective_cache_size = 1GB",
        "",
    ]))
    assert_load_conf_matches_server(
        server, main,
        ["work_mem", "maintenance_work_mem", "temp_buffers", "max_connections", "shared_buffers",
         "hash_mem_multiplier", "effective_cache_size"],
    )
    resolved = load_conf(main, read_or_none)
    assert [p.name for p in resolved.files] == [
        "postgresql.conf", "Z.conf", "a.conf", "b.conf", "extra.conf", "last.conf"]


@pytest.mark.postgres
def test_nesting_depth_limit_matches_the_server(server: PgServer) -> None:
    # A chain of includes: the main file is depth 0, so ten levels work and eleven do not.
    for levels, expect_ok in ((10, True), (11, False)):
        folder = f"depth{levels}"
        for level in range(1, levels + 1):
            nxt = f"include 'f{level + 1}.conf'\n" if level < levels else ""
            server.write_file(f"{folder}/f{level}.conf", f"work_mem = {level + 64}kB\n{nxt}")
        main = server.write_file(f"{folder}/main.conf", "include 'f1.conf'\n")
        result = server.show("work_mem", config_file=main)
        resolved = load_conf(main, read_or_none)
        assert result.ok is expect_ok, result.output
        assert (resolved.problems == ()) is expect_ok, resolved.problems
        if expect_ok:
            assert resolved.settings["work_mem"].raw_value + "" == f"{levels + 64}kB"
            assert result.value == str(levels + 64)
        else:
            assert "maximum nesting depth exceeded" in resolved.problems[0][2]
            assert "maximum nesting depth exceeded" in result.output


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        ({"main.conf": "include 'main.conf'\n"}, "configuration file recursion"),
        ({"main.conf": "include 'b.conf'\n", "b.conf": "include 'main.conf'\n"},
         "maximum nesting depth exceeded"),
        ({"main.conf": "include 'nope.conf'\n"}, "could not open configuration file"),
        ({"main.conf": "include_dir 'nodir'\n"}, "could not open configuration directory"),
        ({"main.conf": "include ''\n"}, "empty configuration file name"),
        ({"main.conf": "include_dir ' '\n"}, "empty configuration directory name"),
        ({"main.conf": "include 'b.conf'\n", "b.conf": "work_mem 1.5GB\n"}, "syntax error"),
    ],
)
def test_broken_includes_stop_the_server_and_are_problems(server: PgServer, files: dict[str, str],
                                                          fragment: str) -> None:
    folder = f"broken{abs(hash(tuple(sorted(files.items()))))}"
    for name, text in files.items():
        server.write_file(f"{folder}/{name}", text)
    main = server.workdir / folder / "main.conf"
    result = server.show("work_mem", config_file=main)
    resolved = load_conf(main, read_or_none)
    assert not result.ok
    assert fragment in result.output
    assert any(fragment in message for _, _, message in resolved.problems), resolved.problems


def test_load_conf_with_stubbed_files_never_raises() -> None:
    files = {"/etc/pg/main.conf": "include_dir 'd'\ninclude_if_exists 'gone.conf'\nwork_mem = 1MB\n",
             "/etc/pg/d/01.conf": "work_mem = 2MB\n", "/etc/pg/d/02.conf": "work_mem = 3MB\n"}
    listing = {"/etc/pg/d": [("02.conf", False), ("01.conf", False), ("broken", None)]}
    resolved = load_conf(Path("/etc/pg/main.conf"), lambda p: files.get(str(p)),
                         lambda d: listing.get(str(d)))
    assert resolved.problems == ()
    assert resolved.settings["work_mem"].raw_value == "1MB"
    assert [str(p) for p in resolved.files] == ["/etc/pg/main.conf", "/etc/pg/d/01.conf", "/etc/pg/d/02.conf"]
    missing = load_conf(Path("/nowhere.conf"), lambda p: None)
    assert missing.settings == {} and len(missing.problems) == 1


@given(st.text(alphabet=string.printable + "é'\\#=", max_size=200))
@settings(max_examples=200, deadline=None)
def test_parse_conf_never_raises_and_spans_point_at_the_text(text: str) -> None:
    items, errors = parse_conf(text)
    for item in items:
        if isinstance(item, ConfEntry):
            assert text[item.name_start : item.name_end].lower() == item.name
        assert all(1 <= e.line <= text.count("\n") + 1 for e in errors)


# Random configuration files: lines built from the lexer's corner cases, judged by the server.
_conf_value = st.sampled_from(LEXER_VALUES[:-3] + ["'x y'", "abc", "1", "'\\n'", "'tab\\t'"])
_conf_line = st.one_of(
    st.builds(lambda eq, v, c: f"archive_command{eq}{v}{c}", st.sampled_from([" = ", "=", " ", "\t=\t"]),
              _conf_value, st.sampled_from(["", " # c", "#c"])),
    st.sampled_from(["", "# comment", "   ", "\t# x = 'y'", "archive_command", "Archive_Command = 'M'"]),
)


@pytest.mark.postgres
@given(st.lists(st.lists(_conf_line, min_size=1, max_size=6), min_size=15, max_size=15))
@settings(max_examples=4, deadline=None, phases=NO_SHRINK)
def test_random_files_read_as_the_server_reads_them(server: PgServer, files: list[list[str]]) -> None:
    texts = ["\n".join(lines) + "\n" for lines in files]
    paths = [server.write_file(f"random/{i}.conf", text) for i, text in enumerate(texts)]
    results = server.show_many([("archive_command", ["-c", f"config_file={path}"]) for path in paths])
    for text, result in zip(texts, results, strict=True):
        items, errors = parse_conf(text)
        if errors or not result.ok:
            assert [(e.line, e.message) for e in errors] == server_syntax_errors(result), text
            continue
        entries = [i for i in items if isinstance(i, ConfEntry)]
        expected = entries[-1].raw_value if entries else ""
        assert as_printed(expected) == result.value, text


@pytest.mark.postgres
def test_a_started_server_reports_what_load_conf_resolved(server: PgServer) -> None:
    # The full path: pg_ctl start with a postgresql.conf that includes another, then SQL.
    server.write_file("data/extra.conf", "work_mem = '12MB'\nmaintenance_work_mem = 96MB\n")
    conf = ("shared_buffers = 48MB\nwork_mem = 1MB\ninclude 'extra.conf'\ntemp_buffers = 2000\n"
            "wal_buffers = 1MB\n")
    started, log = server.start(conf)
    try:
        assert started, log
        resolved = load_conf(server.datadir / "postgresql.conf", read_or_none)
        names = ["shared_buffers", "work_mem", "maintenance_work_mem", "temp_buffers", "wal_buffers"]
        rows = server.psql(
            "select name, setting, pg_size_bytes(current_setting(name)) from pg_settings where name in ("
            + ", ".join(f"'{n}'" for n in names) + ") order by name"
        )
        for row in rows.strip().splitlines():
            name, setting, size_bytes = row.split("|")
            spec = TABLE[name]
            value = parse_value(spec, resolved.settings[name].raw_value)
            assert str(value) == setting, name
            assert to_bytes(spec, value) == int(size_bytes), name
        started, log = server.start("work_mem = 1.5GB\n")
        assert not started
        assert "syntax error in file" in log and 'near token "GB"' in log
    finally:
        server.stop()
        server.restore_conf()


# ------------------------------------------------------------------------------------------------
# postgres command line

ARGV_CASES: list[list[str]] = [
    ["-B", "1000"], ["-B1000"], ["-N", "7"], ["-S", "1000"], ["-c", "work_mem=77"], ["-cwork_mem=78"],
    ["--work-mem=79"], ["--WORK_MEM=80"], ["-Fc", "work_mem=3MB"], ["-i"], ["-e"], ["-E"], ["-O"], ["-P"],
    ["-s"], ["-d", "3"], ["-d", "0"], ["-d", "x"], ["-f", "s"], ["-f", "hx"], ["-t", "pa"], ["-t", "ex"],
    ["-t", "pl"],
    ["-c", "shared_buffers=1GB", "-B", "100"], ["-B", "100", "-c", "shared_buffers=1GB"],
    ["-c", "max_connections=200", "-c", "shared_buffers=256MB", "-c", "work_mem=16MB"],
    ["-h", "localhost", "-p", "6543", "-k", "/tmp"], ["-W", "0"], ["-c", "search_path="],
    ["-c", "Shared-Buffers=64MB"], ["-FiO"],
]
ARGV_PROBLEMS: list[list[str]] = [
    ["-c"], ["-c", "work_mem"], ["--work_mem"], ["foo"], ["-x"], ["-f", "x"], ["-t", "px"],
    ["--", "-c", "a=b"],
    ["-B"], ["-c", "work_mem=1MB", "stray"], ["-"],
]


@pytest.mark.postgres
def test_command_lines_set_what_the_server_sets(server: PgServer) -> None:
    # For every parameter the command line sets, `postgres -C name <argv>` must equal
    # `postgres -C name -c name=<the value parse_server_args extracted>`, and parse_value must agree.
    cases = []
    for argv in ARGV_CASES:
        found, problems = parse_server_args(argv)
        assert problems == [], argv
        final = {setting.name: setting for setting in found}
        assert final, argv
        for setting in final.values():
            assert 0 <= setting.arg_index < len(argv)
            cases.append((argv, setting))
    from_argv = server.show_many([(setting.name, argv) for argv, setting in cases])
    explicit = server.show_many([(s.name, ["-c", f"{s.name}={s.raw_value}"]) for _, s in cases])
    for (argv, setting), original, extracted in zip(cases, from_argv, explicit, strict=True):
        assert original.ok and extracted.ok, (argv, original.output, extracted.output)
        assert original.value == extracted.value, (argv, setting)
        spec = TABLE[setting.name]
        if spec.vartype != "string":  # string check hooks (DateStyle "euro" → "ISO, DMY") are not modelled
            assert shown(spec, parse_value(spec, setting.raw_value)) == original.value, (argv, setting)


@pytest.mark.postgres
def test_bad_command_lines_stop_the_server(server: PgServer) -> None:
    results = server.show_many([("work_mem", argv) for argv in ARGV_PROBLEMS])
    for argv, result in zip(ARGV_PROBLEMS, results, strict=True):
        _, problems = parse_server_args(argv)
        assert not result.ok, argv
        assert problems, argv
        assert any(problem in result.output for problem in problems), (argv, problems, result.output)


def test_arg_index_points_at_the_token_holding_the_value() -> None:
    argv = ["-c", "work_mem=1MB", "-cmax_connections=5", "-B", "100", "-N20", "--temp-buffers=2MB", "-F"]
    found, problems = parse_server_args(argv)
    assert problems == []
    assert [(s.name, s.raw_value, s.arg_index) for s in found] == [
        ("work_mem", "1MB", 1), ("max_connections", "5", 2), ("shared_buffers", "100", 4),
        ("max_connections", "20", 5), ("temp_buffers", "2MB", 6), ("fsync", "false", 7)]


def test_leading_program_name_is_skipped() -> None:
    # docker-library/postgres docker-entrypoint.sh prepends "postgres" when the first argument is an option.
    bare = parse_server_args(["-c", "work_mem=1MB", "-B", "10"])
    named = parse_server_args(["postgres", "-c", "work_mem=1MB", "-B", "10"])
    assert [(s.name, s.raw_value, s.arg_index + 1) for s in bare[0]] == [
        (s.name, s.raw_value, s.arg_index) for s in named[0]]
    assert named[0] == [ArgSetting("work_mem", "1MB", 2), ArgSetting("shared_buffers", "10", 4)]
    assert parse_server_args(["/usr/lib/postgresql/15/bin/postgres", "-N", "5"])[0] == [
        ArgSetting("max_connections", "5", 2)]
    assert parse_server_args(["postgres", "--version"])[0] == []


@pytest.mark.postgres
def test_pgserver_reports_computed_shared_memory(server: PgServer) -> None:
    # The helper's -C path also answers runtime-computed parameters; more shared_buffers, more memory.
    small = server.show("shared_memory_size", ["-c", "shared_buffers=16MB"])
    large = server.show("shared_memory_size", ["-c", "shared_buffers=256MB"])
    assert small.ok and large.ok, (small.output, large.output)
    assert int(large.value or 0) - int(small.value or 0) >= 240
