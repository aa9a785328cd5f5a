"""The business's calendar day: invoices are dated in the stack's time zone (Europe/Paris)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

# The IANA database travels with the function: Lambda's Amazon Linux 2023 image does not
# guarantee /usr/share/zoneinfo, and zoneinfo falls back to this package.
import tzdata  # noqa: F401


def today(time_zone: str) -> date:
    return datetime.now(ZoneInfo(time_zone)).date()
