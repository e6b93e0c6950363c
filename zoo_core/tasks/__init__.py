"""Tasks: how each kind of model reads data, batches it, is scored and shows its output."""
