"""Where data comes from: files, folders, globs, hive-partitioned Parquet datasets, Delta
tables and object stores (URLs), each found by the reader of its format
(:mod:`scanner.sources.registry`) and opened through :func:`open_source`.

Everything is read as a stream of Arrow record batches so that memory does not grow with the
size of a file. Inputs are untrusted. Whatever is wrong with one (binary junk, a decompression
bomb, an encoding that changes half-way, a row with a field too many, a FIFO, a file that
vanishes) ends in a :class:`SourceError` whose message names the problem and where it is (byte
offset, line, row number) but never quotes the data: error messages are printed, logged and
kept in reports. This module is also the one door to the package: what its readers share is
importable from here.
"""

from __future__ import annotations

import errno
import glob
import hashlib
import os
import stat
from pathlib import Path
from typing import Any

from scanner.sources import limits
from scanner.sources.base import (
    COMPRESSION_SUFFIXES,
    DEFAULT_BLOCK_SIZE,
    Reader,
    Source,
    SourceError,
    Stream,
)
from scanner.sources.delimited import (
    NULL_VALUES,
    SNIFF_BYTES,
    detect_encoding,
    sniff_delimiter,
    utf16_without_bom,
)
from scanner.sources.lake import delta_source, is_delta_table, is_url, url_sources
from scanner.sources.names import (
    column_names,
    display_path,
    identifier_cells,
    mask_identifiers,
    mask_identifiers_in,
    named_after_person,
)
from scanner.sources.opening import describe_read_error, open_binary
from scanner.sources.parquet import dataset_batches, dataset_files, is_hive_dataset, parquet_batches
from scanner.sources.registry import DATASET, READ_TYPES, reader_for

__all__ = [
    "DEFAULT_BLOCK_SIZE", "NULL_VALUES", "PAUSE_ENV", "PAUSE_SECONDS_ENV", "READ_TYPES", "SNIFF_BYTES",
    "Reader", "Source", "SourceError", "Stream", "check_unchanged", "column_names", "content_fingerprint", "dataset_batches",
    "describe_read_error", "detect_encoding", "discover", "discover_lake", "display_path", "file_state",
    "identifier_cells", "mask_identifiers", "mask_identifiers_in", "named_after_person", "not_read_reason", "open_binary", "open_source",
    "parquet_batches", "pause_between_reads", "sniff_delimiter", "utf16_without_bom",
]

# Kept for callers that read them; the values in force come from scanner.sources.limits.
MAX_EXPANSION_RATIO = limits.MAX_EXPANSION_RATIO
MAX_EXPANSION_FLOOR = limits.MAX_DECOMPRESSED_MB << 20


# --- discovery --------------------------------------------------------------------------------

def not_read_reason(name: str) -> str:
    """Why a file of this name is not read, in words (the skipped list's reason).

    >>> not_read_reason("contract.docx")
    'not a type chujing reads (.docx)'
    >>> not_read_reason("README")
    'no extension: its type cannot be told from its name'
    """
    base = os.path.basename(name)
    if base.startswith("~$"):
        return "an Office lock file of a workbook open for editing (not data)"
    if base.startswith("."):
        return "hidden file"
    suffixes = Path(base.lower()).suffixes
    if not suffixes or base.endswith("."):
        return "no extension: its type cannot be told from its name"
    if suffixes[-1] in COMPRESSION_SUFFIXES and len(suffixes) > 1:
        return f"not a type chujing reads ({''.join(suffixes[-2:])}: compressed Parquet, Excel or another type)"
    return f"not a type chujing reads ({suffixes[-1]})"


def _os_reason(exc: OSError, path: str) -> str:
    """Why ``path`` cannot be used, from an OSError, in words (never the data)."""
    if exc.errno == errno.ELOOP:
        return "symbolic link loop (too many levels of symbolic links)"
    if exc.errno == errno.ENOENT:
        return "broken symbolic link" if os.path.islink(path) else "no such file or directory"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return exc.strerror.lower() if exc.strerror else "cannot be read"


