"""The Compose model against real Docker Compose (`docker-compose config --format json`).

For every Compose project of the corpus and for a set of projects written here to exercise every
loading feature (override files, include, extends in the same and another file, merge keys, `!reset`,
`!override`, profiles, multi-document files, interpolation from the environment, `.env`, `env_file`
and `--env-file`), the resolved model must say what Compose says about each service: image, build
context/dockerfile/args/target, environment, memory limits in bytes, healthcheck, depends_on
conditions, command and profiles.

Differences from Compose that are deliberate (the model keeps more, never less):
- disabled services (inactive profiles) stay in the model, marked `enabled=False`, because mcplint
  lints them too; the comparison runs with every profile active and checks `enabled` separately.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mcplint.discovery import compose_kind
from mcplint.models.compose import ComposeProject, Service
from mcplint.models.compose_loader import LoadOptions, ProjectLoader
from mcplint.models.units import parse_bytes, parse_compose_duration
from mcplint.source import SourceFile
from tests.compose_oracle import COMPOSE_BINARY, requires_compose, unescape

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def read(path: Path) -> SourceFile | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    decoded = SourceFile.from_bytes(path, data)
    return decoded if isinstance(decoded, SourceFile) else None


def load(paths: list[Path], env: dict[str, str], env_files: tuple[Path, ...] | None = None, profiles=None) -> ComposeProject:
    loader = ProjectLoader(read, options=LoadOptions(environment=env, env_files=env_files, profiles=profiles))
    return loader.load(paths)


def run_compose(directory: Path, files: list[Path], env: dict[str, str], extra: list[str] = ()) -> tuple[int, dict | None, str]:
    assert COMPOSE_BINARY is not None
    args = [str(COMPOSE_BINARY)]
    for path in files:
        args += ["-f", str(path)]
    args += ["--project-directory", str(directory), *extra, "config", "--format", "json"]
    completed = subprocess.run(args, cwd=directory, env=env, capture_output=True, text=True, timeout=120, check=False)
    config = json.loads(completed.stdout) if completed.returncode == 0 else None
    return completed.returncode, config, completed.stderr


def _seconds(value: Any) -> float | None:
    return None if value is None else parse_compose_duration(str(value))


def _bytes(value: Any) -> int | None:
    if value in (None, "", 0, "0"):
        return None
    return parse_bytes(value)


def ours(service: Service) -> dict[str, Any]:
    build = service.build
    health = service.healthcheck
    limit = service.located("deploy", "resources", "limits", "memory")
    mem_limit = service.located("mem_limit")
    command = service.command
    return {
        "image": service.image,
        "build": None
        if build is None
        else {
            "context": str(build.context) if build.context else build.context_text,
            "dockerfile": build.dockerfile if build.dockerfile_inline is None else None,
            "args": {k: v.value for k, v in build.args.items()},
            "target": build.target.value if build.target else None,
        },
        "environment": {k: v.value for k, v in service.environment.items()},
        "mem_limit": _bytes(mem_limit.value) if mem_limit else None,
        "limits_memory": _bytes(limit.value) if limit else None,
        "healthcheck": None
        if health is None
        else {
            "test": list(health.test) if health.test else None,
            "disable": health.disabled if health.test is None else None,
            "interval": _seconds(health.interval.value) if health.interval else None,
            "timeout": _seconds(health.timeout.value) if health.timeout else None,
            "retries": health.retries.value if health.retries else None,
            "start_period": _seconds(health.start_period.value) if health.start_period else None,
        },
        "depends_on": {d.name: d.condition for d in service.depends_on},
        "command": list(command.value) if command and command.value is not None else None,
        "profiles": sorted(service.profiles),
    }


def theirs(service: dict[str, Any]) -> dict[str, Any]:
    build = service.get("build")
    health = service.get("healthcheck")
    deploy_limit = (((service.get("deploy") or {}).get("resources") or {}).get("limits") or {}).get("memory")
    return {
        "image": unescape(service["image"]) if "image" in service else None,
        "build": None
        if build is None
        else {
            "context": unescape(build["context"]),
            "dockerfile": build.get("dockerfile") if "dockerfile_inline" not in build else None,
            "args": {k: (unescape(v) if isinstance(v, str) else v) for k, v in (build.get("args") or {}).items()},
            "target": build.get("target"),
        },
        "environment": {k: (unescape(v) if isinstance(v, str) else v) for k, v in (service.get("environment") or {}).items()},
        "mem_limit": _bytes(service.get("mem_limit")),
        "limits_memory": _bytes(deploy_limit),
        "healthcheck": None
        if health is None
        else {
            "test": [unescape(t) for t in health["test"]] if health.get("test") else None,
            "disable": health.get("disable", False) if not health.get("test") else None,
            "interval": _seconds(health.get("interval")),
            "timeout": _seconds(health.get("timeout")),
            "retries": health.get("retries"),
            "start_period": _seconds(health.get("start_period")),
        },
        "depends_on": {name: spec["condition"] for name, spec in (service.get("depends_on") or {}).items()},
        "command": [unescape(c) for c in service["command"]] if service.get("command") is not None else None,
        "profiles": sorted(service.get("profiles") or []),
    }


def compare(project: ComposeProject, config: dict[str, Any], *, all_profiles: bool) -> None:
    expected = config.get("services") or {}
    services = {s.name: s for s in project.services if all_profiles or s.enabled}
    assert sorted(services) == sorted(expected)
    for name, service in services.items():
        mine, real = ours(service), theirs(expected[name])
        if mine["image"] is None:
            real["image"] = None  # Compose invents `<project>-<service>` for build-only services
        assert mine == real, name


# ---------------------------------------------------------------------- projects written here

FEATURE_PROJECTS: dict[str, dict[str, Any]] = {
    "override-and-dotenv": {
        "files": {
            "compose.yaml": """
