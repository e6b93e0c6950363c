"""Errors that reach the user as one line."""
import unicodedata


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


def one_line(text: str) -> str:
    """``text`` safe to print on one terminal line: control and format characters (escape sequences, newlines,
    bidi overrides) shown as escapes, e.g. ``\\x1b``, so text from a file cannot move the cursor or recolour."""
    return "".join(char if unicodedata.category(char) not in ("Cc", "Cf", "Zl", "Zp") else
                   ascii(char)[1:-1] for char in str(text))
