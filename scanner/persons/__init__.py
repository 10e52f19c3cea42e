"""Count: distinct natural persons from the keys of each row.

``counter`` (keys from rows, keyed hashes, per-scan counts), ``linking`` (which keys are one
person) and ``ledger`` (the year-to-date SQLite ledger of transfers).
"""
