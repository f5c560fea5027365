"""The built-in training recipes, shipped as ``kgfuse.configs`` (pyproject's package-dir):
``kgfuse train --config diagnosis`` reads ``diagnosis.yaml`` here."""
