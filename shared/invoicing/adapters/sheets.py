"""Pulling a Google Sheet's values as the CSV bytes a dropped export would be.

Two ways, named by a ``SheetSource``:

- the Sheets API v4 (``SheetSource.api(spreadsheet_id, range)``): ``values.get`` on the range, in
  A1 notation (``Heures!A1:K``), with the values as the sheet shows them (``FORMATTED_VALUE``:
  "1 234,50 €", "15/03/2026", the text a formula displays) and a bearer token for a service
  account whose JSON key is kept in Secrets Manager. google-auth signs the JWT grant and asks
  the key's ``token_uri`` for the token (through its urllib3 transport: no ``requests``); the
  credentials are kept while the token is valid, so a warm function asks for one token an hour.
  google-auth (and the cryptography it signs with: ~0.25 s) is imported at the first token, so
  a function that never pulls from the API does not pay for it at cold start;
- the sheet's "publish to the web" CSV link (``SheetSource.published(url)``), for businesses
  that prefer it: no key, the link itself is the secret.

``SheetsClient.pull`` returns UTF-8 CSV with a BOM, ``;`` between cells and CRLF line ends
(``to_csv``), which ``invoicing.ingest.table.read_table`` reads exactly like a dropped file:
Google leaves out a row's trailing empty cells, so every row is padded to the header's width
(the first non-blank row). Values are passed on as Google gives them: a formula's text, a
megabyte in one cell or a control character are for the importer to refuse with its usual
report. A sheet holding only its header gives a header-only CSV (which ``read_table`` refuses
as ``no_rows``: the caller decides whether that is "nothing new").

Every failure is one exception, ``SheetUnavailable(reason, detail)``, whose ``detail`` says
what to do (share the sheet with the service account named, fix the tab name, store a new key)
and never holds the key or the token. Little is retried here (google-auth tries a token request
that meets a 5xx three times; a token the API refuses is replaced once): the next pull is the
retry.

=============== =============================================================================
reason          when
=============== =============================================================================
forbidden       403: the sheet is not shared with the service account (its ``client_email``
                is in the detail), the Sheets API is not enabled in the key's project, or the
                link is not a published CSV
not_found       404: no spreadsheet with this id, or the published link leads nowhere
bad_range       400 "Unable to parse range": the tab was renamed or deleted
revoked         the token endpoint answers ``invalid_grant`` (the key was revoked or deleted),
                or the API keeps refusing fresh tokens
unreachable     network errors, timeouts (10 s per connection and read), 429 and 5xx answers,
                answers that are not the JSON or CSV expected
bad_secret      the secret is missing, unreadable or not a service-account key JSON
too_large       an answer over ``max_bytes`` (20 MB)
empty           no cells at all, not even a header (a header alone is a header-only CSV)
=============== =============================================================================
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin, urlsplit

import urllib3
from botocore.exceptions import BotoCoreError, ClientError

from invoicing.adapters.aws import client
from invoicing.domain.text import forbidden_characters, quoted

if TYPE_CHECKING:
    from google.oauth2.service_account import Credentials

#: The only scope asked for: reading sheets, never writing them.
SCOPES = ("https://www.googleapis.com/auth/spreadsheets.readonly",)
API_BASE = "https://sheets.googleapis.com"
#: Seconds allowed to connect, and between two reads of an answer.
TIMEOUT_S = 10.0
#: Seconds allowed for a whole answer to arrive (a 20 MB answer trickling in stops here).
ANSWER_DEADLINE_S = 60.0
#: Largest answer read (bytes, once decompressed); a larger one is ``too_large``.
MAX_BYTES = 20 * 1024 * 1024
#: Error answers are read up to this size, the rest ignored.
MAX_ERROR_BYTES = 64 * 1024
#: A service-account key file is about 2.3 KB.
MAX_SECRET_BYTES = 64 * 1024
MAX_REDIRECTS = 5
MAX_RANGE = 200

REASONS = frozenset(
    {"forbidden", "not_found", "bad_range", "revoked", "unreachable", "bad_secret", "too_large", "empty"}
)

_SPREADSHEET_ID = re.compile(r"[A-Za-z0-9_-]{20,100}")
_ID_IN_URL = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]{20,100})")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
#: Where a key's ``token_uri`` may point (keys created before 2019 name accounts.google.com).
_TOKEN_HOSTS = frozenset({"oauth2.googleapis.com", "accounts.google.com", "www.googleapis.com"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_LOOPBACK = "127.0.0.1"
_UTF8_BOM = b"\xef\xbb\xbf"


class SheetUnavailable(Exception):
    """The sheet could not be pulled: ``reason`` (one of ``REASONS``) and what to do about it."""

    def __init__(self, reason: str, detail: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown reason {reason!r}")
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


# --- what to pull ------------------------------------------------------------------------------


def _loopback_url(parts: Any) -> bool:
    return parts.scheme == "http" and parts.hostname == _LOOPBACK and parts.port is not None


@dataclass(frozen=True, slots=True)
class SheetSource:
    """A sheet to pull: ``spreadsheet_id`` and ``range`` (Sheets API v4), or ``csv_url`` (the
    "publish to the web" CSV link). ``allow_loopback`` lets ``csv_url`` be
    ``http://127.0.0.1:<port>/…`` (tests and the demo's stub). Invalid values raise
    ``ValueError`` naming the field: a stack's settings fail at start, not at the first pull."""

    spreadsheet_id: str | None = None
    range: str | None = None
    csv_url: str | None = None
    allow_loopback: bool = False

    def __post_init__(self) -> None:
        if self.csv_url is not None:
            if self.spreadsheet_id is not None or self.range is not None:
                raise ValueError("a sheet source is either spreadsheet_id and range, or csv_url, not both")
            _check_csv_url(self.csv_url, allow_loopback=self.allow_loopback)
            return
        if self.spreadsheet_id is None or self.range is None:
            raise ValueError("a sheet source needs spreadsheet_id and range (or csv_url)")
        _check_spreadsheet_id(self.spreadsheet_id)
        _check_range(self.range)

    @classmethod
    def api(cls, spreadsheet_id: str, range: str) -> SheetSource:
        return cls(spreadsheet_id=spreadsheet_id, range=range)

    @classmethod
    def published(cls, csv_url: str, *, allow_loopback: bool = False) -> SheetSource:
        return cls(csv_url=csv_url, allow_loopback=allow_loopback)

    @property
    def kind(self) -> str:
        """``api`` or ``csv``."""
        return "csv" if self.csv_url is not None else "api"

    def describe(self) -> str:
        """How alerts name the source (the CSV link's key is shortened: it grants read access)."""
        if self.csv_url is not None:
            parts = urlsplit(self.csv_url)
            path = parts.path if len(parts.path) <= 40 else parts.path[:37] + "…"
            return f"published sheet {parts.netloc}{path}"
        return f"spreadsheet {self.spreadsheet_id} range {self.range}"


