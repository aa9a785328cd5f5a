"""Pulling a Google Sheet (invoicing.adapters.sheets) against the local stub of Google's token
endpoint, Sheets API v4 and published CSV links: values become the CSV a dropped export would
be, the token is fetched once, every failure has a reason a person can act on. No network."""

from __future__ import annotations

import base64
import json
import logging
import re
import socket
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import urllib3
from botocore.exceptions import ClientError

from invoicing.adapters import sheets
from invoicing.adapters.sheets import SheetsClient, SheetSource, SheetUnavailable, to_csv
from invoicing.domain.problems import InputRejected
from invoicing.ingest.table import read_table
from invoicing_tools.local_aws.sheets_stub import JWT_GRANT_TYPE, SCOPE, SheetsStub

SHEET_ID = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms"
RANGE = "Heures!A1:K"
SECRET = "invoicing/google-sheets-key"
BOM = b"\xef\xbb\xbf"


@pytest.fixture(scope="module")
def running_stub():
    # A 1024-bit key loads in 10 ms instead of 80: these tests make many clients.
    with SheetsStub(key_size=1024) as running:
        yield running


@pytest.fixture
def stub(running_stub) -> SheetsStub:
    running_stub.reset()
    return running_stub


@pytest.fixture
def key(stub) -> dict[str, str]:
    return stub.service_account_info()


def sheets_client(stub: SheetsStub, key: dict[str, Any] | str, **options: Any) -> SheetsClient:
    text = key if isinstance(key, str) else json.dumps(key)
    return SheetsClient(
        secret_id=SECRET, secrets=lambda _: text, api_base=stub.url, allow_loopback=True, **options
    )


@pytest.fixture
def client(stub, key) -> SheetsClient:
    return sheets_client(stub, key)


def pull_error(client: SheetsClient, source: SheetSource) -> SheetUnavailable:
    with pytest.raises(SheetUnavailable) as caught:
        client.pull(source)
    return caught.value


API = SheetSource.api(SHEET_ID, RANGE)


# --- values become the CSV of a dropped export --------------------------------------------------


def test_values_become_csv_with_bom_semicolons_crlf_and_quotes(stub, client):
    stub.set_values(
        SHEET_ID,
        RANGE,
        [
            ["Client", "Date", "Libellé", "Quantité", "Prix unitaire HT", "TVA", "Total"],
            ["C001", "02/03/2026", "Développement; \"sur mesure\"", "1,5", "1\u202f234,50\u00a0€", "20 %",
             "=D2*E2"],
            ["C002", "15/03/2026", "Réunion\nde suivi", "2", "90,00 €"],  # Google leaves out trailing blanks
            [],
            ["C003", "31/03/2026 18:00:00", "Formation", "1", "450", "5,5 %", "+33 6 12 34 56 78"],
        ],
    )  # fmt: skip

    data = client.pull(API)

    assert data == BOM + (
        '"Client";"Date";"Libellé";"Quantité";"Prix unitaire HT";"TVA";"Total"\r\n'
        'C001;02/03/2026;"Développement; ""sur mesure""";1,5;1\u202f234,50\u00a0€;20 %;=D2*E2\r\n'
        'C002;15/03/2026;"Réunion\nde suivi";2;90,00 €;;\r\n'
        ";;;;;;\r\n"
        "C003;31/03/2026 18:00:00;Formation;1;450;5,5 %;+33 6 12 34 56 78\r\n"
    ).encode("utf-8")
    request = stub.values_requests[-1]
    assert request.path == f"/v4/spreadsheets/{SHEET_ID}/values/{RANGE}"
    assert request.query == {
        "valueRenderOption": "FORMATTED_VALUE",
        "dateTimeRenderOption": "FORMATTED_STRING",
        "majorDimension": "ROWS",
    }
    assert request.headers["authorization"].startswith("Bearer ya29.stub-")


