"""Read: find the inputs and turn each into Arrow record batches.

Discovery, sniffing (encoding, delimiter), transcoding, the bomb and size limits, CSV, Parquet,
folders and datasets (``files``), Delta tables and object stores (``lake``).
"""
