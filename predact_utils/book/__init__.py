"""The book machinery: the build (papermill + Jupyter Book), the CLI, the Sphinx extension, the glue check."""