services:
  web:
    image: nginx:${NGINX_TAG:-1.27}
    environment:
      - MODE=${MODE}
      - PLAIN
      - LITERAL=$$HOME
    healthcheck:
      test: curl -f http://localhost/ || exit 1
      interval: 10s
      retries: "${RETRIES:-4}"
    command: nginx -g 'daemon off;'
    mem_limit: 256m
  db:
    image: postgres:${PG:?postgres version required}
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U $${POSTGRES_USER}"]
      start_period: 30s
""",
            "compose.override.yaml": """
services:
  web:
    environment:
      MODE: override
      EXTRA: "1"
    deploy:
      resources:
        limits:
          memory: 256M
    healthcheck:
      test: ["CMD", "wget", "-q", "--spider", "http://localhost/"]
    depends_on:
      db:
        condition: service_healthy
""",
            ".env": "MODE=from-dotenv\nPG=15-alpine\nRETRIES=7\n",
        },
        "env": {"PLAIN": "from-shell", "NGINX_TAG": "1.26"},
    },
    "merge-keys-anchors-reset-override": {
        "files": {
            "compose.yaml": """
x-base: &base
  image: alpine:3.20
  environment: &env
    A: "1"
    B: "2"
  deploy:
    resources:
      limits:
        memory: 128M
services:
  one:
    <<: *base
    command: ["sleep", "1"]
  two:
    <<: [*base]
    environment:
      <<: *env
      B: "3"
    labels:
      keep: "yes"
""",
            "compose.override.yml": """
services:
  one:
    deploy: !reset {}
    command: !override ["sleep", "2"]
  two:
    environment: !override
      ONLY: "this"
""",
        },
        "env": {},
    },
    "extends-same-and-other-file": {
        "files": {
            "compose.yaml": """
services:
  base:
    image: python:3.12-slim
    environment:
      COMMON: "yes"
    mem_limit: 300m
  api:
    extends: base
    environment:
      ROLE: api
    build:
      context: ./api
      args:
        VERSION: "2"
  worker:
    extends:
      file: common/services.yml
      service: job
    command: python worker.py
""",
            "common/services.yml": """
services:
  job:
    build: ./job
    environment:
      QUEUE: default
    healthcheck:
      test: ["CMD", "python", "-c", "print(1)"]
      timeout: 5s
""",
            "api/Dockerfile": "FROM python:3.12-slim\n",
            "common/job/Dockerfile": "FROM python:3.12-slim\n",
        },
        "env": {},
    },
    "include-with-its-own-env": {
        "files": {
            "compose.yaml": """
include:
  - path: infra/compose.yaml
    env_file: infra/values.env
services:
  app:
    image: busybox:1.36
    depends_on:
      - cache
""",
            "infra/compose.yaml": """
services:
  cache:
    image: redis:${REDIS_TAG}
    build:
      context: .
      dockerfile: cache.Dockerfile
      target: runtime
""",
            "infra/values.env": "REDIS_TAG=7-alpine\n",
            "infra/cache.Dockerfile": "FROM redis:7-alpine AS runtime\n",
        },
        "env": {},
    },
    "profiles-multidoc-env-file": {
        "files": {
            "compose.yaml": """
services:
  app:
    image: busybox:1.36
    env_file:
      - app.env
      - path: optional.env
        required: false
    environment:
      FROM_COMPOSE: "x"
---
services:
  debug:
    image: busybox:1.36
    profiles: [debug]
  app:
    shm_size: 256m
