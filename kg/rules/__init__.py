"""Symbolic rule checks of decisions against the KG (see ``kg.rules.engine``)."""
