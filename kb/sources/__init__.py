"""Sources: files as they come, read safely.

In: a path (a corpus data file, a PDF, a text file). Out: text (``files.read_text``,
``pdf.extract_pdf``) or parsed TOML, or a :class:`~kb.sources.files.DataError` naming
the file. Nothing here knows what a clause or a Q&A is.
"""
