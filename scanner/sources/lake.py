"""Data-lake inputs: Delta Lake tables and object stores (fsspec URLs such as ``s3://``).

Both are optional extras (``pip install 'chujing[lake]'``): without them a Delta table or a URL
is reported as a one-line error naming the extra to install. No network connection is made
unless a URL is given.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from scanner.sources.base import DEFAULT_BLOCK_SIZE, Reader, Source, SourceError, Stream
from scanner.sources.delimited import CSV
from scanner.sources.names import display_path, mask_identifiers
from scanner.sources.parquet import PARQUET, dataset_batches, parquet_batches

DELTA_LOG = "_delta_log"


@dataclass
class LakeSource(Source):
    """A Delta table, or a file on an object store."""

    fs: Any = None  # the fsspec filesystem of a remote file
    storage_options: dict[str, Any] = field(default_factory=dict)
    version: str | None = None  # Delta table version, or the object's ETag / mtime


class LakeReader(Reader):
    """A source in a lake: read where it is (never counted from its sample, never stat-ed)."""

    counted_from_sample = False

    def __init__(self, kind: str, copy_first: bool = False):
        self.kind = kind
        self.copy_first = copy_first

    def claims(self, path: str, suffix: str, compression: str | None) -> bool:
        return False  # found by :func:`delta_source` and :func:`url_sources`

    def open(self, source: Source, block_size: int = DEFAULT_BLOCK_SIZE) -> Stream:
        raise SourceError(f"{source.display}: remote text is read through a local copy (see local_copy)")

    def local_files(self, source: Source) -> list[str]:
        return []

    def content_version(self, source: Source) -> str | None:
        """Delta version, ETag or modification time, and size: what identifies the content."""
        return f"{source.kind}:{getattr(source, 'version', None)}:{source.size}"

    def local_copy(self, source: Source):
        return local_copy(source)


class DeltaReader(LakeReader):
    """A Delta Lake table: the files of its current version, never the folder's Parquet files."""

    def open(self, source: Source, block_size: int = DEFAULT_BLOCK_SIZE) -> Stream:
        from deltalake import DeltaTable

        dataset = DeltaTable(source.path, storage_options=source.storage_options or None).to_pyarrow_dataset()
        return Stream(iter(dataset_batches(dataset)), dataset.schema, "delta", num_rows=dataset.count_rows())


class RemoteParquetReader(LakeReader):
    """A Parquet file on an object store, streamed a row group at a time."""

    def open(self, source: Source, block_size: int = DEFAULT_BLOCK_SIZE) -> Stream:
        handle = source.fs.open(source.path.split("://", 1)[1], "rb")
        pf = pq.ParquetFile(handle)

        def batches() -> Iterator[pa.RecordBatch]:
            try:
                yield from parquet_batches(pf)
            finally:
                handle.close()

        return Stream(batches(), pf.schema_arrow, "parquet", num_rows=pf.metadata.num_rows)


DELTA = DeltaReader("delta")
# A file on an object store, by the reader of its name: text is read through a local copy.
REMOTE: dict[Reader, Reader] = {CSV: LakeReader("remote-csv", copy_first=True),
                                PARQUET: RemoteParquetReader("remote-parquet")}


def remote_reader(local: Reader) -> Reader:
    """The reader of a remote file that ``local`` reads on disk (other formats are not read remotely)."""
    if local not in REMOTE:
        REMOTE[local] = LakeReader(f"remote-{local.kind}")
    return REMOTE[local]


def is_url(path: str) -> bool:
    return "://" in path and not path.startswith("file://")


def is_delta_table(path: str) -> bool:
    return os.path.isdir(os.path.join(path, DELTA_LOG))


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
    return LakeSource(path=path.rstrip("/"), reader=DELTA, size=size, files=files,
                      storage_options=storage_options or {}, version=version)


def url_sources(url: str, storage_options: dict[str, Any],
                reader_for: Callable[[str], tuple[Reader | None, str | None]]) -> list[LakeSource]:
    """The sources at a URL (a file, a folder, a glob, a Delta table); ``reader_for(name)``
    says which reader reads a file of that name, and its compression."""
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
        local, compression = reader_for(p)
        if local is None:
            continue
        info = fs.info(p)
        version = str(info.get("ETag") or info.get("mtime") or info.get("LastModified") or "")
        out.append(LakeSource(path=f"{protocol}://{p}", reader=remote_reader(local), size=int(info.get("size") or 0),
                              compression=compression, fs=fs, version=version))
    if not out:
        raise SourceError(f"{display_path(url)}: no CSV, TSV or Parquet files found there")
    return out


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
        yield Source(path=local, reader=CSV, size=os.path.getsize(local), compression=source.compression)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
