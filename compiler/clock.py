"""Today's date: the one place charter reads the wall clock.

Everything that depends on the date (waiver expiry and its warning, the check cache's key)
asks `today()`. ``CHARTER_TODAY=YYYY-MM-DD`` fixes it, for reproducible runs and for tests.
"""
from __future__ import annotations

import datetime as _dt
import os

ENV = "CHARTER_TODAY"


def today() -> _dt.date:
    """``CHARTER_TODAY`` when set, else the wall clock's date (ValueError if not YYYY-MM-DD)."""
    fixed = os.environ.get(ENV)
    return _dt.date.fromisoformat(fixed) if fixed else _dt.date.today()
