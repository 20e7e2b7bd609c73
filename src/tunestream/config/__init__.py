"""Typed settings, loaded and validated once at the edge (the CLI).

Sources, highest priority first: environment variables (``TUNESTREAM_`` prefix, ``__`` between
nested keys, e.g. ``TUNESTREAM_KAFKA__BOOTSTRAP_SERVERS``), then the YAML file
(``--config``, else ``$TUNESTREAM_CONFIG``, else ``./tunestream.yaml`` when present), then the
defaults below. ``tunestream.example.yaml`` documents every key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import Field, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from tunestream.config.base import (
    REPO_ROOT,
    SECRET_WORDS,
    JvmSize,
    Model,
    Port,
    describe_yaml_error,
    printable,
)
from tunestream.config.kafka import (
    DEFAULT_TOPICS,
    KafkaSettings,
    LocalBrokerSettings,
    TopicSettings,
)
from tunestream.errors import ConfigError
from tunestream.sources.settings import SourceList, SourceSettings, one_source_shorthand
from tunestream.sources.settings import default_sources as _default_sources

__all__ = [
    "DEFAULT_CONFIG_FILE",
    "DEFAULT_TOPICS",
    "DashboardSettings",
    "EmulatorRunSettings",
    "KafkaSettings",
    "LocalBrokerSettings",
    "ProducerSettings",
    "Settings",
    "SourceSettings",
    "SparkSettings",
    "SystemSettings",
    "TopicSettings",
    "describe_validation_error",
    "load_settings",
    "redacted",
]

DEFAULT_CONFIG_FILE = Path("tunestream.yaml")
ENV_PREFIX = "TUNESTREAM_"


class ProducerSettings(Model):
    """The producer process (``tunestream produce``), whichever sources it runs."""

    metrics_port: Port | None = 9464
    """Prometheus metrics of all its sources on 127.0.0.1:<port>/metrics; null: off."""


class SparkSettings(Model):
    """The Structured Streaming job that turns the Spotify topics into tables."""

    master: Annotated[str, Field(min_length=1)] = "local[*]"
    """``local[*]`` on a laptop, ``spark://host:7077`` for a standalone cluster: nothing else
    changes."""
    jars_dir: Path = REPO_ROOT / "build" / "jars" / "spark"
    tables_dir: Path | None = None
    """Where the tables live; None: ``<data_dir>/tables``."""
    checkpoint_dir: Path | None = None
    """Where each query keeps its checkpoint; None: ``<data_dir>/checkpoints``."""
    trigger_interval_s: Annotated[float, Field(gt=0)] = 5.0
    """How often new records are read from Kafka into the ``records`` table."""
    tables_trigger_interval_s: Annotated[float, Field(gt=0)] = 30.0
    """How often ``records`` are merged into the entity and derived tables."""
    max_offsets_per_trigger: Annotated[int, Field(ge=1)] | None = None
    features_timeout_s: Annotated[float, Field(ge=0)] = 900.0
    """A track waits this long (event time) for its audio features and analysis, then appears
    in tracks_enriched with nulls in their place; it waits only for those the producer's plan
    delivers (none, for a development app)."""
    shuffle_partitions: Annotated[int, Field(ge=1)] = 8
    driver_memory: JvmSize = "2g"
    conf: dict[str, str] = Field(default_factory=dict)
    """Any other Spark property, passed unchanged (e.g. spark.executor.memory)."""

    def tables_path(self, data_dir: Path) -> Path:
        return (self.tables_dir or data_dir / "tables").absolute()

    def checkpoints_path(self, data_dir: Path) -> Path:
        return (self.checkpoint_dir or data_dir / "checkpoints").absolute()


class DashboardSettings(Model):
    """The read-only web dashboard (``tunestream dashboard``, started by ``tunestream up``)."""

    port: Port = 8050
    """Served on 127.0.0.1:<port>."""
    refresh_s: Annotated[float, Field(gt=0)] = 5.0
    """How often the page asks for new data, and how often the producer's metrics are sampled."""
    history_points: Annotated[int, Field(ge=10)] = 720
    """Samples of the producer's metrics kept for the ingest-rate chart (720 at 5 s: an hour)."""


