from __future__ import annotations

import re
from typing import Any, Literal

import httpx
import pytest
from pydantic import SecretStr, TypeAdapter, ValidationError

from tests.support.rest import make_client
from tunestream.errors import ConfigError
from tunestream.http.auth import build_auth
from tunestream.http.models import (
    AUTH_KINDS,
    PAGINATOR_KINDS,
    AuthConfig,
    HeaderCursorPaginatorConfig,
    LinkHeaderPaginatorConfig,
    NoAuthConfig,
    OAuth2ClientCredentialsConfig,
    OAuth2RefreshTokenConfig,
    OffsetPaginatorConfig,
    PaginatorConfig,
    PaginatorConfigBase,
    RateLimitConfig,
    RestClientConfig,
)
from tunestream.http.paginators import PageRequest, Paginator, build_paginator
from tunestream.http.registry import Registry
from tunestream.http.testing import run_in_virtual_time as run

pytestmark = [pytest.mark.unit, pytest.mark.timeout(10)]


def test_the_registries_know_the_built_in_kinds() -> None:
    assert AUTH_KINDS.names() == [
        "api_key",
        "basic",
        "bearer",
        "none",
        "oauth2_client_credentials",
        "oauth2_refresh_token",
    ]
    assert PAGINATOR_KINDS.names() == [
        "cursor",
        "header_cursor",
        "link_header",
        "next_url",
        "offset",
        "page_number",
        "single",
    ]


def test_an_unknown_kind_is_a_config_error_listing_the_known_ones() -> None:
    class Strange(PaginatorConfigBase):
        type: str = "zigzag"

    with pytest.raises(ConfigError) as caught:
        build_paginator(Strange())
    assert str(caught.value) == (
        "unknown paginator type 'zigzag'; known: cursor, header_cursor, link_header, next_url, "
        "offset, page_number, single"
    )
    with pytest.raises(
        ConfigError,
        match=r"known: api_key, basic, bearer, none, oauth2_client_credentials, "
        r"oauth2_refresh_token$",
    ):
        build_auth(NoAuthConfig.model_construct(type="kerberos"))


def test_a_wrong_type_in_yaml_names_the_allowed_values() -> None:
    with pytest.raises(ValidationError) as caught:
        RestClientConfig.model_validate({"base_url": "https://x.test", "auth": {"type": "oauth"}})
    text = str(caught.value)
    for name in (
        "'none'",
        "'bearer'",
        "'api_key'",
        "'basic'",
        "'oauth2_client_credentials'",
        "'oauth2_refresh_token'",
    ):
        assert name in text
    with pytest.raises(ValidationError, match="'offset', 'next_url', 'cursor', 'page_number'"):
        TypeAdapter(PaginatorConfig).validate_python({"type": "ofset"})


