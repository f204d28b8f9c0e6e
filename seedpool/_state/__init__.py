"""seedpool._state."""
