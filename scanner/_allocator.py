"""Imported first by the CLI, before pyarrow: Arrow's jemalloc pool (bounded RSS on big scans); and
:func:`import_pandas_in_main_thread`, which every command that reads data calls before it starts a
thread.

See :func:`scanner.sources.limits.prefer_lean_allocator`.
"""

from scanner.sources.limits import prefer_lean_allocator

prefer_lean_allocator()


def import_pandas_in_main_thread() -> None:
    """Have pyarrow import pandas now, in the calling (main) thread, before any other thread exists.

    pyarrow imports pandas the first time it converts a Python object, holding a lock of its own
    meanwhile; another thread converting at that moment from inside an import waits on it forever
    (a hang at start-up, seen about once in 30 runs of the small-files benchmark). Done here, before
    the command starts its threads, it is done once. Every scan loads pandas anyway; the commands
    that read no data (``--version``, ``--help``, ``rules``, ``assess``) never call this and so do
    not pay for pandas (~0.5 s) or pyarrow.
    """
    import pyarrow as pa

    pa.array([0])
