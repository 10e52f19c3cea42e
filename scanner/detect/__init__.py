"""Detect at the level of a column or a table, around the detectors of ``detectors/``.

A column's profile (``column_profile``: counts, sketches of distinct values) and what only a
whole table shows (``tables``: trajectories, media, sensitive areas).
"""
