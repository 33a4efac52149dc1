"""The healthcheck rules (HC001–HC005) against real oracles, the mission's monorepo and the corpus.

- Every Compose file a fix in rules/HC00*.yml writes passes the real `docker-compose config`, and the
  health check Compose then holds runs a program the service's image has; every Dockerfile a fix
  writes parses with BuildKit's parser (PyPI `dockerfile`) and its HEALTHCHECK is one BuildKit takes.
- The monorepo's `curl` probe on node:18-alpine is reported, and the fix runs busybox wget with flags
  that busybox's wget documents.
- On ../shared/corpus, HC001 fires once per long-running service, never on a builder stage: the
  tables below list every finding with why it is right, and every service left alone with why.
  Fixing the corpus (all five rules, unsafe fixes included) keeps every Compose file docker-compose
  accepted and every Dockerfile parseable, and leaves no fixable HC001 finding.
- Properties: the shell reader never raises, a rewritten probe reads back as the same request,
  `can_pass` follows the shell's `||`, and fixing any health check (Compose or Dockerfile form, on
  images with and without the tools) keeps every file valid and settles in one pass.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import dockerfile
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from mcplint.cli import main
from mcplint.config import ConfigResolver, Overrides
from mcplint.diagnostics import Applicability, Severity
from mcplint.discovery import compose_kind, discover, dockerfile_kind
from mcplint.engine import fix, lint
from mcplint.models.dockerfile import parse_dockerfile
from mcplint.models.healthprobe import (
    HealthCommand,
    ImageView,
    can_pass,
    http_request,
    program_of,
    read_shell,
    render_http_probe,
)
from mcplint.models.images import ImageFacts
from mcplint.models.instructions import healthcheck_spec
from mcplint.project import load_inputs
from mcplint.source import SourceFile
from mcplint.workspace import Workspace
from tests.compose_oracle import COMPOSE_BINARY, requires_compose, unescape

ROOT = Path(__file__).resolve().parent.parent
RULES_DIR = ROOT / "rules"
CORPUS = ROOT.parent / "shared" / "corpus"
HC_CODES = ("HC001", "HC002", "HC003", "HC004", "HC005")


def _corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent (it is read from there, never copied into the repository)")
    return CORPUS


def _fixed_projects(changing: Callable[[str], bool]) -> list[pytest.param]:
    """Each case of rules/HC00*.yml whose fix changes a file `changing` selects (by name): its files
    as they are after fixing (the case runner checks that fixing gives exactly these texts)."""
    yaml = YAML(typ="safe", pure=True)
    params = []
    for code in HC_CODES:
        document = yaml.load((RULES_DIR / f"{code}.yml").read_text(encoding="utf-8"))
        for case in document["cases"]:
            changed = set(case.get("fixed", {}))
            if any(changing(Path(name).name) for name in changed):
                files = {**case["files"], **case["fixed"]}
                params.append(pytest.param(files, changed, id=f"{code}-{case['name']}"))
    assert params
    return params


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _compose_config(directory: Path, files: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    """`docker-compose config --format json` as `docker compose` loads the directory (override files
    included) or the given files, with an environment that sets nothing."""
    assert COMPOSE_BINARY is not None
    selection = [argument for name in files or [] for argument in ("-f", name)]
    return subprocess.run(
        [str(COMPOSE_BINARY), *selection, "--project-directory", str(directory), "config", "--format", "json"],
        cwd=directory, env={}, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def _program(test: list[str]) -> str | None:
    """The program a Compose health check (as docker-compose prints it) runs first."""
    command = HealthCommand.from_test([unescape(item) for item in test])
    script = command.script if command is not None else None
    call = program_of(next(iter(script.commands))) if script is not None else None
    return call.name if call is not None else None


def _image_of(root: Path, service_name: str) -> ImageView:
    inputs = load_inputs(Workspace(), [], [path for path in sorted(root.rglob("*.y*ml")) if compose_kind(path.name)])
    for project in inputs.projects:
        service = project.compose.service(service_name) if project.compose is not None else None
        if service is not None:
            build = project.build_for(service)
            if build is not None and build.final_stage is not None:
                return ImageView.of_stage(build.dockerfile, build.final_stage, build.args)
            return ImageView.of_image(str(service.image))
    raise AssertionError(f"no service {service_name}")


# ------------------------------------------------------------------------------- fix oracles


@requires_compose
@pytest.mark.parametrize(("files", "changed"), _fixed_projects(compose_kind))
def test_fixed_compose_files_pass_docker_compose_and_their_checks_run_in_the_image(
    files: dict[str, str], changed: set[str], tmp_path: Path
) -> None:
    _write(tmp_path, files)
    completed = _compose_config(tmp_path)
    assert completed.returncode == 0, completed.stderr
    config = json.loads(completed.stdout)
    for name, service in config["services"].items():
        test = (service.get("healthcheck") or {}).get("test")
        if not test or test[0] not in ("CMD", "CMD-SHELL"):
            continue
        program = _program(test)
        if program is not None:
            image = _image_of(tmp_path, name)
            assert image.has(program) is not False, f"{name}: {program} is not in {image.label}"
        if test[0] == "CMD-SHELL":
            assert read_shell(unescape(test[1])) is not None, test
    # A `$$` written by a fix reaches the container as one `$`, for its shell to expand.
    for text in (files[name] for name in changed if compose_kind(Path(name).name)):
        if "$${POSTGRES_USER}" in text:
            assert "${POSTGRES_USER}" in unescape(completed.stdout)


@pytest.mark.parametrize(("files", "changed"), _fixed_projects(dockerfile_kind))
def test_fixed_dockerfiles_parse_with_buildkit_and_their_healthchecks_are_valid(files: dict[str, str], changed: set[str]) -> None:
    for name in (name for name in changed if dockerfile_kind(Path(name).name)):
        commands = dockerfile.parse_string(files[name])
        healthchecks = [command for command in commands if command.cmd.upper() == "HEALTHCHECK"]
        assert healthchecks, name
        for command in healthchecks:
            assert command.value[0].upper() in ("CMD", "NONE")
        model = parse_dockerfile(SourceFile(Path(name), files[name]))
        for instruction in model.instructions:
            spec = healthcheck_spec(instruction)
            if spec is not None:
                assert spec.problems == () and all(option.error is None for option in spec.options), spec.problems


# ------------------------------------------------------------------------------ the monorepo

# BusyBox wget's options (its usage text in networking/wget.c, with long options enabled as in
# Alpine's busyboxconfig: CONFIG_FEATURE_WGET_LONG_OPTIONS=y, CONFIG_FEATURE_WGET_TIMEOUT=y).
BUSYBOX_WGET_OPTIONS = {"-c", "--continue", "--spider", "-q", "--quiet", "-O", "--output-document", "--header",
                        "-Y", "--proxy", "-P", "-S", "--server-response", "-U", "--user-agent", "-T",
                        "--no-check-certificate"}  # fmt: skip


def test_monorepo_curl_probe_is_reported_and_the_fix_runs_busybox_wget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "mcp-monorepo"
    shutil.copytree(ROOT / "examples" / "mcp-monorepo", project)
    monkeypatch.chdir(tmp_path)
    resolver = ConfigResolver(overrides=Overrides(select=("HC002",)), isolated=True)
    result = lint(discover([project], resolver), resolver)
    findings = [d for d in result.diagnostics if d.code == "HC002"]
    assert len(findings) == 1
    (finding,) = findings
    assert finding.path.name == "Dockerfile"
    assert finding.span.text.startswith("curl -f http://localhost:3000/health")
    assert "node:18-alpine" in finding.message

    outcome = fix(discover([project], resolver), resolver, Applicability.UNSAFE)
    (fixed,) = outcome.changed.values()
    assert [d for d in outcome.result.diagnostics if d.code == "HC002"] == []
    (healthcheck,) = [c for c in dockerfile.parse_string(fixed.text) if c.cmd.upper() == "HEALTHCHECK"]
    assert healthcheck.value[0] == "CMD"
    assert ("--interval=30s", "--timeout=5s", "--retries=3") == healthcheck.flags  # the options are kept
    script = read_shell(healthcheck.value[1])
    assert script is not None
    call = program_of(next(iter(script.commands)))
    assert call is not None and call.name == "wget"
    image = ImageView.of_image("node:18-alpine")
    assert image.has("wget") is True and image.busybox_applet("wget")
    options = [word for word in call.argv[1:] if word.startswith("-")]
    assert set(options) <= BUSYBOX_WGET_OPTIONS
    assert "http://localhost:3000/health" in call.argv  # same URL, same port
    assert healthcheck.value[1].endswith("|| exit 1")  # the rest of the command is kept


# ---------------------------------------------------------------------------------- the corpus

# Standalone Dockerfiles (no Compose file builds them) whose final stage serves and has no
# HEALTHCHECK: the official postgres and redis images, which EXPOSE their port and run their server.
# docker-library leaves health checks to their users on purpose (docker-library/cassandra#76); the
# finding is right for the image as it stands, and `standalone = false` is the option for such repos.
_POSTGRES_VARIANTS = ("alpine3.22", "alpine3.23", "bookworm", "trixie")
_REDIS_VARIANTS = ("alpine", "debian")
HC001_STANDALONE = {
    **{f"docker-library__postgres/{major}/{variant}/Dockerfile": "EXPOSE 5432 and CMD postgres; built FROM debian/alpine, which have no HEALTHCHECK"
       for major in (14, 15, 16, 17, 18) for variant in _POSTGRES_VARIANTS},
    **{f"docker-library__redis/{version}/{variant}/Dockerfile": "EXPOSE 6379 and CMD redis-server; built FROM debian/alpine, which have no HEALTHCHECK"
       for version in ("6.2", "7.0", "7.2", "7.4-rc") for variant in _REDIS_VARIANTS},
}  # fmt: skip

_AC = "docker__awesome-compose"
_VOTING = "dockersamples__example-voting-app"
_DCLINT = "zavoloklom__docker-compose-linter/tests/mocks"
# Every Compose service HC001 reports: a server whose image (known to the knowledge base) has no
# HEALTHCHECK, and which has no `healthcheck` in Compose.
HC001_SERVICES = {
    (f"{_AC}/angular/compose.yaml", "web"): "node:17.0.1-bullseye-slim running `ng serve`, a dev server",
    (f"{_AC}/apache-php/compose.yaml", "web"): "php:8.0.9-apache running apache2-foreground",
    (f"{_AC}/django/compose.yaml", "web"): "python:3.7-alpine, EXPOSE 8000, `manage.py runserver`",
    (f"{_AC}/flask/compose.yaml", "web"): "python:3.10-alpine serving app.py on a published port",
    (f"{_AC}/flask-redis/compose.yaml", "web"): "python:3.10-alpine serving app.py on a published port",
    (f"{_AC}/gitea-postgres/compose.yaml", "db"): "postgres:alpine, a database server",
    (f"{_AC}/nextcloud-postgres/compose.yaml", "db"): "postgres:alpine, a database server",
    (f"{_AC}/nextcloud-redis-mariadb/compose.yaml", "db"): "mariadb:10.5 with server flags as its command",
    (f"{_AC}/nginx-aspnet-mysql/compose.yaml", "proxy"): "nginx:1.13-alpine, whose default command is nginx",
    (f"{_AC}/nginx-flask-mongo/compose.yaml", "web"): "nginx, started by `bash -c 'envsubst … && nginx'`",
    (f"{_AC}/nginx-flask-mongo/compose.yaml", "backend"): "python:3.10-alpine running server.py",
    (f"{_AC}/nginx-flask-mongo/compose.yaml", "mongo"): "mongo (latest: 6+), a database server",
    (f"{_AC}/nginx-flask-mysql/compose.yaml", "backend"): "python:3.10-alpine, EXPOSE 8000, `flask run`",
    (f"{_AC}/nginx-flask-mysql/compose.yaml", "proxy"): "nginx:1.13-alpine",
    (f"{_AC}/nginx-golang-mysql/compose.yaml", "proxy"): "nginx",
    (f"{_AC}/nginx-golang-postgres/compose.yaml", "proxy"): "nginx",
    (f"{_AC}/nginx-golang/compose.yaml", "proxy"): "nginx",
    (f"{_AC}/nginx-golang/compose.yaml", "backend"): "golang:1.18-alpine, target `builder`, running the server it built (no port is known, so no fix)",
    (f"{_AC}/nginx-golang-mysql/compose.yaml", "backend"): "golang:1.18-alpine, target `builder`, running the server it built",
    (f"{_AC}/nginx-golang-postgres/compose.yaml", "backend"): "golang:1.18-alpine, target `builder`, running the server it built",
    (f"{_AC}/react-java-mysql/compose.yaml", "backend"): "eclipse-temurin:17-jre-focal, EXPOSE 8080, `java -cp …Application`",
    (f"{_AC}/sparkjava/compose.yaml", "sparkjava"): "eclipse-temurin:17-jre-focal, EXPOSE 8080, `java -jar /app.jar`",
    (f"{_AC}/sparkjava-mysql/compose.yaml", "backend"): "eclipse-temurin:17-jre-focal, EXPOSE 8080, `java -jar /app.jar`",
    (f"{_AC}/spring-postgres/compose.yaml", "backend"): "eclipse-temurin:17-jre-focal, EXPOSE 8080, `java -cp …Application`",
    (f"{_AC}/nginx-nodejs-redis/compose.yaml", "web1"): "node:14.17.3-alpine3.14 running `npm start`",
    (f"{_AC}/nginx-nodejs-redis/compose.yaml", "web2"): "the same image as web1, a second replica",
    (f"{_AC}/nginx-nodejs-redis/compose.yaml", "nginx"): "nginx:1.21.6",
    (f"{_AC}/postgresql-pgadmin/compose.yaml", "postgres"): "postgres:latest",
    (f"{_AC}/prometheus-grafana/compose.yaml", "grafana"): "grafana/grafana (alpine-based, no HEALTHCHECK)",
    (f"{_AC}/react-express-mongodb/compose.yaml", "frontend"): "node:lts-buster, EXPOSE 3000, `npm start`",
    (f"{_AC}/react-express-mongodb/compose.yaml", "backend"): "node:lts-buster-slim, EXPOSE 3000, `npm run dev`",
    (f"{_AC}/react-express-mongodb/compose.yaml", "mongo"): "mongo:4.2.0",
    (f"{_AC}/react-express-mysql/compose.yaml", "db"): "mariadb:10.6.4-focal",
    (f"{_AC}/react-express-mysql/compose.yaml", "frontend"): "node:lts running `npm start`",
    (f"{_AC}/react-java-mysql/compose.yaml", "frontend"): "node:lts running `npm start`",
    (f"{_AC}/react-nginx/compose.yaml", "frontend"): "nginx:alpine with `nginx -g 'daemon off;'`",
    (f"{_AC}/react-rust-postgres/compose.yaml", "frontend"): "node:lts running `npm start`",
    (f"{_AC}/react-rust-postgres/compose.yaml", "db"): "postgres:12-alpine",
    (f"{_AC}/sparkjava-mysql/compose.yaml", "db"): "mariadb:10.6.4-focal",
    (f"{_AC}/spring-postgres/compose.yaml", "db"): "postgres",
    (f"{_AC}/traefik-golang/compose.yaml", "frontend"): "traefik:2.6 (no HEALTHCHECK in the image)",
    (f"{_AC}/traefik-golang/compose.yaml", "backend"): "FROM scratch with the server binary as CMD (no fix: nothing can probe it)",
    (f"{_AC}/vuejs/compose.yaml", "web"): "node:14.4.0-alpine running `yarn run serve`",
    (f"{_AC}/wasmedge-kafka-mysql/compose.yml", "etl"): "FROM scratch, a Kafka consumer kept up by `restart: unless-stopped`",
    (f"{_AC}/wasmedge-kafka-mysql/compose.yml", "db"): "mariadb:10.9",
    (f"{_AC}/wasmedge-mysql-nginx/compose.yml", "frontend"): "nginx:alpine",
    (f"{_AC}/wasmedge-mysql-nginx/compose.yml", "backend"): "FROM scratch, a web service (`restart: unless-stopped`)",
    (f"{_AC}/wasmedge-mysql-nginx/compose.yml", "db"): "mariadb:10.9",
    (f"{_AC}/wordpress-mysql/compose.yaml", "db"): "mariadb:10.6.4-focal",
    (f"{_AC}/wordpress-mysql/compose.yaml", "wordpress"): "wordpress:latest (php apache, no HEALTHCHECK)",
    (f"{_VOTING}/docker-compose.yml", "result"): "node:18-slim, EXPOSE 80, `nodemon server.js`",
    (f"{_VOTING}/result/docker-compose.test.yml", "vote"): "python:3.11-slim, EXPOSE 80, gunicorn (no healthcheck in this file)",
    (f"{_VOTING}/result/docker-compose.test.yml", "result"): "node:18-slim, EXPOSE 80, `node server.js`",
    (f"{_VOTING}/result/docker-compose.test.yml", "db"): "postgres:9.4",
    (f"{_DCLINT}/compose.local.yaml", "db"): "postgres:alpine",
}
# Every other Compose service of the corpus, and why HC001 leaves it alone.
_HAS_HEALTHCHECK = "its Compose `healthcheck` has a test"
_UNKNOWN_IMAGE = "its image is not in the knowledge base: whether it has a HEALTHCHECK cannot be told"
HC001_LEFT_ALONE = {
    _HAS_HEALTHCHECK: [
        (f"{_AC}/aspnet-mssql/compose.yaml", "db"), (f"{_AC}/elasticsearch-logstash-kibana/compose.yaml", "elasticsearch"),
        (f"{_AC}/nginx-aspnet-mysql/compose.yaml", "db"), (f"{_AC}/nginx-flask-mysql/compose.yaml", "db"),
        (f"{_AC}/nginx-golang-mysql/compose.yaml", "db"), (f"{_AC}/nginx-golang-postgres/compose.yaml", "db"),
        (f"{_AC}/nginx-wsgi-flask/compose.yaml", "nginx-proxy"), (f"{_AC}/nginx-wsgi-flask/compose.yaml", "flask-app"),
        (f"{_AC}/react-java-mysql/compose.yaml", "db"),
        (f"{_VOTING}/docker-compose.images.yml", "redis"), (f"{_VOTING}/docker-compose.images.yml", "db"),
        (f"{_VOTING}/docker-compose.yml", "vote"), (f"{_VOTING}/docker-compose.yml", "redis"),
        (f"{_VOTING}/docker-compose.yml", "db"), (f"{_DCLINT}/docker-compose.correct.yml", "test"),
    ],
    "the HEALTHCHECK of the stage it builds (`development`, FROM node:lts)": [
        (f"{_AC}/react-express-mysql/compose.yaml", "backend"),
    ],
    _UNKNOWN_IMAGE: [
        (f"{_AC}/aspnet-mssql/compose.yaml", "web"),  # FROM mcr.microsoft.com/dotnet/aspnet:5.0
        (f"{_AC}/elasticsearch-logstash-kibana/compose.yaml", "logstash"),
        (f"{_AC}/elasticsearch-logstash-kibana/compose.yaml", "kibana"),
        (f"{_AC}/fastapi/compose.yaml", "api"),  # FROM tiangolo/uvicorn-gunicorn-fastapi
        (f"{_AC}/flask-redis/compose.yaml", "redis"),  # redislabs/redismod
        (f"{_AC}/gitea-postgres/compose.yaml", "gitea"),
        (f"{_AC}/minecraft/compose.yaml", "minecraft"),
        (f"{_AC}/nextcloud-postgres/compose.yaml", "nc"),
        (f"{_AC}/nextcloud-redis-mariadb/compose.yaml", "nc"),
        (f"{_AC}/nextcloud-redis-mariadb/compose.yaml", "redis"),  # redis:alpine is 8.x; the data covers 6 and 7
        (f"{_AC}/nginx-aspnet-mysql/compose.yaml", "backend"),  # mcr.microsoft.com/dotnet
        (f"{_AC}/nginx-nodejs-redis/compose.yaml", "redis"),  # redislabs/redismod
        (f"{_AC}/pihole-cloudflared-DoH/compose.yaml", "cloudflared"),
        (f"{_AC}/pihole-cloudflared-DoH/compose.yaml", "pihole"),
        (f"{_AC}/plex/compose.yaml", "plex"),
        (f"{_AC}/portainer/compose.yaml", "portainer"),
        (f"{_AC}/postgresql-pgadmin/compose.yaml", "pgadmin"),
        (f"{_AC}/prometheus-grafana/compose.yaml", "prometheus"),
        (f"{_AC}/react-rust-postgres/compose.yaml", "backend"),  # FROM rust:buster
        (f"{_AC}/wasmedge-kafka-mysql/compose.yml", "redpanda"),
        (f"{_AC}/wireguard/compose.yaml", "wireguard"),
        (f"{_VOTING}/docker-compose.images.yml", "vote"), (f"{_VOTING}/docker-compose.images.yml", "result"),
        (f"{_VOTING}/docker-compose.images.yml", "worker"), (f"{_VOTING}/docker-compose.yml", "worker"),
        (f"{_VOTING}/result/docker-compose.test.yml", "worker"),  # mcr.microsoft.com/dotnet/runtime
        (f"{_VOTING}/result/docker-compose.test.yml", "redis"),  # redis:alpine
        (f"{_DCLINT}/compose.local.yaml", "nc"),
        (f"{_DCLINT}/docker-compose.anchors.yml", "app_bar"), (f"{_DCLINT}/docker-compose.anchors.yml", "app_foo"),
        (f"{_DCLINT}/docker-compose.anchors.yml", "bar"), (f"{_DCLINT}/docker-compose.anchors.yml", "foo"),
        (f"{_DCLINT}/docker-compose.yml", "redpanda-console"), (f"{_DCLINT}/docker-compose.yml", "zookeeper"),
        (f"{_DCLINT}/docker-compose.yml", "kafka"),
    ],
    "neither `image` nor `build`: there is no image to judge (DC001 reports the service)": [
        (f"{_DCLINT}/docker-compose.correct.yml", "a-service"), (f"{_DCLINT}/docker-compose.correct.yml", "b-service"),
        (f"{_DCLINT}/docker-compose.correct.yml", "c-service"), (f"{_DCLINT}/docker-compose.yml", "a-service"),
        (f"{_DCLINT}/docker-compose.yml", "b-service"), (f"{_DCLINT}/docker-compose.yml", "c-service"),
    ],
    "a job: `image: node` with no command runs node's prompt, which exits at once without a terminal": [
        (f"{_DCLINT}/docker-compose.yml", "test"),
    ],
    "a job: CMD /app/tests.sh runs the test suite (the `sut` of an automated test)": [
        (f"{_VOTING}/result/docker-compose.test.yml", "sut"),
    ],
    'a job in the inactive profile `seed`, with `restart: "no"` and no port': [
        (f"{_VOTING}/docker-compose.yml", "seed"),
    ],
}  # fmt: skip


def _hc001_corpus_findings() -> tuple[dict[tuple[str, str], object], dict[str, object]]:
    corpus = _corpus()
    resolver = ConfigResolver(overrides=Overrides(select=("HC001",)), isolated=True)
    result = lint(discover([corpus], resolver), resolver)
    services: dict[tuple[str, str], object] = {}
    dockerfiles: dict[str, object] = {}
    for diagnostic in result.diagnostics:
        assert diagnostic.code == "HC001"
        path = diagnostic.path.relative_to(corpus).as_posix()
        if dockerfile_kind(diagnostic.path.name):
            assert path not in dockerfiles, f"{path} reported twice"
            dockerfiles[path] = diagnostic
        else:
            key = (path, diagnostic.span.text)
            assert key not in services, f"{key} reported twice"
            services[key] = diagnostic
    return services, dockerfiles


@pytest.mark.corpus
def test_hc001_on_the_corpus_fires_once_per_long_running_service_and_never_on_a_builder_stage() -> None:
    services, dockerfiles = _hc001_corpus_findings()
    assert set(services) == set(HC001_SERVICES)
    assert set(dockerfiles) == set(HC001_STANDALONE)
    for path, diagnostic in dockerfiles.items():
        model = parse_dockerfile(SourceFile(Path(path), (CORPUS / path).read_text(encoding="utf-8")))
        final_from = model.stages[-1].from_instruction
        assert diagnostic.start_location[0] == final_from.start_line, f"{path}: not the final stage"


@pytest.mark.corpus
def test_hc001_corpus_tables_cover_every_compose_service_exactly_once() -> None:
    corpus = _corpus()
    resolver = ConfigResolver(overrides=Overrides(select=("HC001",)), isolated=True)
    discovered = discover([corpus], resolver)
    inputs = load_inputs(Workspace(), discovered.dockerfiles, discovered.compose_files)
    every = {
        (project.compose.main_file.source.path.relative_to(corpus).as_posix(), service.name)
        for project in inputs.projects
        if project.compose is not None
        for service in project.compose.services
    }
    left_alone = [key for keys in HC001_LEFT_ALONE.values() for key in keys]
    assert len(left_alone) == len(set(left_alone)), "a service is left alone for two reasons"
    assert not set(left_alone) & set(HC001_SERVICES)
    assert set(left_alone) | set(HC001_SERVICES) == every


@requires_compose
@pytest.mark.corpus
def test_fixing_the_corpus_keeps_every_file_valid_and_leaves_no_fixable_hc001(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "corpus"
    shutil.copytree(_corpus(), copy)
    for path in copy.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    composes = [p for p in sorted(copy.rglob("*")) if p.is_file() and compose_kind(p.name)]
    dockerfiles = [p for p in sorted(copy.rglob("*")) if p.is_file() and dockerfile_kind(p.name)]

    def accepted(path: Path) -> bool:
        return _compose_config(path.parent, [path.name]).returncode == 0

    before = {path: accepted(path) for path in composes}
    originals = {path: path.read_text(encoding="utf-8") for path in composes + dockerfiles}
    resolver = ConfigResolver(overrides=Overrides(select=("HC001",)), isolated=True)
    fixable = {d.path for d in lint(discover([copy], resolver), resolver).diagnostics if d.fix is not None}
    assert fixable
    select = ",".join(HC_CODES)
    assert main(["check", "--fix", "--unsafe-fixes", "--select", select, "--quiet", str(copy)]) in (0, 1)
    capsys.readouterr()
    changed = [path for path in composes + dockerfiles if path.read_text(encoding="utf-8") != originals[path]]
    assert fixable <= set(changed)
    for path in changed:
        if path in before:
            assert accepted(path) or not before[path], f"{path.relative_to(copy)} no longer passes docker-compose config"
        else:
            dockerfile.parse_string(path.read_text(encoding="utf-8"))
    remaining = [d for d in lint(discover([copy], resolver), resolver).diagnostics if d.fix is not None]
    assert remaining == []


@pytest.mark.corpus
def test_the_other_rules_agree_with_the_corpus() -> None:
    """No probe in the corpus calls a missing program, none is malformed, no dependency waits on a
    service without health: HC002-HC004 stay silent; HC005's findings are the timings listed here."""
    corpus = _corpus()
    resolver = ConfigResolver(overrides=Overrides(select=("HC002", "HC003", "HC004", "HC005")), isolated=True)
    result = lint(discover([corpus], resolver), resolver)
    found = {(d.code, d.path.relative_to(corpus).as_posix(), d.start_location[0]) for d in result.diagnostics}
    expected = {
        # interval 10s and timeout 10s, both written
        ("HC005", f"{_AC}/elasticsearch-logstash-kibana/compose.yaml", 14),
        ("HC005", f"{_AC}/nginx-wsgi-flask/compose.yaml", 16),
        ("HC005", f"{_AC}/nginx-wsgi-flask/compose.yaml", 27),
        # interval 30s and timeout 30s, both written
        ("HC005", f"{_DCLINT}/docker-compose.correct.yml", 63),
        # interval 3s with the default 30s timeout (MariaDB, whose image has no HEALTHCHECK to inherit)
        ("HC005", f"{_AC}/nginx-aspnet-mysql/compose.yaml", 23),
        ("HC005", f"{_AC}/nginx-flask-mysql/compose.yaml", 11),
        ("HC005", f"{_AC}/nginx-golang-mysql/compose.yaml", 21),
        ("HC005", f"{_AC}/react-java-mysql/compose.yaml", 26),
        # interval 5s with the default 30s timeout, and PostgreSQL without a start period
        ("HC005", f"{_VOTING}/docker-compose.images.yml", 60),
        ("HC005", f"{_VOTING}/docker-compose.images.yml", 58),
        ("HC005", f"{_VOTING}/docker-compose.yml", 74),
        ("HC005", f"{_VOTING}/docker-compose.yml", 72),
        # PostgreSQL with pg_isready and no start period
        ("HC005", f"{_AC}/nginx-golang-postgres/compose.yaml", 25),
    }
    assert found == expected