def test_the_importer_reads_the_pull_like_a_dropped_export(stub, client):
    stub.set_values(
        SHEET_ID,
        RANGE,
        [["Client", "Prix, HT", "Libellé"], ["C001", "1 234,50", "a;b"], ["C002"]],
    )
    table = read_table(client.pull(API), "pull.csv", max_bytes=10**7, max_rows=1000)

    # The header's comma does not pass for the delimiter: header cells are all quoted.
    assert table.delimiter == ";"
    assert table.headers == ("Client", "Prix, HT", "Libellé")
    assert [(row.number, row.cells) for row in table.rows] == [
        (2, ("C001", "1 234,50", "a;b")),
        (3, ("C002", "", "")),
    ]


def test_a_header_alone_is_a_header_only_csv_not_an_error(stub, client):
    stub.set_values(SHEET_ID, RANGE, [["Client", "Date", "Libellé"]])
    assert client.pull(API) == BOM + '"Client";"Date";"Libellé"\r\n'.encode()


@pytest.mark.parametrize("values", [None, [], [[]], [["", ""], []]])
def test_no_cells_at_all_is_empty(stub, client, values):
    stub.set_values(SHEET_ID, RANGE, values)
    error = pull_error(client, API)
    assert error.reason == "empty"
    assert RANGE in error.detail
    assert "check the range" in error.detail


def test_leading_blank_rows_stay_and_the_first_filled_row_is_the_header(stub, client):
    stub.set_values(SHEET_ID, RANGE, [[], ["Client", "Date"], ["C001"]])
    assert client.pull(API) == BOM + b'\r\n"Client";"Date"\r\nC001;\r\n'


def test_a_range_with_quotes_spaces_and_accents_reaches_google_encoded(stub, client):
    tab = "'Heures équipe 2026'!A1:K"
    stub.set_values(SHEET_ID, tab, [["Client"], ["C001"]])
    assert client.pull(SheetSource.api(SHEET_ID, tab)) == BOM + b'"Client"\r\nC001\r\n'
    assert stub.values_requests[-1].raw_path.endswith("/values/%27Heures%20%C3%A9quipe%202026%27%21A1%3AK")


def test_values_that_are_not_text_are_written_as_google_would_show_them(stub, client):
    stub.set_values(SHEET_ID, RANGE, [["Client", "Qté", "Payé", "Vide"], ["C001", 2, True, None]])
    assert client.pull(API) == BOM + b'"Client";"Qt\xc3\xa9";"Pay\xc3\xa9";"Vide"\r\nC001;2;TRUE;\r\n'


# --- hostile values pass through for the importer to refuse ------------------------------------


def test_hostile_cells_pass_through_unchanged(stub, client):
    hostile = [
        '=HYPERLINK("http://evil";"x")',
        "@SUM(A1)",
        "-2+3",
        "Evil\u202eCorp",
        "zero\u200bwidth",
        "bell\x07",
        "x" * 1_000_000,
    ]
    stub.set_values(SHEET_ID, RANGE, [[f"h{i}" for i in range(len(hostile))], hostile])

    data = client.pull(API)

    line = data.decode("utf-8-sig").split("\r\n")[1]
    assert line == (
        '"=HYPERLINK(""http://evil"";""x"")";@SUM(A1);-2+3;Evil\u202eCorp;zero\u200bwidth;bell\x07;'
        + "x" * 1_000_000
    )
    # The importer refuses it, as it refuses the same cell in a dropped file.
    with pytest.raises(InputRejected):
        read_table(data, "pull.csv", max_bytes=10**8, max_rows=1000)


def test_a_lone_surrogate_becomes_a_replacement_character(stub, client):
    stub.set_values(SHEET_ID, RANGE, [["Client"], ["a\ud800b"]])
    assert client.pull(API) == BOM + '"Client"\r\na\ufffdb\r\n'.encode()


