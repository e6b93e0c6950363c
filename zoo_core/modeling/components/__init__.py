"""The core's own torch components (registered through the same hooks as any plugin)."""
