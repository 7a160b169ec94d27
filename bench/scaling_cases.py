"""The list, search and report routes measured for data-access scaling (one case per route).

A case fills its data at a given record count and serves one request through the real handler,
returning {"aws_calls", "items_read", "scans", "status"} (bench/counting.py does the counting).
Portals add their cases here as their list routes land."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Case:
    name: str
    run: Callable[[int], dict[str, Any]]


CASES: list[Case] = []
