"""Imported first by the CLI, before pyarrow: Arrow's jemalloc pool (bounded RSS on big scans).

See :func:`scanner.limits.prefer_lean_allocator`.
"""

from scanner.limits import prefer_lean_allocator

prefer_lean_allocator()
