"""Config checks: a config round-trips through JSON and refuses unknown keys and out-of-bound values."""
from __future__ import annotations

import json
import types
from typing import Any, Iterator, Union, get_args, get_origin

from pydantic import BaseModel

from zoo_core.errors import ConfigError
from zoo_core.testing.common import Target, architecture_config, component_config, registry


def out_of_bounds(config_class: type[BaseModel]) -> Iterator[tuple[str, Any, str]]:
    """(field, value, bound) for a value just past each declared numeric bound."""
    for name, info in config_class.model_fields.items():
        for constraint in info.metadata:
            for bound, past in (("ge", -1), ("gt", 0), ("le", 1), ("lt", 0)):
                limit = getattr(constraint, bound, None)
                if isinstance(limit, (int, float)) and not isinstance(limit, bool):
                    step = past if isinstance(limit, int) else past * 0.5
                    yield name, limit + step, f"{bound}={limit}"


def _sections(target: Target) -> list[tuple[str, str, BaseModel]]:
    """(kind, path, config) of what the target's configs are made of."""
    if target.kind == "architecture":
        config = architecture_config(target)
        return [("encoder", "encoder", config.encoder), ("head", "head", config.head)]
    return [(target.kind, target.kind, component_config(target))]


def _validate(target: Target, kind: str, path: str, value: dict):
    if target.kind == "architecture":
        reg = registry()
        return getattr(reg.resolve(target.name, {path: value}), path)
    return registry().validate_component(kind, value, path)


def check_config_round_trips_json(target: Target) -> None:
    """The config written as JSON (what a model file stores) validates back to the same config."""
    check = "check_config_round_trips_json"
    if target.kind == "architecture":
        config = architecture_config(target)
        written = json.loads(json.dumps(config.to_dict()))
        try:
            again = registry().validate(written).to_dict()
        except ConfigError as error:
            raise target.fail(check, f"its config written as JSON does not validate ({error})",
                              "make every field JSON-serialisable and its default valid") from None
        if again != config.to_dict():
            raise target.fail(check, "its config changes when written to JSON and read back",
                              "use plain JSON types (numbers, strings, lists, objects) in config fields")
        return
    config = component_config(target)
    written = json.loads(config.model_dump_json())
    if written.get("type") != target.name:
        raise target.fail(check, f"its config writes type={written.get('type')!r}",
                          f"give the config class `type: Literal['{target.name}'] = '{target.name}'`")
    try:
        again = registry().validate_component(target.kind, written, target.kind)
    except ConfigError as error:
        raise target.fail(check, f"its config written as JSON does not validate ({error})",
                          "make every field JSON-serialisable") from None
    if again.model_dump(mode="json") != written:
        raise target.fail(check, "its config changes when written to JSON and read back",
                          "use plain JSON types in config fields")


def check_config_rejects_bad_values(target: Target) -> None:
    """An unknown setting and a value past each declared bound are refused with a ConfigError."""
    check = "check_config_rejects_bad_values"
    for kind, path, config in _sections(target):
        base = config.model_dump(mode="json")
        try:
            _validate(target, kind, path, {**base, "no_such_setting": 1})
        except ConfigError:
            pass
        else:
            raise target.fail(check, f"{path} accepts an unknown setting 'no_such_setting'",
                              "derive the config class from zoo_core.config.sections.StrictConfig (extra keys forbidden)")
        for field_name, value, bound in out_of_bounds(type(config)):
            try:
                _validate(target, kind, path, {**base, field_name: value})
            except ConfigError:
                continue
            raise target.fail(check, f"{path}.{field_name}={value!r} is accepted though its bound is {bound}",
                              "keep the bound in a pydantic Field and do not override validation")


def _is_numeric(annotation: Any) -> bool:
    """int or float, alone or in an Optional/Union (bool is a type of its own here)."""
    options = get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else (annotation,)
    return any(option in (int, float) for option in options)


def _unruly_fields(config_class: type[BaseModel], path: str) -> Iterator[tuple[str, str]]:
    """(problem, fix) for each setting that breaks the guide's config rules (docs/plugins.md, 'Configs')."""
    for name, info in config_class.model_fields.items():
        if name == "type":  # the component's name, not a setting
            continue
        where = f"{path}.{name}"
        if not (info.description or "").strip():
            yield (f"{where} has no description",
                   'give it pydantic.Field(default, description="..."): `zoo info` shows it to users')
        if _is_numeric(info.annotation):
            bounds = {bound for constraint in info.metadata for bound in ("ge", "gt", "le", "lt")
                      if getattr(constraint, bound, None) is not None}
            for side, names in (("lower", ("ge", "gt")), ("upper", ("le", "lt"))):
                if not bounds.intersection(names):
                    yield (f"{where} has no {side} bound", f"give its pydantic.Field a {side} bound ({names[0]}= or "
                           f"{names[1]}=) so a bad --set fails at once, not in training")
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):  # a nested section
            yield from _unruly_fields(info.annotation, where)


def check_config_fields_bounded_and_described(target: Target) -> None:
    """Every setting has a description, and every numeric setting a lower and an upper bound."""
    check = "check_config_fields_bounded_and_described"
    settings = 0
    for _kind, path, config in _sections(target):
        for problem, fix in _unruly_fields(type(config), path):
            raise target.fail(check, problem, fix)
        settings += sum(name != "type" for name in type(config).model_fields)
    if not settings:
        raise target.skip("its config has no settings besides type")