""",
            "app.env": "# comment\nexport A=1\nB='two words'\nC=\"line\\nbreak\"\nFROM_COMPOSE=overridden\n",
        },
        "env": {},
    },
}


@requires_compose
@pytest.mark.parametrize("name", sorted(FEATURE_PROJECTS))
def test_feature_projects_resolve_as_docker_compose_does(name: str, tmp_path: Path) -> None:
    spec = FEATURE_PROJECTS[name]
    for relative, text in spec["files"].items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.lstrip("\n"), encoding="utf-8")
    files = [tmp_path / n for n in ("compose.yaml", "compose.override.yaml", "compose.override.yml") if (tmp_path / n).exists()]
    env = dict(spec["env"])
    code, config, stderr = run_compose(tmp_path, files, {**env, "COMPOSE_PROFILES": "*"})
    assert code == 0, stderr
    project = load(files, env, profiles=("*",))
    assert project.problems == (), [p.message for p in project.problems]
    compare(project, config, all_profiles=True)


@requires_compose
def test_env_file_option_replaces_dotenv(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: alpine:${TAG:-none}\n")
    (tmp_path / ".env").write_text("TAG=dotenv\n")
    (tmp_path / "other.env").write_text("TAG=other\n")
    code, config, stderr = run_compose(tmp_path, [tmp_path / "compose.yaml"], {}, ["--env-file", str(tmp_path / "other.env")])
    assert code == 0, stderr
    project = load([tmp_path / "compose.yaml"], {}, env_files=(tmp_path / "other.env",))
    compare(project, config, all_profiles=False)
    assert project.service("a").image == "alpine:other"


def test_profiles_mark_services_disabled(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: x\n  b:\n    image: x\n    profiles: [dev]\n")
    project = load([tmp_path / "compose.yaml"], {})
    assert [(s.name, s.enabled) for s in project.services] == [("a", True), ("b", False)]
    project = load([tmp_path / "compose.yaml"], {"COMPOSE_PROFILES": "dev"})
    assert all(s.enabled for s in project.services)


def test_values_keep_the_span_of_the_file_that_wrote_them(tmp_path: Path) -> None:
    spec = FEATURE_PROJECTS["override-and-dotenv"]
    for relative, text in spec["files"].items():
        (tmp_path / relative).write_text(text.lstrip("\n"))
    project = load([tmp_path / "compose.yaml", tmp_path / "compose.override.yaml"], spec["env"])
    web = project.service("web")
    limit = web.located("deploy", "resources", "limits", "memory")
    assert limit.span.source.path.name == "compose.override.yaml" and limit.span.text == "256M"
    assert web.memory_limit.value == "256M"  # the deploy limit wins over mem_limit, as Compose applies it
    mode = web.environment["MODE"]
    assert mode.value == "override" and mode.span.source.path.name == "compose.override.yaml"
    assert web.key.source.path.name == "compose.yaml"
    retries = web.located("healthcheck", "retries")
    assert retries.value == 7 and retries.span.text == '"${RETRIES:-4}"'


def test_extended_values_point_into_the_base_file(tmp_path: Path) -> None:
    spec = FEATURE_PROJECTS["extends-same-and-other-file"]
    for relative, text in spec["files"].items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.lstrip("\n"))
    project = load([tmp_path / "compose.yaml"], {})
    worker = project.service("worker")
    assert worker.build.context == tmp_path / "common" / "job"
    assert worker.build.context_span.source.path.name == "services.yml"
    assert worker.key.source.path.name == "compose.yaml"
    assert project.service("api").memory_limit.span.text == "300m"


@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        ({"compose.yaml": "services:\n  a:\n    image: ${NOPE:?set NOPE please}\n"}, "set NOPE please"),
        ({"compose.yaml": "include:\n  - missing.yaml\nservices: {}\n"}, "not found"),
        ({"compose.yaml": "include:\n  - compose.yaml\nservices: {}\n"}, "include cycle"),
        ({"compose.yaml": "services:\n  a:\n    extends: b\n    image: x\n  b:\n    extends: a\n"}, "extends cycle"),
        ({"compose.yaml": "services:\n  a:\n    image: x\n    env_file: gone.env\n"}, "not found"),
        ({"compose.yaml": "services:\n  a:\n    image: x\n    privileged: maybe\n"}, "invalid bool"),
        ({"compose.yaml": "services:\n  a:\n    extends: nothere\n"}, "not found"),
    ],
)
def test_load_problems_are_reported_at_their_line_and_the_rest_is_kept(tmp_path: Path, files: dict[str, str], fragment: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    project = load([tmp_path / "compose.yaml"], {})
    assert any(fragment in problem.message for problem in project.problems), [p.message for p in project.problems]
    for problem in project.problems:
        assert problem.span.source.path.name in files


# ------------------------------------------------------------------------------ the corpus

def corpus_projects() -> list[tuple[Path, list[Path]]]:
    if not CORPUS.is_dir():
        return []
    projects = []
    for path in sorted(CORPUS.rglob("*")):
        if path.is_file() and compose_kind(path.name) and ".override." not in path.name:
            override = [path.with_name(n) for n in ("compose.override.yaml", "compose.override.yml", "docker-compose.override.yml", "docker-compose.override.yaml")]
            files = [path] + [o for o in override if o.exists() and path.name in ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")][:1]
            projects.append((path.parent, files))
    return projects


@requires_compose
@pytest.mark.corpus
def test_every_corpus_project_resolves_as_docker_compose_does() -> None:
    projects = corpus_projects()
    if not projects:
        pytest.skip("../shared/corpus is absent: the differential test needs the real Compose files")
    compared = 0
    refused_by_compose = []
    for directory, files in projects:
        env = {"PATH": os.environ.get("PATH", ""), "COMPOSE_PROFILES": "*"}
        code, config, stderr = run_compose(directory, files, env)
        project = load(files, env, profiles=("*",))
        if code != 0:
            relative = str(files[0].relative_to(CORPUS))
            refused_by_compose.append((relative, stderr.strip().splitlines()[-1]))
            if KNOWN_REFUSED.get(relative, ("", False))[1]:
                assert project.problems, f"Compose refuses {relative}; the loader must say why"
            continue
        compare(project, config, all_profiles=True)
        compared += 1
    assert compared >= 40, refused_by_compose
    # Every corpus file that Compose refuses is listed here with its reason, so a change shows.
    assert sorted(path for path, _ in refused_by_compose) == sorted(KNOWN_REFUSED), refused_by_compose


# Corpus files Compose itself refuses, why, and whether the loader reports it (the others are
# DC001's business: they load, but are invalid as a project).
KNOWN_REFUSED: dict[str, tuple[str, bool]] = {
    "zavoloklom__docker-compose-linter/tests/mocks/docker-compose.anchors.yml": ("dependency cycle detected: foo -> foo", False),
    "zavoloklom__docker-compose-linter/tests/mocks/docker-compose.correct.yml": ("invalid hostPort: 127.0.0.1", False),
    "zavoloklom__docker-compose-linter/tests/mocks/docker-compose.yml": ("env file envs/.env.a-service not found (not in the repository)", True),
}


# Build context values: paths, remotes and builder-specific sources, each as `build.context` and as a
# named context. `~` is left out: Compose expands it with the home directory of whoever runs it.
CONTEXT_VALUES = (
    "./lib", "lib", "../up", "/abs/dir", "lib.git", "./vendor/tool.git", "target:foo", "x:y",
    "git@github.com:org/lib.git", "github.com/org/lib", "https://github.com/org/lib.git#main",
    "http://example.com/ctx.tar.gz", "git://host/x.git", "ssh://git@host/x.git",
    "docker-image://alpine:3.20", "oci-layout://./layout", "service:other",
)  # fmt: skip


@requires_compose
def test_build_contexts_are_paths_exactly_where_compose_resolves_them(tmp_path: Path) -> None:
    lines = ["services:", "  other:", "    build: .", "  named:", "    build:", "      context: .",
             "      additional_contexts:"]
    lines += [f"        c{index}: {json.dumps(value)}" for index, value in enumerate(CONTEXT_VALUES)]
    lines += ["  listed:", "    build:", "      context: .", "      additional_contexts:"]
    lines += [f"        - {json.dumps(f'c{index}={value}')}" for index, value in enumerate(CONTEXT_VALUES)]
    lines += ["  extended:", "    extends: {file: sub/common.yaml, service: base}"]
    for index, value in enumerate(CONTEXT_VALUES):
        lines += [f"  s{index}:", "    build:", f"      context: {json.dumps(value)}"]
    (tmp_path / "compose.yaml").write_text("\n".join(lines) + "\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "common.yaml").write_text(
        "services:\n  base:\n    build:\n      context: ../app\n      additional_contexts:\n        lib: ./lib\n"
        "        up: ../up\n        remote: git@github.com:org/lib.git\n"
    )
    code, config, stderr = run_compose(tmp_path, [tmp_path / "compose.yaml"], {})
    assert code == 0, stderr
    project = load([tmp_path / "compose.yaml"], {})

    def resolved(path: Path | None, written: str) -> str:
        return written if path is None else str(path)

    compared = 0
    for name, service in config["services"].items():
        build = service.get("build")
        if build is None:
            continue
        spec = project.service(name).build
        assert resolved(spec.context, spec.context_text) == build["context"], name
        theirs_named = build.get("additional_contexts") or {}
        ours_named = {
            key: resolved(spec.additional_context_paths.get(key), located.value)
            for key, located in spec.additional_contexts.items()
        }
        assert ours_named == theirs_named, name
        compared += 1 + len(theirs_named)
    # Each value as a context, a named context and a listed one; `other`, `named`, `listed`, `extended`
    # and the three named contexts `extended` takes from sub/common.yaml.
    assert compared == 3 * len(CONTEXT_VALUES) + 7