# ------------------------------------------------------------------------------ wrappers


@pytest.mark.parametrize(
    ("probe", "program"),
    [
        ("timeout -s KILL 5 curl -f http://x/", "curl"),  # timeout(1): -s SIGNAL, then the duration
        ("nice -n 5 curl -f http://x/", "curl"),
        ("env -u X curl -f http://x/", "curl"),
        ("env A=1 timeout 3 wget -q http://x/", "wget"),
        ("exec curl -f http://x/", "curl"),
        ("command curl -f http://x/", "curl"),  # POSIX `command`: runs the utility, bypassing functions
        ("command -p wget -q http://x/", "wget"),
        ("timeout $T curl -f http://x/", None),  # $T might be an option: the program is not known
    ],
)
def test_the_program_a_wrapper_runs_is_found_past_its_option_values(probe: str, program: str | None) -> None:
    script = read_shell(probe)
    assert script is not None
    call = program_of(next(iter(script.commands)))
    assert call is not None and call.name == program


# ------------------------------------------------------------------------------ severity


def test_a_dependency_on_an_unknown_image_is_informational(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {"compose.yaml": "services:\n  app:\n    image: nginx:1.27\n    depends_on:\n      git:\n        condition: service_healthy\n  git:\n    image: gitea/gitea:1.22\n  db:\n    image: postgres:16\n  api:\n    image: nginx:1.27\n    depends_on:\n      db: {condition: service_healthy}\n"})
    resolver = ConfigResolver(overrides=Overrides(select=("HC003",)), isolated=True)
    result = lint(discover([tmp_path], resolver), resolver)
    severities = {d.start_location[0]: d.severity for d in result.diagnostics}
    assert severities == {6: Severity.INFO, 14: Severity.ERROR}


