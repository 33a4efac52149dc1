"""The command line through `main(argv)`: exit codes, fixing, bad input, output formats."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mcplint import __version__
from mcplint.cli import main

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "mcp-monorepo"


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MCPLINT_OUTPUT_FORMAT", raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_clean_directory_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "Dockerfile", "FROM alpine:3.20 AS base\nRUN echo hi\n")
    code, out, _ = run(capsys, "check", "--select", "DF001", str(tmp_path))
    assert code == 0
    assert "All checks passed" in out


def test_findings_exit_one_and_exit_zero_overrides(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "Dockerfile", "FROM alpine:3.20 as base\n")
    assert run(capsys, "check", "--select", "DF001", str(tmp_path))[0] == 1
    assert run(capsys, "check", "--select", "DF001", "--exit-zero", str(tmp_path))[0] == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--output-format", "xml"],
        ["check", "--select", "NOPE999"],
        ["check", "--no-such-flag"],
        ["rule", "no-such-rule"],
        ["frobnicate"],
    ],
)
def test_usage_errors_are_one_line_and_exit_two(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and "error" in err
    assert "Traceback" not in err


def test_bad_config_is_one_line_and_exit_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / ".mcplint.toml", "selec = ['ALL']\n")
    write(tmp_path / "Dockerfile", "FROM alpine:3.20\n")
    code, _, err = run(capsys, "check", str(tmp_path))
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "selec" in err


def test_missing_path_is_an_error_but_other_paths_are_linted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "Dockerfile", "FROM alpine:3.20 as base\n")
    code, out, err = run(capsys, "check", "--select", "DF001", "--output-format", "concise", str(tmp_path / "nope"), str(tmp_path))
    assert code == 2
    assert "nope: no such file or directory" in err
    assert "DF001" in out


def test_diff_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "Dockerfile", "FROM alpine:3.20 as base\n")
    before = path.read_bytes()
    code, out, _ = run(capsys, "check", "--diff", "--select", "DF001", str(tmp_path))
    assert path.read_bytes() == before
    assert code == 1
    assert "-FROM alpine:3.20 as base\n+FROM alpine:3.20 AS base\n" in out


def test_fix_keeps_crlf_bom_and_missing_final_newline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "Dockerfile", b"\xef\xbb\xbfFROM alpine:3.20 as base\r\nRUN echo \\\r\n  hi")
    code, _, _ = run(capsys, "check", "--fix", "--select", "DF001", str(tmp_path))
    assert code == 0
    assert path.read_bytes() == b"\xef\xbb\xbfFROM alpine:3.20 AS base\r\nRUN echo \\\r\n  hi"


def test_fix_applies_safe_fixes_only_unless_unsafe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    compose = write(tmp_path / "compose.yaml", "services:\n  web:\n    image: nginx:1.27\n")
    original = compose.read_text()
    code, _, _ = run(capsys, "check", "--fix", "--select", "RES001", str(tmp_path))
    assert code == 1 and compose.read_text() == original
    code, _, _ = run(capsys, "check", "--fix", "--unsafe-fixes", "--select", "RES001", str(tmp_path))
    assert code == 0
    assert compose.read_text() == original + "    deploy:\n      resources:\n        limits:\n          memory: 512M\n"


def test_exit_non_zero_on_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "Dockerfile", "FROM alpine:3.20 as base\n")
    code, _, _ = run(capsys, "check", "--fix", "--exit-non-zero-on-fix", "--select", "DF001", str(tmp_path))
    assert code == 1
    code, _, _ = run(capsys, "check", "--fix", "--exit-non-zero-on-fix", "--select", "DF001", str(tmp_path))
    assert code == 0


def test_fix_never_touches_a_file_that_was_not_changed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = write(tmp_path / "a" / "Dockerfile", "FROM alpine:3.20 AS base\n")
    os.utime(clean, (1_000_000, 1_000_000))
    write(tmp_path / "b" / "Dockerfile", "FROM alpine:3.20 as base\n")
    run(capsys, "check", "--fix", "--select", "DF001", str(tmp_path))
    assert clean.stat().st_mtime == 1_000_000


def test_bad_bytes_give_mc001_and_the_rest_is_linted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "latin1" / "Dockerfile", b"FROM alpine:3.20\nLABEL author=\"J\xfcrgen\"\n")
    write(tmp_path / "binary" / "Dockerfile", b"\x7fELF\x02\x01\x01\x00\x00")
    write(tmp_path / "good" / "Dockerfile", "FROM alpine:3.20 as base\n")
    code, out, err = run(capsys, "check", "--select", "MC001,DF001", "--output-format", "json", str(tmp_path))
    findings = json.loads(out)
    assert code == 1 and err == ""
    by_path = {(f["path"], f["code"]): f for f in findings}
    latin = by_path[("latin1/Dockerfile", "MC001")]
    assert latin["start"]["line"] == 2 and "UTF-8" in latin["message"]
    assert "binary" in by_path[("binary/Dockerfile", "MC001")]["message"]
    assert ("good/Dockerfile", "DF001") in by_path


def test_fix_leaves_undecodable_files_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = b"FROM alpine:3.20 as base\nLABEL a=\"\xff\"\n"
    path = write(tmp_path / "Dockerfile", data)
    run(capsys, "check", "--fix", "--select", "MC001,DF001", str(tmp_path))
    assert path.read_bytes() == data


def test_unreadable_file_does_not_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    target = write(tmp_path / "secret" / "Dockerfile", "FROM alpine:3.20\n")
    write(tmp_path / "ok" / "Dockerfile", "FROM alpine:3.20 as base\n")
    real_read_bytes = Path.read_bytes

    def deny(self: Path) -> bytes:
        if self.resolve() == target.resolve():
            raise PermissionError(13, "Permission denied")
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", deny)
    code, out, _ = run(capsys, "check", "--select", "MC001,DF001", "--output-format", "concise", str(tmp_path))
    assert code == 1
    assert "secret/Dockerfile:1:1: MC001 [parse-error] cannot read file: Permission denied" in out
    assert "ok/Dockerfile:1:18: DF001" in out


def test_symlink_loops_and_fifos_do_not_hang_or_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "app" / "Dockerfile", "FROM alpine:3.20 as base\n")
    (tmp_path / "app" / "loop").symlink_to(tmp_path / "app")
    (tmp_path / "self" ).mkdir()
    (tmp_path / "self" / "Dockerfile").symlink_to(tmp_path / "self" / "Dockerfile")
    os.mkfifo(tmp_path / "fifo-Dockerfile.dockerfile")
    code, out, _ = run(capsys, "check", "--select", "MC001,DF001", "--output-format", "concise", str(tmp_path))
    assert code == 1
    assert out.count("app/Dockerfile:1:18: DF001") == 1
    assert "self/Dockerfile:1:1: MC001" in out
    assert "fifo-Dockerfile.dockerfile:1:1: MC001 [parse-error] not a regular file" in out


def test_gitignored_and_excluded_directories_are_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path / ".gitignore", "build/\n*.generated.yml\n")
    write(tmp_path / "build" / "Dockerfile", "FROM alpine as x\n")
    write(tmp_path / "node_modules" / "pkg" / "Dockerfile", "FROM alpine as x\n")
    write(tmp_path / "compose.generated.yml", "services: {a: {image: x}}\n")
    write(tmp_path / "src" / "Dockerfile", "FROM alpine as x\n")
    write(tmp_path / "src" / "Dockerfile.j2", "FROM {{ base }} as x\n")
    code, out, _ = run(capsys, "check", "--select", "DF001,RES001,MC001", "--output-format", "concise", "--quiet", ".")
    assert code == 1
    assert [line.split(":")[0] for line in out.splitlines() if line] == ["src/Dockerfile"]


def test_explicit_file_is_linted_even_if_excluded_unless_force_exclude(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "vendor" / "Dockerfile", "FROM alpine as x\n")
    write(tmp_path / ".mcplint.toml", "extend-exclude = ['vendor']\n")
    assert run(capsys, "check", "--select", "DF001", str(path))[0] == 1
    assert run(capsys, "check", "--select", "DF001", "--force-exclude", str(path))[0] == 0


def test_json_output_follows_the_documented_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "Dockerfile", "FROM alpine:3.20 as base\n")
    code, out, _ = run(capsys, "check", "--select", "DF001", "--output-format", "json", str(tmp_path))
    assert code == 1
    (finding,) = json.loads(out)
    assert set(finding) == {"code", "name", "severity", "message", "detail", "path", "start", "end", "fix", "alternatives", "url"}
    assert (finding["code"], finding["name"], finding["severity"]) == ("DF001", "from-as-casing", "warning")
    assert finding["start"] == {"line": 1, "column": 18} and finding["end"] == {"line": 1, "column": 20}
    assert finding["fix"] == {
        "applicability": "safe",
        "title": "Write `AS`",
        "edits": [{"path": "Dockerfile", "start": {"line": 1, "column": 18}, "end": {"line": 1, "column": 20}, "content": "AS"}],
    }


def test_output_file_and_statistics(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "a" / "Dockerfile", "FROM alpine as x\n")
    write(tmp_path / "b" / "Dockerfile", "FROM alpine as y\n")
    report = tmp_path / "report.txt"
    code, out, _ = run(capsys, "check", "--select", "DF001", "--statistics", "--output-format", "concise", "-o", str(report), str(tmp_path))
    assert code == 1 and out == ""
    text = report.read_text()
    assert "2  DF001   [from-as-casing] (2 fixable)" in text


def test_version_rule_and_rules(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"mcplint {__version__}"
    code, out, _ = run(capsys, "rule", "from-as-casing")
    assert code == 0 and out.startswith("# DF001 from-as-casing") and "## Why is this bad?" in out
    code, out, _ = run(capsys, "rule", "DF001", "--output-format", "json")
    assert json.loads(out)["name"] == "from-as-casing"
    code, out, _ = run(capsys, "rules")
    assert code == 0 and "RES001" in out and "memory-limit-missing" in out


def test_example_reports_df001_and_res001_at_the_right_lines(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--output-format", "json", str(EXAMPLE))
    assert code == 1
    found = {(f["code"], f["path"].split("mcp-monorepo/")[-1], f["start"]["line"]) for f in json.loads(out)}
    dockerfile = (EXAMPLE / "mcp-servers" / "redis" / "Dockerfile").read_text().splitlines()
    compose = (EXAMPLE / "docker-compose.yml").read_text().splitlines()
    as_line = next(i for i, line in enumerate(dockerfile, 1) if " as dependencies" in line)
    service_line = next(i for i, line in enumerate(compose, 1) if line.strip() == "redis-mcp:")
    assert ("DF001", "mcp-servers/redis/Dockerfile", as_line) in found
    assert ("RES001", "docker-compose.yml", service_line) in found
    assert not any(code == "RES001" and line != service_line for code, _, line in found)


def test_alias_bomb_and_include_cycle_end_with_a_diagnostic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = ["x-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 10):
        previous = chr(ord("a") + level - 1)
        current = chr(ord("a") + level)
        lines.append(f"x-{current}: &{current} [" + ", ".join([f"*{previous}"] * 10) + "]")
    lines.append("services:\n  web:\n    image: nginx:1.27\n    labels: *j")
    write(tmp_path / "bomb" / "compose.yaml", "\n".join(lines) + "\n")
    write(tmp_path / "cycle" / "compose.yaml", "include:\n  - other.yaml\nservices: {}\n")
    write(tmp_path / "cycle" / "other.yaml", "include:\n  - compose.yaml\nservices:\n  a:\n    image: alpine:3.20\n")
    write(tmp_path / "fine" / "Dockerfile", "FROM alpine:3.20 as base\n")
    code, out, err = run(capsys, "check", "--select", "MC001,DF001", "--output-format", "json", str(tmp_path))
    assert code == 1 and err == ""
    found = {(f["path"], f["code"]): f for f in json.loads(out)}
    bomb = found[("bomb/compose.yaml", "MC001")]
    assert "alias" in bomb["message"] and bomb["start"]["line"] >= 2
    # The include that closes the cycle is in the included file, which is part of the project.
    cycle = found[("cycle/other.yaml", "MC001")]
    assert "cycle" in cycle["message"] and cycle["start"]["line"] == 2
    assert ("fine/Dockerfile", "DF001") in found
