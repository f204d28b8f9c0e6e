"""seedpool's version, in a module of its own: setup.cfg reads it (``attr:``) and
``_record`` stamps it into seed records, neither importing the package's ``__init__``."""

__version__ = "0.1.0"