def _check_spreadsheet_id(value: str) -> None:
    if not isinstance(value, str) or not _SPREADSHEET_ID.fullmatch(value):
        found = _ID_IN_URL.search(value) if isinstance(value, str) else None
        hint = (
            f"; the id in that address is {found.group(1)}"
            if found
            else "; it is the part of the sheet's address between /d/ and /edit"
        )
        raise ValueError(
            f"spreadsheet_id {quoted(str(value), 60)!r} is not a Google spreadsheet id "
            f"(20-100 letters, digits, - and _){hint}"
        )


def _check_range(value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("range is empty: give the tab and the columns, e.g. Heures!A1:K")
    if len(value) > MAX_RANGE:
        raise ValueError(f"range is {len(value)} characters long, at most {MAX_RANGE}")
    refused = forbidden_characters(value)
    if refused or _CONTROLS.search(value):
        shown = ", ".join(refused) or "control characters"
        raise ValueError(f"range {quoted(value, 60)!r} holds invisible or control characters ({shown})")


def _check_csv_url(value: str, *, allow_loopback: bool) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError("csv_url is empty")
    if len(value) > 2000 or re.search(r"\s", value) or _CONTROLS.search(value):
        raise ValueError("csv_url is not a plain link (spaces, control characters or over 2000 characters)")
    parts = urlsplit(value)
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"csv_url {quoted(value, 80)!r} has an invalid port") from exc
    if parts.username is not None or parts.password is not None:
        raise ValueError("csv_url must not carry a user name or password")
    if allow_loopback and _loopback_url(parts):
        return
    if parts.scheme != "https" or parts.hostname != "docs.google.com" or port not in (None, 443):
        raise ValueError(
            f"csv_url {quoted(value, 80)!r} is not a Google Sheets link: it must start with "
            "https://docs.google.com/spreadsheets/d/ (File > Share > Publish to the web, as CSV)"
        )
    if not parts.path.startswith("/spreadsheets/d/"):
        raise ValueError(
            f"csv_url {quoted(value, 80)!r} is not a published sheet: its path must start with "
            "/spreadsheets/d/ (File > Share > Publish to the web, as CSV)"
        )


