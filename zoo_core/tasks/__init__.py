"""Tasks: how each kind of model reads data, batches it, is trained and scored, and predicts (records, not text)."""
