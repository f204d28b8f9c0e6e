"""seedpool._engines."""