def _redirect_allowed(url: str, *, allow_loopback: bool) -> bool:
    """Google sends a published CSV from docs.google.com or a *.googleusercontent.com host."""
    parts = urlsplit(url)
    if allow_loopback and _loopback_url(parts):
        return True
    host = parts.hostname or ""
    return (
        parts.scheme == "https"
        and parts.username is None
        and (host == "docs.google.com" or host.endswith(".googleusercontent.com"))
    )


# --- the CSV handed to the importer ------------------------------------------------------------


def to_csv(rows: Sequence[Sequence[str]]) -> bytes:
    """``rows`` as UTF-8 CSV with a BOM, ``;`` between cells and CRLF line ends.

    Each row is padded with empty cells to the header's width (the first row with a non-empty
    cell); a longer row is kept as it is, for the importer to report. The header's cells are all
    quoted, so a ``,`` or a tab in a column name never makes the importer take it for the
    delimiter; other cells are quoted when they hold ``;``, ``"`` or a line break. A lone
    surrogate (which no UTF-8 can hold) becomes U+FFFD for the importer to refuse.
    """
    if not rows:
        raise ValueError("no rows")
    header_at = next((i for i, row in enumerate(rows) if any(cell != "" for cell in row)), 0)
    width = len(rows[header_at])
    out = io.StringIO(newline="")
    header = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    body = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    for index, row in enumerate(rows):
        cells = list(row)
        if index > header_at and len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        (header if index == header_at else body).writerow(cells)
    text = _SURROGATE.sub("\ufffd", "\ufeff" + out.getvalue())
    return text.encode("utf-8")


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):  # before int: True is an int
        return "TRUE" if value else "FALSE"
    if value is None:
        return ""
    if isinstance(value, int | float):
        return json.dumps(value)
    raise TypeError(type(value).__name__)


# --- the secret --------------------------------------------------------------------------------


def secrets_manager_string(secret_id: str) -> str:
    """The secret's ``SecretString`` from AWS Secrets Manager (the default ``secrets``)."""
    answer = client("secretsmanager").get_secret_value(SecretId=secret_id)
    value = answer.get("SecretString")
    if not isinstance(value, str):
        raise SheetUnavailable(
            "bad_secret",
            f"The secret {secret_id} holds binary data: store the service account's JSON key as "
            "the secret's text (Secrets Manager: Plaintext).",
        )
    return value


@dataclass(frozen=True, slots=True)
class _Key:
    """What is known of the key without holding it: for details and rotation."""

    client_email: str
    project_id: str
    private_key_id: str


# --- the client --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes


