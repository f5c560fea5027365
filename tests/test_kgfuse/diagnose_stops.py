"""A stop of ``kgfuse diagnose`` halfway, shared by the tests of ``--resume``."""

from __future__ import annotations

import pytest


def stop_diagnosis_after(monkeypatch: pytest.MonkeyPatch, records: int) -> None:
    """Make ``kgfuse diagnose`` stop (KeyboardInterrupt, as a Ctrl-C would) once it has
    diagnosed ``records`` records, for the tests of ``--resume``."""
    import kgfuse.diagnosis as diagnosis_module

    real = diagnosis_module.DiagnosisService.run
    done: list[int] = []

    def run(self, raw, index, *args, **kwargs):
        if len(done) == records:
            raise KeyboardInterrupt
        done.append(index)
        return real(self, raw, index, *args, **kwargs)

    monkeypatch.setattr(diagnosis_module.DiagnosisService, "run", run)
