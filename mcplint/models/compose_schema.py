"""What `docker compose` rejects in a loaded Compose project, as errors that know where they are.

Three sources, each checked the way compose-go v2 (the library inside `docker compose`) checks it:

1. **The compose-spec JSON schema** (`schema_errors`): the copy vendored by PyPI `check-jsonschema`
   (draft 2020-12), validated with `jsonschema` on the configuration after interpolation and merging,
   as `loader.go` does. `version` is validated like any key (compose-go drops it only after the schema
   has accepted it: `version: 3.8`, a number, is rejected) and `x-` keys are allowed where the schema
   allows them. Every error is kept, reduced to one plain sentence at the node that caused it:
   an unknown key at that key (one error per key, with a "did you mean"), a wrong type at the value,
   a missing property at the key of the mapping that lacks it. A failed `oneOf`/`anyOf` becomes the
   errors of one alternative: among the alternatives whose type fits the value, the one whose
   errors lie deepest (it got furthest), then the one with fewest errors, then the first; when no
   alternative's type fits, a single "must be a string or a list". Compose-go itself reports only the
   first error, and for a failed `oneOf` often the type of the first alternative ("volumes.0 must be
   a string" for a long-syntax volume without `type`).
   compose-go merges some lists as sets before validating (`cap_add`, `ports`, `environment`, ...),
   so the schema's `uniqueItems` never fails there; `uniqueItems` is checked only on the other lists
   (table `_DEDUPLICATED_BY_COMPOSE`, established with the binary).
2. **Decoding** (`decoding_errors`): durations are no longer a schema `format`; compose-go rejects a
   bad one when it decodes the model (`types.Duration`, xhit/go-str2duration: Go's grammar plus `d`
   and `w`), for every service, enabled or not; likewise the byte sizes RES002 does not read.
3. **Consistency** (`consistency_errors`): compose-go's `checkConsistency`, `graph.CheckCycle` and
   `validation.Validate`, on enabled services only where compose-go applies profiles first: a service
   with neither `image` nor `build`, a dependency (`depends_on`, `links`, `volumes_from`,
   `network_mode: service:x`) on an undefined or disabled service, dependency cycles, undefined
   networks, volumes, secrets and configs, `healthcheck.test` that starts with neither `CMD`,
   `CMD-SHELL` nor `NONE`, mutually exclusive keys, `scale` against `deploy.replicas`, a container
   name with several replicas, secrets and configs without content, external volumes with settings.
   Distinct `mem_limit`/`cpus`/`pids_limit`/`mem_reservation` and their `deploy.resources` twins are
   left to RES002, which parses the values. Unknown `extends` targets are the loader's (it resolves
   `extends`, so the loaded model has none left).

`locate` turns an error's path into the span of the key or value it names, in the file that wrote it.
The schema is read and compiled once per process, on first use, so that a run without DC001 never
imports `jsonschema`.
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import json
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcplint.diagnostics import Span
from mcplint.models.compose import (
    MEMORY_SIZE_KEYS,
    CMap,
    CNode,
    ComposeFile,
    ComposeProject,
    CSeq,
    YamlTime,
    to_plain,
)
from mcplint.models.compose_loader import cast_model
from mcplint.models.units import UnitError, parse_bytes, parse_compose_duration

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

PathPart = str | int
NodePath = tuple[PathPart, ...]

SCHEMA_PACKAGE = "check_jsonschema"
SCHEMA_RESOURCE = ("builtin_schemas", "vendor", "compose-spec.json")

# Lists that compose-go merges as sets (or turns into mappings) before validating, so duplicates
# there never fail `uniqueItems`: each tried with the docker-compose v2.40.3 binary. "*" is any name.
_DEDUPLICATED_BY_COMPOSE: tuple[tuple[str, ...], ...] = (
    ("services", "*", "annotations"), ("services", "*", "build", "additional_contexts"),
    ("services", "*", "build", "args"), ("services", "*", "build", "labels"),
    ("services", "*", "cap_add"), ("services", "*", "cap_drop"), ("services", "*", "deploy", "labels"),
    ("services", "*", "dns"), ("services", "*", "dns_opt"), ("services", "*", "dns_search"),
    ("services", "*", "environment"), ("services", "*", "expose"), ("services", "*", "labels"),
    ("services", "*", "links"), ("services", "*", "ports"), ("services", "*", "profiles"),
    ("services", "*", "sysctls"), ("services", "*", "tmpfs"), ("services", "*", "volumes"),
    ("networks", "*", "labels"),
)  # fmt: skip

# Service fields compose-go decodes as `types.Duration` (checked at decode time, not by the schema).
DURATION_FIELDS: tuple[tuple[str, ...], ...] = (
    ("healthcheck", "interval"), ("healthcheck", "timeout"), ("healthcheck", "start_period"),
    ("healthcheck", "start_interval"), ("stop_grace_period",),
    ("deploy", "update_config", "delay"), ("deploy", "update_config", "monitor"),
    ("deploy", "rollback_config", "delay"), ("deploy", "rollback_config", "monitor"),
    ("deploy", "restart_policy", "delay"), ("deploy", "restart_policy", "window"),
)  # fmt: skip

_TYPE_WORDS = {
    "object": "a mapping", "array": "a list", "string": "a string", "integer": "an integer",
    "number": "a number", "boolean": "a boolean", "null": "null",
}  # fmt: skip
_HEALTHCHECK_TEST_KINDS = ("CMD", "CMD-SHELL", "NONE")
_SUGGESTION_CUTOFF = 0.75  # difflib ratio: `imagee`→`image` is 0.91, unrelated names stay below


@dataclass(frozen=True, slots=True)
class ComposeError:
    """One reason `docker compose` refuses the project.

    `path` is where Compose's own message would say the error is (the message's prefix, e.g. the
    mapping that has an unknown key); `node` is what to point at: that node's value, or its key in
    the enclosing mapping when `at_key` is set (an unknown key, the mapping that lacks a property).
    """

    path: NodePath
    message: str
    node: NodePath
    at_key: bool = False

    @property
    def text(self) -> str:
        where = format_path(self.path)
        return f"{where}: {self.message}" if where else self.message


def format_path(path: NodePath) -> str:
    """Compose's spelling of a location: `services.web.ports.0`."""
    return ".".join(str(part) for part in path)


