"""Minimise: what to change before the export leaves, and making the change.

``plan`` (which change lowers the path required), ``plan_render``, ``deid`` (masking,
generalising, keyed pseudonyms) and ``redact`` (writing the changed copy).
"""
