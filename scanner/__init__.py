"""chujing's scanner: files in, report out.  ``from scanner import scan``."""

from scanner.version import __version__


def scan(*args, **kwargs):
    """Scan files, folders, globs or datasets; see :func:`scanner.engines.local.scan`."""
    from scanner.engines.local import scan as _scan

    return _scan(*args, **kwargs)


__all__ = ["scan", "__version__"]
