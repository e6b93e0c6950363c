"""Configs: the shared sections, the core's own component configs, overrides and validation (light: no torch)."""
