"""Linked question answering over a KG and the fused model (``kgfuse ask``, ``POST /ask``)."""

from kgfuse.qa.answers import Answer, AnswerItem
from kgfuse.qa.questions import Intent
from kgfuse.qa.service import QAService, QuestionError

__all__ = ["Answer", "AnswerItem", "Intent", "QAService", "QuestionError"]
