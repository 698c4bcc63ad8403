"""causa.pipelines: settings, source connectors, the Prefect flows and the `causa` command; puts causa.nlp and
causa.storage in order."""
