"""Name -> class registries whose unknown names fail with the list of choices."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class UnknownChoiceError(KeyError):
    """A name is not in a registry; the message lists the registered names."""

    def __init__(self, kind: str, name: str, choices: list[str]) -> None:
        self.kind = kind
        self.name = name
        self.choices = choices
        super().__init__(f"unknown {kind} {name!r}; choices: {', '.join(choices)}")

    def __str__(self) -> str:  # KeyError quotes its argument; keep the message readable
        return str(self.args[0])


class Registry(dict[str, T]):
    """A ``dict`` from lower-case names to components.

    Looking up a missing name raises :class:`UnknownChoiceError` listing the choices;
    :meth:`resolve` also accepts the component itself (a class or an instance) and returns
    it unchanged, as PyKEEN's resolvers do.

    Args:
        kind (str): What the registry holds, for error messages (``"graph encoder"``).
        entries (dict): The initial name -> component entries.
    """

    def __init__(self, kind: str, entries: dict[str, T]) -> None:
        super().__init__(entries)
        self.kind = kind

    def __missing__(self, name: str) -> T:
        raise UnknownChoiceError(self.kind, name, sorted(self))

    def resolve(self, query: str | T) -> T:
        """The component registered as ``query`` (case-insensitive), or ``query`` itself."""
        if isinstance(query, str):
            return self[query.lower()]
        return query
