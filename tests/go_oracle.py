"""Go code as a test oracle: a small Go program, built once per test module, answers JSON requests.

`build_program` writes `main.go` as module `oracle` and builds it offline (no module proxy, the
local toolchain only, no cgo), so every package it imports comes from the standard library, from
files copied into the module, or from a local source directory a `replace` line of `go.mod` names.
`ask` sends one JSON request on stdin and returns the decoded answer. The toolchain is `MCPLINT_GO`,
else `go` on PATH; `requires_go` skips a test without it or without the Go sources it needs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

GO = os.environ.get("MCPLINT_GO") or shutil.which("go")

_BUILD_TIMEOUT_SECONDS = 300


def requires_go(reason: str, *sources: Path) -> pytest.MarkDecorator:
    """Skip the test unless the Go toolchain and every one of `sources` are present."""
    return pytest.mark.skipif(GO is None or not all(path.exists() for path in sources), reason=reason)


def build_program(directory: Path, main_go: str, go_mod: str = "", files: Mapping[str, Path] | None = None) -> Path:
    """Build `main_go` in `directory` and return the binary.

    `go_mod` is appended to the module's `go.mod` (`require` and `replace` lines); `files` maps a
    path inside the module to a source file copied there.
    """
    assert GO is not None
    (directory / "go.mod").write_text("module oracle\n\ngo 1.19\n" + go_mod)
    (directory / "main.go").write_text(main_go)
    for relative, source in (files or {}).items():
        (directory / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, directory / relative)
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GOPROXY": "off", "GOTOOLCHAIN": "local", "CGO_ENABLED": "0"}
    env.setdefault("GOCACHE", str(directory / "cache"))
    subprocess.run(
        [GO, "build", "-o", "oracle", "."], cwd=directory, env=env, check=True, timeout=_BUILD_TIMEOUT_SECONDS
    )
    return directory / "oracle"


def ask(program: Path, request: object) -> Any:
    """The program's JSON answer to one JSON request."""
    done = subprocess.run([program], input=json.dumps(request), capture_output=True, text=True, check=True)
    return json.loads(done.stdout)
