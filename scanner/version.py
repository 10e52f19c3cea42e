"""chujing's version, in one place (``chujing --version``, reports, the incremental state)."""

__version__ = "0.1.0"
