"""Entry script for ``spark-submit``: the scan a ``chujing.toml`` describes, run on a cluster.

.. code-block:: bash

    spark-submit --master spark://head:7077 --py-files chujing.zip \\
        scanner/engines/spark_submit.py --config /shared/jobs/chujing.toml

The config file is the one ``chujing scan`` reads (``[scan]`` sources, sector, scenario,
subjects, person_keys, ledger, decisions...; ``[[outputs]]``); paths given after the options
replace its ``sources``. The reports are written where ``[[outputs]]`` says (JSON on stdout
when it says nothing) and the exit status is the CLI's (0, 10, 20, 30; 1 when an input could
not be scanned; 2 for a usage error), so a scheduler can act on it.
"""

from __future__ import annotations

import argparse
import os
import sys

if __name__ == "__main__":
    # Run as a script (spark-submit .../scanner/engines/spark_submit.py), Python puts this folder
    # first on sys.path, where its modules (local.py, spark.py...) would hide others of that name.
    _here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]

from scanner.options import options_from_config  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    from scanner.config import find_config, load_config
    from scanner.engines.spark import scan_spark
    from scanner.logs import setup_logging
    from scanner.report.emit import write_report
    from scanner.report.model import EXIT_BY_PATH, EXIT_ERROR, EXIT_USAGE, PATH_ORDER

    parser = argparse.ArgumentParser(prog="spark_submit.py", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="inputs (default: the config file's sources)")
    parser.add_argument("--config", help="the project config file (default: ./chujing.toml)")
    parser.add_argument("--master", help="Spark master, when not run by spark-submit (e.g. local[2])")
    parser.add_argument("--format", dest="fmt", choices=["json", "table", "md", "html"],
                        help="write one report in this format instead of the config's outputs")
    parser.add_argument("-o", "--output", help="with --format: the file to write (default stdout)")
    args = parser.parse_args(argv)
    setup_logging("warning")

    config_file = find_config(args.config)
    try:
        config = load_config(config_file) if config_file else None
        scan = dict(config.scan) if config else {}
        options = options_from_config(scan)
    except ValueError as exc:
        print(f"chujing: {exc}", file=sys.stderr)
        return EXIT_USAGE
    paths = args.paths or list(scan.get("sources", []))
    if not paths:
        print("chujing: no inputs: give paths or a chujing.toml with [scan] sources", file=sys.stderr)
        return EXIT_USAGE
    options.spark_master = args.master or scan.get("spark_master")
    try:
        report = scan_spark(paths, options)
    except (ValueError, LookupError) as exc:
        print(f"chujing: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", file=sys.stderr)
        return EXIT_USAGE
    outputs = [(args.fmt, args.output, None)] if args.fmt or args.output or not (config and config.outputs) \
        else [(o.format, o.path, o.lang) for o in config.outputs]
    for fmt, out, lang in outputs:
        try:
            write_report(report, fmt or "json", out, lang)
        except OSError as exc:
            print(f"chujing: {out}: cannot write the report ({exc.strerror or 'error'})", file=sys.stderr)
            return EXIT_ERROR
    code = report.exit_code
    fail_on = scan.get("fail_on")
    if fail_on in PATH_ORDER and code != EXIT_ERROR:
        code = EXIT_BY_PATH[report.path] if PATH_ORDER.index(report.path) >= PATH_ORDER.index(fail_on) else 0
    return code


if __name__ == "__main__":  # pragma: no cover - run by spark-submit
    sys.exit(main())