# ---------------------------------------------------------------------------------- properties


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab $(){}|&;<>'\"\\`#\n=-01")), max_size=40))
def test_the_shell_reader_never_raises_and_its_words_lie_in_the_text(text: str) -> None:
    script = read_shell(text)
    if script is None:
        return
    for command in script.commands:
        for word in command.words:
            assert text[word.start : word.end] == word.raw


def _image_with(*programs: str) -> ImageView:
    facts = ImageFacts("test:*", frozenset(programs), "/bin/sh", False, "test", ("test",))
    return ImageView("test", "test", facts)


_HOSTS = st.sampled_from(["localhost", "127.0.0.1", "app.internal"])
_PATHS = st.sampled_from(["/", "/health", "/api/v1/status", "/_cluster/health"])


@settings(max_examples=100, deadline=None)
@given(
    _HOSTS, st.integers(1, 65535), _PATHS, st.one_of(st.none(), st.integers(1, 120).map(str)),
    st.sampled_from(["curl", "wget"]), st.booleans(),
)  # fmt: skip
def test_a_rewritten_probe_makes_the_same_request(host: str, port: int, path: str, timeout: str | None, tool: str, piped: bool) -> None:
    url = f"http://{host}:{port}{path}"
    original = f"curl -fsS {'-m ' + timeout + ' ' if timeout else ''}{url}" if tool == "curl" else f"wget -q -O - {'-T ' + timeout + ' ' if timeout else ''}{url}"
    if piped:
        original += " | grep -q ok"
    script = read_shell(original)
    assert script is not None
    request = http_request(program_of(next(iter(script.commands))))
    assert request is not None
    other = "wget" if tool == "curl" else "curl"
    words = render_http_probe(request, _image_with(other), avoid=tool)
    assert words is not None and words[0] == other
    rewritten = read_shell(" ".join(words) + (" | grep -q ok" if piped else ""))
    assert rewritten is not None
    again = http_request(program_of(next(iter(rewritten.commands))))
    assert again is not None
    assert (again.url.text, again.timeout, again.fail_on_error, again.to_stdout) == (url, timeout, True, request.to_stdout)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["curl", "wget", "nc", "python3"]), min_size=1, max_size=3), st.sets(st.sampled_from(["curl", "wget", "nc", "python3"])))
