"""Run a scan: read, detect, count and map, file by file.

``local`` (one machine, streaming), ``incremental`` (the state file of ``--state``), ``spark``
(the same per-file scan on a cluster) and ``spark_submit`` (its ``spark-submit`` entry script).
"""