def discover(paths: list[str], table_source=None,
             skipped: list[dict[str, str]] | None = None) -> tuple[list[Source], list[str]]:
    """Expand files, folders (recursively) and globs into sources.

    Returns the sources and one-line errors (``path: reason``) for inputs that cannot be
    scanned at all. Symbolic links to folders found inside a folder are not followed (no loops,
    no wandering out of the tree): each is reported so that nothing is skipped silently. Files
    inside a folder that are not read (another type, no extension, hidden, an Office lock
    file) and hidden folders are appended to ``skipped`` as ``{"path", "reason"}``, paths
    shown as reports show them.

    Which reader reads a file is the registry's word (:func:`scanner.sources.registry.reader_for`);
    a reader may make several sources of one file: a workbook is one per sheet
    (``file.xlsx#sheet``, see :mod:`scanner.sources.excel`).

    A folder holding ``_delta_log`` is a Delta Lake table, never a pile of Parquet files (its
    files include versions the table has removed): ``table_source(path)`` makes its source, or
    raises :class:`SourceError`; without it the folder is reported.
    """
    sources: list[Source] = []
    errors: list[str] = []
    seen: set[str] = set()

    def error(path: str, reason: str) -> None:
        errors.append(f"{display_path(path)}: {reason}")

    def skip(path: str, reason: str) -> None:
        if skipped is not None:
            skipped.append({"path": display_path(path), "reason": reason})

    def add_file(path: str, explicit: bool) -> None:
        real = os.path.realpath(path)
        if real in seen:
            return
        reader, compression = reader_for(path)
        if reader is None:
            if explicit:
                error(path, f"{not_read_reason(path)}; chujing reads {READ_TYPES}")
            else:
                skip(path, not_read_reason(path))
            return
        try:
            st = os.stat(path)
        except OSError as exc:
            error(path, _os_reason(exc, path))
            return
        if not stat.S_ISREG(st.st_mode):
            error(path, "not a regular file (a FIFO, device or socket is not scanned)")
            return
        refused = reader.not_an_export(path)
        if refused:
            (error if explicit else skip)(path, refused)
            return
        seen.add(real)
        try:
            found, not_read = reader.sources(path, st.st_size, compression)
        except SourceError as exc:
            errors.append(str(exc))
            return
        sources.extend(found)
        for part, reason in not_read:
            skip(part, reason)

    def add_table(directory: str) -> None:
        if table_source is None:
            error(directory, "a Delta Lake table: install the lake extra (pip install 'chujing[lake]')")
            return
        try:
            sources.append(table_source(directory))
        except SourceError as exc:
            errors.append(str(exc))

    def add_dir(directory: str) -> None:
        found_before, errors_before = len(sources), len(errors)
        if os.path.isdir(os.path.join(directory, "_delta_log")):
            add_table(directory)
            return
        if is_hive_dataset(directory):
            files = dataset_files(directory)
            if files:
                sources.append(DATASET.folder_source(directory.rstrip("/"), files))
                seen.update(os.path.realpath(f) for f in files)
                return

        def walk_error(exc: OSError) -> None:
            error(exc.filename or directory, _os_reason(exc, exc.filename or directory))

        for root, dirs, files in os.walk(directory, followlinks=False, onerror=walk_error):
            dirs.sort()
            keep = []
            for d in dirs:
                full = os.path.join(root, d)
                if d.startswith("."):
                    skip(full, "hidden folder, not scanned")
                    continue
                if os.path.isdir(os.path.join(full, "_delta_log")) and not os.path.islink(full):
                    add_table(full)
                    continue
                if os.path.islink(full):
                    error(full, "symbolic link to a folder, not followed (pass its target to scan it)")
                    continue
                files_ = dataset_files(full) if is_hive_dataset(full) else []
                if files_:
                    sources.append(DATASET.folder_source(full, files_))
                    seen.update(os.path.realpath(f) for f in files_)
                else:
                    keep.append(d)
            dirs[:] = keep
            for name in sorted(files):
                full = os.path.join(root, name)
                if name.startswith("."):
                    skip(full, not_read_reason(name))
                    continue
                add_file(full, explicit=False)
        if len(sources) == found_before and len(errors) == errors_before:
            error(directory, "no CSV, TSV, Parquet, Excel or JSON file found in this folder")

    for raw in paths:
        path = os.fsdecode(raw)
        if any(ch in path for ch in "*?[") and not os.path.exists(path):
            matches = sorted(glob.glob(path, recursive=True))
            if not matches:
                error(path, "no file matches this pattern")
            for m in matches:
                if os.path.isdir(m):
                    add_dir(m)
                else:
                    add_file(m, explicit=False)
            continue
        if not os.path.lexists(path):
            error(path, "no such file or directory")
        elif os.path.isdir(path):
            add_dir(path)
        else:
            add_file(path, explicit=True)
    return sources, errors



