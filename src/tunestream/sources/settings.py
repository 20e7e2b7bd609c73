"""The settings of the sources (``sources:``, or ``source:`` for one): each named after its spec
by default, all distinct.

A source's ``name`` is its spec's unless given: the ``name`` its YAML gives itself, read when the
settings are (a built-in spec here, else the file), without the environment the spec loader fills
in. Its transactional id is ``tunestream-<name>`` unless given. No two sources share a name or a
transactional id (the producer registers ``<id>`` and ``<id>.1``).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Mapping, Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from tunestream.errors import ConfigError
from tunestream.http.models import RateLimitConfig

__all__ = [
    "SourceList",
    "SourceName",
    "SourceSettings",
    "default_sources",
    "named",
    "one_source_shorthand",
]

SourceName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$")]


def _spec_name(spec: str) -> str:
    """The ``name`` a spec gives itself: a source's default name. Read from the spec's YAML (a
    built-in one, else the file), as the spec loader finds it; the name needs no environment."""
    builtin = resources.files("tunestream.sources") / f"{spec}.yaml"
    return _builtin_spec_name(spec) if builtin.is_file() else _name_in(Path(spec), spec)


@functools.cache
def _builtin_spec_name(spec: str) -> str:
    """A built-in spec's name (read once: the package's files do not change)."""
    return _name_in(resources.files("tunestream.sources") / f"{spec}.yaml", spec)


def _name_in(path: Traversable, spec: str) -> str:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(
            f"spec {spec!r} is no built-in spec, and no file to read ({exc.strerror})"
        ) from exc
    except yaml.YAMLError as exc:
        raise ValueError(f"spec {spec}: not valid YAML") from exc
    name = data.get("name") if isinstance(data, dict) else None
    if not isinstance(name, str):
        raise ValueError(f"spec {spec} has no name to name the source after: give it a name")
    return name


class SourceSettings(BaseModel):
    """One source: which spec the producer runs, with what, and how often."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: SourceName
    """Unique among the sources; default: the spec's name (``spotify``). It names the source
    everywhere: its state (keys ``<name>/…`` in the state topic), its plan, its records'
    ``tunestream.source`` header, its metrics (label ``source``), ``produce --source``."""
    spec: Annotated[str, Field(min_length=1)] = "spotify"
    """A built-in spec (``spotify``) or the path of a spec YAML file."""
    mode: str | None = None
    """One of the spec's modes (spotify: ``new-releases`` or ``full``); default: its first."""
    variables: dict[str, list[str] | str] = Field(default_factory=dict)
    """Overrides of the spec's variables, e.g. ``{markets: [US, GB]}``."""
    skip: list[str] = Field(default_factory=list)
    """Resources switched off, e.g. ``[audio_analysis]``."""
    interval_s: Annotated[float, Field(gt=0)] = 3600.0
    jitter_s: Annotated[float, Field(ge=0)] = 60.0
    transactional_id: Annotated[str, Field(min_length=1)]
    """Stable per source (default ``tunestream-<name>``): a restart fences its old self.
    The producer uses ``<id>.1`` too (two producers take turns with units)."""
    discovery_max_requests: Annotated[int, Field(ge=1)] | None = 10_000
    """Requests discovery may make in a cycle (null: no cap). Where a complete pass of the
    roots costs more (searching a large window), discovery rolls: each cycle reads the parts of
    the query tree read longest ago, so every part is read every N cycles; ``produce --plan``
    says N."""
    rate_limit: RateLimitConfig | None = None
    """Replaces the spec's request budget (one per API app), e.g. ``{requests_per_second: 5}``."""
    commit_max_records: Annotated[int, Field(ge=1)] = 100_000
    commit_max_bytes: Annotated[int, Field(ge=1)] = 256 * 1024 * 1024
    commit_max_delay_s: Annotated[float, Field(gt=0)] = 1.0
    """A transaction commits at whichever of these limits comes first (records, value bytes,
    seconds since its first record) — or, if the previous one is still committing then, once
    that one is in (meanwhile it may grow to twice the limits). The delay bounds units at the
    API's pace; the caps bound them in catch-up bursts, where fewer commits write faster."""

    @model_validator(mode="before")
    @classmethod
    def _named_after_the_spec(cls, data: Any) -> Any:
        """``name`` defaults to the spec's name, ``transactional_id`` to ``tunestream-<name>``."""
        if not isinstance(data, Mapping):
            return data
        if "metrics_port" in data:
            raise ValueError("metrics_port is one per producer process: set producer.metrics_port")
        filled = dict(data)
        if filled.get("name") is None:
            filled["name"] = _spec_name(str(filled.get("spec", cls.model_fields["spec"].default)))
        if filled.get("transactional_id") is None:
            filled["transactional_id"] = f"tunestream-{filled['name']}"
        return filled