def locate(root: CMap, error: ComposeError) -> Span:
    """The span of the key or value `error` names; the deepest node reached if the path runs out."""
    node: CNode = root
    key: Span | None = None
    for part in error.node:
        if isinstance(node, CMap) and isinstance(part, str) and part in node.entries:
            entry = node.entries[part]
            key, node = entry.key, entry.value
        elif isinstance(node, CSeq) and isinstance(part, int) and 0 <= part < len(node.items):
            key, node = None, node.items[part]
        else:
            break
    return key if error.at_key and key is not None else node.span


def compose_errors(document: Mapping[str, Any], enabled_services: Collection[str]) -> list[ComposeError]:
    """Every error of a loaded project (`to_plain(project.config)`), each once."""
    found = [
        *schema_errors(document),
        *decoding_errors(document),
        *consistency_errors(document, enabled_services),
    ]
    return list(dict.fromkeys(found))


@dataclass(frozen=True, slots=True)
class ProjectError:
    """An error of a project, the model it is found in (to locate it) and, when that model is an
    intermediate one, the file whose merge would have replaced the value."""

    error: ComposeError
    model: CMap
    replaced_by: ComposeFile | None = None


def project_errors(project: ComposeProject) -> list[ProjectError]:
    """Every error `docker compose` finds in a loaded project: the final model's, then the schema
    errors of the model as it stood before each later file was merged in (compose-go validates the
    model after every file, so an error an override replaces still fails), each error once."""
    if project.config is None:
        return []
    enabled = {service.name for service in project.services if service.enabled}
    found = [ProjectError(error, project.config) for error in compose_errors(to_plain(project.config), enabled)]
    seen = {(found_error.error.path, found_error.error.message) for found_error in found}
    for later_file, step in project.partial_configs:
        # Cast as the final model is; what cannot be cast is the final model's problem too.
        partial = cast_model(step, [])
        for error in schema_errors(to_plain(partial)):
            if (error.path, error.message) not in seen:
                seen.add((error.path, error.message))
                found.append(ProjectError(error, partial, later_file))
    return found


