from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from tunestream.config import (
    DEFAULT_TOPICS,
    KafkaSettings,
    Settings,
    SourceSettings,
    TopicSettings,
    load_settings,
    redacted,
)
from tunestream.errors import ConfigError
from tunestream.kafka.client import client_config
from tunestream.sources.settings import named

pytestmark = pytest.mark.unit


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tunestream.yaml"
    path.write_text(text)
    return path


def test_defaults_select_the_local_broker_and_every_default_topic(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./tunestream.yaml here
    settings = load_settings()
    assert settings.kafka.uses_local_broker
    assert settings.kafka.bootstrap == "127.0.0.1:9092"
    assert set(settings.kafka.topics) == set(DEFAULT_TOPICS)


def test_a_topic_named_in_the_file_keeps_the_defaults_it_does_not_override(tmp_path: Path) -> None:
    path = write(tmp_path, "kafka:\n  topics:\n    albums:\n      partitions: 12\n")
    topics = load_settings(path).kafka.topics
    assert topics["albums"].partitions == 12
    assert topics["albums"].name == DEFAULT_TOPICS["albums"]["name"]
    assert topics["albums"].retention_ms == DEFAULT_TOPICS["albums"]["retention_ms"]
    assert set(topics) == set(DEFAULT_TOPICS)


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "kafka:\n  local:\n    port: 19092\n    heap: 2g\n")
    monkeypatch.setenv("TUNESTREAM_KAFKA__LOCAL__PORT", "29092")
    settings = load_settings(path)
    assert settings.kafka.local.port == 29092
    assert settings.kafka.local.heap == "2g"


def test_config_file_found_through_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "data_dir: /srv/tunestream\n")
    monkeypatch.setenv("TUNESTREAM_CONFIG", str(path))
    assert load_settings().data_dir == Path("/srv/tunestream")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kafka:\n  local:\n    port: 70000\n", "kafka.local.port: Input should be less than"),
        ("kafka:\n  bogus: 1\n", "kafka.bogus: Extra inputs are not permitted"),
        ("kafka:\n  local:\n    heap: lots\n", "kafka.local.heap: a JVM memory size"),
        (
            "kafka:\n  topics:\n    albums:\n      cleanup_policy: shred\n",
            "kafka.topics.albums.cleanup_policy: Input should be 'delete', 'compact'",
        ),
        (
            "kafka:\n  topics:\n    extra: {partitions: 2}\n",
            "kafka.topics.extra.name: Field required",
        ),
        ("kafka:\n  local:\n    port: 9093\n", "port and controller_port must differ"),
        ("kafka:\n  security_protocol: SSL\n", "the local broker speaks PLAINTEXT only"),
        (
            "kafka:\n  bootstrap_servers: k:9092\n  security_protocol: SASL_SSL\n",
            "security_protocol SASL_SSL needs sasl_mechanism",
        ),
        (
            "kafka:\n  bootstrap_servers: k:9093\n  ssl_ca_location: /absent/ca.pem\n",
            "kafka.ssl_ca_location: no such file (got '/absent/ca.pem')",
        ),
        ("kafka: [\n", "line 2"),
        ("- a\n- b\n", "the top level must be a mapping"),
    ],
)
def test_bad_configuration_is_one_clear_line(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text))
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message
    assert caught.value.exit_code == 2


def test_a_missing_config_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read it"):
        load_settings(tmp_path / "absent.yaml")


def test_secrets_are_redacted_but_passed_to_the_client(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "kafka:\n"
        "  bootstrap_servers: broker-1:9093,broker-2:9093\n"
        "  security_protocol: SASL_SSL\n"
        "  sasl_mechanism: SCRAM-SHA-512\n"
        "  sasl_username: streamer\n"
        "  sasl_password: hunter2\n"
        "  client_properties:\n"
        "    ssl.endpoint.identification.algorithm: https\n"
        "    sasl.oauthbearer.client.secret: s3cret\n",
    )
    settings = load_settings(path)
    shown = redacted(settings)
    assert "hunter2" not in str(shown)
    assert "s3cret" not in str(shown)
    assert shown["kafka"]["sasl_username"] == "streamer"

    conf = client_config(settings.kafka)
    assert conf["bootstrap.servers"] == "broker-1:9093,broker-2:9093"
    assert conf["security.protocol"] == "SASL_SSL"
    assert conf["sasl.mechanism"] == "SCRAM-SHA-512"
    assert conf["sasl.password"] == "hunter2"
    assert conf["sasl.oauthbearer.client.secret"] == "s3cret"
    assert conf["ssl.endpoint.identification.algorithm"] == "https"


def _field_paths(model: type[BaseModel], prefix: str = "") -> set[str]:
    paths = set()
    for name, field in model.model_fields.items():
        if field.exclude:  # read, never shown: the one-source shorthand
            continue
        path = f"{prefix}{name}"
        paths.add(path)
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            paths |= _field_paths(annotation, f"{path}.")
    return paths


def _yaml_paths(data: object, prefix: str = "") -> set[str]:
    """Every key path of the YAML; the entries of a list share their list's path."""
    if isinstance(data, list):
        return set().union(*(_yaml_paths(item, prefix) for item in data))
    if not isinstance(data, dict):
        return set()
    paths = set()
    for key, value in data.items():
        paths.add(f"{prefix}{key}")
        paths |= _yaml_paths(value, f"{prefix}{key}.")
    return paths


