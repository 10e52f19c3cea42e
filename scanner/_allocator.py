"""Imported first by the CLI, before pyarrow: Arrow's jemalloc pool (bounded RSS on big scans).

See :func:`scanner.sources.limits.prefer_lean_allocator`.
"""

from scanner.sources.limits import prefer_lean_allocator

prefer_lean_allocator()
