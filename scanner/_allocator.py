"""Imported first by the CLI, before pyarrow: Arrow's jemalloc pool (bounded RSS on big scans), and
pyarrow's lazy import of pandas done in the main thread.

See :func:`scanner.sources.limits.prefer_lean_allocator`.
"""

from scanner.sources.limits import prefer_lean_allocator

prefer_lean_allocator()

import pyarrow as pa  # noqa: E402  (only once the allocator is chosen)

# pyarrow imports pandas the first time it converts a Python object, holding a lock of its own
# meanwhile; another thread converting at that moment from inside an import waits on it forever
# (a hang at start-up, seen about once in 30 runs of the small-files benchmark). Done here, in the main
# thread before any other thread exists, it is done once; every scan loads pandas anyway.
pa.array([0])
