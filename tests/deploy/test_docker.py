"""The Docker deployment, checked without a Docker engine: docker-compose.yml (and the GPU,
scale and nodes overrides) against the Compose Specification's JSON schema, the Dockerfiles
with hadolint and with the rules that matter here, the deploy/ scripts with shellcheck (and
gcp-add-worker.sh in dry-run mode), and the places where the files must agree with each
other (variables, paths, ports, settings)."""

from __future__ import annotations

import configparser
import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from modelgallery.core.settings import Settings
from modelgallery.vision.families.gender_classifiers import CVLIB_GENDER_FILES
from tests.support.nginx import TEMPLATE, VARIABLES
from tests.support.server import REPO

COMPOSE = REPO / "docker-compose.yml"
COMPOSE_GPU = REPO / "docker-compose.gpu.yml"
COMPOSE_SCALE = REPO / "docker-compose.scale.yml"
COMPOSE_NODES = REPO / "docker-compose.nodes.yml"
COMPOSE_FILES = (COMPOSE, COMPOSE_GPU, COMPOSE_SCALE, COMPOSE_NODES)
ENV_EXAMPLE = REPO / ".env.example"
BACKEND_DOCKERFILE = REPO / "backend" / "Dockerfile"
FRONTEND_DOCKERFILE = REPO / "frontend" / "Dockerfile"
DOCKERFILES = (BACKEND_DOCKERFILE, FRONTEND_DOCKERFILE)
SUPERVISORD_CONF = REPO / "supervisord" / "supervisord.conf"
DEPLOY = REPO / "deploy"
SCRIPTS = sorted(p for p in DEPLOY.glob("*.sh") if p.name != "lib.sh")
CLOUD_INIT = DEPLOY / "cloud-init.yaml"

# Secrets the stack cannot start without; compose must refuse to run while one is empty.
REQUIRED_SECRETS = ("MONGO_ROOT_PASSWORD", "MONGO_APP_PASSWORD", "SECRET_KEY", "ADMIN_PASSWORD")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|PRIVATE|CREDENTIAL|API_?KEY", re.I)
# The backend's environment beyond Settings: read by `serve`, supervisord.conf,
# start-jupyter.sh, Python itself or Ultralytics.
NON_SETTINGS = {
    "HOST",  # also a setting; listed for clarity
    "PORT",
    "FORWARDED_ALLOW_IPS",
    "MG_APP_DIR",
    "MG_RUN_DIR",
    "JUPYTER_TOKEN",
    "JUPYTER_IP",
    "JUPYTER_PORT",
    "NOTEBOOK_DIR",
    "PATH",
    "HOME",
    "PYTHONUNBUFFERED",
    "PYTHONDONTWRITEBYTECODE",
    "YOLO_OFFLINE",
    "YOLO_CONFIG_DIR",
    # object storage credentials, read by obstore (docs/scaling.md)
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
}
# In .env, and so in env_file, but kept from the backend and the worker containers: compose
# sets them empty.
WITHHELD = {"MONGO_ROOT_PASSWORD"}


# --- reading the files ---------------------------------------------------------------------


