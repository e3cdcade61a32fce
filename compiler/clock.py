"""Today's date: the one place charter reads the wall clock.

Everything that depends on the date (waiver expiry and its warning, the check cache's key)
asks `today()`. ``CHARTER_TODAY=YYYY-MM-DD`` fixes it, for reproducible runs and for tests.
"""
from __future__ import annotations

import datetime as _dt
import os
import re

ENV = "CHARTER_TODAY"


def today() -> _dt.date:
    """``CHARTER_TODAY`` when set, else the wall clock's date (ValueError if not YYYY-MM-DD)."""
    fixed = os.environ.get(ENV)
    if not fixed:
        return _dt.date.today()
    if not _ISO_DATE.fullmatch(fixed):  # fromisoformat also takes 20260101 and 2026-W01-1
        raise ValueError(f"{ENV} must be YYYY-MM-DD, not {fixed!r}")
    return _dt.date.fromisoformat(fixed)


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