# ----------------------------------------------------------------------------------- the schema


def schema_file() -> Path:
    """The vendored schema, found without importing `check_jsonschema` (its CLI costs ~130 ms)."""
    spec = importlib.util.find_spec(SCHEMA_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the compose-spec schema comes with the {SCHEMA_PACKAGE!r} package (PyPI check-jsonschema)")
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*SCHEMA_RESOURCE)


@functools.cache
def compose_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(schema_file().read_text(encoding="utf-8"))
    return schema


@functools.cache
def compose_validator() -> Validator:
    """The compiled validator, built once per process."""
    from jsonschema import Draft202012Validator, validators

    # A YAML timestamp is no JSON type to compose-go's validator: it fails every `type`, `string` too.
    type_checker = Draft202012Validator.TYPE_CHECKER.redefine(
        "string", lambda _checker, instance: isinstance(instance, str) and not isinstance(instance, YamlTime)
    )
    go_yaml_validator = validators.extend(Draft202012Validator, type_checker=type_checker)
    validator: Validator = go_yaml_validator(compose_schema())
    return validator


def schema_errors(document: Any) -> list[ComposeError]:
    found: list[ComposeError] = []
    for error in compose_validator().iter_errors(document):
        if not _left_to_res002(error):
            found.extend(_explain(error))
    return found


def _left_to_res002(error: ValidationError) -> bool:
    """A number where a memory size belongs (`mem_limit: 1.5`): RES002 says what Compose makes of it."""
    path = tuple(error.absolute_path)
    number = isinstance(error.instance, (int, float)) and not isinstance(error.instance, bool)
    return error.validator == "type" and number and path[:1] == ("services",) and path[2:] in MEMORY_SIZE_KEYS


def _explain(error: ValidationError) -> list[ComposeError]:
    path: NodePath = tuple(error.absolute_path)
    kind = error.validator
    value = error.validator_value
    instance = error.instance
    if kind in ("oneOf", "anyOf"):
        return _explain_alternatives(error, path)
    if kind in ("additionalProperties", "unevaluatedProperties") and value is False:
        return _explain_unknown_keys(error.schema, instance, path)
    if kind == "required":
        missing = [name for name in value if isinstance(instance, dict) and name not in instance]
        return [ComposeError(path, f"missing property `{name}`", path, at_key=True) for name in missing]
    if kind == "type":
        return [ComposeError(path, _wrong_type(instance, value), path)]
    if kind == "enum":
        return [ComposeError(path, f"must be one of {', '.join(_shown(choice) for choice in value)}", path)]
    if kind == "pattern":
        return [ComposeError(path, f"{_shown(instance)} does not match `{value}`", path)]
    if kind == "uniqueItems":
        return _explain_duplicates(instance, path)
    if kind == "minimum":
        return [ComposeError(path, f"must be at least {value}", path)]
    if kind == "maximum":
        return [ComposeError(path, f"must be at most {value}", path)]
    return [ComposeError(path, error.message, path)]  # a keyword the schema does not use today


def _explain_alternatives(error: ValidationError, path: NodePath) -> list[ComposeError]:
    if not error.context:
        return [ComposeError(path, "matches more than one of the allowed forms", path)]
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(int(sub.relative_schema_path[0]), []).append(sub)

    def wrong_type(errors: list[ValidationError]) -> bool:
        return any(sub.validator == "type" and not sub.relative_path for sub in errors)

    fitting = [index for index, errors in branches.items() if not wrong_type(errors)]
    if not fitting:
        expected: list[str] = []
        for errors in branches.values():
            for sub in errors:
                if sub.validator == "type" and not sub.relative_path:
                    value = sub.validator_value
                    expected.extend([value] if isinstance(value, str) else value)
        return [ComposeError(path, _wrong_type(error.instance, expected), path)]

    def progress(index: int) -> tuple[int, int, int]:
        errors = branches[index]
        return (max(len(sub.relative_path) for sub in errors), -len(errors), -index)

    best = max(fitting, key=progress)
    found: list[ComposeError] = []
    for sub in branches[best]:
        found.extend(_explain(sub))
    return found


