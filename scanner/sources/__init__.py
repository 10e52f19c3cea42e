"""Read: find the inputs and turn each into Arrow record batches.

One reader per format behind one interface (``base.Reader``): ``delimited`` (CSV, TSV),
``parquet`` (files and hive datasets), ``excel``, ``json_records``, ``lake`` (Delta tables, object
stores). ``registry`` lists them; ``files`` discovers inputs by asking it and opens every source
through its reader (``open_source``); ``sample`` reads a sample spread over an input.
"""