def _distinct(sources: list[SourceSettings]) -> list[SourceSettings]:
    """Each source has its own name and its own transactional ids (``<id>``, ``<id>.1``)."""
    names = Counter(source.name for source in sources)
    twice = sorted(name for name, count in names.items() if count > 1)
    if twice:
        raise ValueError(
            f"the name {', '.join(twice)} is given to more than one source; "
            "name each source (name: …)"
        )
    owners: dict[str, str] = {}
    for source in sources:
        for id_ in (source.transactional_id, f"{source.transactional_id}.1"):
            other = owners.setdefault(id_, source.name)
            if other != source.name:
                raise ValueError(
                    f"sources {other} and {source.name} share the transactional id {id_}; "
                    "give each its own transactional_id"
                )
    return sources


SourceList = Annotated[list[SourceSettings], Field(min_length=1), AfterValidator(_distinct)]
"""The ``sources:`` of the settings: at least one, each with its own name and ids."""


def one_source_shorthand(data: Any) -> Any:
    """The settings' data with ``source: {…}`` read as ``sources: [{…}]``, its ``metrics_port``
    as ``producer.metrics_port``; ValueError when both forms (or both ports) are given."""
    if not isinstance(data, Mapping) or "source" not in data:
        return data
    if "sources" in data:
        raise ValueError(
            "source (one source; TUNESTREAM_SOURCE__* too) and sources (a list) are both "
            "given: keep one"
        )
    rest = {key: value for key, value in data.items() if key != "source"}
    source = data["source"]
    producer = rest.get("producer") or {}
    if isinstance(producer, BaseModel):
        producer = producer.model_dump(exclude_unset=True)
    # a producer that is no mapping leaves the port in the source: both are reported invalid
    if isinstance(source, Mapping) and "metrics_port" in source and isinstance(producer, Mapping):
        source = dict(source)
        port = source.pop("metrics_port")
        if "metrics_port" in producer:
            raise ValueError(
                "source.metrics_port and producer.metrics_port are both given: keep one"
            )
        rest["producer"] = {**producer, "metrics_port": port}
    return {**rest, "sources": [source]}


def named(sources: Sequence[SourceSettings], names: Sequence[str]) -> list[SourceSettings]:
    """The sources of ``names`` in the configuration's order (none named: all of them);
    ConfigError naming the configured ones for a name that is not among them."""
    known = [source.name for source in sources]
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise ConfigError(
            f"no source {', '.join(unknown)} in the configuration (sources: {', '.join(known)})"
        )
    return [source for source in sources if not names or source.name in names]


_DEFAULT_SOURCES: tuple[dict[str, Any], ...] = (
    {"spec": "spotify"},
    *({"spec": spec, "interval_s": 60.0} for spec in ("reccobeats", "deezer", "musicbrainz")),
)
"""The sources of a configuration that names none: Spotify, and the three that fill its gaps
from its tracks topic (a cycle a minute: each reads what Spotify wrote since the last)."""


def default_sources() -> list[SourceSettings]:
    return [SourceSettings.model_validate(values) for values in _DEFAULT_SOURCES]