def test_the_example_file_is_valid_and_documents_every_key() -> None:
    example = Path(__file__).resolve().parents[2] / "tunestream.example.yaml"
    settings = load_settings(example)
    assert settings.kafka.local.port == 9092
    documented = _yaml_paths(yaml.safe_load(example.read_text()))
    assert _field_paths(Settings) <= documented
    first_topic = {f"kafka.topics.albums.{name}" for name in TopicSettings.model_fields}
    assert first_topic <= documented
    assert _field_paths(SourceSettings, "sources.") <= documented


# -- sources ---------------------------------------------------------------------------------


def test_sources_is_a_list_each_named_after_its_spec_by_default(tmp_path: Path) -> None:
    spec = tmp_path / "charts.yaml"
    spec.write_text("name: charts\nclient: {}\n")  # only the name is read here
    path = write(
        tmp_path,
        f"sources:\n  - {{spec: spotify, mode: full}}\n  - {{spec: {spec}, interval_s: 60}}\n"
        "  - {name: spotify-gb, spec: spotify, variables: {markets: [GB]}}\n",
    )
    sources = load_settings(path).sources
    assert [s.name for s in sources] == ["spotify", "charts", "spotify-gb"]
    assert [s.transactional_id for s in sources] == [
        "tunestream-spotify",
        "tunestream-charts",
        "tunestream-spotify-gb",
    ]
    assert (sources[0].mode, sources[1].interval_s) == ("full", 60.0)


def test_no_sources_given_is_spotify_and_the_three_that_fill_its_gaps(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert [(s.name, s.spec, s.interval_s) for s in settings.sources] == [
        ("spotify", "spotify", 3600.0),
        ("reccobeats", "reccobeats", 60.0),
        ("deezer", "deezer", 60.0),
        ("musicbrainz", "musicbrainz", 60.0),
    ]
    assert settings.producer.metrics_port == 9464


def test_source_is_the_shorthand_of_a_one_source_list(tmp_path: Path) -> None:
    path = write(tmp_path, "source:\n  mode: full\n  skip: [audio_analysis]\n")
    settings = load_settings(path)
    assert len(settings.sources) == 1
    source = settings.sources[0]
    assert (source.name, source.mode, source.skip) == ("spotify", "full", ["audio_analysis"])


def test_the_shorthands_metrics_port_is_the_producers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "source:\n  metrics_port: 9999\n")
    assert load_settings(path).producer.metrics_port == 9999
    monkeypatch.setenv("TUNESTREAM_SOURCE__METRICS_PORT", "9998")
    assert load_settings(path).producer.metrics_port == 9998


def test_settings_in_code_take_the_shorthand_too() -> None:
    settings = Settings(source={"mode": "full", "metrics_port": None})
    assert settings.sources[0].mode == "full"
    assert settings.producer.metrics_port is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "source: {mode: full}\nsources: [{spec: spotify}]\n",
            "source (one source; TUNESTREAM_SOURCE__* too) and sources (a list) are both given",
        ),
        (
            "sources: [{spec: spotify}, {spec: spotify, mode: full}]\n",
            "sources: the name spotify is given to more than one source",
        ),
        (
            "sources: [{name: a, transactional_id: t}, {name: b, transactional_id: t}]\n",
            "sources: sources a and b share the transactional id t;",
        ),
        (
            "sources: [{name: a, transactional_id: t}, {name: b, transactional_id: t.1}]\n",
            "sources: sources a and b share the transactional id t.1;",
        ),
        ("sources: []\n", "sources: List should have at least 1 item"),
        ("sources: [{name: Spotify}]\n", "sources.0.name: String should match pattern"),
        ("sources: [{spec: nowhere.yaml}]\n", "sources.0: spec 'nowhere.yaml' is no built-in"),
        ("sources: [{metrics_port: 1}]\n", "set producer.metrics_port"),
        (
            "source: {metrics_port: 1}\nproducer: {metrics_port: 2}\n",
            "source.metrics_port and producer.metrics_port are both given",
        ),
    ],
)
def test_bad_sources_are_one_clear_line(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text))
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_sources_are_chosen_by_name_in_the_configurations_order() -> None:
    settings = Settings.model_validate({"sources": [{"name": "a"}, {"name": "b"}, {"name": "c"}]})
    assert [s.name for s in named(settings.sources, ["c", "a"])] == ["a", "c"]
    assert [s.name for s in named(settings.sources, [])] == ["a", "b", "c"]
    with pytest.raises(ConfigError) as caught:
        named(settings.sources, ["a", "x"])
    assert str(caught.value) == "no source x in the configuration (sources: a, b, c)"
    assert caught.value.exit_code == 2


# -- records topics --------------------------------------------------------------------------


def test_a_key_not_configured_goes_to_a_topic_of_its_spec() -> None:
    topic = KafkaSettings().records_topic("github", "releases")
    assert topic == TopicSettings(name="github.releases", partitions=4, retention_ms=604800000)
    assert KafkaSettings().records_topic("deezer", "releases").name == "deezer.releases"


def test_the_spotify_topics_are_the_spotify_specs_alone() -> None:
    kafka = KafkaSettings.model_validate({"topics": {"tracks": {"partitions": 12}}})
    assert kafka.records_topic("spotify", "tracks").name == "spotify.tracks"
    assert kafka.records_topic("spotify", "tracks").partitions == 12
    assert kafka.records_topic("deezer", "tracks").name == "deezer.tracks"
    assert kafka.records_topic("deezer", "tracks").partitions == 4


def test_a_key_added_under_kafka_topics_is_shared_by_the_specs_that_emit_it() -> None:
    kafka = KafkaSettings.model_validate({"topics": {"charts": {"name": "music.charts"}}})
    assert kafka.records_topic("deezer", "charts").name == "music.charts"
    assert kafka.records_topic("spotify", "charts").name == "music.charts"
