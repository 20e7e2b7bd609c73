"""Named kinds (auth, paginators): a config model and a class, registered together by ``type``.

The registry is the one source of truth of what a spec may name: a field validated by
:meth:`Registry.validate` checks a mapping against the discriminated union of the config models
registered *at that moment*, so registering a kind makes it valid in YAML and unregistering it
makes it unknown again — no closed union to keep in step, no model to rebuild. An unknown
``type`` is reported the way pydantic reports any wrong tag, listing the registered ones.

    @PAGINATOR_KINDS.register("every_other", EveryOtherConfig)   # type: Literal["every_other"]
    class EveryOther(Paginator): ...

Why a validator over the current union rather than a union rebuilt on registration: models that
embed the field (and the models embedding those) compile their schema once, so widening a union
in place would need every one of them rebuilt; here only the registry's cached union is.

The JSON Schema of such a field is pydantic's ``{}`` (a plain validator accepts anything, as far
as pydantic knows) unless :class:`RegistryJsonSchema` generates it: then it is the registered
kinds' schemas, one of which must match, chosen by the ``type`` each requires.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Generic, Literal, TypeVar, Union, cast, get_args, get_origin

from pydantic import BaseModel, Field, TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from tunestream.errors import ConfigError

__all__ = ["Registry", "RegistryJsonSchema"]

C = TypeVar("C", bound=BaseModel)
T = TypeVar("T")


class Registry(Generic[C, T]):
    """Kind name → (config model, implementing class whose constructor takes that config)."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._kinds: dict[str, tuple[type[C], type[T]]] = {}
        self._union: TypeAdapter[C] | None = None

    def register(self, name: str, config: type[C]) -> Callable[[type[T]], type[T]]:
        """Class decorator: make ``cls`` the implementation of kind ``name``, configured by
        ``config``, whose ``type`` field must be ``Literal[name]`` defaulting to ``name``."""
        _check_tag(name, config)

        def decorate(cls: type[T]) -> type[T]:
            if self._kinds.get(name, (config, cls)) != (config, cls):
                raise ValueError(f"{self._what} type {name!r} is already registered")
            self._kinds[name] = (config, cls)
            self._union = None
            return cls

        return decorate

    def unregister(self, name: str) -> None:
        """Forget kind ``name`` (tests, plugins being unloaded); unknown names are ignored."""
        if self._kinds.pop(name, None) is not None:
            self._union = None

    def names(self) -> list[str]:
        return sorted(self._kinds)

    def get(self, name: str) -> type[T]:
        try:
            return self._kinds[name][1]
        except KeyError:
            known = ", ".join(self.names()) or "none"
            raise ConfigError(f"unknown {self._what} type {name!r}; known: {known}") from None

    def build(self, config: C, **kwargs: Any) -> T:
        """An instance of the kind named by ``config.type``, made from ``config``."""
        factory = cast(Callable[..., T], self.get(str(getattr(config, "type", None))))
        return factory(config, **kwargs)

    def validate(self, value: Any) -> C:
        """``value`` (a mapping, or a config of a registered kind) as the config of the kind
        its ``type`` names; a pydantic ValidationError otherwise."""
        return self._adapter().validate_python(value)

    def json_schema(self, generate: Callable[[CoreSchema], JsonSchemaValue]) -> JsonSchemaValue:
        """The JSON Schema of what :meth:`validate` accepts now: one of the registered kinds'
        schemas, chosen by ``type``, which must be given; ``generate`` makes JSON Schema of a
        pydantic core schema (the generator's, so that the kinds land in its definitions)."""
        return {**generate(self._adapter().core_schema), "type": "object", "required": ["type"]}

    def _adapter(self) -> TypeAdapter[C]:
        if self._union is None:
            models = tuple(config for config, _ in self._kinds.values())
            if not models:
                raise ValueError(f"no {self._what} type is registered")
            # a union of the classes registered now, which a static checker cannot know
            union = Union[models]  # type: ignore[valid-type]  # noqa: UP007
            self._union = TypeAdapter(Annotated[union, Field(discriminator="type")])
        return self._union

    def __contains__(self, name: object) -> bool:
        return name in self._kinds


class RegistryJsonSchema(GenerateJsonSchema):
    """Pydantic's JSON Schema generator, knowing fields validated by :meth:`Registry.validate`:
    each comes out as the registry's :meth:`~Registry.json_schema`, not as ``{}``."""

    def function_plain_schema(
        self, schema: core_schema.PlainValidatorFunctionSchema
    ) -> JsonSchemaValue:
        registry = getattr(schema["function"]["function"], "__self__", None)
        if isinstance(registry, Registry):
            return registry.json_schema(self.generate_inner)
        return super().function_plain_schema(schema)


def _check_tag(name: str, config: type[BaseModel]) -> None:
    """The discriminated union needs ``type: Literal[name] = name`` on every config model."""
    declared = config.model_fields.get("type")
    if (
        declared is None
        or get_origin(declared.annotation) is not Literal
        or get_args(declared.annotation) != (name,)
        or declared.default != name
    ):
        raise TypeError(
            f"{config.__name__} must declare type: Literal[{name!r}] = {name!r} "
            f"to be registered as {name!r}"
        )
