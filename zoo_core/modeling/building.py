"""Building a component by name: what a plugin calls to build a nested component (a head's pooler, a
wrapper's inner encoder, a sampler picked by command-line options) without reaching into the registry."""
from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, ValidationError

from zoo_core.errors import ConfigError
from zoo_core.extension.registry import get_registry


def build_component(kind: str, config: BaseModel, *args: Any, **kwargs: Any):
    """An instance of the ``kind`` component named by ``config.type``, built as ``Class(config, *args, **kwargs)``.

    >>> build_component("pooler", config.pooling, input_dim=encoder.out_dim)
    """
    return get_registry().component(kind, str(config.type)).load()(config, *args, **kwargs)


def choose_sampler(name: str, options: Optional[dict] = None, flags: Optional[dict[str, str]] = None,
                   hints: Optional[dict[str, str]] = None):
    """The sampler ``name`` built from command-line ``options`` (unset ones left out), validated against its config.

    An option the sampler does not take, or a value out of bounds, is one ConfigError naming the flag
    (``flags`` maps a config field to its flag when they differ, e.g. ``{"width": "--beam"}``; ``hints``
    adds advice after a field's error).
    """
    options = {key: value for key, value in (options or {}).items() if value is not None}
    flags, hints = flags or {}, hints or {}
    component = get_registry().component("sampler", name)
    fields = component.config.model_fields

    def flag(field_name: str) -> str:
        return flags.get(field_name, "--" + field_name.replace("_", "-"))

    for key in options:
        if key not in fields:
            takes = ", ".join(flag(f) for f in fields if f != "type") or "no options"
            raise ConfigError(f"{flag(key)} does not apply to sampler '{name}' (it takes {takes})")
    try:
        config = component.config.model_validate({"type": name, **options})
    except ValidationError as error:
        first = error.errors()[0]
        field_name = str(first["loc"][0])
        raise ConfigError(f"{flag(field_name)}: {first['msg'].lower()} (got {first.get('input')!r})"
                          f"{hints.get(field_name, '')}") from None
    return component.load()(config)
