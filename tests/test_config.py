"""Configuration: discovery order, validation with the key's name, selection by specificity."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcplint.config import ConfigError, ConfigResolver, Overrides, Settings, find_config, load_settings
from mcplint.registry import all_rules


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def fresh(path: Path) -> Settings:
    load_settings.cache_clear()
    return load_settings(path)


def test_nearest_file_wins_and_dot_file_beats_plain_beats_pyproject(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.mcplint]\nignore = ['DF001']\n")
    write(tmp_path / "a" / "pyproject.toml", "[project]\nname = 'x'\n")  # no [tool.mcplint]: skipped
    write(tmp_path / "b" / "mcplint.toml", "ignore = ['RES001']\n")
    write(tmp_path / "b" / ".mcplint.toml", "ignore = ['MC002']\n")
    assert find_config(tmp_path / "a") == tmp_path / "pyproject.toml"
    assert find_config(tmp_path / "b") == tmp_path / "b" / ".mcplint.toml"
    (tmp_path / "b" / "deeper").mkdir()
    assert find_config(tmp_path / "b" / "deeper") == tmp_path / "b" / ".mcplint.toml"


def test_unknown_key_is_named_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / ".mcplint.toml", "select = ['ALL']\n\nignnore = ['DF001']\n")
    with pytest.raises(ConfigError) as error:
        fresh(path)
    assert "ignnore" in str(error.value) and f"{path}:3" in str(error.value)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("select = 'DF001'\n", "`select`: expected a list"),
        ("ignore = ['NOPE42']\n", "unknown rule or prefix"),
        ("unsafe-fixes = 'yes'\n", "`unsafe-fixes`: expected a boolean"),
        ("output-format = 'xml'\n", "`output-format`"),
        ("[rules.memory-limit-missing]\ndefault = 512\n", "`rules.memory-limit-missing.default`: expected a string"),
        ("[rules.memory-limit-missing]\ndefault = '512 parsecs'\n", "byte size"),
        ("[rules.memory-limit-missing]\nlimit = '1G'\n", "unknown option"),
        ("[rules.DF001]\nseverity = 'fatal'\n", "severity"),
        ("[rules.no-such-rule]\n", "unknown rule"),
        ("[per-file-ignores]\n'*.yml' = 'RES001'\n", "expected a list of rules"),
        ("select = [\n", "invalid TOML"),
    ],
)
def test_wrong_types_and_values_are_reported_by_key(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path / "mcplint.toml", text)
    with pytest.raises(ConfigError) as error:
        fresh(path)
    assert fragment in str(error.value)


def test_pyproject_keys_are_reported_with_their_table_prefix(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", "[tool.mcplint]\nfoo = 1\n")
    with pytest.raises(ConfigError) as error:
        fresh(path)
    assert "`tool.mcplint.foo`" in str(error.value)


def test_most_specific_selector_wins() -> None:
    codes = {r.code for r in all_rules()}
    settings = Settings(select=("DF",), ignore=("DF001",))
    assert "DF001" not in settings.enabled_codes
    assert settings.enabled_codes == {c for c in codes if c.startswith("DF") and c != "DF001"}
    settings = Settings(select=("DF001",), ignore=("DF",))
    assert settings.enabled_codes == {"DF001"}
    settings = Settings(select=("ALL",), ignore=("from-as-casing",))
    assert "DF001" not in settings.enabled_codes and "RES001" in settings.enabled_codes


def test_command_line_select_replaces_and_ignore_adds(tmp_path: Path) -> None:
    path = write(tmp_path / ".mcplint.toml", "select = ['DF001', 'RES001']\nignore = ['RES001']\n")
    load_settings.cache_clear()
    resolver = ConfigResolver(path, Overrides(select=("MC",), ignore=("MC002",)))
    enabled = resolver.for_path(tmp_path).enabled_codes
    assert enabled == {"MC001"}


def test_per_file_ignores_match_relative_globs_and_names(tmp_path: Path) -> None:
    path = write(tmp_path / ".mcplint.toml", "[per-file-ignores]\n'legacy/**' = ['DF']\n'compose.*.yml' = ['RES001']\n")
    settings = fresh(path)
    assert not settings.is_enabled("DF001", tmp_path / "legacy" / "a" / "Dockerfile")
    assert settings.is_enabled("DF001", tmp_path / "new" / "Dockerfile")
    assert not settings.is_enabled("RES001", tmp_path / "deploy" / "compose.prod.yml")


def test_rule_options_are_typed_and_defaulted(tmp_path: Path) -> None:
    from mcplint.registry import find_rule

    path = write(tmp_path / ".mcplint.toml", "[rules.RES001]\ndefault = '1G'\nseverity = 'error'\n")
    settings = fresh(path)
    registered = find_rule("memory-limit-missing")
    assert settings.options_for(registered).default == "1G"
    assert settings.severity_for("RES001").label == "error"
    assert Settings().options_for(registered).default == "512M"


def test_excludes(tmp_path: Path) -> None:
    settings = Settings(root=tmp_path, extend_exclude=("generated/*.yml", "vendor"))
    assert settings.is_excluded(tmp_path / "node_modules" / "x" / "Dockerfile")
    assert settings.is_excluded(tmp_path / "vendor" / "Dockerfile")
    assert settings.is_excluded(tmp_path / "generated" / "compose.yml")
    assert not settings.is_excluded(tmp_path / "src" / "Dockerfile")
