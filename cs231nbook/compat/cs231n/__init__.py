"""The CS231n Assignment 2 starter's package, backed by cs231nbook (see :mod:`cs231nbook.compat`)."""
