"""causa.storage: tables and files. Schemas, lake rows, the lake, its lock and source state, the model registry
and which version is active, training runs and promotion, summaries, alerts, impact and the report. Uses
causa.nlp's models and labels; imports nothing from causa.pipelines, and not Prefect."""