class EmulatorRunSettings(Model):
    """The Spotify emulator ``tunestream up`` starts when no Spotify credentials are set."""

    port: Port = 8765
    speed: Annotated[float, Field(gt=0)] = 60.0
    """Release-clock seconds per real second: 60 releases an hour of albums a minute."""
    settings_file: Path | None = None
    """A YAML file of emulator settings (``tunestream-emulator --settings``), e.g. a smaller
    catalog; port and speed above win over it."""
    interval_s: Annotated[float, Field(gt=0)] = 60.0
    """The cycle interval of the sources whose APIs the emulator stands in for."""


class SystemSettings(Model):
    """``tunestream up | down | status``: every component as a background process."""

    start_timeout_s: Annotated[float, Field(gt=0)] = 300.0
    """How long each component may take to become ready."""
    stop_grace_s: Annotated[float, Field(gt=0)] = 60.0
    """How long each component may take to stop cleanly before it is killed."""
    emulator: EmulatorRunSettings = EmulatorRunSettings()


class Settings(BaseSettings):
    """Everything tunestream can be configured with."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    data_dir: Path = Path(".tunestream")
    """Where local state lives: the embedded broker's log directories, pid and log files."""
    kafka: KafkaSettings = KafkaSettings()
    source: SourceSettings | None = Field(default=None, exclude=True)
    """The shorthand of a one-source list: read as ``sources: [source]`` (and None after)."""
    sources: SourceList = Field(default_factory=_default_sources)
    """The sources ``tunestream produce`` runs, side by side in one process (none named:
    spotify, reccobeats, deezer and musicbrainz)."""
    producer: ProducerSettings = ProducerSettings()
    spark: SparkSettings = SparkSettings()
    dashboard: DashboardSettings = DashboardSettings()
    system: SystemSettings = SystemSettings()

    @model_validator(mode="before")
    @classmethod
    def _one_source_shorthand(cls, data: Any) -> Any:
        return one_source_shorthand(data)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The YAML file's content arrives as init arguments; environment variables override it.
        return env_settings, init_settings


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"config file {path}: cannot read it ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path}: not UTF-8 text (byte {exc.start})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path}: {describe_yaml_error(exc)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: the top level must be a mapping of keys")
    return {str(key): value for key, value in data.items()}  # `1: x` is an unknown key too


def describe_validation_error(error: ValidationError, sep: str = "; ") -> str:
    """The validation problems, ``key.path: what is allowed (got X)``, joined by ``sep``: all on
    one line, unless ``sep`` is a line break. The value of a secret, or of an unknown key (a
    secret's key mistyped, maybe), is not shown."""
    parts = []
    for item in error.errors():
        path = ".".join(str(p) for p in item["loc"]) or "(top level)"
        message = item["msg"].removeprefix("Value error, ")
        got = item.get("input")
        secret = item["type"] == "extra_forbidden" or any(
            word in path.lower() for word in (*SECRET_WORDS, "auth")
        )
        shown = "" if secret or isinstance(got, dict | list) or got is None else f" (got {got!r})"
        parts.append(printable(f"{path}: {message}{shown}"))
    return sep.join(parts)


def load_settings(config_file: Path | None = None) -> Settings:
    """Load settings from the file, the environment and the defaults; raise ConfigError."""
    path = config_file
    if path is None and os.environ.get(f"{ENV_PREFIX}CONFIG"):
        path = Path(os.environ[f"{ENV_PREFIX}CONFIG"])
    if path is None and DEFAULT_CONFIG_FILE.is_file():
        path = DEFAULT_CONFIG_FILE
    data = _read_yaml(path) if path is not None else {}
    source = f"{path} and environment" if path is not None else "environment and defaults"
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(
            f"invalid configuration ({source}): {describe_validation_error(exc)}"
        ) from None
    except SettingsError as exc:  # a TUNESTREAM_… variable of a list or mapping that is no JSON
        raise ConfigError(f"invalid configuration ({source}): {exc}; it takes JSON") from None


def redacted(settings: Settings) -> dict[str, Any]:
    """The effective settings as plain data, with every secret replaced by ``********``."""
    data: dict[str, Any] = _redact(settings.model_dump(mode="json"))
    return data


def _redact(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _redact(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, key) for v in value]
    if value is not None and any(word in key.lower() for word in SECRET_WORDS):
        return "********"
    return value