def test_an_answer_over_the_limit_is_too_large_with_or_without_its_length(stub, key):
    client = sheets_client(stub, key, max_bytes=100_000)
    stub.set_values(SHEET_ID, RANGE, [["Client"], ["x" * 150_000]])
    declared = pull_error(client, API)  # Content-Length says so: nothing read
    assert declared.reason == "too_large"

    stub.fail_next("huge", size=300_000)  # no Content-Length: stopped while reading
    streamed = pull_error(client, API)
    assert streamed.reason == "too_large"
    assert "narrow the range" in streamed.detail

    stub.set_values(SHEET_ID, RANGE, [["Client"], ["C001"]])
    assert client.pull(API).endswith(b"C001\r\n")  # the client still works afterwards


def test_a_body_that_is_not_json_is_unreachable_with_what_came(stub, client):
    stub.set_values(SHEET_ID, RANGE, [["Client"]])
    stub.fail_next("not_json")
    error = pull_error(client, API)
    assert error.reason == "unreachable"
    assert "not JSON" in error.detail
    assert "<!DOCTYPE html>" in error.detail
    assert "next pull" in error.detail


# --- the token ---------------------------------------------------------------------------------


def test_the_token_is_fetched_once_and_reused(stub, client):
    stub.set_values(SHEET_ID, RANGE, [["Client"], ["C001"]])
    for _ in range(3):
        client.pull(API)

    assert len(stub.token_requests) == 1
    grant = stub.token_requests[0]
    assert grant.form["grant_type"] == JWT_GRANT_TYPE
    claims = _claims(grant.form["assertion"])
    assert claims["scope"] == SCOPE
    assert claims["iss"] == stub.client_email
    assert claims["aud"] == "https://oauth2.googleapis.com/token"
    assert {r.headers["authorization"] for r in stub.values_requests} == {f"Bearer {next(iter(stub.tokens))}"}


def _claims(assertion: str) -> dict[str, Any]:
    payload = assertion.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_pulls_at_once_share_one_token(stub, client):
    stub.set_values(SHEET_ID, RANGE, [["Client"], ["C001"]])
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: client.pull(API), range(8)))
    assert len(set(results)) == 1
    assert len(stub.token_requests) == 1


def test_a_token_about_to_expire_is_renewed(stub, key):
    stub.token_lifetime = 120  # under google-auth's 3 min 45 s margin: stale at once
    client = sheets_client(stub, key)
    stub.set_values(SHEET_ID, RANGE, [["Client"]])
    client.pull(API)
    client.pull(API)
    assert len(stub.token_requests) == 2


def test_a_rotated_key_in_the_secret_is_picked_up(stub, key):
    stored = {"key": json.dumps(key)}
    stub.token_lifetime = 120
    client = SheetsClient(
        secret_id=SECRET, secrets=lambda _: stored["key"], api_base=stub.url, allow_loopback=True
    )
    stub.set_values(SHEET_ID, RANGE, [["Client"]])
    client.pull(API)

    stub.rotate_key()  # the old key is deleted; the operator stored the new one
    stored["key"] = json.dumps(stub.service_account_info())
    assert client.pull(API) == BOM + b'"Client"\r\n'
    refused, accepted = stub.token_requests[-2:]
    assert (refused.answered, accepted.answered) == (400, 200)


def test_a_revoked_key_is_revoked_naming_the_account_and_the_secret(stub, client):
    stub.set_values(SHEET_ID, RANGE, [["Client"]])
    client.pull(API)
    stub.revoke_key()  # the key is deleted in the console: its tokens stop working too

    error = pull_error(client, API)

    assert error.reason == "revoked"
    assert stub.client_email in error.detail
    assert SECRET in error.detail
    assert "invalid_grant" in error.detail
    assert "create a new JSON key" in error.detail


def test_a_token_refused_once_is_replaced_and_refused_twice_is_revoked(stub, client):
    stub.set_values(SHEET_ID, RANGE, [["Client"]])
    stub.fail_next("unauthenticated")
    assert client.pull(API) == BOM + b'"Client"\r\n'
    assert len(stub.token_requests) == 2  # the refused token was dropped, the secret read again

    stub.fail_next("unauthenticated", times=2)
    error = pull_error(client, API)
    assert error.reason == "revoked"
    assert f"create a new JSON key for {stub.client_email}" in error.detail
    assert SECRET in error.detail


