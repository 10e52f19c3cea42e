"""Data-lake inputs: Delta Lake tables and object stores (fsspec URLs such as ``s3://``).

Both are optional extras (``pip install 'chujing[lake]'``): without them a Delta table or a URL
is reported as a one-line error naming the extra to install. No network connection is made
unless a URL is given.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from scanner.sources.files import (
    Source,
    SourceError,
    Stream,
    dataset_batches,
    display_path,
    kind_of,
    mask_identifiers,
    open_source,
    parquet_batches,
)

DELTA_LOG = "_delta_log"


@dataclass
class LakeSource(Source):
    """A Delta table, or a file on an object store."""

    fs: Any = None  # the fsspec filesystem of a remote file
    storage_options: dict[str, Any] = field(default_factory=dict)
    version: str | None = None  # Delta table version, or the object's ETag / mtime


def is_url(path: str) -> bool:
    return "://" in path and not path.startswith("file://")


def is_delta_table(path: str) -> bool:
    return os.path.isdir(os.path.join(path, DELTA_LOG))


def discover_lake(paths: list[str], storage_options: dict[str, Any] | None = None) -> tuple[list[Source], list[str], list[str]]:
    """Split the inputs into lake sources (Delta tables, URLs) and the local paths left over."""
    sources: list[Source] = []
    errors: list[str] = []
    rest: list[str] = []
    for path in paths:
        if is_url(path):
            try:
                sources.extend(_discover_url(path, storage_options or {}))
            except SourceError as exc:
                errors.append(str(exc))
        elif is_delta_table(path):
            try:
                sources.append(delta_source(path, storage_options or {}))
            except SourceError as exc:
                errors.append(str(exc))
        else:
            rest.append(path)
    return sources, errors, rest


def delta_source(path: str, storage_options: dict[str, Any] | None = None) -> LakeSource:
    try:
        from deltalake import DeltaTable
    except ImportError:
        raise SourceError(f"{display_path(path)}: a Delta Lake table: install the lake extra (pip install 'chujing[lake]')") from None
    try:
        table = DeltaTable(path, storage_options=storage_options or None)
        files = table.file_uris()
        version = str(table.version())
    except Exception as exc:  # deltalake raises its own error types
        raise SourceError(f"{display_path(path)}: not a readable Delta table ({type(exc).__name__})") from None
    size = sum(os.path.getsize(f) for f in files if os.path.exists(f))
    return LakeSource(path=path.rstrip("/"), kind="delta", size=size, files=files,
                      storage_options=storage_options or {}, version=version)


def _discover_url(url: str, storage_options: dict[str, Any]) -> list[LakeSource]:
    try:
        import fsspec
    except ImportError:
        raise SourceError(f"{display_path(url)}: a URL: install the lake extra (pip install 'chujing[lake]')") from None
    try:
        fs, root = fsspec.core.url_to_fs(url, **storage_options)
    except (ImportError, ValueError) as exc:
        raise SourceError(f"{display_path(url)}: no filesystem for this URL ({mask_identifiers(str(exc))}); install the lake extra") from None
    protocol = url.split("://", 1)[0]
    try:
        if any(ch in root for ch in "*?["):
            paths = sorted(fs.glob(root))
            if not paths:
                raise SourceError(f"{display_path(url)}: no file matches this pattern")
        elif fs.isdir(root):
            if fs.exists(f"{root.rstrip('/')}/{DELTA_LOG}"):
                return [delta_source(url, storage_options)]
            paths = sorted(fs.find(root))
        elif fs.exists(root):
            paths = [root]
        else:
            raise SourceError(f"{display_path(url)}: no such object")
    except SourceError:
        raise
    except Exception as exc:  # network and permission errors from the object store
        raise SourceError(f"{display_path(url)}: cannot list ({type(exc).__name__}: {mask_identifiers(str(exc).splitlines()[0][:120]) if str(exc) else ''})") from None
    out = []
    for p in paths:
        kind, compression = kind_of(p)
        if kind is None:
            continue
        info = fs.info(p)
        version = str(info.get("ETag") or info.get("mtime") or info.get("LastModified") or "")
        out.append(LakeSource(path=f"{protocol}://{p}", kind=f"remote-{kind}", size=int(info.get("size") or 0),
                              compression=compression, fs=fs, version=version))
    if not out:
        raise SourceError(f"{display_path(url)}: no CSV, TSV or Parquet files found there")
    return out


def open_lake(source: Source, block_size: int) -> Stream:
    """Open a lake source as a stream of record batches (bounded memory)."""
    if not isinstance(source, LakeSource):
        return open_source(source, block_size=block_size)
    if source.kind == "delta":
        from deltalake import DeltaTable

        dataset = DeltaTable(source.path, storage_options=source.storage_options or None).to_pyarrow_dataset()
        return Stream(iter(dataset_batches(dataset)), dataset.schema, "delta", num_rows=dataset.count_rows())
    if source.kind == "remote-parquet":
        handle = source.fs.open(source.path.split("://", 1)[1], "rb")
        pf = pq.ParquetFile(handle)

        def batches() -> Iterator[pa.RecordBatch]:
            try:
                yield from parquet_batches(pf)
            finally:
                handle.close()

        return Stream(batches(), pf.schema_arrow, "parquet", num_rows=pf.metadata.num_rows)
    raise SourceError(f"{source.display}: remote text is read through a local copy (see local_copy)")


@contextmanager
def local_copy(source: LakeSource) -> Iterator[Source]:
    """A remote text file as a local one: streamed in 8 MiB chunks to a private temporary file
    (sniffing and the spread sample need a seekable file), removed afterwards."""
    folder = tempfile.mkdtemp(prefix="chujing-")
    try:
        os.chmod(folder, 0o700)
        local = os.path.join(folder, os.path.basename(source.path) or "data")
        try:
            with source.fs.open(source.path.split("://", 1)[1], "rb") as remote, open(local, "wb") as out:
                shutil.copyfileobj(remote, out, length=8 << 20)
        except Exception as exc:  # network errors of the object store
            raise SourceError(f"{source.display}: cannot be fetched ({type(exc).__name__})") from None
        yield Source(path=local, kind="csv", size=os.path.getsize(local), compression=source.compression)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def lake_fingerprint(source: Source) -> str | None:
    """What identifies a lake source's content without reading it: Delta version, ETag, size."""
    if isinstance(source, LakeSource):
        return f"{source.kind}:{source.version}:{source.size}"
    return None
