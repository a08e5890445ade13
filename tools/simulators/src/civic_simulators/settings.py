"""Settings for the simulators from environment variables: `<PREFIX><FIELD NAME>`, typed by the
dataclass's annotations (str, int, float, bool, and optional str)."""

from __future__ import annotations

import dataclasses
import os
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")
TRUE = {"1", "true", "yes", "on"}


def from_env(cls: type[T], prefix: str, environ: Mapping[str, str] | None = None) -> T:
    environ = os.environ if environ is None else environ
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for item in dataclasses.fields(cls):  # type: ignore[arg-type]
        raw = environ.get(f"{prefix}{item.name.upper()}")
        if raw is None:
            continue
        kind = hints[item.name]
        if kind is bool:
            values[item.name] = raw.strip().lower() in TRUE
        elif kind is int:
            values[item.name] = int(raw)
        elif kind is float:
            values[item.name] = float(raw)
        else:  # str, or str | None where an empty value means unset
            values[item.name] = raw if raw or kind is str else None
    return cls(**values)
