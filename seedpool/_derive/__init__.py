"""seedpool._derive."""
