"""A study's result as titled tables: each a DataFrame with a key, a title and notes."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class Section:
    """One titled table of measurements, with notes that belong under it."""

    key: str
    title: str
    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)
