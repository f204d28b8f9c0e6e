"""The compatibility boundary: every private attribute of a foreign package, one module each.

When Python or a library changes, these are the only files to audit:

=====================  ==========================================================
module                 what it reaches into
=====================  ==========================================================
``stdlib_random``      CPython's ``random._inst`` and the C class ``_random.Random``
``numpy_random``       ``numpy.random.mtrand._rand`` and ``RandomState._bit_generator``
``stdlib_pool``        ``multiprocessing.pool`` / ``concurrent.futures`` internals
                       (owned by the pools; see that module)
=====================  ==========================================================

Each access says which versions it was checked on. Nothing here imports more than the
package it wraps.
"""
