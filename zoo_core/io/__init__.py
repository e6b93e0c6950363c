"""Files: the model file format, the local model store, atomic writes (pure Python: no torch)."""
