"""causa.nlp: text in, labels out. Text preparation (normalise, redact), language detection, the spaCy pipeline,
features, estimators, the model and its files, training, evaluation and explanations. Imports nothing from
causa.storage or causa.pipelines, and not Prefect."""
