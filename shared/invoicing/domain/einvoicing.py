"""E-invoicing facts the rest of the code agrees on: the Factur-X profiles we issue."""

from __future__ import annotations

#: MINIMUM and BASIC WL carry no lines: they are not complete invoices and are not offered.
FACTURX_PROFILES = ("basic", "en16931", "extended")
#: EN 16931, the complete semantic invoice, is what the French reform's platforms expect.
DEFAULT_FACTURX_PROFILE = "en16931"
