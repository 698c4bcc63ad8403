"""Text in, labels out: normalise, redact, detect language, spaCy pipelines, features, models, evaluation."""
