"""E-invoicing facts the rest of the code agrees on: the Factur-X profiles we issue, and how
long an issued document is kept."""

from __future__ import annotations

from datetime import date, timedelta

#: MINIMUM and BASIC WL carry no lines: they are not complete invoices and are not offered.
FACTURX_PROFILES = ("basic", "en16931", "extended")
#: EN 16931, the complete semantic invoice, is what the French reform's platforms expect.
DEFAULT_FACTURX_PROFILE = "en16931"

#: Invoices are accounting records: kept 10 years from the END of the fiscal year they belong to
#: (Code de commerce L123-22), so one issued in January lives almost 11 years. 4018 days = 11
#: years: the bucket's lifecycle and the Object Lock retention both use it.
RETENTION_DAYS = 4018


def retained_until(issued: date) -> date:
    """The day an issued document may be deleted at the earliest."""
    return issued + timedelta(days=RETENTION_DAYS)