def test_a_refused_grant_on_the_first_pull_is_revoked(stub, client):
    stub.set_values(SHEET_ID, RANGE, [["Client"]])
    stub.fail_next("revoked")
    error = pull_error(client, API)
    assert error.reason == "revoked"
    assert "Invalid JWT Signature." in error.detail


def test_the_key_and_the_token_never_reach_errors_or_logs(stub, key, caplog):
    caplog.set_level(logging.DEBUG)
    client = sheets_client(stub, key)
    stub.set_values(SHEET_ID, RANGE, [["Client"]])
    client.pull(API)
    token = next(iter(stub.tokens))
    stub.revoke_key()
    error = pull_error(client, API)

    body = key["private_key"].splitlines()[1]
    for text in (str(error), repr(error), repr(client), caplog.text):
        assert token not in text
        assert body not in text
        assert "PRIVATE KEY" not in text


# --- failures, each with what to do -------------------------------------------------------------


def test_a_sheet_not_shared_is_forbidden_naming_the_service_account(stub, client):
    stub.set_values(SHEET_ID, RANGE, [["Client"]])
    stub.unshare(SHEET_ID)
    error = pull_error(client, API)
    assert error.reason == "forbidden"
    assert f"share the sheet with {stub.client_email}" in error.detail
    assert "The caller does not have permission" in error.detail


def test_the_sheets_api_not_enabled_is_forbidden_naming_the_project(stub, client):
    stub.set_values(SHEET_ID, RANGE, [["Client"]])
    stub.fail_next("service_disabled")
    error = pull_error(client, API)
    assert error.reason == "forbidden"
    assert "not enabled in the Google Cloud project facturation-demo" in error.detail


def test_an_unknown_spreadsheet_is_not_found(stub, client):
    error = pull_error(client, SheetSource.api("1" * 44, RANGE))
    assert error.reason == "not_found"
    assert "1" * 44 in error.detail
    assert "between /d/ and /edit" in error.detail


def test_a_renamed_tab_is_bad_range(stub, client):
    stub.set_values(SHEET_ID, "Heures mars!A1:K", [["Client"]])  # the tab was renamed
    error = pull_error(client, API)
    assert error.reason == "bad_range"
    assert "Unable to parse range: Heures!A1:K" in error.detail
    assert "renamed or deleted" in error.detail


@pytest.mark.parametrize(("failure", "said"), [("server_error", "HTTP 500"), ("not_found", "no spreadsheet")])
def test_stub_failures_map_to_their_reason(stub, client, failure, said):
    stub.set_values(SHEET_ID, RANGE, [["Client"]])
    stub.fail_next(failure)
    error = pull_error(client, API)
    assert error.reason == {"server_error": "unreachable", "not_found": "not_found"}[failure]
    assert said.lower() in error.detail.lower()


def test_a_slow_answer_is_unreachable(stub, key):
    client = sheets_client(stub, key, timeout=0.3)
    stub.set_values(SHEET_ID, RANGE, [["Client"]])
    stub.fail_next("slow", seconds=1.5)
    error = pull_error(client, API)
    assert error.reason == "unreachable"
    assert "no answer in time" in error.detail


def test_nothing_listening_is_unreachable(key):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    info = {**key, "token_uri": f"http://127.0.0.1:{port}/token"}
    client = SheetsClient(
        secret_id=SECRET,
        secrets=lambda _: json.dumps(info),
        api_base=f"http://127.0.0.1:{port}",
        allow_loopback=True,
    )
    error = pull_error(client, API)
    assert error.reason == "unreachable"
    assert "token endpoint could not be reached" in error.detail


def test_a_token_endpoint_error_is_unreachable(stub, client, monkeypatch):
    from google.auth import _exponential_backoff

    # google-auth tries a grant three times, 1 s then 2 s apart: not waited for here.
    monkeypatch.setattr(_exponential_backoff.time, "sleep", lambda seconds: None)
    stub.fail_next("token_server_error", times=3)
    error = pull_error(client, API)
    assert len(stub.token_requests) == 3
    assert error.reason == "unreachable"
    assert "did not give a token" in error.detail


