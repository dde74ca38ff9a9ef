"""Build of the C extensions; all metadata is in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        # optional: without a C compiler the install still succeeds and
        # commands/sortedset.py falls back to a pure-Python index.
        Extension("redkeep._zindex", ["src/redkeep/_zindex.c"], extra_compile_args=["-O2"], optional=True),
        # optional too: persistence/aof_writer.py falls back to its Python I/O thread.
        Extension("redkeep._aofsync", ["src/redkeep/_aofsync.c"], extra_compile_args=["-O2"], optional=True),
        # optional too: resp.py keeps its pure-Python bulk_array.
        Extension("redkeep._respenc", ["src/redkeep/_respenc.c"], extra_compile_args=["-O2"], optional=True),
    ],
)
