"""Config changes from the user: `--set key.path=value`, `--config FILE`, keyword arguments, and the
deep merge that applies them to an architecture's defaults."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from zoo_core.errors import ConfigError


def parse_set_value(raw: str) -> Any:
    """`--set key=value`: the value is JSON when it parses, else a plain string."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def parse_set_options(items: list[str] | tuple[str, ...]) -> dict:
    """Turn ["encoder.hidden_size=64", ...] into a nested dict."""
    nested: dict = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item!r}: expected KEY.PATH=VALUE, for example --set encoder.hidden_size=64")
        set_path(nested, key.strip(), parse_set_value(raw))
    return nested


def set_path(target: dict, dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        child = target.get(part)
        if isinstance(child, str):  # "pooling": "max" then pooling.heads=2
            child = {"type": child}
        if not isinstance(child, dict):
            child = {}
        target[part] = child
        target = child
    target[parts[-1]] = value


def flatten(nested: dict, prefix: str = "") -> dict:
    """The inverse of set_path: ``{"a": {"b": 1}}`` -> ``{"a.b": 1}`` (an empty section stays a value)."""
    flat = {}
    for key, value in nested.items():
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def read_config_file(path: str | Path) -> dict:
    """Read a TOML or JSON config file into a dict."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist; give a TOML or JSON file to --config")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".toml":
            import tomllib

            return tomllib.loads(text)
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path}:{error.lineno}: not valid JSON ({error.msg}); fix the file or use TOML") from None
    except Exception as error:  # tomllib.TOMLDecodeError carries the line in its message
        raise ConfigError(f"{path}: not valid TOML ({error})") from None


INHERITED_KEYS = "__inherited__"  # defaults carried over from a component's previous type


def as_component(value: Any) -> Any:
    """A component given by name is shorthand for {"type": name}."""
    return {"type": value} if isinstance(value, str) else value


def merge_config(base: dict, override: dict) -> dict:
    """Deep-merge ``override`` into a copy of ``base``.

    When an override switches a component to another type, only the defaults that the new
    type shares stay (a GRU takes an LSTM's sizes but not an option only LSTMs have).
    """
    merged = copy.deepcopy(base)
    for key, value in override.items():
        old = merged.get(key)
        if isinstance(value, (dict, str)) and isinstance(old, (dict, str)) and (
            isinstance(value, dict) or isinstance(old, dict)
        ):
            old_dict, new_dict = as_component(old), as_component(value)
            if isinstance(old_dict, dict) and isinstance(new_dict, dict) and (
                "type" not in new_dict or "type" not in old_dict or new_dict["type"] == old_dict["type"]
            ):
                merged[key] = merge_config(old_dict, new_dict)
                continue
            if isinstance(old_dict, dict) and isinstance(new_dict, dict):
                inherited = [k for k in old_dict if k != "type" and k not in new_dict]
                merged[key] = {**old_dict, **new_dict, INHERITED_KEYS: inherited}
                continue
        merged[key] = copy.deepcopy(value)
    return merged


def keyword_overrides(kwargs: dict) -> dict:
    """Python keyword arguments as config changes: ``encoder__hidden_size=64`` and ``encoder={"hidden_size": 64}`` both become nested dicts."""
    nested: dict = {}
    for key, value in kwargs.items():
        if "__" in key:
            set_path(nested, key.replace("__", "."), value)
        else:
            nested = merge_config(nested, {key: value})
    return nested


SECTIONS = ("tokenizer", "embedding", "encoder", "head", "data", "training")


def check_keywords(function: str, given, known, config=None) -> None:
    """A keyword ``function`` does not take is a TypeError naming it and the closest match: a keyword it takes,
    or (with ``config``) a setting, written ``section__name``."""
    import difflib

    known = list(known)
    settings = [f"{section}__{name}" for section in SECTIONS if config is not None
                for name in type(getattr(config, section)).model_fields] if config is not None else []
    for keyword in given:
        if keyword in known:
            continue
        leaf = [setting for setting in settings if setting.split("__", 1)[1] == keyword]
        close = leaf or difflib.get_close_matches(keyword, known + settings, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else f" (it takes {', '.join(sorted(known))})"
        raise TypeError(f"{function}() got an unexpected keyword argument {keyword!r}{hint}")
