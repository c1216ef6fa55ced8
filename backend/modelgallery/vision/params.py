"""Request parameters: coercing the values a form sends (strings) to the declared types,
within the declared bounds, with messages a person can act on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .declarations import Param


class ParamError(ValueError):
    """A parameter's value is not acceptable; the message names the parameter."""


def parse_params(declared: Mapping[str, Param], fields: Mapping[str, str]) -> dict[str, Any]:
    """A request's form fields as the model's parameters: unknown names are refused, empty
    or missing ones take their defaults."""
    unknown = sorted(set(fields) - set(declared))
    if unknown:
        known = ", ".join(declared) or "none"
        raise ParamError(f"unknown parameter '{unknown[0]}' (this model takes: {known})")
    return check_params(declared, {k: v for k, v in fields.items() if v != ""})


def with_defaults(declared: Mapping[str, Param], values: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters as a worker takes them: `values` were checked once, by the API (or by
    `predict_image` for in-process callers), so nothing is checked again; a declared
    parameter left out takes its default."""
    return {
        key: param.default if values.get(key) is None else values[key]
        for key, param in declared.items()
    }


def check_params(declared: Mapping[str, Param], values: Mapping[str, Any]) -> dict[str, Any]:
    """Every declared parameter, from `values` or its default, checked against its bounds.
    Names not declared are ignored."""
    checked: dict[str, Any] = {}
    for key, param in declared.items():
        value = values.get(key)
        if value is None:
            checked[key] = param.default
            continue
        try:
            checked[key] = validate_param(param, value)
        except ValueError as exc:
            named = f"{param.label} ('{key}')" if param.label else f"the parameter '{key}'"
            raise ParamError(f"{named} {exc}") from None
    return checked


def validate_param(param: Param, value: Any) -> Any:
    """Coerce a request value (often a string from a form) and check its bounds. Raises
    ValueError with a message a person can act on."""
    if value is None:
        return None
    if param.type == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise ValueError("must be true or false")
    if param.type in ("float", "int"):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError("must be a number") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError("must be a finite number")
        if param.type == "int":
            if number != int(number):
                raise ValueError("must be a whole number")
            number = int(number)
        if param.min is not None and number < param.min:
            raise ValueError(f"must be at least {param.min:g}")
        if param.max is not None and number > param.max:
            raise ValueError(f"must be at most {param.max:g}")
        return number
    if param.type == "list":
        items = value if isinstance(value, list) else [v for v in str(value).split(",") if v]
        items = [str(i).strip() for i in items if str(i).strip()]
        if param.choices is not None:
            bad = [i for i in items if i not in param.choices]
            if bad:
                raise ValueError(f"has unknown item(s): {', '.join(bad[:5])}")
        return items
    text = str(value)
    if param.choices is not None and text not in param.choices:
        raise ValueError(f"must be one of: {', '.join(param.choices)}")
    if len(text) > 200:
        raise ValueError("is too long (200 characters at most)")
    return text
