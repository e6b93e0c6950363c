"""The zoo-core version, in one place (the package, artifacts and the CLI read it from here)."""
__version__ = "0.1.0"
