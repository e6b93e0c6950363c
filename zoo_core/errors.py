"""Errors that reach the user as one line."""


class ZooError(Exception):
    """An error whose message is shown to the user as one line, without a traceback."""


class DataError(ZooError):
    """Bad or missing input data."""


class ConfigError(ZooError):
    """A config value that fails validation."""


class UnknownNameError(ZooError):
    """A model, component or store name that does not exist."""


class ArtifactError(ZooError):
    """A model file that cannot be loaded."""
