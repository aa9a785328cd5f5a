"""A local stand-in for Google's OAuth token endpoint, the Sheets API v4 ``values.get`` and
published CSV links, on loopback.

``invoicing.adapters.sheets.SheetsClient`` talks to it over real HTTP, with google-auth signing
real JWT grants, so tests and ``make demo`` run the requests production sends, without network
or a Google account::

    with SheetsStub() as stub:                 # or stub.start() ... stub.stop()
        stub.set_values(SHEET_ID, "Heures!A1:K", [["Client", "Date"], ["C001", "02/03/2026"]])
        key = json.dumps(stub.service_account_info())
        sheets = SheetsClient(secret_id="k", secrets=lambda _: key, api_base=stub.url,
                              allow_loopback=True)
        sheets.pull(SheetSource.api(SHEET_ID, "Heures!A1:K"))

At ``start`` it makes an RSA key pair; ``service_account_info()`` is a key file for it (type,
project_id, private_key_id, private_key, client_email, client_id, token_uri pointing here).

Endpoints, answering as Google does:

- ``POST /token``: the JWT bearer grant (form fields ``grant_type=urn:ietf:params:oauth:grant-
  type:jwt-bearer`` and ``assertion``). The assertion's RS256 signature is checked with the
  public key, its ``kid``, ``iss`` (the client email), ``aud`` (Google's token endpoint, as
  google-auth names it even when posting elsewhere), ``scope`` (the read-only Sheets scope)
  and times; answers ``{"access_token", "expires_in", "token_type"}``, else 400
  ``{"error": "invalid_grant", "error_description": …}``;
- ``GET /v4/spreadsheets/{id}/values/{range}``: the bearer token must be one it issued (401
  ``UNAUTHENTICATED``); an unknown id is 404 ``NOT_FOUND``, a sheet not shared with the service
  account 403 ``PERMISSION_DENIED``, a range never set 400 "Unable to parse range: …"
  (``INVALID_ARGUMENT``), in Google's ``{"error": {"code", "message", "status"}}`` shape; else
  the ``ValueRange`` (``values`` left out when the range is empty, as Google does);
- ``GET /spreadsheets/d/e/{key}/pub?gid=…&output=csv`` (a published link): 307 to
  ``GET /pub?key=…&gid=…`` (Google sends the CSV from another host), which answers the CSV set by
  ``publish``; an unknown key is a 404 page, an unknown gid a 400 page.

For tests: ``requests`` (every request: method, path, query, form, headers), ``tokens`` (those
issued), ``fail_next(kind)`` (``forbidden``, ``not_found``, ``bad_range``, ``service_disabled``,
``unauthenticated``, ``server_error``, ``slow``, ``not_json``, ``huge``, ``sign_in`` for the data
endpoints;
``revoked``, ``token_server_error`` for the token endpoint), ``revoke_key`` (the key is refused
from now on, and the tokens it got), ``rotate_key`` (a new key pair replaces the old one),
``unshare``.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from invoicing_tools.local_aws.loopback import LoopbackHandler, LoopbackServer, serve_until_interrupted

JWT_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPE = "https://www.googleapis.com/auth/spreadsheets.readonly"
#: The audience Google's token endpoint expects in a grant, whatever URI the grant is posted to
#: (google-auth always names this one; keys made before 2019 name the older one).
AUDIENCES = frozenset({"https://oauth2.googleapis.com/token", "https://accounts.google.com/o/oauth2/token"})
#: Google refuses assertions valid for longer than this (seconds).
MAX_ASSERTION_LIFETIME = 3600
DATA_FAILURES = frozenset(
    {
        "forbidden",
        "not_found",
        "bad_range",
        "service_disabled",
        "server_error",
        "slow",
        "not_json",
        "huge",
        "sign_in",
        "unauthenticated",
    }
)
TOKEN_FAILURES = frozenset({"revoked", "token_server_error"})


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def google_error(code: int, message: str, status: str) -> dict[str, Any]:
    """Google APIs' error body."""
    return {"error": {"code": code, "message": message, "status": status}}


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the stub received it. ``headers`` has lower-case names."""

    method: str
    path: str  # decoded
    raw_path: str  # as sent (percent-encoded)
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]
    status: list[int] = field(default_factory=list)  # filled once answered

    @property
    def answered(self) -> int | None:
        return self.status[0] if self.status else None


@dataclass(slots=True)
class _Failure:
    kind: str
    seconds: float
    size: int


@dataclass(slots=True)
class _Answer:
    status: int
    body: bytes
    content_type: str = "application/json; charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)
    declare_length: bool = True


def _json(status: int, payload: Any) -> _Answer:
    return _Answer(status, json.dumps(payload).encode("utf-8"))


def _page(status: int, title: str) -> _Answer:
    body = f"<!DOCTYPE html><html><title>{title}</title><body><p>{title}</p></body></html>"
    return _Answer(status, body.encode("utf-8"), "text/html; charset=utf-8")


class SheetsStub(LoopbackServer):
    """Google's token endpoint, Sheets values and published CSV on ``http://127.0.0.1:<port>``."""

    def __init__(
        self,
        *,
        project_id: str = "facturation-demo",
        client_email: str | None = None,
        token_lifetime: int = 3599,
        key_size: int = 2048,
    ) -> None:
        """``key_size``: Google's keys are 2048 bits; tests may ask for 1024, which google-auth
        loads eight times faster (a 2048-bit key takes ~80 ms to load)."""
        super().__init__()
        self.project_id = project_id
        self.key_size = key_size
        self.client_email = client_email or f"factures@{project_id}.iam.gserviceaccount.com"
        self.token_lifetime = self._token_lifetime = token_lifetime
        self.client_id = "1" + "".join(secrets.choice("0123456789") for _ in range(20))
        self._lock = threading.RLock()
        self._private_key: rsa.RSAPrivateKey | None = None
        self.private_key_id = secrets.token_hex(20)
        self.requests: list[RecordedRequest] = []
        self.tokens: dict[str, float] = {}  # access token -> expiry (epoch seconds)
        self.sheets: dict[str, dict[str, list[list[Any]] | None]] = {}  # id -> range -> values
        self.unshared: set[str] = set()
        self.published: dict[str, dict[str, bytes]] = {}  # key -> gid -> CSV bytes
        self.revoked = False
        self._failures: list[_Failure] = []
        self._token_failures: list[_Failure] = []

    # --- life cycle

    thread_name = "sheets-stub"

    def prepare(self) -> None:
        if self._private_key is None:
            self._private_key = rsa.generate_private_key(public_exponent=65537, key_size=self.key_size)

    def handler(self) -> type[_Handler]:
        stub = self

        class Handler(_Handler):
            owner = stub

        return Handler

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    # --- test helpers

    def service_account_info(self) -> dict[str, str]:
        """A service-account key file for the stub's key pair, as the Cloud console gives it."""
        if self._private_key is None:
            raise RuntimeError("start the stub first: the key pair is made at start")
        pem = self._private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii")
        return {
            "type": "service_account",
            "project_id": self.project_id,
            "private_key_id": self.private_key_id,
            "private_key": pem,
            "client_email": self.client_email,
            "client_id": self.client_id,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": (
                f"https://www.googleapis.com/robot/v1/metadata/x509/{quote(self.client_email)}"
            ),
            "universe_domain": "googleapis.com",
        }

    def set_values(self, spreadsheet_id: str, range: str, values: list[list[Any]] | None) -> None:
        """What ``values.get`` answers for this spreadsheet and range (``None``: the range exists
        and is empty)."""
        with self._lock:
            self.sheets.setdefault(spreadsheet_id, {})[range] = values

    def unshare(self, spreadsheet_id: str) -> None:
        """The sheet is no longer shared with the service account: 403 from now on."""
        with self._lock:
            self.unshared.add(spreadsheet_id)

    def publish(self, csv: str | bytes, *, key: str | None = None, gid: str = "0") -> str:
        """Publish CSV (Google's own: ``,``, UTF-8, CRLF) as a tab; the link to give
        ``SheetSource.published``."""
        key = key or "2PACX-1v" + secrets.token_urlsafe(64)
        data = csv.encode("utf-8") if isinstance(csv, str) else csv
        with self._lock:
            self.published.setdefault(key, {})[gid] = data
        return f"{self.url}/spreadsheets/d/e/{key}/pub?gid={gid}&single=true&output=csv"

    def rotate_key(self) -> None:
        """A new key replaces the old one (deleted): grants signed with the old key are refused
        from now on; tokens already issued live on, as Google's do."""
        with self._lock:
            self._private_key = rsa.generate_private_key(public_exponent=65537, key_size=self.key_size)
            self.private_key_id = secrets.token_hex(20)

    def revoke_key(self) -> None:
        """The key is deleted in the Cloud console: grants and the tokens it had are refused."""
        with self._lock:
            self.revoked = True
            self.tokens.clear()

    def fail_next(self, kind: str, *, times: int = 1, seconds: float = 2.0, size: int = 0) -> None:
        """The next ``times`` requests fail as ``kind`` says. Data endpoints (values, published
        CSV): ``forbidden``, ``not_found``, ``bad_range``, ``service_disabled``, ``server_error``,
        ``unauthenticated`` (401 to a token it issued), ``slow`` (answers after ``seconds``),
        ``not_json`` (an HTML error page with status 200), ``huge`` (a 200 of ``size`` bytes, sent
        without Content-Length), ``sign_in`` (a redirect to Google's sign-in page). Token
        endpoint: ``revoked`` (``invalid_grant``), ``token_server_error``.
        """
        if kind not in DATA_FAILURES | TOKEN_FAILURES:
            raise ValueError(f"unknown failure {kind!r}")
        queue = self._token_failures if kind in TOKEN_FAILURES else self._failures
        with self._lock:
            queue.extend(_Failure(kind, seconds, size) for _ in range(times))

    @property
    def token_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == "/token"]

    @property
    def values_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.startswith("/v4/")]

    def reset(self) -> None:
        """Forget every sheet, publication, token, request and pending failure; un-revoke."""
        with self._lock:
            self.requests.clear()
            self.tokens.clear()
            self.sheets.clear()
            self.unshared.clear()
            self.published.clear()
            self._failures.clear()
            self._token_failures.clear()
            self.revoked = False
            self.token_lifetime = self._token_lifetime

    # --- answering

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> _Answer:
        parts = urlsplit(target)
        path = unquote(parts.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)) if body else {}
        record = RecordedRequest(
            method, path, parts.path, query, form, {k.lower(): v for k, v in headers.items()}
        )
        with self._lock:
            self.requests.append(record)
        answer = self._route(method, parts.path, path, query, form, record.headers)
        record.status.append(answer.status)
        return answer

    def _route(
        self,
        method: str,
        raw_path: str,
        path: str,
        query: dict[str, str],
        form: dict[str, str],
        headers: dict[str, str],
    ) -> _Answer:
        if path == "/token":
            if method != "POST":
                return _json(405, {"error": "invalid_request", "error_description": "POST only"})
            return self._token(form, headers)
        if method != "GET":
            return _json(405, google_error(405, "Method not allowed", "METHOD_NOT_ALLOWED"))
        # A published link is two requests (the link, then the redirect's target): the link
        # itself fails only as sign_in or not_found, the rest waits for the target.
        link = path.startswith("/spreadsheets/d/e/") and path.endswith("/pub")
        failure = self._next_failure(self._failures, {"sign_in", "not_found"} if link else None)
        if failure is not None and failure.kind == "slow":
            time.sleep(failure.seconds)
            failure = None
        if raw_path.startswith("/v4/spreadsheets/"):
            return self._values(raw_path, headers, failure)
        if link:
            return self._publication_link(path, query, failure)
        if path == "/pub":
            return self._publication(query, failure)
        return _page(404, "Not Found")

    def _next_failure(self, queue: list[_Failure], kinds: set[str] | None = None) -> _Failure | None:
        with self._lock:
            if queue and (kinds is None or queue[0].kind in kinds):
                return queue.pop(0)
            return None

    def _token(self, form: dict[str, str], headers: dict[str, str]) -> _Answer:
        if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return _json(400, {"error": "invalid_request", "error_description": "Bad Request"})
        if form.get("grant_type") != JWT_GRANT_TYPE:
            return _json(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": f"Invalid grant_type: {form.get('grant_type', '')}",
                },
            )
        assertion = form.get("assertion")
        if not assertion:
            return _json(
                400,
                {"error": "invalid_request", "error_description": "Missing required parameter: assertion"},
            )
        failure = self._next_failure(self._token_failures)
        if failure is not None and failure.kind == "token_server_error":
            return _json(500, {"error": "internal_failure", "error_description": "Backend Error"})
        if self.revoked or (failure is not None and failure.kind == "revoked"):
            return _json(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
        problem = self._check_assertion(assertion)
        if problem is not None:
            return _json(400, {"error": "invalid_grant", "error_description": problem})
        token = "ya29.stub-" + secrets.token_urlsafe(32)
        with self._lock:
            self.tokens[token] = time.time() + self.token_lifetime
        return _json(200, {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"})

    def _check_assertion(self, assertion: str) -> str | None:
        """Why Google would refuse the JWT grant's assertion, or None."""
        assert self._private_key is not None
        pieces = assertion.split(".")
        if len(pieces) != 3:
            return "Invalid JWT: not a JWS compact serialization."
        try:
            header = json.loads(_b64url_decode(pieces[0]))
            claims = json.loads(_b64url_decode(pieces[1]))
            signature = _b64url_decode(pieces[2])
        except ValueError:
            return "Invalid JWT: bad encoding."
        if not isinstance(header, dict) or not isinstance(claims, dict):
            return "Invalid JWT: bad encoding."
        if header.get("alg") != "RS256" or header.get("kid") != self.private_key_id:
            return "Invalid JWT Signature."
        try:
            self._private_key.public_key().verify(
                signature, f"{pieces[0]}.{pieces[1]}".encode("ascii"), padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            return "Invalid JWT Signature."
        if claims.get("iss") != self.client_email:
            return "Invalid JWT: issuer is not the service account."
        if claims.get("aud") not in AUDIENCES:
            return "Invalid JWT: Failed audience check."
        if SCOPE not in str(claims.get("scope", "")).split():
            return f"Invalid JWT: scope {SCOPE} was not asked for."
        now = time.time()
        iat, exp = claims.get("iat"), claims.get("exp")
        if (
            not isinstance(iat, int)
            or not isinstance(exp, int)
            or iat > now + 60
            or exp <= now
            or exp - iat > MAX_ASSERTION_LIFETIME
        ):
            return (
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
                "timeframe. Check your iat and exp values in the JWT claim."
            )
        return None

    def _authorized(self, headers: dict[str, str]) -> bool:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        with self._lock:
            expiry = self.tokens.get(token)
        return scheme == "Bearer" and expiry is not None and expiry > time.time()

    def _values(self, raw_path: str, headers: dict[str, str], failure: _Failure | None) -> _Answer:
        if not self._authorized(headers) or (failure is not None and failure.kind == "unauthenticated"):
            return _json(
                401,
                google_error(
                    401,
                    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
                    "cookie or other valid authentication credential. See "
                    "https://developers.google.com/identity/sign-in/web/devconsole-project.",
                    "UNAUTHENTICATED",
                ),
            )
        rest = raw_path.removeprefix("/v4/spreadsheets/")
        spreadsheet_id, _, tail = rest.partition("/")
        if not tail.startswith("values/"):
            return _json(404, google_error(404, "Requested entity was not found.", "NOT_FOUND"))
        range_ = unquote(tail.removeprefix("values/"))
        kind = failure.kind if failure is not None else None
        with self._lock:
            sheet = self.sheets.get(spreadsheet_id)
            unshared = spreadsheet_id in self.unshared
        if kind == "not_found" or sheet is None:
            return _json(404, google_error(404, "Requested entity was not found.", "NOT_FOUND"))
        if kind == "forbidden" or unshared:
            return _json(403, google_error(403, "The caller does not have permission", "PERMISSION_DENIED"))
        if kind == "service_disabled":
            body = google_error(
                403,
                f"Google Sheets API has not been used in project {self.project_id} before or it is "
                "disabled. Enable it by visiting https://console.developers.google.com/apis/api/"
                f"sheets.googleapis.com/overview?project={self.project_id} then retry.",
                "PERMISSION_DENIED",
            )
            body["error"]["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "SERVICE_DISABLED",
                    "domain": "googleapis.com",
                    "metadata": {
                        "service": "sheets.googleapis.com",
                        "consumer": f"projects/{self.project_id}",
                    },
                }
            ]
            return _json(403, body)
        if kind == "bad_range" or range_ not in sheet:
            return _json(400, google_error(400, f"Unable to parse range: {range_}", "INVALID_ARGUMENT"))
        common = self._common_failure(kind)
        if common is not None:
            return common
        if kind == "huge":
            return self._huge(failure)
        values = sheet[range_]
        payload: dict[str, Any] = {"range": range_, "majorDimension": "ROWS"}
        if values:
            payload["values"] = values
        return _json(200, payload)

    def _common_failure(self, kind: str | None) -> _Answer | None:
        if kind == "server_error":
            return _json(500, google_error(500, "Internal error encountered.", "INTERNAL"))
        if kind == "not_json":
            return _page(200, "Error 502 (Server Error)!!1")
        return None

    @staticmethod
    def _huge(failure: _Failure | None) -> _Answer:
        size = failure.size if failure is not None and failure.size else 21 * 1024 * 1024
        head = b'{"range": "A1", "majorDimension": "ROWS", "values": [["'
        body = head + b"x" * max(0, size - len(head) - 4) + b'"]]}'
        return _Answer(200, body, declare_length=False)

    def _publication_link(self, path: str, query: dict[str, str], failure: _Failure | None) -> _Answer:
        key = path.removeprefix("/spreadsheets/d/e/").removesuffix("/pub")
        if failure is not None and failure.kind == "sign_in":
            location = "https://accounts.google.com/ServiceLogin?service=wise&passive=1209600"
            return _Answer(302, b"", "text/html; charset=UTF-8", {"Location": location})
        with self._lock:
            known = key in self.published
        if not known or (failure is not None and failure.kind == "not_found"):
            return _page(404, "Not Found")
        # Google sends the file from another host; the stub from /pub on itself.
        target = "/pub?" + urlencode({"key": key, "gid": query.get("gid", "0"), "output": "csv"})
        return _Answer(307, b"", "text/html; charset=UTF-8", {"Location": target})

    def _publication(self, query: dict[str, str], failure: _Failure | None) -> _Answer:
        kind = failure.kind if failure is not None else None
        with self._lock:
            tabs = self.published.get(query.get("key", ""))
        if tabs is None:
            return _page(404, "Not Found")
        if kind == "forbidden":
            return _page(403, "Forbidden")
        if kind == "bad_range" or query.get("gid", "0") not in tabs:
            return _page(400, "Bad Request")
        common = self._common_failure(kind)
        if common is not None:
            return common
        if kind == "huge":
            size = failure.size if failure is not None and failure.size else 21 * 1024 * 1024
            return _Answer(200, b"a,b\r\n" + b"x" * size, "text/csv", declare_length=False)
        return _Answer(200, tabs[query.get("gid", "0")], "text/csv")


class _Handler(LoopbackHandler):
    owner: SheetsStub
    server_version = "sheets-stub"

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        answer = self.owner.handle(method, self.path, dict(self.headers.items()), body)
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            if answer.declare_length:
                self.send_header("Content-Length", str(len(answer.body)))
            else:  # the body ends when the connection closes
                self.send_header("Connection", "close")
                self.close_connection = True
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (too large, timeout)
            self.close_connection = True


def main() -> None:  # pragma: no cover - a manual aid: python -m invoicing_tools.local_aws.sheets_stub
    stub = SheetsStub()
    stub.start()  # the key exists once started
    serve_until_interrupted(stub, json.dumps(stub.service_account_info()))


if __name__ == "__main__":  # pragma: no cover
    main()
