"""Straight from Google Sheets: the business's sheet, pulled on a schedule and on demand, goes
through exactly the path of a dropped export.

``SheetPull.pull()`` reads the sheet (``adapters.sheets``: the Sheets API v4 with the stack's
service-account key from Secrets Manager, or the sheet's "publish to the web" CSV link) and
writes what it read to ``incoming/sheets/<name>-<UTC time>.csv``: a snapshot kept for the audit
trail, which S3 announces to the generate function like any upload. The import then invoices the
new, ready rows only (``domain.rows``: the rows invoiced before are recognised and skipped), and
a bad row refuses that snapshot with the usual report and alert. Two pulls at once write two
snapshots; the rows ledger bills each row once.

A sheet that cannot be read (not shared with the service account, a wrong id, a renamed tab, a
revoked key, Google unreachable) is an alert naming the cause and what to do; nothing is issued,
and the next scheduled pull tries again. A sheet with a header and no row writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from invoicing.adapters.documents import DocumentStore
from invoicing.adapters.messaging import Alerts
from invoicing.adapters.sheets import SheetsClient, SheetSource, SheetUnavailable
from invoicing.settings import SheetSettings

SNAPSHOT_PREFIX = "incoming/sheets/"

_WHAT_TO_DO = {
    "forbidden": "partagez la feuille (lecture) avec l'adresse du compte de service / share the sheet "
    "(viewer) with the service account's address",
    "not_found": "vérifiez l'identifiant de la feuille (GoogleSheetId) / check the spreadsheet id",
    "bad_range": "l'onglet a été renommé ou supprimé : corrigez GoogleSheetRange / the tab was renamed "
    "or deleted: fix GoogleSheetRange",
    "revoked": "la clé du compte de service a été révoquée : créez-en une et mettez-la dans le secret / "
    "the service account key was revoked: put a new one in the secret",
    "bad_secret": "le secret ne contient pas une clé de compte de service JSON / the secret does not hold "
    "a service account JSON key",
    "unreachable": "Google ne répond pas : nouvel essai au prochain passage / Google did not answer: "
    "tried again at the next pull",
    "too_large": "la feuille dépasse 20 Mo / the sheet exceeds 20 MB",
    "empty": "la feuille est vide / the sheet is empty",
}


@dataclass(frozen=True, slots=True)
class Pulled:
    #: The snapshot written (None: nothing written, see ``reason``).
    key: str | None
    rows: int
    reason: str | None = None


class SheetPull:
    def __init__(
        self,
        *,
        settings: SheetSettings,
        documents: DocumentStore,
        alerts: Alerts,
        business_name: str,
        client: SheetsClient | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_rows: int = 20_000,
        max_bytes: int = 10 * 1024 * 1024,
    ) -> None:
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.settings = settings
        self.documents = documents
        self.alerts = alerts
        self.business_name = business_name
        self.client = client or SheetsClient(
            secret_id=settings.secret_id,
            **({"api_base": settings.api_base} if settings.api_base else {}),
            allow_loopback=settings.loopback,
        )
        self.now = now

    def source(self) -> SheetSource:
        s = self.settings
        if s.spreadsheet_id is not None:
            return SheetSource.api(s.spreadsheet_id, s.range)
        assert s.csv_url is not None
        return SheetSource.published(s.csv_url, allow_loopback=s.loopback)

    def pull(self) -> Pulled:
        try:
            source = self.source()
        except ValueError as exc:  # the parameters name no sheet Google knows how to serve
            self.alerts.publish(
                f"[{self.business_name}] Google Sheet: réglages invalides / invalid settings",
                f"{exc}. Corrigez GoogleSheetId, GoogleSheetRange ou GoogleSheetCsvUrl.",
            )
            return Pulled(None, 0, "bad_settings")
        try:
            data = self.client.pull(source)
        except SheetUnavailable as exc:
            self.alerts.publish(
                f"[{self.business_name}] Google Sheet illisible / unreadable: {exc.reason}",
                f"La feuille {source.describe()} n'a pas pu être lue ({exc.reason}) : "
                f"{exc.detail}\n\nQue faire / what to do : {_WHAT_TO_DO.get(exc.reason, '-')}.\n"
                "Rien n'a été facturé ; la feuille sera lue de nouveau au prochain passage "
                "(ou : invoicing pull). / Nothing was invoiced; the sheet is read again at the next pull.",
            )
            return Pulled(None, 0, exc.reason)
        rows = max(0, len([line for line in data.splitlines() if line.strip(b"\xef\xbb\xbf;\r\n\t ")]) - 1)
        if rows == 0:
            return Pulled(None, 0, "no_rows")
        if rows > self.max_rows or len(data) > self.max_bytes:
            self.alerts.publish(
                f"[{self.business_name}] Google Sheet trop grande / too large",
                f"La feuille {source.describe()} a {rows:,} lignes ({len(data):,} octets) ; "
                f"un import en prend {self.max_rows:,} lignes et {self.max_bytes:,} octets au plus. "
                "Déplacez les lignes déjà facturées vers un autre onglet (sans risque avec une "
                "colonne id ; sans elle, gardez les lignes identiques ensemble). / The sheet exceeds "
                "what one import takes: move invoiced rows to another tab (safe with an id column).",
            )
            return Pulled(None, rows, "too_large")
        key = f"{SNAPSHOT_PREFIX}{self.settings.name}-{self.now():%Y%m%dT%H%M%S%fZ}.csv"
        self.documents.put(key, data, "text/csv; charset=utf-8")
        return Pulled(key, rows)