@pytest.mark.parametrize(
    "data",
    [
        {"base_url": "https://x.test", "retry": {"attemps": 3}},  # typo: unknown key
        {"base_url": "x.test"},  # not an absolute URL
        {"base_url": "https://x.test", "rate_limit": {"requests_per_second": 0}},
        {
            "base_url": "https://x.test",
            "rate_limit": {"requests_per_second": 1, "min_requests_per_second": 2},
        },
    ],
)
def test_invalid_configs_are_refused(data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        RestClientConfig.model_validate(data)


def test_configs_are_frozen_and_paths_checked() -> None:
    config = RateLimitConfig()
    with pytest.raises(ValidationError):
        config.requests_per_second = 1
    with pytest.raises(ValidationError):
        OffsetPaginatorConfig(total_path="albums..total")
    with pytest.raises(ValidationError):
        OffsetPaginatorConfig(start_offset=2000, max_offset=1000)


class EveryOtherConfig(PaginatorConfigBase):
    type: Literal["every_other"] = "every_other"
    pages: int = 3


class EveryOther(Paginator):
    """A kind defined outside the package: page=1, 3, 5 …"""

    def __init__(self, config: EveryOtherConfig) -> None:
        super().__init__()
        self.left = config.pages
        self.page = 1

    def init_request(self, request: PageRequest) -> PageRequest:
        return request.with_params(page=self.page)

    def update_state(self, body: Any, records: list[Any], headers: httpx.Headers) -> None:
        self.left -= 1
        self.page += 2
        self.has_next_page = self.left > 0

    def update_request(self, request: PageRequest) -> PageRequest:
        return request.with_params(page=self.page)


def test_a_new_kind_is_a_class_and_a_decorator() -> None:
    PAGINATOR_KINDS.register("every_other", EveryOtherConfig)(EveryOther)
    try:
        pages_asked: list[str] = []

        async def handler(request: httpx.Request) -> httpx.Response:
            pages_asked.append(request.url.params["page"])
            return httpx.Response(200, json=[1])

        async def scenario() -> int:
            async with make_client(handler) as api:
                return len([p async for p in api.paginate("x", paginator=EveryOtherConfig())])

        assert run(scenario()) == 3
        assert pages_asked == ["1", "3", "5"]
    finally:
        PAGINATOR_KINDS.unregister("every_other")
    assert "every_other" not in PAGINATOR_KINDS


def test_a_name_cannot_be_taken_twice() -> None:
    class A(PaginatorConfigBase):
        type: Literal["a"] = "a"

    registry: Registry[PaginatorConfigBase, object] = Registry("thing")
    registry.register("a", A)(int)
    registry.register("a", A)(int)  # the same class again is harmless
    with pytest.raises(ValueError, match="already registered"):
        registry.register("a", A)(str)


def accepted(field: Any) -> set[str]:
    """The ``type`` values a field accepts, as its error for an unknown one lists them."""
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(field).validate_python({"type": "no-such-kind"})
    (error,) = caught.value.errors()
    assert error["type"] == "union_tag_invalid"
    return set(re.findall(r"'([a-z0-9_]+)'", error["ctx"]["expected_tags"]))


def test_the_registry_is_what_a_spec_may_name() -> None:
    assert accepted(AuthConfig) == {
        "none",
        "bearer",
        "api_key",
        "basic",
        "oauth2_client_credentials",
        "oauth2_refresh_token",
    }
    assert accepted(PaginatorConfig) == {
        "single",
        "offset",
        "next_url",
        "cursor",
        "page_number",
        "link_header",
        "header_cursor",
    }
    assert accepted(AuthConfig) == set(AUTH_KINDS.names())
    assert accepted(PaginatorConfig) == set(PAGINATOR_KINDS.names())
    PAGINATOR_KINDS.register("every_other", EveryOtherConfig)(EveryOther)
    try:
        assert "every_other" in accepted(PaginatorConfig)
        config = TypeAdapter(PaginatorConfig).validate_python({"type": "every_other", "pages": 2})
        assert config == EveryOtherConfig(pages=2)
        assert isinstance(build_paginator(config), EveryOther)
        with pytest.raises(ValidationError, match=r"every_other\.pages"):
            TypeAdapter(PaginatorConfig).validate_python({"type": "every_other", "pages": "x"})
    finally:
        PAGINATOR_KINDS.unregister("every_other")
    assert accepted(PaginatorConfig) == set(PAGINATOR_KINDS.names())
    assert "every_other" not in accepted(PaginatorConfig)


def test_a_kind_is_serialized_with_its_own_fields() -> None:
    config = RestClientConfig.model_validate(
        {"base_url": "https://x.test", "auth": {"type": "bearer", "token": "t"}}
    )
    assert config.model_dump()["auth"] == {"type": "bearer", "token": SecretStr("t")}


def test_a_config_model_must_name_its_kind() -> None:
    class Loose(PaginatorConfigBase):
        type: str = "loose"

    class Other(PaginatorConfigBase):
        type: Literal["other"] = "other"

    with pytest.raises(TypeError, match=r"Loose must declare type: Literal\['loose'\] = 'loose'"):
        PAGINATOR_KINDS.register("loose", Loose)
    with pytest.raises(TypeError, match="to be registered as 'mismatch'"):
        PAGINATOR_KINDS.register("mismatch", Other)
    assert "loose" not in PAGINATOR_KINDS and "mismatch" not in PAGINATOR_KINDS


REFRESH = {
    "type": "oauth2_refresh_token",
    "token_url": "https://auth.example.test/token",
    "client_id": "abc",
    "refresh_token": "r0",
}
CLIENT = {
    "type": "oauth2_client_credentials",
    "token_url": "https://auth.example.test/token",
    "client_id": "abc",
    "client_secret": "xyz",
}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"type": "basic", "username": "", "password": "p"}, "username", "at least 1 character"),
        ({"type": "basic", "username": "a:b", "password": "p"}, "username", "cannot contain ':'"),
        ({"type": "basic", "username": "ana", "password": ""}, "password", "an empty value"),
        ({**CLIENT, "audience": ""}, "audience", "at least 1 character"),
        ({**CLIENT, "client_auth": "header"}, "client_auth", "'basic' or 'body'"),
        ({**REFRESH, "refresh_token": ""}, "refresh_token", "an empty value is no credential"),
        ({**REFRESH, "refresh_token": None}, "refresh_token", "Input should be a valid string"),
        ({**REFRESH, "client_secret": ""}, "client_secret", "an empty value is no credential"),
        ({**REFRESH, "client_auth": "form"}, "client_auth", "'basic' or 'body'"),
        ({**REFRESH, "token_url": "auth.example.test"}, "token_url", "absolute http(s) URL"),
        ({**REFRESH, "client_id": ""}, "client_id", "at least 1 character"),
        ({**REFRESH, "refresh_skew_s": -1}, "refresh_skew_s", "greater than or equal to 0"),
        ({**REFRESH, "default_expires_in_s": 0}, "default_expires_in_s", "greater than 0"),
        ({**REFRESH, "audience": "x"}, "audience", "Extra inputs are not permitted"),
    ],
)
def test_a_wrong_auth_key_is_refused_naming_it(
    data: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(AuthConfig).validate_python(data)
    (error,) = caught.value.errors()
    assert error["loc"] == (data["type"], field)
    assert message in error["msg"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"type": "header_cursor"}, "cursor_header", "Field required"),
        (
            {"type": "header_cursor", "cursor_header": "Next Cursor:"},
            "cursor_header",
            "an HTTP header name such as 'X-Next-Cursor' is expected",
        ),
        (
            {"type": "header_cursor", "cursor_header": "X-Cursor", "cursor_param": ""},
            "cursor_param",
            "at least 1 character",
        ),
        ({"type": "link_header", "rel": "next"}, "rel", "Extra inputs are not permitted"),
    ],
)
def test_a_wrong_paginator_key_is_refused_naming_it(
    data: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(PaginatorConfig).validate_python(data)
    (error,) = caught.value.errors()
    assert error["loc"] == (data["type"], field)
    assert message in error["msg"]


def test_the_new_kinds_are_valid_in_yaml_with_their_defaults() -> None:
    auth = TypeAdapter(AuthConfig).validate_python(REFRESH)
    assert isinstance(auth, OAuth2RefreshTokenConfig)
    assert (auth.client_secret, auth.client_auth, auth.scope) == (None, "basic", None)
    assert "r0" not in repr(auth) and "r0" not in auth.model_dump_json()
    client = TypeAdapter(AuthConfig).validate_python({**CLIENT, "client_auth": "body"})
    assert isinstance(client, OAuth2ClientCredentialsConfig)
    assert (client.client_auth, client.audience) == ("body", None)
    pager = TypeAdapter(PaginatorConfig).validate_python(
        {"type": "header_cursor", "cursor_header": "X-Next-Page"}
    )
    assert pager == HeaderCursorPaginatorConfig(cursor_header="X-Next-Page", cursor_param="cursor")
    assert TypeAdapter(PaginatorConfig).validate_python({"type": "link_header"}) == (
        LinkHeaderPaginatorConfig()
    )
