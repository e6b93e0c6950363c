"""Extension: the hook specifications, the records plugins register, discovery and the registry (no torch)."""