def _explain_unknown_keys(schema: Mapping[str, Any], instance: Any, path: NodePath) -> list[ComposeError]:
    if not isinstance(instance, dict):
        return []
    names, patterns = _declared_keys(schema)
    naming = [pattern for pattern in patterns if pattern != "^x-"]
    found = []
    for key in instance:
        if key in names or any(re.search(pattern, key) for pattern in patterns):
            continue
        if not names and naming:
            message = f"name `{key}` does not match `{naming[0]}`"
        else:
            message = f"additional property `{key}` is not allowed{_suggestion(key, names)}"
        found.append(ComposeError(path, message, (*path, key), at_key=True))
    # An `unevaluatedProperties` failure with no unknown key only echoes the errors found inside
    # the known keys (a failed subschema evaluates nothing), so it adds nothing.
    return found


def _declared_keys(schema: Mapping[str, Any]) -> tuple[set[str], list[str]]:
    """Property names and name patterns a schema declares, through `allOf` and `$ref`."""
    names: set[str] = set()
    patterns: list[str] = []
    pending = [schema]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        names.update(current.get("properties", {}))
        patterns.extend(current.get("patternProperties", {}))
        pending.extend(current.get("allOf", []))
        if "$ref" in current:
            pending.append(_resolve(current["$ref"]))
    return names, patterns


