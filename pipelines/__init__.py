"""Prefect flows, sources, settings and the `causa` command: puts nlp and storage in order."""