# --- the secret --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        ("", "empty"),
        ("not json {", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        (json.dumps({"type": "authorized_user", "client_id": "x"}), "authorized_user"),
        (json.dumps({"type": "service_account", "client_email": "a@b.c"}), "no private_key"),
    ],
)
def test_a_secret_that_is_not_a_key_is_bad_secret(stub, secret, why):
    error = pull_error(sheets_client(stub, secret), API)
    assert error.reason == "bad_secret"
    assert why in error.detail
    assert SECRET in error.detail
    assert "JSON key file" in error.detail


def test_a_damaged_private_key_is_bad_secret_without_quoting_it(stub, key):
    damaged = {**key, "private_key": key["private_key"].replace("\n", "", 3)[:200]}
    error = pull_error(sheets_client(stub, damaged), API)
    assert error.reason == "bad_secret"
    assert damaged["private_key"][40:80] not in str(error)


def test_a_key_whose_token_uri_is_not_googles_is_bad_secret(stub, key):
    error = pull_error(sheets_client(stub, {**key, "token_uri": "https://evil.example/token"}), API)
    assert error.reason == "bad_secret"
    assert "is not Google's" in error.detail
    assert stub.token_requests == []


def test_a_loopback_token_uri_needs_allow_loopback(stub, key):
    client = SheetsClient(secret_id=SECRET, secrets=lambda _: json.dumps(key))
    error = pull_error(client, API)
    assert error.reason == "bad_secret"


def test_secrets_manager_failures(stub):
    def missing(_: str) -> str:
        raise ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "no"}}, "GetSecretValue")

    def throttled(_: str) -> str:
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "GetSecretValue")

    for secrets, reason in ((missing, "bad_secret"), (throttled, "unreachable")):
        client = SheetsClient(secret_id=SECRET, secrets=secrets, api_base=stub.url, allow_loopback=True)
        error = pull_error(client, API)
        assert error.reason == reason
        assert SECRET in error.detail

    no_secret = SheetsClient(api_base=stub.url, allow_loopback=True)
    assert pull_error(no_secret, API).reason == "bad_secret"


def test_secrets_manager_string_reads_the_secret_text(monkeypatch):
    answers = {"k": {"SecretString": '{"type": "service_account"}'}, "b": {"SecretBinary": b"\x00"}}

    class FakeSecretsManager:
        def get_secret_value(self, SecretId: str) -> dict[str, Any]:
            return answers[SecretId]

    monkeypatch.setattr(sheets, "client", lambda service: FakeSecretsManager())
    assert sheets.secrets_manager_string("k") == '{"type": "service_account"}'
    with pytest.raises(SheetUnavailable) as caught:
        sheets.secrets_manager_string("b")
    assert caught.value.reason == "bad_secret"


# --- the published CSV link --------------------------------------------------------------------


def test_a_published_csv_becomes_the_same_csv(stub, client):
    url = stub.publish('Client,Libellé,Prix\r\nC001,"Conseil, audit",1 200\r\nC002,"Dire ""oui""",\r\n')
    data = client.pull(SheetSource.published(url, allow_loopback=True))
    assert (
        data
        == BOM
        + ('"Client";"Libellé";"Prix"\r\nC001;Conseil, audit;1 200\r\nC002;"Dire ""oui""";\r\n').encode()
    )
    link, target = stub.requests[-2:]
    assert link.answered == 307  # Google sends the file from another host
    assert (target.path, target.answered) == ("/pub", 200)
    assert "authorization" not in target.headers  # no key for a published link
    assert stub.token_requests == []


