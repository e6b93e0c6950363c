"""The `zoo` command line: one module per command, registered in app.py; printing lives here, not in tasks."""
from zoo_core.cli.app import main

__all__ = ["main"]
