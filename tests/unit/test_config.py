from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from tunestream.config import DEFAULT_TOPICS, Settings, TopicSettings, load_settings, redacted
from tunestream.errors import ConfigError
from tunestream.kafka.client import client_config

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
        path = f"{prefix}{name}"
        paths.add(path)
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            paths |= _field_paths(annotation, f"{path}.")
    return paths


def _yaml_paths(data: object, prefix: str = "") -> set[str]:
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