def test_published_failures(stub, client):
    url = stub.publish("Client\r\nC001\r\n", gid="12345")
    other_tab = url.replace("gid=12345", "gid=999")
    assert pull_error(client, SheetSource.published(other_tab, allow_loopback=True)).reason == "bad_range"

    unknown = url.replace("/e/", "/e/x")
    error = pull_error(client, SheetSource.published(unknown, allow_loopback=True))
    assert error.reason == "not_found"
    assert "publish it again" in error.detail

    source = SheetSource.published(url, allow_loopback=True)
    stub.fail_next("sign_in")
    error = pull_error(client, source)
    assert error.reason == "forbidden"
    assert "Publish to the web" in error.detail

    stub.fail_next("not_json")
    assert pull_error(client, source).reason == "forbidden"  # a web page, not CSV

    stub.fail_next("server_error")
    assert pull_error(client, source).reason == "unreachable"

    empty = stub.publish("")
    assert pull_error(client, SheetSource.published(empty, allow_loopback=True)).reason == "empty"

    assert client.pull(source) == BOM + b'"Client"\r\nC001\r\n'


def test_a_published_cell_the_csv_module_will_not_read_goes_on_to_the_importer(stub, client):
    url = stub.publish("Client,Libellé\r\nC001," + "x" * 200_000 + "\r\n")
    data = client.pull(SheetSource.published(url, allow_loopback=True))
    assert data == BOM + b"Client,Libell\xc3\xa9\r\nC001," + b"x" * 200_000 + b"\r\n"
    with pytest.raises(InputRejected):
        read_table(data, "pull.csv", max_bytes=10**8, max_rows=1000)


def test_redirects_are_followed_only_to_google():
    allowed = sheets._redirect_allowed
    assert allowed("https://doc-0g-5s-sheets.googleusercontent.com/pub/x/y?gid=0", allow_loopback=False)
    assert allowed("https://docs.google.com/spreadsheets/d/e/x/pub", allow_loopback=False)
    assert not allowed("http://doc-0g-5s-sheets.googleusercontent.com/pub", allow_loopback=False)
    assert not allowed("https://googleusercontent.com.evil.example/pub", allow_loopback=False)
    assert not allowed("https://user@docs.google.com/x", allow_loopback=False)
    assert not allowed("http://127.0.0.1:8080/pub", allow_loopback=False)
    assert allowed("http://127.0.0.1:8080/pub", allow_loopback=True)


# --- what a source may be ----------------------------------------------------------------------