def _resolve(reference: str) -> Mapping[str, Any]:
    """A local `#/...` reference in the compose schema (the only kind it uses)."""
    if not reference.startswith("#/"):
        raise ValueError(f"non-local $ref in the compose schema: {reference!r}")
    node: Any = compose_schema()
    for part in reference[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    resolved: Mapping[str, Any] = node
    return resolved


def _suggestion(key: str, names: Collection[str]) -> str:
    lowered = {name.lower(): name for name in names}
    if key.lower() in lowered:
        return f" (did you mean `{lowered[key.lower()]}`?)"
    close = difflib.get_close_matches(key, sorted(names), n=1, cutoff=_SUGGESTION_CUTOFF)
    return f" (did you mean `{close[0]}`?)" if close else ""


def _explain_duplicates(items: Any, path: NodePath) -> list[ComposeError]:
    if any(_matches(path, pattern) for pattern in _DEDUPLICATED_BY_COMPOSE) or not isinstance(items, list):
        return []
    for later in range(len(items)):
        for earlier in range(later):
            if _same(items[earlier], items[later]):
                message = f"{_shown(items[later])} is listed twice (items {earlier} and {later})"
                return [ComposeError(path, message, (*path, later))]
    return [ComposeError(path, "items must be unique", path)]


def _same(first: Any, second: Any) -> bool:
    # JSON equality: `true` and `1` differ, which Python's `==` would not see.
    return json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def _matches(path: NodePath, pattern: tuple[str, ...]) -> bool:
    return len(path) == len(pattern) and all(want in ("*", part) for part, want in zip(path, pattern))


def _wrong_type(instance: Any, expected: str | list[str]) -> str:
    if isinstance(instance, YamlTime):
        return f"must be {_type_words(expected)}, and YAML reads `{instance}` as a timestamp: quote it"
    return f"must be {_type_words(expected)}"


def _type_words(expected: str | list[str]) -> str:
    names = [expected] if isinstance(expected, str) else list(dict.fromkeys(expected))
    words = [_TYPE_WORDS.get(name, name) for name in names]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _shown(value: Any) -> str:
    return f"`{value if isinstance(value, str) else json.dumps(value)}`"


# ---------------------------------------------------------------------------------- decoding


def decoding_errors(document: Mapping[str, Any]) -> list[ComposeError]:
    found = []
    for name, service in _mappings(document.get("services")):
        for field in DURATION_FIELDS:
            value = _get(service, field)
            if not isinstance(value, str):
                continue  # absent, or the wrong type, which the schema reports
            try:
                parse_compose_duration(value)
            except UnitError as exc:
                path = ("services", name, *field)
                message = f"{exc} (a duration is a number and a unit: ns, us, ms, s, m, h, d or w, as in `1m30s`)"
                found.append(ComposeError(path, message, path))
        found.extend(_byte_size_errors(name, service))
    return found


def _byte_size_errors(name: str, service: Mapping[str, Any]) -> Iterator[ComposeError]:
    """Byte sizes compose-go decodes that RES002, which judges memory limits, does not read."""
    sizes: list[tuple[NodePath, Any]] = [(("mem_swappiness",), service.get("mem_swappiness"))]
    volumes = service.get("volumes")
    for index, volume in enumerate(volumes if isinstance(volumes, list) else ()):
        tmpfs = volume.get("tmpfs") if isinstance(volume, dict) else None
        if isinstance(tmpfs, dict):
            sizes.append((("volumes", index, "tmpfs", "size"), tmpfs.get("size")))
    for field, value in sizes:
        if not isinstance(value, str):
            continue  # absent, a number, or the wrong type, which the schema reports
        try:
            parse_bytes(value)
        except UnitError as exc:
            path = ("services", name, *field)
            yield ComposeError(path, f"{exc} (a byte size is a number and b, k, m or g, as in `512m`)", path)


# ------------------------------------------------------------------------------- consistency


@dataclass(frozen=True, slots=True)
class _Dependency:
    target: str
    verb: str  # how the message says it: "depends on", "links to", ...
    required: bool
    node: NodePath
    at_key: bool


def consistency_errors(document: Mapping[str, Any], enabled_services: Collection[str]) -> list[ComposeError]:
    services = dict(_mappings(document.get("services")))
    enabled = {name: service for name, service in services.items() if name in enabled_services}
    found: list[ComposeError] = []
    for name, service in enabled.items():
        found.extend(_service_errors(name, service, document))
        for dependency in _dependencies(name, service):
            field = dependency.node[:3]
            if dependency.target not in services:
                message = f"{dependency.verb} undefined service `{dependency.target}`"
            elif dependency.target not in enabled and dependency.required:
                message = (
                    f"{dependency.verb} service `{dependency.target}`, which is disabled: none of its "
                    "profiles is active"
                )
            else:
                continue
            found.append(ComposeError(field, message, dependency.node, dependency.at_key))
    found.extend(_cycle_errors(enabled))
    for name, service in services.items():
        found.extend(_watch_path_errors(name, service))
    found.extend(_top_level_errors(document))
    return found


def _service_errors(name: str, service: Mapping[str, Any], document: Mapping[str, Any]) -> Iterator[ComposeError]:
    here = ("services", name)
    if "build" not in service and "provider" not in service and service.get("image", "") == "":
        yield ComposeError(here, "has neither an image nor a build context specified", here, at_key=True)

    yield from _undefined_references(name, service, document)

    test = _get(service, ("healthcheck", "test"))
    if isinstance(test, list) and test and test[0] not in _HEALTHCHECK_TEST_KINDS:
        path = (*here, "healthcheck", "test")
        yield ComposeError(path, 'must start with "CMD", "CMD-SHELL" or "NONE"', (*path, 0))

    build = service.get("build")
    if isinstance(build, dict):
        if build.get("dockerfile") and build.get("dockerfile_inline"):
            path = (*here, "build")
            message = "`dockerfile` and `dockerfile_inline` are mutually exclusive"
            yield ComposeError(path, message, (*path, "dockerfile_inline"), at_key=True)
        platforms = build.get("platforms")
        platform = service.get("platform")
        if platform and isinstance(platforms, list) and platforms and platform not in platforms:
            yield ComposeError((*here, "platform"), f"`{platform}` is not in `build.platforms`", (*here, "platform"))

    if service.get("network_mode") and service.get("networks"):
        message = "`network_mode` and `networks` are mutually exclusive"
        yield ComposeError(here, message, (*here, "networks"), at_key=True)

    scale = service.get("scale")
    replicas = _get(service, ("deploy", "replicas"))
    if _is_int(scale) and _is_int(replicas) and scale != replicas:
        message = "can't set distinct values on `scale` and `deploy.replicas`"
        yield ComposeError(here, message, (*here, "scale"), at_key=True)
    count, count_key = (scale, "scale") if scale is not None else (replicas, "deploy.replicas")
    if service.get("container_name") and _is_int(count) and count > 1:
        message = f"a container name must be unique: it cannot be set with {count_key} {count}"
        yield ComposeError(here, message, (*here, "container_name"), at_key=True)

    watch = _get(service, ("develop", "watch"))
    if isinstance(watch, list):
        for index, rule in enumerate(watch):
            if isinstance(rule, dict) and rule.get("action") != "rebuild" and not rule.get("target"):
                path = (*here, "develop", "watch", index)
                yield ComposeError(path, "`target` is required for non-rebuild actions", path)


def _undefined_references(name: str, service: Mapping[str, Any], document: Mapping[str, Any]) -> Iterator[ComposeError]:
    here = ("services", name)
    declared = {kind: set(_names(document.get(kind))) for kind in ("networks", "volumes", "secrets", "configs")}
    declared["networks"].add("default")  # Compose always creates the project's default network

    networks = service.get("networks")
    for network, node, at_key in _named_items(networks, (*here, "networks")):
        if network not in declared["networks"]:
            yield ComposeError((*here, "networks"), f"refers to undefined network `{network}`", node, at_key)

    volumes = service.get("volumes")
    for index, volume in enumerate(volumes if isinstance(volumes, list) else []):
        source, node = _named_volume(volume, (*here, "volumes", index))
        if source is not None and source not in declared["volumes"]:
            yield ComposeError((*here, "volumes"), f"refers to undefined volume `{source}`", node)

    for kind, field, what in (
        ("secrets", ("secrets",), "secret"),
        ("configs", ("configs",), "config"),
        ("secrets", ("build", "secrets"), "build secret"),
    ):
        items = _get(service, field)
        for index, item in enumerate(items if isinstance(items, list) else []):
            source, node = _granted(item, (*here, *field, index))
            if source is not None and source not in declared[kind]:
                yield ComposeError((*here, *field), f"refers to undefined {what} `{source}`", node)


def _named_items(value: Any, path: NodePath) -> Iterator[tuple[str, NodePath, bool]]:
    """Names in a list of strings or the keys of a mapping, each with where it is written."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                yield item, (*path, index), False
    elif isinstance(value, dict):
        for key in value:
            yield key, (*path, key), True


def _named_volume(volume: Any, path: NodePath) -> tuple[str | None, NodePath]:
    """The named volume a `volumes:` entry mounts (None for a bind mount, tmpfs or anonymous volume)."""
    if isinstance(volume, str):
        parts = _split_volume_spec(volume)
        if len(parts) < 2 or _is_host_path(parts[0]):
            return None, path
        return parts[0], path
    if isinstance(volume, dict) and volume.get("type") == "volume" and volume.get("source"):
        return str(volume["source"]), (*path, "source")
    return None, path


def _split_volume_spec(spec: str) -> list[str]:
    """`src:dst[:mode]`, keeping a Windows drive (`C:\\data`) in one piece as compose-go does."""
    if re.match(r"^[A-Za-z]:[\\/]", spec):
        rest = spec[2:].split(":")
        return [spec[:2] + rest[0], *rest[1:]]
    return spec.split(":")


def _is_host_path(source: str) -> bool:
    # compose-go (format/volume.go): a path starts with `.`, `/` or `~`, or is a Windows path.
    return source.startswith((".", "/", "~", "\\\\")) or bool(re.match(r"^[A-Za-z]:[\\/]", source))


def _granted(item: Any, path: NodePath) -> tuple[str | None, NodePath]:
    """The secret or config a service's `secrets:`/`configs:` entry grants (short or long syntax)."""
    if isinstance(item, str):
        return item, path
    if isinstance(item, dict) and isinstance(item.get("source"), str):
        return item["source"], (*path, "source")
    return None, path


def _dependencies(name: str, service: Mapping[str, Any]) -> Iterator[_Dependency]:
    """Every service this one needs, as compose-go collects them into `depends_on`."""
    here = ("services", name)
    depends_on = service.get("depends_on")
    if isinstance(depends_on, list):
        for index, item in enumerate(depends_on):
            if isinstance(item, str):
                yield _Dependency(item, "depends on", True, (*here, "depends_on", index), False)
    elif isinstance(depends_on, dict):
        for target, settings in depends_on.items():
            required = not (isinstance(settings, dict) and settings.get("required") is False)
            yield _Dependency(target, "depends on", required, (*here, "depends_on", target), True)
    for field, verb in (("links", "links to"), ("volumes_from", "takes volumes from")):
        items = service.get(field)
        for index, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, str) and not item.startswith("container:"):
                yield _Dependency(item.split(":", 1)[0], verb, True, (*here, field, index), False)
    network_mode = service.get("network_mode")
    if isinstance(network_mode, str) and network_mode.startswith("service:"):
        target = network_mode.removeprefix("service:")
        yield _Dependency(target, "shares the network of", True, (*here, "network_mode"), False)


