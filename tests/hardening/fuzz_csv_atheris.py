"""Coverage-guided fuzzing of the CSV sniffing and decoding path (atheris), for long runs.

The test suite fuzzes the same target with hypothesis for a few seconds (``test_fuzz_csv.py``);
this harness is for hours on a spare machine::

    pip install atheris
    python tests/hardening/fuzz_csv_atheris.py -max_total_time=3600 -rss_limit_mb=2048 corpus_dir/

The corpus folder is seeded with the shapes of :func:`seeds` (CR-only, BOM-less UTF-16,
unbalanced quotes in one and two columns, formatted identifiers in a first row...);
``test_fuzz_csv.py`` runs each seed through the same target in every test run.

Anything but :class:`scanner.sources.files.SourceError` escaping ``open_source`` is a crash.
"""

from __future__ import annotations

import os
import sys
import tempfile


def fuzz_one(data: bytes, directory: str) -> None:
    from scanner.sources.files import SourceError, detect_encoding, discover, open_source, sniff_delimiter

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


def seeds() -> dict[str, bytes]:
    """Starting inputs with the shapes the hardening issue found: CR-only line ends, UTF-16
    without a BOM, unbalanced quotes in one and two columns, a headerless file whose first row
    holds formatted identifiers, a header of duplicates and one very long name."""
    rows = "138-0013-8000,440305 19721201 8141,E10000000\n139-0013-8000,11010519491231002X,E10000001\n"
    return {
        "cr_only.csv": "姓名,手机号\r张三,13800138000\r李四,13900139000\r".encode(),
        "utf16le_no_bom.csv": "姓名,手机号\r\n张三,13800138000\r\n".encode("utf-16-le"),
        "utf16be_no_bom.csv": "姓名,手机号\n张三,13800138000\n".encode("utf-16-be"),
        "quote_one_column.csv": b'phone\n13800138000\n"13900139000\n13700137000\n13600136000\n',
        "quote_two_columns.csv": b'name,phone\na,13800138000\nb,"13900139000\nc,13700137000\nd,13600136000\n',
        "formatted_header.csv": rows.encode(),
        "duplicates.csv": (",".join(["a"] * 200) + "\n" + ",".join(["1"] * 200) + "\n").encode(),
        "long_name.csv": b"x" * 5000 + b",b\n1,2\n",
    }


def main() -> None:  # pragma: no cover - needs atheris
    import atheris

    corpus_dirs = [a for a in sys.argv[1:] if not a.startswith("-")]
    for folder in corpus_dirs[:1]:  # seed the first corpus folder with the known shapes
        os.makedirs(folder, exist_ok=True)
        for name, data in seeds().items():
            with open(os.path.join(folder, name), "wb") as fh:
                fh.write(data)
    directory = tempfile.mkdtemp(prefix="chujing-atheris-")
    with atheris.instrument_imports():
        import scanner.sources.files  # noqa: F401

    atheris.Setup(sys.argv, lambda data: fuzz_one(data, directory))
    atheris.Fuzz()


if __name__ == "__main__":  # pragma: no cover
    main()
