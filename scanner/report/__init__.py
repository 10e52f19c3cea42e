"""Report: the report model and its renderings.

``model`` (the report as data, its exit codes), ``render`` (table, Markdown, JSON) and
``html_page`` (the standalone HTML report).
"""