class SheetsClient:
    """Pulls sheets. ``secret_id`` names the Secrets Manager secret holding the service account's
    JSON key (needed for API sources only); ``secrets(secret_id)`` returns its text (Secrets
    Manager by default; tests pass their own). ``api_base`` and keys whose ``token_uri`` is on
    loopback are accepted only with ``allow_loopback=True`` (the stub)."""

    def __init__(
        self,
        *,
        secret_id: str | None = None,
        secrets: Callable[[str], str] = secrets_manager_string,
        api_base: str = API_BASE,
        allow_loopback: bool = False,
        timeout: float = TIMEOUT_S,
        max_bytes: int = MAX_BYTES,
        http: urllib3.PoolManager | None = None,
    ) -> None:
        parts = urlsplit(api_base)
        if not (
            (parts.scheme == "https" and parts.hostname == "sheets.googleapis.com")
            or (allow_loopback and _loopback_url(parts))
        ):
            raise ValueError(f"api_base must be {API_BASE}, not {quoted(api_base, 80)!r}")
        self.secret_id = secret_id
        self.api_base = api_base.rstrip("/")
        self.allow_loopback = allow_loopback
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._secrets = secrets
        self._http = http or urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=timeout, read=timeout), retries=False, maxsize=4
        )
        self._lock = threading.Lock()
        self._credentials: Credentials | None = None
        self._key: _Key | None = None

    def __repr__(self) -> str:  # never the key nor the token
        return f"SheetsClient(secret_id={self.secret_id!r}, api_base={self.api_base!r})"

    def pull(self, source: SheetSource) -> bytes:
        """The sheet as CSV bytes (see ``to_csv``); ``SheetUnavailable`` when it cannot be had."""
        if source.kind == "csv":
            return self._published_csv(source)
        return to_csv(self._api_rows(source))

    def forget_token(self) -> None:
        """Drop the cached credentials: the next API pull reads the secret and asks for a token."""
        with self._lock:
            self._credentials = None
            self._key = None

    # --- Sheets API v4

    def _api_rows(self, source: SheetSource) -> list[list[str]]:
        assert source.spreadsheet_id is not None
        assert source.range is not None
        url = (
            f"{self.api_base}/v4/spreadsheets/{source.spreadsheet_id}/values/{quote(source.range, safe='')}"
            "?valueRenderOption=FORMATTED_VALUE&dateTimeRenderOption=FORMATTED_STRING&majorDimension=ROWS"
        )
        for _ in range(2):
            token = self._token()
            answer = self._get(url, {"Authorization": f"Bearer {token}", "Accept": "application/json"})
            if answer.status != 401:
                break
            # A token refused before its time: the key was just revoked, or rotated. Once more,
            # with the secret read again and a new token.
            key = self._key_or_unknown()
            self.forget_token()
        else:
            raise SheetUnavailable(
                "revoked",
                f"Google refuses the tokens of the service account {key}: its key was probably "
                f"revoked or deleted; create a new JSON key for {key} and store it in the secret "
                f"{self.secret_id}.",
            )
        if answer.status != 200:
            raise self._api_error(answer, source)
        try:
            document = json.loads(answer.body)
        except ValueError as exc:
            raise SheetUnavailable(
                "unreachable",
                f"Google Sheets answered {source.describe()} with something that is not JSON "
                f"({_sample(answer.body)}); the next pull will try again.",
            ) from exc
        return _values(document, source)

    def _api_error(self, answer: _Answer, source: SheetSource) -> SheetUnavailable:
        message, google_status, reasons = _google_error(answer.body)
        said = f'Google said "{quoted(message, 160)}"' if message else f"HTTP {answer.status}"
        if answer.status == 403:
            key = self._key_or_unknown()
            project = self._key.project_id if self._key else "of the key"
            if "SERVICE_DISABLED" in reasons or "has not been used in project" in message:
                return SheetUnavailable(
                    "forbidden",
                    f"The Google Sheets API is not enabled in the Google Cloud project {project} "
                    f"({said}): enable it (APIs & Services > Library > Google Sheets API) for the "
                    f"service account {key}.",
                )
            return SheetUnavailable(
                "forbidden",
                f"Google refuses to show spreadsheet {source.spreadsheet_id} to the service account "
                f"{key} ({said}): share the sheet with {key} (Share, as Viewer).",
            )
        if answer.status == 404:
            return SheetUnavailable(
                "not_found",
                f"There is no spreadsheet {source.spreadsheet_id} ({said}): check the id, the part of "
                "the sheet's address between /d/ and /edit.",
            )
        if answer.status == 400 and "Unable to parse range" in message:
            return SheetUnavailable(
                "bad_range",
                f"Google cannot read the range {quoted(source.range or '', 80)} of spreadsheet "
                f"{source.spreadsheet_id} ({said}): the tab was probably renamed or deleted; give "
                "the tab's current name in the range.",
            )
        return SheetUnavailable(
            "unreachable",
            f"Google Sheets answered HTTP {answer.status} {google_status} for {source.describe()} "
            f"({said}); the next pull will try again.",
        )

    # --- the token

    def _token(self) -> str:
        with self._lock:
            fresh_key = self._credentials is None
            if self._credentials is None:
                self._credentials = self._load_credentials()
            credentials = self._credentials
            if credentials.valid:
                return str(credentials.token)
            try:
                self._refresh(credentials)
            except SheetUnavailable as exc:
                self._credentials = None
                if exc.reason != "revoked" or fresh_key:
                    raise
                # The key kept from an earlier pull was refused: the secret may hold a new one.
                old = self._key
                credentials = self._load_credentials()
                if (
                    old is not None
                    and self._key is not None
                    and self._key.private_key_id == old.private_key_id
                ):
                    raise
                self._refresh(credentials)
                self._credentials = credentials
            return str(credentials.token)

    def _key_or_unknown(self) -> str:
        return self._key.client_email if self._key else "(unknown: see the secret)"

    def _load_credentials(self) -> Credentials:
        secret_id = self.secret_id
        if not secret_id:
            raise SheetUnavailable(
                "bad_secret", "No secret names the service account key: set the stack's Google key secret."
            )
        try:
            text = self._secrets(secret_id)
        except SheetUnavailable:
            raise
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("ResourceNotFoundException", "AccessDeniedException", "DecryptionFailure"):
                raise SheetUnavailable(
                    "bad_secret",
                    f"The secret {secret_id} cannot be read ({code}): create it in Secrets Manager "
                    "with the service account's JSON key, in this account and region.",
                ) from exc
            raise SheetUnavailable(
                "unreachable",
                f"Secrets Manager did not give the secret {secret_id} ({code}); retried next pull.",
            ) from exc
        except BotoCoreError as exc:
            raise SheetUnavailable(
                "unreachable",
                f"Secrets Manager could not be reached for {secret_id} ({type(exc).__name__}); "
                "retried next pull.",
            ) from exc
        info = self._key_info(text, secret_id)
        from google.oauth2 import service_account

        try:
            credentials = service_account.Credentials.from_service_account_info(info, scopes=list(SCOPES))
        except (ValueError, TypeError, KeyError) as exc:
            # The message may quote the key's fields: name the kind of error only.
            raise SheetUnavailable(
                "bad_secret",
                f"The secret {secret_id} holds a service account key google-auth cannot use "
                f"({type(exc).__name__}: is private_key the PEM block of the key file?): store the "
                "JSON key file from the Google Cloud console, unchanged.",
            ) from None
        self._key = _Key(
            client_email=info["client_email"],
            project_id=str(info.get("project_id") or "(unknown)"),
            private_key_id=str(info.get("private_key_id") or ""),
        )
        return credentials

    def _key_info(self, text: Any, secret_id: str) -> dict[str, Any]:
        def bad(why: str) -> SheetUnavailable:
            return SheetUnavailable(
                "bad_secret",
                f"The secret {secret_id} is not a Google service account key ({why}): store the JSON "
                "key file downloaded from the Google Cloud console (IAM > Service accounts > Keys), "
                "unchanged.",
            )

        if not isinstance(text, str) or not text.strip():
            raise bad("it is empty")
        if len(text) > MAX_SECRET_BYTES:
            raise bad(f"it is over {MAX_SECRET_BYTES // 1024} KB")
        try:
            info = json.loads(text)
        except ValueError:
            raise bad("it is not JSON") from None
        if not isinstance(info, dict):
            raise bad("it is not a JSON object")
        if info.get("type") != "service_account":
            kind = info.get("type")
            raise bad(f'its type is {quoted(str(kind), 40)!r}, not "service_account"' if kind else "no type")
        for field in ("client_email", "private_key", "token_uri"):
            if not isinstance(info.get(field), str) or not info[field]:
                raise bad(f"no {field}")
        token_uri = urlsplit(info["token_uri"])
        if not (
            (token_uri.scheme == "https" and token_uri.hostname in _TOKEN_HOSTS)
            or (self.allow_loopback and _loopback_url(token_uri))
        ):
            raise bad(f"its token_uri {quoted(info['token_uri'], 80)!r} is not Google's")
        return info

    def _refresh(self, credentials: Credentials) -> None:
        from google.auth import exceptions
        from google.auth.transport.urllib3 import Request

        key = self._key_or_unknown()
        try:
            credentials.refresh(Request(self._http))
        except exceptions.RefreshError as exc:
            data = exc.args[1] if len(exc.args) > 1 else None
            error = str(data.get("error", "")) if isinstance(data, dict) else ""
            description = str(data.get("error_description") or "") if isinstance(data, dict) else ""
            said = quoted(f"{error}: {description}" if description else error or str(exc.args[0]), 160)
            if error in ("invalid_grant", "invalid_client", "unauthorized_client") and not exc.retryable:
                raise SheetUnavailable(
                    "revoked",
                    f"Google refused the key of the service account {key} ({said}): it was revoked or "
                    f"deleted; create a new JSON key for {key} and store it in the secret "
                    f"{self.secret_id}.",
                ) from None
            raise SheetUnavailable(
                "unreachable", f"Google's token endpoint did not give a token ({said}); retried next pull."
            ) from None
        except exceptions.TransportError as exc:
            cause = exc.__cause__ or exc
            raise SheetUnavailable(
                "unreachable",
                f"Google's token endpoint could not be reached ({_network(cause)}); retried next pull.",
            ) from None
        except (ValueError, TypeError) as exc:  # signing with a damaged key
            raise SheetUnavailable(
                "bad_secret",
                f"The key of {key} in the secret {self.secret_id} cannot sign ({type(exc).__name__}): "
                "store the JSON key file from the Google Cloud console, unchanged.",
            ) from None

    # --- published CSV

    def _published_csv(self, source: SheetSource) -> bytes:
        assert source.csv_url is not None
        url = source.csv_url
        shown = source.describe()
        for _ in range(MAX_REDIRECTS + 1):
            answer = self._get(url, {"Accept": "text/csv"})
            if answer.status not in _REDIRECTS:
                break
            target = urljoin(url, answer.headers.get("location", ""))
            if urlsplit(target).hostname == "accounts.google.com":
                raise SheetUnavailable(
                    "forbidden",
                    f"The {shown} asks to sign in: it is not published. In Google Sheets: File > "
                    "Share > Publish to the web, the tab, Comma-separated values (.csv); use that link.",
                )
            if not _redirect_allowed(target, allow_loopback=source.allow_loopback):
                raise SheetUnavailable(
                    "unreachable",
                    f"The {shown} redirects to {quoted(urlsplit(target).netloc, 60)}, which is not "
                    "Google's: not followed.",
                )
            url = target
        else:
            raise SheetUnavailable("unreachable", f"The {shown} redirects too many times.")
        if answer.status in (401, 403):
            raise SheetUnavailable(
                "forbidden",
                f"Google refuses the {shown} (HTTP {answer.status}): publish the sheet again (File > "
                "Share > Publish to the web, as CSV) and update the link.",
            )
        if answer.status == 404:
            raise SheetUnavailable(
                "not_found",
                f"The {shown} leads nowhere (HTTP 404): the sheet was unpublished or deleted; publish "
                "it again and update the link.",
            )
        if answer.status == 400:
            raise SheetUnavailable(
                "bad_range",
                f"Google cannot give the tab of the {shown} (HTTP 400): the tab (gid) was probably "
                "deleted; publish the current tab and update the link.",
            )
        if answer.status != 200:
            raise SheetUnavailable(
                "unreachable", f"Google answered HTTP {answer.status} for the {shown}; retried next pull."
            )
        content_type = answer.headers.get("content-type", "").lower()
        if "html" in content_type or answer.body.lstrip()[:15].lower().startswith((b"<!doctype", b"<html")):
            raise SheetUnavailable(
                "forbidden",
                f"The {shown} gives a web page, not CSV: publish the tab as Comma-separated values "
                "(.csv) and use that link.",
            )
        try:
            text = answer.body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SheetUnavailable(
                "unreachable", f"The {shown} gave CSV that is not UTF-8 ({_sample(answer.body)})."
            ) from None
        if not text.strip():
            raise SheetUnavailable(
                "empty", f"The {shown} holds no cells, not even a header row: check the published tab."
            )
        try:
            rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=","))
        except csv.Error:
            # A cell the csv module will not read (over 128 KB): Google's own CSV goes on, for the
            # importer to refuse as it refuses the same file dropped.
            return _UTF8_BOM + answer.body.removeprefix(_UTF8_BOM)
        if not _any_cell(rows):
            raise SheetUnavailable(
                "empty", f"The {shown} holds no cells, not even a header row: check the published tab."
            )
        return to_csv(rows)

    # --- HTTP

    def _get(self, url: str, headers: dict[str, str]) -> _Answer:
        """One GET, redirects not followed, the body read up to ``max_bytes`` (``too_large``
        beyond) within ``ANSWER_DEADLINE_S``."""
        where = urlsplit(url).netloc
        try:
            response = self._http.request(
                "GET",
                url,
                headers={"Accept-Encoding": "gzip", **headers},
                preload_content=False,
                redirect=False,
                retries=False,
                timeout=urllib3.Timeout(connect=self.timeout, read=self.timeout),
            )
        except urllib3.exceptions.HTTPError as exc:
            raise SheetUnavailable(
                "unreachable", f"{where} could not be reached ({_network(exc)}); retried next pull."
            ) from None
        ok = response.status == 200
        limit = self.max_bytes if ok else MAX_ERROR_BYTES
        chunks: list[bytes] = []
        size = 0
        deadline = time.monotonic() + ANSWER_DEADLINE_S
        complete = False
        try:
            declared = response.headers.get("Content-Length", "")
            if ok and declared.isdigit() and int(declared) > limit:
                raise _too_large(limit)
            for chunk in response.stream(64 * 1024, decode_content=True):
                size += len(chunk)
                if size > limit:
                    if ok:
                        raise _too_large(limit)
                    break
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise SheetUnavailable(
                        "unreachable",
                        f"{where} took over {ANSWER_DEADLINE_S:.0f} s to send its answer; retried next pull.",
                    )
            complete = True
        except urllib3.exceptions.HTTPError as exc:
            raise SheetUnavailable(
                "unreachable", f"{where} broke off its answer ({_network(exc)}); retried next pull."
            ) from None
        finally:
            if complete:
                response.release_conn()
            else:
                response.close()  # unread bytes: this connection cannot be reused
        return _Answer(response.status, {k.lower(): v for k, v in response.headers.items()}, b"".join(chunks))


