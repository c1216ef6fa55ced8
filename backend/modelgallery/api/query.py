"""Query parameters shared by the list routes, bounded so that what the schema allows the
stores can answer (SQLite integers are 64-bit; a number is not a date)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query
from pydantic import BeforeValidator

MAX_OFFSET = 1_000_000_000

Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="items to skip")]


def _not_a_number(value: Any) -> Any:
    # Pydantic reads a bare number as seconds since 1970; nobody filtering by date means that.
    if isinstance(value, int | float) or (
        isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+(\.\d*)?\s*", value)
    ):
        raise ValueError("give a date and time such as 2026-12-01T00:00:00Z, not a number")
    return value


Moment = Annotated[datetime, BeforeValidator(_not_a_number)]
