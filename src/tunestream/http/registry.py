"""Named kinds (auth, paginators) looked up by the ``type`` of their config.

A new kind is a config model, a class, and the registry's decorator on the class; nothing else
changes. An unknown name is a :class:`~tunestream.errors.ConfigError` that lists the known ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

from tunestream.errors import ConfigError

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """Kind name → implementing class (whose constructor takes the kind's config first)."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._kinds: dict[str, type[T]] = {}

    def register(self, name: str) -> Callable[[type[T]], type[T]]:
        """Class decorator: make ``cls`` the implementation of kind ``name``."""

        def decorate(cls: type[T]) -> type[T]:
            if name in self._kinds and self._kinds[name] is not cls:
                raise ValueError(f"{self._what} type {name!r} is already registered")
            self._kinds[name] = cls
            return cls

        return decorate

    def unregister(self, name: str) -> None:
        """Forget kind ``name`` (tests, plugins being unloaded); unknown names are ignored."""
        self._kinds.pop(name, None)

    def names(self) -> list[str]:
        return sorted(self._kinds)

    def get(self, name: str) -> type[T]:
        try:
            return self._kinds[name]
        except KeyError:
            known = ", ".join(self.names()) or "none"
            raise ConfigError(f"unknown {self._what} type {name!r}; known: {known}") from None

    def build(self, config: Any, **kwargs: Any) -> T:
        """An instance of the kind named by ``config.type``, made from ``config``."""
        factory = cast(Callable[..., T], self.get(str(config.type)))
        return factory(config, **kwargs)

    def __contains__(self, name: object) -> bool:
        return name in self._kinds