def test_valid_sources():
    assert SheetSource.api(SHEET_ID, RANGE).kind == "api"
    assert SheetSource.api(SHEET_ID, "Heures").range == "Heures"
    link = "https://docs.google.com/spreadsheets/d/e/2PACX-1vQabc/pub?gid=0&single=true&output=csv"
    source = SheetSource.published(link)
    assert source.kind == "csv"
    assert "2PACX" in source.describe()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"spreadsheet_id": "short", "range": RANGE}, "not a Google spreadsheet id"),
        ({"spreadsheet_id": SHEET_ID + "!", "range": RANGE}, "not a Google spreadsheet id"),
        (
            {"spreadsheet_id": f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit", "range": RANGE},
            f"the id in that address is {SHEET_ID}",
        ),
        ({"spreadsheet_id": SHEET_ID, "range": ""}, "range is empty"),
        ({"spreadsheet_id": SHEET_ID, "range": "  "}, "range is empty"),
        ({"spreadsheet_id": SHEET_ID, "range": "A" * 201}, "at most 200"),
        ({"spreadsheet_id": SHEET_ID, "range": "Heures\n!A1"}, "control characters"),
        ({"spreadsheet_id": SHEET_ID, "range": "Heures\x00!A1"}, "U+0000"),
        ({"spreadsheet_id": SHEET_ID, "range": "Heu\u202eres!A1"}, "U+202E"),
        ({"spreadsheet_id": SHEET_ID}, "needs spreadsheet_id and range"),
        ({}, "needs spreadsheet_id and range"),
        (
            {
                "spreadsheet_id": SHEET_ID,
                "range": RANGE,
                "csv_url": "https://docs.google.com/spreadsheets/d/x",
            },
            "not both",
        ),
        ({"csv_url": "http://docs.google.com/spreadsheets/d/e/x/pub"}, "not a Google Sheets link"),
        ({"csv_url": "https://evil.example/spreadsheets/d/e/x/pub"}, "not a Google Sheets link"),
        ({"csv_url": "https://docs.google.com.evil.example/spreadsheets/d/x"}, "not a Google Sheets link"),
        ({"csv_url": "https://docs.google.com:8443/spreadsheets/d/x"}, "not a Google Sheets link"),
        ({"csv_url": "https://me:pw@docs.google.com/spreadsheets/d/x"}, "user name or password"),
        ({"csv_url": "https://docs.google.com/document/d/x/pub"}, "not a published sheet"),
        ({"csv_url": "https://docs.google.com/spreadsheets/d/x pub"}, "not a plain link"),
        ({"csv_url": "http://127.0.0.1:8080/pub"}, "not a Google Sheets link"),
        ({"csv_url": "http://127.0.0.1/pub", "allow_loopback": True}, "not a Google Sheets link"),
        ({"csv_url": "http://localhost:8080/pub", "allow_loopback": True}, "not a Google Sheets link"),
        ({"csv_url": ""}, "csv_url is empty"),
    ],
)
def test_invalid_sources_are_refused_by_name(arguments, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        SheetSource(**arguments)


def test_the_api_base_is_googles_unless_loopback_is_allowed():
    SheetsClient()
    SheetsClient(api_base="http://127.0.0.1:9999", allow_loopback=True)
    with pytest.raises(ValueError, match="api_base"):
        SheetsClient(api_base="http://127.0.0.1:9999")
    with pytest.raises(ValueError, match="api_base"):
        SheetsClient(api_base="https://sheets.evil.example")


def test_to_csv_pads_short_rows_and_keeps_long_ones_for_the_importer_to_report():
    assert to_csv([["a", "b", "c"], ["1"], ["1", "2", "3", "4"]]) == (
        BOM + b'"a";"b";"c"\r\n1;;\r\n1;2;3;4\r\n'
    )


def test_to_csv_needs_rows():
    with pytest.raises(ValueError, match="no rows"):
        to_csv([])


def test_sheet_unavailable_reasons_are_known():
    assert SheetUnavailable("empty", "x").reason == "empty"
    with pytest.raises(ValueError, match="unknown reason"):
        SheetUnavailable("oops", "x")


# --- the stub itself ---------------------------------------------------------------------------


def _post(url: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
    answer = urllib3.request(
        "POST",
        url,
        body=urllib.parse.urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=5,
    )
    return answer.status, answer.json()


def test_the_stub_checks_the_grant(stub, client):
    stub.set_values(SHEET_ID, RANGE, [["Client"]])
    client.pull(API)
    assertion = stub.token_requests[0].form["assertion"]
    head, payload, signature = assertion.split(".")

    assert _post(stub.token_uri, {"grant_type": JWT_GRANT_TYPE, "assertion": assertion})[0] == 200
    assert _post(stub.token_uri, {"grant_type": "client_credentials", "assertion": assertion}) == (
        400,
        {"error": "unsupported_grant_type", "error_description": "Invalid grant_type: client_credentials"},
    )
    tampered = f"{head}.{payload}.{signature[:-6]}AAAAAA"
    assert _post(stub.token_uri, {"grant_type": JWT_GRANT_TYPE, "assertion": tampered}) == (
        400,
        {"error": "invalid_grant", "error_description": "Invalid JWT Signature."},
    )
    status, body = _post(stub.token_uri, {"grant_type": JWT_GRANT_TYPE})
    assert (status, body["error"]) == (400, "invalid_request")


def test_the_stub_refuses_tokens_it_did_not_issue(stub):
    stub.set_values(SHEET_ID, RANGE, [["Client"]])
    answer = urllib3.request(
        "GET",
        f"{stub.url}/v4/spreadsheets/{SHEET_ID}/values/Heures%21A1%3AK",
        headers={"Authorization": "Bearer ya29.forged"},
        timeout=5,
    )
    assert answer.status == 401
    assert answer.json()["error"]["status"] == "UNAUTHENTICATED"


def test_the_stub_knows_its_failures(stub):
    with pytest.raises(ValueError, match="unknown failure"):
        stub.fail_next("nope")
