"""Maintainer commands, not shipped with zoo-core (run from the repository root)."""