def load_yaml(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def env_example() -> dict[str, str]:
    """NAME -> value of .env.example's assignments (commented-out ones document too)."""
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            values.setdefault(match.group(1), match.group(2))
    return values


def filled_env() -> dict[str, str]:
    """.env.example as an administrator would fill it in (commented-out lines stay unset)."""
    env = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"^([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            env[match.group(1)] = match.group(2)
    env.update(
        SERVER_NAME="gallery.example.org",
        MONGO_ROOT_PASSWORD="0f" * 16,
        MONGO_APP_PASSWORD="1e" * 16,
        SECRET_KEY="2d" * 32,
        ADMIN_EMAIL="admin@example.org",
        ADMIN_PASSWORD="a-long-admin-password",
        REDIS_PASSWORD="3c" * 32,
        NODES_BIND_IP="10.132.0.2",
    )
    return env


class MissingVariable(Exception):
    pass


_NAME = r"[A-Za-z_][A-Za-z0-9_]*"


def interpolate_text(text: str, env: dict[str, str]) -> str:
    """Compose's interpolation: $$, $NAME, ${NAME}, ${NAME:-x}, ${NAME-x}, ${NAME:?msg},
    ${NAME?msg}, ${NAME:+x}, ${NAME+x}; a default may hold braces and further ${...}."""
    out, i = [], 0
    while i < len(text):
        if text[i] != "$":
            out.append(text[i])
            i += 1
            continue
        if text.startswith("$$", i):
            out.append("$")
            i += 2
            continue
        simple = re.match(_NAME, text[i + 1 :])
        if simple:
            out.append(env.get(simple.group(0), ""))
            i += 1 + simple.end()
            continue
        if not text.startswith("${", i):
            out.append("$")
            i += 1
            continue
        depth, j = 1, i + 2
        while depth:
            if j >= len(text):
                raise ValueError(f"unclosed ${{ in {text!r}")
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        out.append(_expand(text[i + 2 : j - 1], env))
        i = j
    return "".join(out)


def _expand(body: str, env: dict[str, str]) -> str:
    match = re.match(rf"^({_NAME})(?:(:?[-?+])(.*))?$", body, re.S)
    if not match:
        raise ValueError(f"not a variable: ${{{body}}}")
    name, op, arg = match.groups()
    value = env.get(name)
    if op is None:
        return value or ""
    empty_counts = op.startswith(":")
    unset = value is None or (empty_counts and value == "")
    kind = op[-1]
    if kind == "-":
        return interpolate_text(arg, env) if unset else value
    if kind == "?":
        if unset:
            raise MissingVariable(f"{name}: {arg}")
        return value
    return "" if unset else interpolate_text(arg, env)


def interpolate(node: Any, env: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {k: interpolate(v, env) for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate(v, env) for v in node]
    if isinstance(node, str):
        return interpolate_text(node, env)
    return node


def references(text: str) -> Iterator[tuple[str, str]]:
    """(NAME, how) for every variable a compose file reads; how is the operator and its
    argument, '' for a bare ${NAME} or $NAME."""
    text = text.replace("$$", "")
    for match in re.finditer(rf"\$\{{({_NAME})((?::?[-?+])[^}}]*)?\}}|\$({_NAME})", text):
        if match.group(1):
            yield match.group(1), match.group(2) or ""
        else:
            yield match.group(3), ""


def merge(base: Any, override: Any) -> Any:
    """Compose's merge of an override file, for the mappings this project overrides."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base[key], value) if key in base else value
        return merged
    return override


def compose_doc(gpu: bool = False, scale: bool = False, nodes: bool = False) -> dict[str, Any]:
    """docker-compose.yml with the overrides, in the order the docs give them."""
    doc = load_yaml(COMPOSE)
    for path, wanted in (
        (COMPOSE_GPU, gpu),
        (COMPOSE_SCALE, scale or nodes),
        (COMPOSE_NODES, nodes),
    ):
        if wanted:
            doc = merge(doc, load_yaml(path))
    return doc


def compose_config(gpu: bool = False, scale: bool = False, nodes: bool = False) -> dict[str, Any]:
    """What `docker compose config` would work from: merged and interpolated."""
    return interpolate(compose_doc(gpu, scale, nodes), filled_env())


# Every combination the docs give: (gpu, scale, nodes).
VARIANTS = {
    "cpu": (False, False, False),
    "gpu": (True, False, False),
    "scale": (False, True, False),
    "gpu-scale": (True, True, False),
    "scale-nodes": (False, True, True),
}


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def read_env_file(path: Path) -> dict[str, str]:
    """NAME=VALUE lines as compose reads an env_file (comments and blank lines skipped, one
    pair of quotes around a value removed)."""
    values = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
        if match:
            value = match.group(2).strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            values[match.group(1)] = value
    return values


def container_environment(service: dict[str, Any], project_dir: Path) -> dict[str, str]:
    """What a container of the service gets: its env_file entries in order (a missing one
    that is not required is skipped), then `environment`, which wins."""
    entries = service.get("env_file", [])
    values: dict[str, str] = {}
    for entry in [entries] if isinstance(entries, str | dict) else entries:
        if isinstance(entry, str):
            entry = {"path": entry}
        path = project_dir / entry["path"]
        if path.exists():
            values.update(read_env_file(path))
        else:
            assert entry.get("required", True) is False, f"{path} is required"
    return {**values, **environment(service)}


def duration_s(text: str | int | float) -> float:
    if isinstance(text, int | float):
        return float(text)
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", text)
    assert parts and "".join(a + b for a, b in parts) == text, f"not a duration: {text}"
    return sum(float(n) * units[u] for n, u in parts)


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def args(self, keyword: str) -> list[str]:
        return [a for k, a in self.instructions if k == keyword]

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for text in self.args("ENV") + self.args("ARG"):
            for name, value in key_values(text):
                values[name] = value
        return values


def key_values(text: str) -> list[tuple[str, str]]:
    """ENV/ARG arguments: NAME=VALUE pairs (values may be quoted), or NAME alone."""
    pairs = []
    for token in _split_words(text):
        name, _, value = token.partition("=")
        pairs.append((name, value))
    return pairs


def _split_words(text: str) -> list[str]:
    words, current, quote = [], "", None
    for ch in text:
        if quote:
            if ch == quote:
                quote = None
            else:
                current += ch
        elif ch in "\"'":
            quote = ch
        elif ch.isspace():
            if current:
                words.append(current)
            current = ""
        else:
            current += ch
    if current:
        words.append(current)
    return words


def parse_dockerfile(path: Path) -> tuple[list[str], list[Stage]]:
    """(the parser directives, the stages), continuation lines joined, comments dropped."""
    directives, logical, pending = [], [], ""
    lines = path.read_text().splitlines()
    for number, line in enumerate(lines):
        stripped = line.strip()
        if not pending and stripped.startswith("#"):
            if number == 0 or (directives and number == len(directives)):
                directives.append(stripped)
            continue
        if pending and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        pending += stripped
        if pending.strip():
            logical.append(pending.strip())
        pending = ""
    stages: list[Stage] = []
    for text in logical:
        keyword, _, args = text.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = [w for w in args.split() if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(words[0], name))
        else:
            assert stages, f"{path}: {keyword} before FROM"
            stages[-1].instructions.append((keyword, args.strip()))
    return directives, stages


def exec_form(args: str) -> list[str] | None:
    try:
        value = json.loads(args)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, list) else None


def copy_sources(stage: Stage) -> list[str]:
    """The build-context paths a stage's COPY/ADD instructions read."""
    sources = []
    for keyword in ("COPY", "ADD"):
        for args in stage.args(keyword):
            words = args.split()
            if any(w.startswith("--from=") for w in words):
                continue
            paths = [w for w in words if not w.startswith("--")]
            sources += paths[:-1]
    return sources


# --- a .dockerignore matcher ------------------------------------------------------------------


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out + r"\Z")


class DockerIgnore:
    """Docker's rules: patterns are relative to the context root, the last matching pattern
    wins, `!` re-includes, and a pattern matching a folder excludes what is inside it."""

    def __init__(self, text: str) -> None:
        self.rules = []
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            pattern = line[1:] if negate else line
            pattern = pattern.strip().strip("/")
            self.rules.append((negate, _pattern_regex(pattern)))

    def excluded(self, path: str) -> bool:
        parts = path.strip("/").split("/")
        candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
        result = False
        for negate, regex in self.rules:
            if any(regex.match(c) for c in candidates):
                result = not negate
        return result


def dockerignore() -> DockerIgnore:
    return DockerIgnore((REPO / ".dockerignore").read_text())


def context_files() -> list[str]:
    """The files a `git clone` has (tracked, plus new ones not ignored by .gitignore)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return [p for p in listed if (REPO / p).is_file()]


def tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    assert found, f"{name} is not installed (backend's deploy extra installs it)"
    return found


# --- the Compose Specification ----------------------------------------------------------------


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    # check-jsonschema ships the Compose Specification's own schema (compose-spec/compose-spec).
    schema_file = files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(schema_file.read_text())
    assert schema["title"] == "Compose Specification"
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_errors(validator: Draft202012Validator, doc: Any) -> list[str]:
    return [f"{'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(doc)]


@pytest.mark.parametrize("variant", VARIANTS.values(), ids=VARIANTS.keys())
def test_compose_matches_the_specification(
    validator: Draft202012Validator, variant: tuple[bool, bool, bool]
) -> None:
    assert schema_errors(validator, compose_doc(*variant)) == []  # as written
    assert schema_errors(validator, compose_config(*variant)) == []  # as compose runs it


@pytest.mark.parametrize("path", COMPOSE_FILES[1:], ids=lambda p: p.name)
def test_override_alone_matches_the_specification(
    validator: Draft202012Validator, path: Path
) -> None:
    assert schema_errors(validator, load_yaml(path)) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["services"]["backend"].update(restrat="always"), "restrat"),
        (
            lambda d: d["services"]["backend"]["depends_on"]["mongo"].update(condition="soon"),
            "soon",
        ),
        (
            lambda d: d["services"]["backend"]["deploy"]["resources"]["limits"].update(cpus=[3]),
            "[3]",
        ),
        (lambda d: d.update(servics={}), "servics"),
        (lambda d: d["services"]["frontend"].update(ports={"80": 80}), "ports"),
    ],
    ids=["typo", "bad-enum", "bad-type", "top-level-typo", "ports-mapping"],
)
def test_schema_refuses_broken_compose(
    validator: Draft202012Validator, change: Any, expected: str
) -> None:
    doc = compose_doc()
    change(doc)
    errors = schema_errors(validator, doc)
    assert errors and any(expected in e for e in errors), errors


def test_compose_spec_parser_agrees() -> None:
    """A second reading: compose-spec's strict parser (the spec's types, unknown keys refused)."""
    from compose_spec import PyCompose

    for variant in VARIANTS.values():
        PyCompose.from_yaml(yaml.safe_dump(compose_config(*variant))).validate()
    broken = compose_config()
    broken["services"]["backend"]["restrat"] = "always"
    with pytest.raises(ValueError, match="restrat"):
        PyCompose.from_yaml(yaml.safe_dump(broken)).validate()


@pytest.mark.parametrize("variant", VARIANTS.values(), ids=VARIANTS.keys())
def test_references_resolve(variant: tuple[bool, bool, bool]) -> None:
    """What the schema cannot see: named volumes, networks and dependencies exist."""
    docs = [compose_config(*variant)]
    if variant[1]:  # the workers' data folder, either choice
        docs.append(interpolate(compose_doc(*variant), {**filled_env(), **WORKER_SCRATCH}))
    used: set[str] = set()
    for doc in docs:
        used |= _resolved_volumes(doc)
    assert set(docs[0]["volumes"]) <= used, "a declared volume is not used"


# STORAGE_URL set: the worker containers keep their copies apart from the API's.
WORKER_SCRATCH = {"STORAGE_URL": "s3://jobs/prod", "WORKER_DATA": "worker-data"}


def _resolved_volumes(doc: dict[str, Any]) -> set[str]:
    """The named volumes the services mount, after checking every reference resolves."""
    services = doc["services"]
    for name, service in services.items():
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0] if isinstance(mount, str) else mount["source"]
            if not source.startswith((".", "/")):
                assert source in doc["volumes"], f"{name}: volume {source} is not declared"
            else:
                assert (REPO / source).resolve().is_relative_to(REPO), source
        for network in service.get("networks", []):
            assert network in doc["networks"], f"{name}: network {network} is not declared"
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"
    return {
        (m.split(":", 1)[0] if isinstance(m, str) else m["source"])
        for s in services.values()
        for m in s.get("volumes", [])
    }


def test_interpolation_refuses_missing_secrets() -> None:
    for name in REQUIRED_SECRETS:
        env = filled_env()
        env[name] = ""
        with pytest.raises(MissingVariable, match=name):
            interpolate(compose_doc(), env)
    for name, variant in (
        ("REDIS_PASSWORD", VARIANTS["scale"]),
        ("NODES_BIND_IP", VARIANTS["scale-nodes"]),
    ):
        env = filled_env()
        del env[name]
        with pytest.raises(MissingVariable, match=name):
            interpolate(compose_doc(*variant), env)


# --- compose rules ---------------------------------------------------------------------------


def test_mongo_is_not_exposed() -> None:
    doc = compose_config()
    mongo = doc["services"]["mongo"]
    assert "ports" not in mongo and "expose" not in mongo
    assert all(doc["networks"][n].get("internal") for n in mongo["networks"])
    publishing = {n for n, s in doc["services"].items() if s.get("ports")}
    assert publishing == {"frontend"}


# Services behind a profile that run for good rather than once.
LONG_RUNNING_PROFILED = {"worker-gpu"}


def test_every_service_restarts_and_has_limits() -> None:
    for variant in VARIANTS.values():
        for name, service in compose_config(*variant)["services"].items():
            if service.get("profiles") and name not in LONG_RUNNING_PROFILED:
                assert service.get("restart") == "no", f"{name}: a one-shot profile service"
            else:
                assert service.get("restart") == "unless-stopped", name
            limits = service["deploy"]["resources"]["limits"]
            assert float(limits["cpus"]) > 0, name
            assert re.fullmatch(r"\d+(\.\d+)?[kmg]", str(limits["memory"])), name
            logging = service["logging"]
            assert logging["driver"] == "json-file" and logging["options"]["max-size"], name
            assert "no-new-privileges:true" in service.get("security_opt", []), name


def test_secrets_are_required_and_never_defaulted() -> None:
    text = "".join(p.read_text() for p in COMPOSE_FILES)
    seen: dict[str, set[str]] = {}
    for name, how in references(text):
        seen.setdefault(name, set()).add(how[:2])
        if SECRET_NAME.search(name):
            # required (:?) or optional and empty (:-): never a default secret
            assert how.startswith(":?") or how == ":-", f"${{{name}{how}}}"
    for name in REQUIRED_SECRETS:
        assert seen.get(name) == {":?"}, f"{name} must be ${{{name}:?...}} everywhere"


def test_secrets_stay_out_of_the_images() -> None:
    for path in DOCKERFILES:
        _, stages = parse_dockerfile(path)
        for stage in stages:
            for name, value in stage.env().items():
                assert not (SECRET_NAME.search(name) and value), f"{path}: {name} has a value"
    ignore = dockerignore()
    for secret in (".env", "certs/privkey.pem", "backend/.env", "nginx/x.key", "a/b.pem"):
        assert ignore.excluded(secret), secret


def test_volumes_for_data_models_and_database() -> None:
    doc = compose_config()
    backend_env = parse_dockerfile(BACKEND_DOCKERFILE)[1][-1].env()
    mounts = {m.split(":")[1]: m.split(":")[0] for m in doc["services"]["backend"]["volumes"]}
    assert mounts[backend_env["DATA_DIR"]] in doc["volumes"]
    assert mounts[backend_env["MODELS_DIR"]] in doc["volumes"]
    mongo = {m.split(":")[1]: m.split(":")[0] for m in doc["services"]["mongo"]["volumes"]}
    assert mongo["/data/db"] in doc["volumes"]
    assert mongo["/docker-entrypoint-initdb.d"] == "./mongo-init"
    init_mount = next(
        m for m in doc["services"]["mongo"]["volumes"] if "/docker-entrypoint-initdb.d" in m
    )
    assert init_mount.endswith(":ro")


def test_healthchecks_and_start_order() -> None:
    services = compose_config()["services"]
    backend = " ".join(services["backend"]["healthcheck"]["test"])
    assert "http://127.0.0.1:8000/api/ready" in backend
    mongo = " ".join(services["mongo"]["healthcheck"]["test"])
    assert "mongosh" in mongo and "ping" in mongo
    assert services["backend"]["depends_on"]["mongo"]["condition"] == "service_healthy"
    assert services["frontend"]["depends_on"]["backend"]["restart"] is True
    for name in ("backend", "mongo"):
        check = services[name]["healthcheck"]
        assert duration_s(check["timeout"]) < duration_s(check["interval"]), name
    # the frontend's comes with its image
    _, stages = parse_dockerfile(FRONTEND_DOCKERFILE)
    assert stages[-1].args("HEALTHCHECK")


def test_backend_outlives_supervisords_stop() -> None:
    conf = configparser.RawConfigParser()
    conf.read(SUPERVISORD_CONF)
    # supervisord stops its programs one after the other
    total = sum(
        int(conf.get(s, "stopwaitsecs", fallback="10"))
        for s in conf.sections()
        if s.startswith("program:")
    )
    grace = duration_s(compose_config()["services"]["backend"]["stop_grace_period"])
    assert grace > total, f"stop_grace_period {grace}s <= supervisord's {total}s"


def test_every_compose_variable_is_documented() -> None:
    documented = env_example()
    for path in COMPOSE_FILES:
        names = {name for name, _ in references(path.read_text())}
        assert names, path
        missing = names - set(documented)
        assert not missing, f"{path.name} reads {sorted(missing)}, not in .env.example"


def test_env_example_documents_only_what_is_used_and_holds_no_secret() -> None:
    used = {n for p in COMPOSE_FILES for n, _ in references(p.read_text())}
    scripts = "".join(p.read_text() for p in DEPLOY.glob("*.sh"))
    used |= set(re.findall(r"env_get ([A-Z_]+)", scripts))
    used.add("COMPOSE_FILE")  # read by docker compose itself
    values = env_example()
    assert set(values) - used == set(), "documented but read by nothing"
    for name, value in values.items():
        if SECRET_NAME.search(name):
            assert value == "", f".env.example must not hold a value for {name}"


@pytest.mark.parametrize("service", ["backend", "worker", "worker-gpu"])
def test_backend_environment_is_settings(service: str) -> None:
    fields = {name.upper() for name in Settings.model_fields}
    compose_env = environment(compose_config(scale=True)["services"][service])
    image_env = parse_dockerfile(BACKEND_DOCKERFILE)[1][-1].env()
    for name in [*compose_env, *image_env]:
        known = name in fields or name in NON_SETTINGS or name in WITHHELD
        assert known, f"{name} is neither a setting nor known"


@pytest.mark.parametrize(
    ("service", "scale"),
    [("backend", False), ("backend", True), ("worker", True), ("worker-gpu", True)],
    ids=["backend", "scale-backend", "worker", "worker-gpu"],
)
def test_backend_environment_is_valid_settings(
    monkeypatch: pytest.MonkeyPatch, service: str, scale: bool
) -> None:
    """The values compose hands the backend (empty ones included) make valid Settings."""
    image_env = parse_dockerfile(BACKEND_DOCKERFILE)[1][-1].env()
    compose_env = environment(compose_config(scale=scale)["services"][service])
    fields = {name.upper() for name in Settings.model_fields}
    for name in list(fields):
        monkeypatch.delenv(name, raising=False)
    for name, value in {**image_env, **compose_env}.items():
        if name in fields:
            monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)
    assert settings.mongodb_uri is not None
    assert settings.secure_cookies or service != "backend"
    assert str(settings.data_dir) == image_env["DATA_DIR"]
    assert settings.executor == ("celery" if scale else "local")
    assert (settings.redis_url is not None) is scale
    assert settings.storage_url is None  # .env.example leaves it empty: the shared volume


# Settings that docs/settings.md documents and .env.example does not list.
MORE_SETTINGS = {
    "RETENTION_DAYS": "7",
    "MAX_WAIT_S": "300",
    "DISK_RESERVE_MB": "2000",
    "UPLOADS_PER_MINUTE_ANONYMOUS": "4",
}


@pytest.mark.parametrize(
    ("service", "scale"),
    [("backend", False), ("backend", True), ("worker", True), ("worker-gpu", True)],
    ids=["backend", "scale-backend", "worker", "worker-gpu"],
)
def test_every_setting_in_env_reaches_the_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, service: str, scale: bool
) -> None:
    # without a .env (every variable from the shell), compose still starts the service
    empty = tmp_path / "no-env"
    empty.mkdir()
    container_environment(compose_config(scale=scale)["services"][service], empty)

    # a .env written for `make run` as well: its paths and address must not win
    env = {
        **filled_env(),
        **MORE_SETTINGS,
        "DATA_DIR": "./data",
        "MODELS_DIR": "./models",
        "HOST": "127.0.0.1",
        "PORT": "8123",
    }
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    doc = interpolate(compose_doc(scale=scale), env)
    received = container_environment(doc["services"][service], tmp_path)
    for name, value in MORE_SETTINGS.items():
        assert received.get(name) == value, f"{name} in .env does not reach {service}"
    image_env = parse_dockerfile(BACKEND_DOCKERFILE)[1][-1].env()
    forced = ("DATA_DIR", "MODELS_DIR", "HOST", "PORT")[: 4 if service == "backend" else 2]
    for name in forced:
        assert received[name] == image_env[name], name
    for name in WITHHELD:
        assert env[name] and received[name] == "", f"{name} reaches {service}"
    # what compose builds stays compose's
    assert received["MONGODB_URI"] == environment(doc["services"][service])["MONGODB_URI"]

    fields = {name.upper() for name in Settings.model_fields}
    for name in fields:
        monkeypatch.delenv(name, raising=False)
    for name, value in {**image_env, **received}.items():
        if name in fields:
            monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)
    assert settings.retention_days == 7 and settings.max_wait_s == 300
    assert settings.disk_reserve_mb == 2000 and settings.uploads_per_minute_anonymous == 4


def test_backend_reaches_mongo_as_the_init_scripts_create_it() -> None:
    services = compose_config()["services"]
    backend, mongo = environment(services["backend"]), environment(services["mongo"])
    user, password, db = (
        mongo[k] for k in ("MONGO_APP_USER", "MONGO_APP_PASSWORD", "MONGO_APP_DB")
    )
    assert backend["MONGODB_URI"] == f"mongodb://{user}:{password}@mongo:27017/{db}"
    assert backend["MONGODB_DB"] == db
    scripts = "".join(p.read_text() for p in (REPO / "mongo-init").glob("*.js"))
    needed = set(re.findall(r'(?:process\.env\.|required\(")([A-Z_]+)', scripts))
    assert needed and needed <= set(mongo), needed - set(mongo)
    assert {"MONGO_INITDB_ROOT_USERNAME", "MONGO_INITDB_ROOT_PASSWORD"} <= set(mongo)
    assert "--auth" in services["mongo"]["command"]


def test_only_nginx_is_trusted_for_client_addresses() -> None:
    doc = compose_config()
    trusted = environment(doc["services"]["backend"])["FORWARDED_ALLOW_IPS"]
    subnets = [c["subnet"] for c in doc["networks"]["web"]["ipam"]["config"]]
    assert trusted != "*" and [trusted] == subnets
    assert doc["services"]["frontend"]["networks"] == ["web"]


def test_gpu_variant() -> None:
    cpu, gpu = compose_config()["services"]["backend"], compose_config(True)["services"]["backend"]
    assert cpu["build"]["args"]["TORCH_VARIANT"] == "cpu"
    assert re.fullmatch(r"cu\d{3}", gpu["build"]["args"]["TORCH_VARIANT"])
    assert gpu["image"] != cpu["image"]
    (device,) = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and "gpu" in device["capabilities"]
    assert gpu["deploy"]["resources"]["limits"] == cpu["deploy"]["resources"]["limits"]
    assert gpu["healthcheck"] == cpu["healthcheck"]


# --- past one machine: docker-compose.scale.yml and docker-compose.nodes.yml ----------------


def command_words(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return command if isinstance(command, list) else command.split()


def test_scale_redis_persists_and_stays_inside() -> None:
    doc = compose_config(scale=True)
    redis = doc["services"]["redis"]
    words = command_words(redis)
    assert words[0] == "redis-server"  # the image's entrypoint then drops root
    assert words[words.index("--appendonly") + 1] == "yes"
    assert words[words.index("--requirepass") + 1] == filled_env()["REDIS_PASSWORD"]
    mounts = {m.split(":")[1]: m.split(":")[0] for m in redis["volumes"]}
    assert mounts["/data"] in doc["volumes"]  # the AOF survives a new container
    assert "ports" not in redis and "expose" not in redis
    assert redis["networks"] == ["db"] and doc["networks"]["db"]["internal"]
    check = redis["healthcheck"]
    assert "redis-cli ping" in " ".join(check["test"])
    assert duration_s(check["timeout"]) < duration_s(check["interval"])
    # redis-cli reads the password from the environment, not from its command line
    assert environment(redis)["REDISCLI_AUTH"] == filled_env()["REDIS_PASSWORD"]


def test_scale_backend_uses_celery_on_redis_and_mongo() -> None:
    services = compose_config(scale=True)["services"]
    backend = services["backend"]
    env = environment(backend)
    password = filled_env()["REDIS_PASSWORD"]
    assert env["EXECUTOR"] == "celery"
    assert env["REDIS_URL"] == f"redis://:{password}@redis:6379/0"
    assert env["MONGODB_URI"].startswith("mongodb://") and "@mongo:27017/" in env["MONGODB_URI"]
    assert backend["depends_on"]["redis"]["condition"] == "service_healthy"
    assert backend["depends_on"]["mongo"]["condition"] == "service_healthy"  # kept from the base
    # the base file's settings stay
    assert env["SECRET_KEY"] and env["FORWARDED_ALLOW_IPS"]
    assert environment(compose_config()["services"]["backend"]).get("EXECUTOR") is None


@pytest.mark.parametrize("name", ["worker", "worker-gpu"])
def test_scale_workers(name: str) -> None:
    doc = compose_config(scale=True)
    services = doc["services"]
    worker, backend = services[name], services["backend"]
    # scalable: no fixed name, no port on the host (nothing to clash between replicas)
    assert "container_name" not in worker
    assert "ports" not in worker and "expose" not in worker
    assert "web" not in worker["networks"]  # not trusted for X-Forwarded-For, not behind nginx
    assert "db" in worker["networks"]
    assert not doc["networks"]["outbound"] or not doc["networks"]["outbound"].get("internal")
    words = command_words(worker)
    assert words[:3] == ["modelgallery", "worker", "--groups"] and words[3]
    registry = tomllib.loads((REPO / "models" / "models.toml").read_text())["models"]
    assert set(words[3].split(",")) <= {m["group"] for m in registry.values()}
    # the cluster's settings are the API's
    worker_env, backend_env = environment(worker), environment(backend)
    for key in ("EXECUTOR", "REDIS_URL", "MONGODB_URI", "MONGODB_DB", "STORAGE_URL"):
        assert worker_env[key] == backend_env[key], key
    assert worker["image"].startswith(backend["image"].split(":")[0] + ":")
    assert worker["build"]["dockerfile"] == backend["build"]["dockerfile"]
    mounts = {m.split(":")[1]: m for m in worker["volumes"]}
    # the backend's weights; writable for the exports cached beside them
    assert mounts["/models"].split(":")[:2] == ["models", "/models"]
    # STORAGE_URL empty: the API's job files; set: the nodes' own copies, not the API's
    assert mounts["/data"] == "app-data:/data" and not environment(worker)["STORAGE_URL"]
    apart = interpolate(compose_doc(scale=True), {**filled_env(), **WORKER_SCRATCH})
    mounts = {m.split(":")[1]: m for m in apart["services"][name]["volumes"]}
    api = {m.split(":")[1]: m for m in apart["services"]["backend"]["volumes"]}
    assert mounts["/data"].split(":")[0] in apart["volumes"]
    assert mounts["/data"].split(":")[0] != api["/data"].split(":")[0]
    assert environment(apart["services"][name])["STORAGE_URL"] == WORKER_SCRATCH["STORAGE_URL"]
    assert worker["healthcheck"] == {"disable": True}  # a node serves no /api/ready
    # a running job can finish: longer than the default job limit
    assert duration_s(worker["stop_grace_period"]) > Settings.model_fields["job_timeout_s"].default
    assert worker["depends_on"]["redis"]["condition"] == "service_healthy"


def test_scale_gpu_worker_is_behind_a_profile() -> None:
    services = compose_config(scale=True)["services"]
    gpu, cpu = services["worker-gpu"], services["worker"]
    assert gpu["profiles"] == ["gpu"] and "profiles" not in cpu
    (device,) = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and "gpu" in device["capabilities"]
    assert "reservations" not in cpu["deploy"]["resources"]
    assert re.fullmatch(r"cu\d{3}", gpu["build"]["args"]["TORCH_VARIANT"])
    assert cpu["build"]["args"]["TORCH_VARIANT"] == "cpu"
    assert gpu["image"] != cpu["image"]
    # the same reservation as the single-machine GPU variant
    single = compose_config(gpu=True)["services"]["backend"]["deploy"]["resources"]
    assert gpu["deploy"]["resources"]["reservations"] == single["reservations"]


def test_scale_publishes_nothing_new_and_nodes_only_on_the_private_address() -> None:
    publishing = {n for n, s in compose_config(scale=True)["services"].items() if s.get("ports")}
    assert publishing == {"frontend"}
    doc = compose_config(nodes=True)
    address = filled_env()["NODES_BIND_IP"]
    for name, port in (("redis", 6379), ("mongo", 27017)):
        service = doc["services"][name]
        assert service["ports"] == [f"{address}:{port}:{port}"], name  # never 0.0.0.0
        assert "db" in service["networks"] and "nodes" in service["networks"]
    assert not doc["networks"]["nodes"] or not doc["networks"]["nodes"].get("internal")
    # what may be reached from other machines asks for a password
    assert "--auth" in doc["services"]["mongo"]["command"]
    assert "--requirepass" in command_words(doc["services"]["redis"])


# --- Dockerfiles ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.parent.name)
def test_hadolint(path: Path) -> None:
    result = subprocess.run(
        [tool("hadolint"), "--config", str(REPO / ".hadolint.yaml"), str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_finds_problems(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install requests\nUSER root\n")
    result = subprocess.run(
        [tool("hadolint"), "--config", str(REPO / ".hadolint.yaml"), str(bad)],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "DL3007" in result.stdout, result.stdout


PINNED = re.compile(r"^[a-z0-9./_-]+:v?\d+\.\d+\.\d+[A-Za-z0-9._-]*(@sha256:[0-9a-f]{64})?$")


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.parent.name)
def test_base_images_are_pinned(path: Path) -> None:
    directives, stages = parse_dockerfile(path)
    assert "# syntax=docker/dockerfile:1" in directives  # cache mounts need BuildKit's syntax
    names = set()
    for stage in stages:
        if stage.base not in names:
            assert PINNED.match(stage.base), f"{path}: FROM {stage.base} is not a pinned version"
        if stage.name:
            names.add(stage.name)
    for image in ("mongo", "certbot"):
        assert PINNED.match(compose_config(True)["services"][image]["image"]), image
    assert PINNED.match(compose_config(scale=True)["services"]["redis"]["image"])


@pytest.mark.parametrize(
    "bad", ["python", "python:latest", "python:3-slim", "python:3.11-slim", "nginx:stable"]
)
def test_pin_rule_refuses(bad: str) -> None:
    assert not PINNED.match(bad)


def test_backend_image_runs_unprivileged_under_an_init() -> None:
    _, stages = parse_dockerfile(BACKEND_DOCKERFILE)
    final = stages[-1]
    users = final.args("USER")
    assert users, "the final stage sets no USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0") and user.isdigit(), f"USER {users[-1]}"
    assert any(f"--uid {user}" in run for run in final.args("RUN")), "the user is not created"
    assert exec_form(final.args("ENTRYPOINT")[-1])[0].endswith("/tini")
    cmd = exec_form(final.args("CMD")[-1])
    assert cmd[0] == "supervisord" and cmd[-1] == "/app/supervisord/supervisord.conf"
    env = final.env()
    assert env["MG_APP_DIR"] == "/app"
    conf_vars = set(re.findall(r"%\(ENV_([A-Z_]+)\)s", SUPERVISORD_CONF.read_text()))
    assert conf_vars <= set(env), f"supervisord.conf reads {conf_vars - set(env)}"
    assert env["HOST"] == "0.0.0.0" and env["JUPYTER_IP"] == "0.0.0.0"


def test_backend_healthcheck_uses_ready() -> None:
    final = parse_dockerfile(BACKEND_DOCKERFILE)[1][-1]
    (check,) = final.args("HEALTHCHECK")
    assert "/api/ready" in check and "CMD" in check


def test_backend_installs_cpu_torch_as_constrained() -> None:
    build = parse_dockerfile(BACKEND_DOCKERFILE)[1][0]
    runs = " ".join(build.args("RUN"))
    assert "https://download.pytorch.org/whl/${TORCH_VARIANT}" in runs
    assert build.env()["TORCH_VARIANT"] == "cpu"
    assert "-c backend/constraints.txt" in runs and "[vision,container]" in runs
    pins = dict(
        line.split("==")
        for line in (REPO / "backend" / "constraints.txt").read_text().splitlines()
        if line.startswith(("torch==", "torchvision=="))
    )
    torch_minor = int(pins["torch"].split(".")[1])
    vision_minor = int(pins["torchvision"].split(".")[1])
    assert vision_minor == torch_minor + 15, f"torch {pins['torch']} with {pins['torchvision']}"


def test_image_has_the_weights_where_the_models_volume_mounts() -> None:
    build, final = (s for s in parse_dockerfile(BACKEND_DOCKERFILE)[1])
    env = final.env()
    runs = " ".join(build.args("RUN"))
    assert f"MODELS_DIR={env['MODELS_DIR']} modelgallery fetch-models" in runs
    assert any(
        c.startswith("--from=build --chown=")
        and c.endswith(f" {env['MODELS_DIR']} {env['MODELS_DIR']}")
        for c in final.args("COPY")
    ), "the weights are not copied into the final image, owned by its user"
    # cvlib's gender files are weights of the face-gender entry: that fetch brings them too
    entry = tomllib.loads((REPO / "models" / "models.toml").read_text())["models"]["face-gender"]
    assert tuple(w["file"] for w in entry["weights"]) == CVLIB_GENDER_FILES
    assert all(w["url"].startswith("https://") for w in entry["weights"])
    # Ultralytics' font, so that drawing labels downloads nothing
    assert f"{env['YOLO_CONFIG_DIR']}/Ultralytics/Arial.ttf" in runs
    assert env["YOLO_OFFLINE"] == "1"


# --- the nginx image --------------------------------------------------------------------------


def test_frontend_image_fills_every_template_variable() -> None:
    lines = TEMPLATE.read_text().splitlines()
    template = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    placeholders = set(re.findall(r"\$\{([A-Z_]+)\}", template))
    assert placeholders == set(VARIABLES)
    final = parse_dockerfile(FRONTEND_DOCKERFILE)[1][-1]
    env = final.env()
    assert placeholders <= set(env), placeholders - set(env)
    compose_env = environment(compose_config()["services"]["frontend"])
    assert set(compose_env) <= placeholders, "compose sets a variable the template lacks"
    # envsubst replaces every variable that is set: none may shadow one of nginx's own
    snippets = "".join(p.read_text() for p in (REPO / "nginx" / "snippets").glob("*.conf"))
    nginx_vars = set(re.findall(r"\$([a-z_][a-z0-9_]*)", template + snippets))
    assert nginx_vars and not nginx_vars & (set(env) | set(compose_env))


def test_frontend_paths_agree() -> None:
    final = parse_dockerfile(FRONTEND_DOCKERFILE)[1][-1]
    env = final.env()
    copies = final.args("COPY")
    assert "nginx/templates/default.conf.template /etc/nginx/templates/" in " ".join(copies)
    assert f"nginx/snippets/ {env['SNIPPETS']}/" in copies
    assert any(
        c.startswith("--from=build") and c.endswith(f" {env['STATIC_ROOT']}/") for c in copies
    )
    frontend = compose_config()["services"]["frontend"]
    targets = {m.split(":")[1]: m.split(":")[0] for m in frontend["volumes"]}
    assert env["CERT_DIR"] in targets and env["ACME_ROOT"] in targets
    certbot = {
        m.split(":")[1]: m.split(":")[0] for m in compose_config()["services"]["certbot"]["volumes"]
    }
    assert certbot[env["ACME_ROOT"]] == targets[env["ACME_ROOT"]]  # the same webroot volume
    assert certbot["/certs"] == targets[env["CERT_DIR"]]
    assert f"--webroot-path {env['ACME_ROOT']}" in (DEPLOY / "letsencrypt.sh").read_text()
    ports = {p.split(":")[1] for p in frontend["ports"]}
    assert ports == {env["HTTP_PORT"], env["HTTPS_PORT"]}


def test_upload_ceiling_covers_every_model() -> None:
    registry = tomllib.loads((REPO / "models" / "models.toml").read_text())
    largest = max(m.get("max_upload_mb", 50) for m in registry["models"].values())
    image = parse_dockerfile(FRONTEND_DOCKERFILE)[1][-1].env()["MAX_UPLOAD_MB"]
    compose = environment(compose_config()["services"]["frontend"])["MAX_UPLOAD_MB"]
    assert float(image) >= largest and float(compose) >= largest


# --- the build context ------------------------------------------------------------------------


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.parent.name)
def test_copied_paths_exist_and_are_in_the_context(path: Path) -> None:
    ignore = dockerignore()
    present = context_files()
    _, stages = parse_dockerfile(path)
    sources = [s for stage in stages for s in copy_sources(stage)]
    assert sources
    for source in sources:
        assert (REPO / source).exists(), f"{path}: COPY {source}: no such path"
        assert not ignore.excluded(source), f"{path}: COPY {source} is in .dockerignore"
        inside = [p for p in present if p == source.rstrip("/") or p.startswith(source)]
        kept = [p for p in inside if not ignore.excluded(p)]
        assert kept, f"{path}: COPY {source}: nothing of it reaches the build"


def test_context_keeps_what_the_builds_need_and_drops_the_rest() -> None:
    ignore = dockerignore()
    for needed in (
        "backend/pyproject.toml",
        "backend/constraints.txt",
        "backend/modelgallery/app.py",
        "models/models.toml",
        "frontend/package.json",
        "frontend/package-lock.json",
        "frontend/src/main.tsx",
        "nginx/snippets/proxy.conf",
        "notebooks/01-api-client.ipynb",
        "supervisord/start-jupyter.sh",
    ):
        assert not ignore.excluded(needed), needed
    for dropped in (
        ".git/config",
        ".venv/bin/python",
        ".venv-mongoeco/bin/python",
        "frontend/node_modules/react/index.js",
        "frontend/dist/index.html",
        "data/jobs/x/input/input-0.jpg",
        "models/yolov5su.pt",
        "backend/modelgallery/__pycache__/app.cpython-311.pyc",
        "test-artifacts/run.log",
        "tests/conftest.py",
    ):
        assert ignore.excluded(dropped), dropped


@pytest.mark.parametrize(
    ("patterns", "path", "excluded"),
    [
        ("data", "data/a/b", True),
        ("data", "backend/data", False),
        ("**/node_modules", "frontend/node_modules/x", True),
        ("models/*\n!models/*.toml", "models/models.toml", False),
        ("models/*\n!models/*.toml", "models/a.pt", True),
        ("*.md", "docs/a.md", False),
        ("**/*.md", "docs/a.md", True),
    ],
)
def test_dockerignore_matcher(patterns: str, path: str, excluded: bool) -> None:
    assert DockerIgnore(patterns).excluded(path) is excluded


# --- deploy/ scripts -----------------------------------------------------------------------


def cloud_init_scripts() -> list[str]:
    doc = load_yaml(CLOUD_INIT)
    return [f["content"] for f in doc["write_files"] if f["content"].startswith("#!")]


def test_shellcheck() -> None:
    paths = [*SCRIPTS, DEPLOY / "lib.sh", REPO / "nginx" / "make-self-signed.sh"]
    result = subprocess.run(
        [tool("shellcheck"), "-x", *map(str, paths)], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    scripts = cloud_init_scripts()
    assert scripts
    for script in scripts:
        result = subprocess.run(
            [tool("shellcheck"), "-s", "bash", "-"], input=script, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout


def test_shellcheck_finds_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/usr/bin/env bash\nrm -rf $1/*\n")
    result = subprocess.run([tool("shellcheck"), str(bad)], capture_output=True, text=True)
    assert result.returncode != 0 and "SC2086" in result.stdout


def test_cloud_init_is_cloud_config() -> None:
    assert CLOUD_INIT.read_text().startswith("#cloud-config\n")
    doc = load_yaml(CLOUD_INIT)
    assert {"git", "curl"} <= set(doc["packages"])
    runs = json.dumps(doc["runcmd"])
    assert all(f["path"] in runs for f in doc["write_files"] if f["content"].startswith("#!"))
    assert "deploy/bootstrap.sh" in cloud_init_scripts()[0]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_are_strict_and_explain_themselves(script: Path) -> None:
    lines = script.read_text().splitlines()
    assert lines[0] == "#!/usr/bin/env bash"
    assert "set -euo pipefail" in lines[:12]
    assert script.stat().st_mode & 0o111, f"{script.name} is not executable"
    shown = subprocess.run(
        ["bash", str(script), "--help"], capture_output=True, text=True, timeout=30
    )
    assert shown.returncode == 0 and shown.stdout.startswith("usage:"), shown
    wrong = subprocess.run(
        ["bash", str(script), "--no-such-option"], capture_output=True, text=True, timeout=30
    )
    assert wrong.returncode == 2 and "usage:" in wrong.stderr, wrong


def gcp_add_worker(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """deploy/gcp-add-worker.sh --dry-run with a clean environment (no gcloud needed)."""
    return subprocess.run(
        ["bash", str(DEPLOY / "gcp-add-worker.sh"), "--dry-run", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", **env},
    )


def gcloud_calls(stdout: str) -> list[list[str]]:
    return [shlex.split(line) for line in stdout.splitlines() if line.startswith("gcloud ")]


def flag(words: list[str], name: str) -> str:
    return words[words.index(name) + 1]


def test_gcp_add_worker_dry_run() -> None:
    secrets = {"REDIS_PASSWORD": "4b" * 32, "MONGO_APP_PASSWORD": "5a" * 32}
    result = gcp_add_worker(
        "--project", "demo", "--storage-url", "gs://mg-jobs/prod", "--size", "2",
        "--repo", "https://example.org/modelgallery.git", "--ref", "v1.0.0",
        **secrets,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    for secret in secrets.values():  # they go to Secret Manager on standard input only
        assert secret not in result.stdout + result.stderr
    calls = gcloud_calls(result.stdout)
    by_verb = {" ".join(c[4:7]): c for c in calls}

    firewall = by_verb["compute firewall-rules create"]
    assert "0.0.0.0/0" not in firewall
    assert "--source-ranges" not in firewall  # the nodes' tag, nothing wider
    assert flag(firewall, "--source-tags") == "modelgallery-worker"
    assert flag(firewall, "--allow") == "tcp:6379,tcp:27017"
    stack_tag = flag(firewall, "--target-tags")
    tagging = by_verb["compute instances add-tags"]
    assert tagging[7] == "modelgallery" and flag(tagging, "--tags") == stack_tag
    # no rule lets anything in to the nodes
    rules = [c for c in calls if c[4:7] == ["compute", "firewall-rules", "create"]]
    assert all(flag(r, "--target-tags") != "modelgallery-worker" for r in rules)

    template = by_verb["compute instance-templates create"]
    assert flag(template, "--tags") == "modelgallery-worker"
    assert flag(template, "--network") == flag(firewall, "--network")
    startup = flag(template, "--metadata-from-file")
    assert startup == f"startup-script={DEPLOY / 'gcp-worker-startup.sh'}"
    metadata = flag(template, "--metadata")
    assert metadata.startswith("^;^")
    fields = dict(item.split("=", 1) for item in metadata[3:].split(";"))
    assert fields["mg-groups"] == "torch,tf,cpu" and fields["mg-gpu"] == "false"
    assert fields["mg-env-secret"] and "PASSWORD" not in metadata
    assert "--accelerator" not in template and "--address" not in template

    group = by_verb["compute instance-groups managed"]
    assert group[7] == "create" and flag(group, "--size") == "2"
    assert flag(group, "--template") == template[7]
    bucket = by_verb["storage buckets create"]
    assert bucket[7] == "gs://mg-jobs"
    assert "--data-file=-" in by_verb["secrets versions add"]


def test_gcp_autoscaler_follows_the_queue_the_ops_agent_sends() -> None:
    common = ("--project", "demo", "--repo", "https://example.org/mg.git", "--ref", "v1.0.0")
    result = gcp_add_worker(
        *common, "--storage-url", "gs://mg-jobs", "--groups", "torch", "--size", "1",
        "--autoscale", "6", "--jobs-per-node", "3",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    calls = gcloud_calls(result.stdout)
    (scaling,) = [c for c in calls if "set-autoscaling" in c]
    assert flag(scaling, "--min-num-replicas") == "1"
    assert flag(scaling, "--max-num-replicas") == "6"
    assert flag(scaling, "--stackdriver-metric-single-instance-assignment") == "3"
    metric = flag(scaling, "--update-stackdriver-metric")
    assert flag(scaling, "--stackdriver-metric-filter") == (
        'resource.type = "prometheus_target" AND metric.labels.group = "torch"'
    )
    assert not [c for c in calls if "resize" in c]  # the autoscaler owns the size
    # The metric is the one the stack's Ops Agent scrapes from /metrics and keeps.
    agent = yaml.safe_load((DEPLOY / "gcp-ops-agent.yaml").read_text())
    (scrape,) = agent["metrics"]["receivers"]["modelgallery"]["config"]["scrape_configs"]
    assert scrape["metrics_path"] == "/metrics"
    name = metric.removeprefix("prometheus.googleapis.com/").removesuffix("/gauge")
    assert re.fullmatch(scrape["metric_relabel_configs"][0]["regex"], name)
    assert agent["metrics"]["service"]["pipelines"]["modelgallery"]["receivers"] == ["modelgallery"]
    several = gcp_add_worker(*common, "--storage-url", "gs://mg-jobs", "--autoscale", "4")
    assert several.returncode == 1 and "--autoscale-group" in several.stderr
    chosen = gcp_add_worker(
        *common, "--storage-url", "gs://mg-jobs", "--autoscale", "4", "--autoscale-group", "tf"
    )
    (scaling,) = [c for c in gcloud_calls(chosen.stdout) if "set-autoscaling" in c]
    assert flag(scaling, "--stackdriver-metric-filter").endswith('metric.labels.group = "tf"')


def test_gcp_add_worker_gpu_and_refusals() -> None:
    common = ("--project", "demo", "--repo", "https://example.org/mg.git", "--ref", "v1.0.0")
    gpu = gcp_add_worker(*common, "--storage-url", "gs://mg-jobs", "--gpu", "nvidia-l4:2")
    assert gpu.returncode == 0, gpu.stderr
    (template,) = [
        c for c in gcloud_calls(gpu.stdout) if c[4:6] == ["compute", "instance-templates"]
    ]
    assert flag(template, "--accelerator") == "type=nvidia-l4,count=2"
    assert flag(template, "--maintenance-policy") == "TERMINATE"
    assert "mg-groups=torch;" in flag(template, "--metadata")
    assert "mg-gpu=true" in flag(template, "--metadata")
    for bad in (
        ("--storage-url", "s3://elsewhere"),  # the nodes here use GCS
        ("--storage-url", "gs://mg-jobs", "--size", "two"),
        ("--storage-url", "gs://mg-jobs", "--groups", "torch", "--models", "yolo"),
        ("--storage-url", "gs://mg-jobs", "--stack-ip", "0.0.0.0/0"),
    ):
        refused = gcp_add_worker(*common, *bad)
        assert refused.returncode == 1 and "error:" in refused.stderr, bad


def test_gcp_worker_runs_only_the_worker_container() -> None:
    script = (DEPLOY / "gcp-worker-startup.sh").read_text()
    (start,) = [m.start() for m in re.finditer(r"^docker run\b", script, re.M)]
    command = re.match(r"(?:[^\n]*\\\n)*[^\n]*", script[start:])
    assert command
    text = " ".join(command.group(0).replace("\\\n", " ").split())
    for published in ("-p ", "--publish", "--network host", "--net=host", "--privileged"):
        assert published not in text, published
    assert "modelgallery worker" in text and "--env-file" in text
    assert "no-new-privileges:true" in text and "--restart unless-stopped" in text
    assert "secretmanager.googleapis.com" in script  # the settings are not in the metadata
    assert "install-docker.sh" in script


def test_systemd_units_run_existing_scripts() -> None:
    units = sorted((DEPLOY / "systemd").glob("*.service"))
    assert {u.stem for u in units} == {"modelgallery-backup", "modelgallery-certbot"}
    for unit in units:
        conf = configparser.RawConfigParser(strict=False)
        conf.read(unit)
        command = conf.get("Service", "ExecStart").split()
        script = REPO / Path(command[0]).relative_to("/opt/modelgallery")
        assert script.is_file() and script.stat().st_mode & 0o111, command
        timer = configparser.RawConfigParser(strict=False)
        timer.read(unit.with_suffix(".timer"))
        assert timer.get("Timer", "OnCalendar") and timer.get("Install", "WantedBy")


def test_deployment_doc_covers_every_script() -> None:
    doc = (REPO / "docs" / "deployment.md").read_text()
    for script in [*SCRIPTS, COMPOSE_GPU, CLOUD_INIT]:
        assert script.name in doc, f"docs/deployment.md does not mention {script.name}"
    scaling = (REPO / "docs" / "scaling.md").read_text()
    for path in (COMPOSE_SCALE, COMPOSE_NODES, DEPLOY / "gcp-add-worker.sh"):
        assert path.name in scaling, f"docs/scaling.md does not mention {path.name}"
    assert "scaling.md" in doc
