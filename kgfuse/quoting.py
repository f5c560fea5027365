"""How messages quote what a user gave: cut short, so a huge input never floods a reply."""

from __future__ import annotations

__all__ = ["clip"]


def clip(text: str, limit: int) -> str:
    """``text`` when it has at most ``limit`` characters, else its start and ``...`` within
    ``limit`` characters."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
