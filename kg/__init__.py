"""kgfuse's knowledge-graph layer: ontology loaders, the store, vocabulary, SPARQL, shapes, rules.

The lowest layer: it imports nothing from ``encoders``, ``fusion``, ``eval``, ``train`` or
``kgfuse``. Start with :class:`kg.knowledge_graph.KnowledgeGraph` and :func:`kg.store.build_kg`.
"""