def _too_large(limit: int) -> SheetUnavailable:
    return SheetUnavailable(
        "too_large",
        f"The sheet's answer is over {limit / (1024 * 1024):.0f} MB: narrow the range (only the "
        "columns invoiced) or move old rows to another tab.",
    )


def _network(exc: BaseException) -> str:
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return "no answer in time"
    return type(exc).__name__


def _sample(body: bytes) -> str:
    return f"{len(body)} bytes starting {quoted(body[:60].decode('utf-8', 'replace'), 60)!r}"


def _google_error(body: bytes) -> tuple[str, str, set[str]]:
    """Google's error body ``{"error": {"code", "message", "status", "details"}}``: (message,
    status, the ``reason`` of its ErrorInfo details)."""
    try:
        document = json.loads(body)
    except ValueError:
        return "", "", set()
    error = document.get("error") if isinstance(document, dict) else None
    if not isinstance(error, dict):
        return "", "", set()
    message = error.get("message") if isinstance(error.get("message"), str) else ""
    status = error.get("status") if isinstance(error.get("status"), str) else ""
    reasons = {
        detail["reason"]
        for detail in error.get("details") or []
        if isinstance(detail, dict) and isinstance(detail.get("reason"), str)
    }
    return message, status, reasons


def _values(document: Any, source: SheetSource) -> list[list[str]]:
    """The rows of a ``ValueRange`` (``{"range", "majorDimension", "values"}``); Google leaves
    ``values`` out when the range is empty."""
    where = source.describe()
    if not isinstance(document, dict) or document.get("majorDimension", "ROWS") != "ROWS":
        raise SheetUnavailable("unreachable", f"Google Sheets gave an unexpected answer for {where}.")
    values = document.get("values")
    if not values:
        raise SheetUnavailable(
            "empty",
            f"The range {quoted(source.range or '', 80)} of spreadsheet {source.spreadsheet_id} holds no "
            "cells, not even a header row: check the range (tab name and columns).",
        )
    if not isinstance(values, list) or not all(isinstance(row, list) for row in values):
        raise SheetUnavailable("unreachable", f"Google Sheets gave values that are not rows for {where}.")
    try:
        rows = [[_cell(value) for value in row] for row in values]
    except TypeError as exc:
        raise SheetUnavailable(
            "unreachable", f"Google Sheets gave a cell that is not a value ({exc}) for {where}."
        ) from None
    if not _any_cell(rows):
        raise SheetUnavailable(
            "empty",
            f"The range {quoted(source.range or '', 80)} of spreadsheet {source.spreadsheet_id} holds no "
            "cells, not even a header row: check the range (tab name and columns).",
        )
    return rows


def _any_cell(rows: Sequence[Sequence[str]]) -> bool:
    return any(cell != "" for row in rows for cell in row)