def _cycle_errors(enabled: Mapping[str, Mapping[str, Any]]) -> Iterator[ComposeError]:
    """One error per dependency that closes a cycle, by depth-first search in file order.

    Iterative, so that a long generated chain of services cannot exhaust Python's recursion limit.
    """
    edges = {
        name: [dependency for dependency in _dependencies(name, service) if dependency.target in enabled]
        for name, service in enabled.items()
    }
    on_path: list[str] = []
    visited: set[str] = set()
    for root in enabled:
        if root in visited:
            continue
        visited.add(root)
        on_path.append(root)
        pending = [iter(edges[root])]
        while pending:
            dependency = next(pending[-1], None)
            if dependency is None:
                pending.pop()
                on_path.pop()
            elif dependency.target in on_path:
                cycle = [*on_path[on_path.index(dependency.target) :], dependency.target]
                message = "dependency cycle detected: " + " -> ".join(cycle)
                yield ComposeError(dependency.node[:3], message, dependency.node, dependency.at_key)
            elif dependency.target not in visited:
                visited.add(dependency.target)
                on_path.append(dependency.target)
                pending.append(iter(edges[dependency.target]))


def _watch_path_errors(name: str, service: Mapping[str, Any]) -> Iterator[ComposeError]:
    watch = _get(service, ("develop", "watch"))
    for index, rule in enumerate(watch if isinstance(watch, list) else []):
        if isinstance(rule, dict) and rule.get("path") == "":
            path = ("services", name, "develop", "watch", index, "path")
            yield ComposeError(path, "value can't be blank", path)