def discover_lake(paths: list[str], storage_options: dict[str, Any] | None = None) -> tuple[list[Source], list[str], list[str]]:
    """Split the inputs into lake sources (Delta tables, URLs) and the local paths left over."""
    sources: list[Source] = []
    errors: list[str] = []
    rest: list[str] = []
    for path in paths:
        if is_url(path):
            try:
                sources.extend(url_sources(path, storage_options or {}, reader_for))
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


# --- the input unchanged between its two reads -----------------------------------------------

def file_state(source: Source) -> tuple | None:
    """What changes when a file is written to while it is scanned: its size and modification
    time (each file of a dataset). The scan reads a file twice (a sample, then every row): a
    file changed between the two is failed, never counted short. None when it cannot be known
    (remote and table sources have their own versions)."""
    paths = source.reader.local_files(source)
    if not paths:
        return None
    out = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            out.append(None)
            continue
        out.append((st.st_size, st.st_mtime_ns))
    return tuple(out)


def content_fingerprint(path: str, edge_bytes: int, names_and_times: bool = False) -> str:
    """BLAKE2b-128 of a file's size and its first and last ``edge_bytes`` (a Parquet footer is
    in the last), as hex. ``names_and_times``: each file's path and modification time are hashed
    too and a folder's files are taken in order (the incremental state's form: a file touched is
    scanned again); without: the content alone (the ledger's form, of a transfer's files). Both
    forms are stored on disk, in state files and ledgers: neither may change. ``OSError`` when a
    file cannot be read (a folder, without ``names_and_times``)."""
    paths = [path] if not (names_and_times and os.path.isdir(path)) else sorted(
        os.path.join(root, f) for root, _, files in os.walk(path) for f in files)
    h = hashlib.blake2b(digest_size=16)
    for p in paths:
        st = os.stat(p)
        h.update(f"{p}\0{st.st_size}\0{st.st_mtime_ns}\0".encode("utf-8", "surrogateescape") if names_and_times
                 else str(st.st_size).encode())
        with open(p, "rb") as f:
            h.update(f.read(edge_bytes))
            if st.st_size > 2 * edge_bytes:
                f.seek(-edge_bytes, os.SEEK_END)
                h.update(f.read(edge_bytes))
    return h.hexdigest()


# Test hook (like the ledger's): when set to a path, a scan that reads a file twice (a sample,
# then every row) writes that file between the two reads and waits until it is removed (at most
# 60 s, or CHUJING_TEST_PAUSE_SECONDS), so that a test can change the file in between through
# the real command.
PAUSE_ENV = "CHUJING_TEST_PAUSE_BETWEEN_READS"
PAUSE_SECONDS_ENV = "CHUJING_TEST_PAUSE_SECONDS"


def pause_between_reads() -> None:
    marker = os.environ.get(PAUSE_ENV)
    if not marker:
        return
    import time

    Path(marker).write_text("between the two reads\n")
    deadline = time.monotonic() + float(os.environ.get(PAUSE_SECONDS_ENV, "60"))
    while os.path.exists(marker) and time.monotonic() < deadline:
        time.sleep(0.02)


def check_unchanged(source: Source, before: tuple | None) -> None:
    """Raise :class:`SourceError` when ``source`` is not as it was when its scan began."""
    if before is None:
        return
    now = file_state(source)
    # A file removed since it was opened was still read whole through its open handle.
    if any(b != n for b, n in zip(before, now or (), strict=False) if n is not None):
        raise SourceError(f"{source.display}: the file changed while it was scanned (its size or modification "
                          f"time differs between the two reads): not counted; scan it again once it is complete")


def open_source(source: Source, block_size: int = DEFAULT_BLOCK_SIZE) -> Stream:
    """The input's record batches, opened by its reader: the one way every engine reads."""
    return source.reader.open(source, block_size=block_size)


def _open_binary(source: Source):
    return open_binary(source)