def test_a_chain_of_alternatives_can_pass_when_one_program_exists(programs: list[str], present: set[str]) -> None:
    script = read_shell(" || ".join(f"{name} x" for name in programs) + " || exit 1")
    assert script is not None
    verdict = can_pass(script, lambda name: name in present)
    assert verdict.can_pass is bool(set(programs) & present)
    if not verdict.can_pass:
        assert {call.name for call in verdict.missing} == set(programs)


_IMAGES = st.sampled_from(["node:18-alpine", "python:3.12-slim", "nginx:1.27", "postgres:16", "redis:7-alpine",
                           "mariadb:11.4", "gcr.io/distroless/static-debian12", "gitea/gitea:1.22"])  # fmt: skip
_PROBES = st.sampled_from([
    "curl -f http://localhost:3000/health || exit 1", "curl -fsS -m 5 -H 'X-A: b' localhost:8080/", "wget -qO- http://localhost/ | grep ok",
    "pg_isready -U $$POSTGRES_USER", "redis-cli ping", "mysqladmin ping -h localhost", "/app/probe", "curl -X POST http://x/",
    'curl -f "http://localhost:$${PORT}/"', "exit 0", "if true; then curl x; fi", "curl -f http://a/ || wget -q --spider http://a/",
])  # fmt: skip
_TIMINGS = st.sampled_from(["", "interval: 5s", "retries: 0", "interval: 500ms\ntimeout: 1s", "timeout: 1m\ninterval: 10s"])


