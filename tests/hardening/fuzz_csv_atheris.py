"""Coverage-guided fuzzing of the CSV sniffing and decoding path (atheris), for long runs.

The test suite fuzzes the same target with hypothesis for a few seconds (``test_fuzz_csv.py``);
this harness is for hours on a spare machine::

    pip install atheris
    python tests/hardening/fuzz_csv_atheris.py -max_total_time=3600 -rss_limit_mb=2048 corpus_dir/

Anything but :class:`scanner.sources.SourceError` escaping ``open_source`` is a crash.
"""

from __future__ import annotations

import os
import sys
import tempfile


def fuzz_one(data: bytes, directory: str) -> None:
    from scanner.sources import SourceError, detect_encoding, discover, open_source, sniff_delimiter

    encoding = detect_encoding(data[:65536])
    sniff_delimiter(data[:65536].decode(encoding, errors="replace"))
    path = os.path.join(directory, "input.csv")
    with open(path, "wb") as fh:
        fh.write(data)
    sources, _ = discover([path])
    try:
        stream = open_source(sources[0], block_size=1 << 16)
        for _ in stream.batches:
            pass
    except SourceError as exc:
        if "\n" in str(exc):
            raise AssertionError("a SourceError message spans several lines") from None


def main() -> None:  # pragma: no cover - needs atheris
    import atheris

    directory = tempfile.mkdtemp(prefix="chujing-atheris-")
    with atheris.instrument_imports():
        import scanner.sources  # noqa: F401

    atheris.Setup(sys.argv, lambda data: fuzz_one(data, directory))
    atheris.Fuzz()


if __name__ == "__main__":  # pragma: no cover
    main()