def _top_level_errors(document: Mapping[str, Any]) -> Iterator[ComposeError]:
    for name, secret in _mappings(document.get("secrets")):
        path = ("secrets", name)
        sources = [key for key in ("file", "environment") if key in secret]
        if len(sources) > 1:
            message = "`file` and `environment` are mutually exclusive"
            yield ComposeError(path, message, (*path, sources[1]), at_key=True)
        elif not sources and secret.get("external") is not True:
            yield ComposeError(path, "must declare either `file` or `environment`", path, at_key=True)
    for name, config in _mappings(document.get("configs")):
        path = ("configs", name)
        sources = [key for key in ("file", "environment", "content") if key in config]
        if len(sources) > 1:
            message = f"`{sources[0]}` and `{sources[1]}` are mutually exclusive"
            yield ComposeError(path, message, (*path, sources[1]), at_key=True)
        elif not sources and "driver" not in config and "external" not in config:
            yield ComposeError(path, "must declare one of `file`, `environment` or `content`", path, at_key=True)
    for name, volume in _mappings(document.get("volumes")):
        if volume.get("external") is True:
            for key in volume:
                if key not in ("name", "external") and not key.startswith("x-"):
                    path = ("volumes", name)
                    message = f"conflicting parameters `external` and `{key}` specified"
                    yield ComposeError(path, message, (*path, key), at_key=True)


# ------------------------------------------------------------------------------------- helpers


def _mappings(section: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if isinstance(section, dict):
        for name, value in section.items():
            if isinstance(value, dict):
                yield name, value


def _names(section: Any) -> Iterator[str]:
    if isinstance(section, dict):
        yield from section


def _get(mapping: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = mapping
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
