"""The ``moonbase`` command line: a thin layer over library functions (see :mod:`moonbase.cli.app`)."""
