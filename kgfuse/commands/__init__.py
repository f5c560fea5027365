"""Typer sub-commands of the ``kgfuse`` CLI; each is a thin wrapper on importable functions."""
