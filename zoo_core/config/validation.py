"""Turning pydantic validation errors into the one line a user reads."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from zoo_core.errors import ConfigError


def format_validation_error(error: ValidationError, prefix: str) -> str:
    """One line naming the first failing field, the bound it broke and the value given."""
    first = error.errors()[0]
    location = ".".join(str(part) for part in (prefix, *first["loc"]) if part != "")
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        return f"{location}: unknown setting; `zoo info` lists the settings"
    given = first.get("input")
    if isinstance(given, (dict, list)):
        return f"{location}: {message}"
    return f"{location}: {message} (got {given!r})"


def validate_model(model: type[BaseModel], value: Any, path: str) -> BaseModel:
    """``value`` validated as ``model``; a failure is one ConfigError line naming the field under ``path``."""
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: expected an object of settings, got {value!r}")
    try:
        return model.model_validate(value)
    except ValidationError as error:
        raise ConfigError(format_validation_error(error, path)) from None
