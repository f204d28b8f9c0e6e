"""seedpool._cli."""
