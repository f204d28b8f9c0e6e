"""One module per foreign package whose private internals seedpool touches."""
