"""Every access seedpool makes to another library's private internals, one module per library.

Each access is a small function here, commented with the versions it was checked on, so
a new Python or library release is checked in one place.
"""