@settings(max_examples=100, deadline=None)
@given(_IMAGES, _PROBES, st.sampled_from(["string", "shell-list", "exec-list", "one-string", "dockerfile-shell", "dockerfile-exec"]), _TIMINGS)
def test_fixing_any_health_check_keeps_files_valid_and_settles(image: str, probe: str, form: str, timing: str) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        if form.startswith("dockerfile"):
            command = json.dumps(probe.split()) if form == "dockerfile-exec" else probe.replace("$$", "$")
            (root / "Dockerfile").write_text(f"FROM {image}\nEXPOSE 3000\nHEALTHCHECK --interval=10s CMD {command}\n", encoding="utf-8")
            (root / "compose.yaml").write_text("services:\n  app:\n    build: .\n", encoding="utf-8")
        else:
            test = {
                "string": json.dumps(probe), "shell-list": json.dumps(["CMD-SHELL", probe]),
                "exec-list": json.dumps(["CMD", *probe.split()]), "one-string": json.dumps(["CMD", probe]),
            }[form]  # fmt: skip
            lines = [f"      {line}" for line in timing.splitlines()]
            text = "\n".join(["services:", "  app:", f"    image: {image}", "    healthcheck:", f"      test: {test}", *lines, ""])
            (root / "compose.yaml").write_text(text, encoding="utf-8")
        resolver = ConfigResolver(overrides=Overrides(select=(*HC_CODES, "MC001")), isolated=True)
        first = fix(discover([root], resolver), resolver, Applicability.UNSAFE)
        assert not first.internal_errors, first.internal_errors
        assert [d for d in first.result.diagnostics if d.code == "MC001"] == []
        for path, source in first.changed.items():
            if dockerfile_kind(path.name):
                dockerfile.parse_string(source.text)
        for path, source in first.changed.items():
            path.write_text(source.text, encoding="utf-8")
        again = fix(discover([root], resolver), resolver, Applicability.UNSAFE)
        assert again.changed == {}, "fixing twice changed the files again"
