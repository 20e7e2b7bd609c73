"""Load a source spec: a built-in name or a YAML file, environment references filled in, validated.

``${NAME}`` and ``${NAME:-default}`` in the YAML's strings are replaced from the environment
after parsing (credentials and base URLs); a reference to an unset variable without a default is
an error naming it. A string that is one reference alone, with a number for its default, is a
number where it comes out one (``sample: "${DEEZER_SAMPLE:-1}"``). Values in ``variables`` can
be overridden from the settings.

:func:`load_spec` reports what is wrong on one line (a ConfigError); :func:`spec_problems` lists
every problem, a line each (``tunestream spec check``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tunestream.config import describe_validation_error
from tunestream.config.base import describe_yaml_error
from tunestream.errors import ConfigError
from tunestream.spec.models import SourceSpec

__all__ = ["builtin_specs", "load_spec", "spec_data", "spec_problems"]

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def builtin_specs() -> list[str]:
    """Names of the specs shipped in ``tunestream/sources``."""
    folder = resources.files("tunestream.sources")
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_spec(
    name_or_path: str,
    *,
    variables: Mapping[str, list[str] | str] | None = None,
    environ: Mapping[str, str] | None = None,
    unset: str | None = None,
) -> SourceSpec:
    """The validated spec; raise ConfigError with one line naming what is wrong. ``unset``
    stands for references to unset variables without a default (where only the spec's shape
    matters, its topics say), instead of an error."""
    label, data = spec_data(name_or_path, variables=variables, environ=environ, unset=unset)
    try:
        return SourceSpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"source spec {label}: {describe_validation_error(exc)}") from None


def spec_problems(name_or_path: str, *, environ: Mapping[str, str] | None = None) -> list[str]:
    """Every problem of the spec, one line each (``source spec X: key.path: what is wrong``);
    none if it is valid. A spec that cannot be read, parsed or filled in from the environment
    raises ConfigError, as :func:`load_spec` does."""
    label, data = spec_data(name_or_path, environ=environ)
    try:
        SourceSpec.model_validate(data)
    except ValidationError as exc:
        problems = describe_validation_error(exc, sep="\n").splitlines()
        return [f"source spec {label}: {problem}" for problem in problems]
    return []


def spec_data(
    name_or_path: str,
    *,
    variables: Mapping[str, list[str] | str] | None = None,
    environ: Mapping[str, str] | None = None,
    unset: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """The spec's label (its name or path) and its data as the models validate it: the YAML
    parsed, ``${NAME}`` references filled in, variables overridden; ConfigError otherwise."""
    label, text = _read(name_or_path)
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"source spec {label}: {describe_yaml_error(exc)}") from None
    if not isinstance(parsed, dict):
        raise ConfigError(f"source spec {label}: the top level must be a mapping")
    environ = os.environ if environ is None else environ
    data: dict[str, Any] = _fill(parsed, environ, label, unset)
    if variables:
        if not isinstance(data.get("variables") or {}, dict):
            raise ConfigError(
                f"source spec {label}: variables: a mapping of names to values is expected "
                f"(the settings override {', '.join(sorted(variables))})"
            )
        unknown = sorted(set(variables) - set(data.get("variables") or {}))
        if unknown:
            raise ConfigError(
                f"source spec {label}: no variable {', '.join(unknown)} to override; "
                f"it has: {', '.join(sorted(data.get('variables') or {})) or 'none'}"
            )
        data["variables"] = {**data["variables"], **variables}
    return label, data


def _read(name_or_path: str) -> tuple[str, str]:
    if name_or_path in builtin_specs():
        source = resources.files("tunestream.sources") / f"{name_or_path}.yaml"
        return name_or_path, source.read_text(encoding="utf-8")
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml") and not path.exists():
        known = ", ".join(builtin_specs())
        raise ConfigError(f"no source spec {name_or_path!r}: built-in ones are {known}, or a path")
    try:
        return str(path), path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"source spec {path}: cannot read it ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"source spec {path}: not UTF-8 text (byte {exc.start})") from None


def _fill(value: Any, environ: Mapping[str, str], label: str, unset: str | None) -> Any:
    """``value`` with every ``${NAME}`` in its strings replaced (after parsing: values from the
    environment are data, never YAML)."""
    if isinstance(value, dict):
        return {k: _fill(v, environ, label, unset) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, environ, label, unset) for v in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        found = environ.get(name) or default or unset
        if found is None:
            raise ConfigError(f"source spec {label}: environment variable {name} is not set")
        return found

    filled = _REFERENCE.sub(replace, value)
    alone = _REFERENCE.fullmatch(value)
    if alone and _NUMBER.fullmatch(alone.group(2) or "") and _NUMBER.fullmatch(filled):
        return float(filled) if "." in filled else int(filled)
    return filled
