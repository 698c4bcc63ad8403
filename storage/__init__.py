"""Lake tables: schemas, atomic partition writes, readers. Knows nothing of Prefect or NLP internals."""
