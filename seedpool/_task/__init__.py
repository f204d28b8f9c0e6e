"""seedpool._task."""
