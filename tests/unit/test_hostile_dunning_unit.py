"""Sending and dunning under hostile input, the pure parts: template overrides that loop or
escape the sandbox, SES events of odd shapes, the reference rates parameter, sending slots,
pilot mode, and the template's promise that no asynchronous failure is dropped silently.

Each test was a bug found by a hostile review, now fixed (see also
``tests/integration/test_hostile_dunning.py``)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from invoicing.documents.emails import check_override, sample_invoice
from invoicing.events import MessageError, mail_events
from invoicing.services.correspondence import Correspondence
from invoicing.services.dunning import parse_rates
from invoicing.services.sending import Sending
from invoicing.settings import MailSettings, SendMode
from invoicing_tools.local_aws.cfn_yaml import load_template

ROOT = Path(__file__).resolve().parents[2]
PARIS = ZoneInfo("Europe/Paris")


# --- template overrides ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("invoice.fr.txt.j2", "{{ number.__class__.__mro__ }}", "SecurityError"),
        ("invoice.fr.txt.j2", "{{ ''.__class__.__subclasses__() }}", "SecurityError"),
        ("invoice.fr.txt.j2", "{% for i in range(10**9) %}x{% endfor %}", "MAX_RANGE"),
        ("invoice.fr.txt.j2", '{% include "../../../../etc/passwd" %}', "TemplateNotFound"),
        ("invoice.fr.txt.j2", '{% include "invoice.fr.txt.j2" %}', "RecursionError"),
        ("../invoice.fr.txt.j2", "Bonjour", "not an email template"),
        ("invoice.fr.txt.j2", "x" * 100_001, "more than the 100000 allowed"),
    ],
)
def test_hostile_overrides_are_refused_with_a_reason(name, text, problem):
    problems = check_override(name, text)
    assert problems
    assert problem in " ".join(problems)


def test_a_subject_override_cannot_start_a_header_of_its_own():
    # Line breaks fold into one line at composing time: the override is harmless, so accepted.
    assert check_override("invoice.fr.subject.j2", "Facture {{ number }}\r\nBcc: spy@evil.example") == []
    assert check_override("invoice.fr.subject.j2", "Facture {{ number }}\u202e") != []


def test_an_override_that_never_ends_is_refused_in_bounded_time():
    code = textwrap.dedent(
        """
        from invoicing.documents.emails import check_override
        loop = "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"
        print(len(check_override("invoice.fr.txt.j2", loop)))
        """
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=6, cwd=ROOT, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail("check_override was still rendering after 6 seconds")
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 0  # refused, with a reason


# --- SES delivery events ---------------------------------------------------------------------------


def _sns(message: object) -> dict:
    return {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": message, "Timestamp": "t"}}]}


def test_delivery_events_of_odd_shapes():
    assert mail_events(_sns("not json")) == ()
    assert mail_events(_sns(json.dumps({"hello": "world"}))) == ()
    assert mail_events({}) == ()
    with pytest.raises(MessageError):
        mail_events(_sns("[1, 2]"))
    (event,) = mail_events(_sns(json.dumps({"eventType": "Bounce", "mail": "not an object"})))
    assert (event.invoice_id, event.recipients, event.permanent) == (None, (), True)
    (event,) = mail_events(
        _sns(
            json.dumps(
                {
                    "eventType": "Bounce",
                    "bounce": {"bounceType": "Transient", "bouncedRecipients": "a@b.example"},
                    "mail": {"tags": {"invoice_id": "inv-not-a-list"}, "headers": [{"name": "X"}]},
                }
            )
        )
    )
    assert (event.invoice_id, event.permanent) == (None, False)


def test_an_empty_notification_type_is_skipped_or_refused_cleanly():
    with contextlib.suppress(MessageError):
        assert mail_events(_sns(json.dumps({"notificationType": ""}))) == ()


def test_every_function_invoked_by_sns_keeps_its_failed_events():
    template = load_template(ROOT / "template.yaml")
    resources = template["Resources"]
    invoke_configs = [
        r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::EventInvokeConfig"
    ]
    for name, resource in resources.items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        if not any(e["Type"] == "SNS" for e in props.get("Events", {}).values()):
            continue
        on_failure = props.get("EventInvokeConfig", {}).get("DestinationConfig", {}).get("OnFailure")
        kept = (
            "DeadLetterQueue" in props
            or on_failure is not None
            or any(
                name in json.dumps(c.get("FunctionName")) and "OnFailure" in json.dumps(c)
                for c in invoke_configs
            )
        )
        assert kept, f"{name}: failed SNS invocations are dropped"


# --- reference rates -------------------------------------------------------------------------------


def test_reference_rates_that_are_well_formed_or_wrong_in_shape_named():
    rates = parse_rates('{"ecb": {"2026-H2": "2.15"}, "legal": {"2026-S2": "6.67"}}')
    assert str(rates.ecb_refinancing[(2026, 2)]) == "2.15"
    assert parse_rates("").ecb_refinancing == {}
    with pytest.raises(ValueError, match="REFERENCE_RATES"):
        parse_rates("[]")
    with pytest.raises(ValueError, match="REFERENCE_RATES"):
        parse_rates('{"ecb": {}, "bce": {}}')


@pytest.mark.parametrize(
    "text",
    [
        "{ecb: {2026-H2: 2.15}}",
        '{"ecb": "2.15"}',
        '{"ecb": {"2026-H2": 2.15}}',
        '{"ecb": {"2026-H3": "2.15"}}',
    ],
)
def test_malformed_reference_rates_are_refused_by_name(text):
    with pytest.raises(ValueError, match="REFERENCE_RATES"):
        parse_rates(text)


@pytest.mark.parametrize("rate", ["1e999999", "215"])
def test_absurd_reference_rates_are_refused(rate):
    with pytest.raises(ValueError, match="REFERENCE_RATES"):
        parse_rates(json.dumps({"ecb": {"2026-H2": rate}}))


# --- sending slots and pilot mode ------------------------------------------------------------------


def _settings(**changes: object) -> MailSettings:
    base = {"sender": "facturation@horizon-conseil.fr", "time_zone": "Europe/Paris"}
    return MailSettings(**{**base, **changes})  # type: ignore[arg-type]


def test_monthly_sending_on_the_31st_falls_on_the_months_last_business_day_or_after():
    sending = Sending(
        invoices=None,  # type: ignore[arg-type]
        mail=None,  # type: ignore[arg-type]
        settings=_settings(send_mode=SendMode.MONTHLY, send_day_of_month=31),
        alerts=None,  # type: ignore[arg-type]
    )

    def slot(*wall: int) -> datetime:
        found = sending.slot(datetime(*wall, tzinfo=PARIS))
        assert found is not None
        return found.astimezone(PARIS)

    # February 2027 ends on a Sunday: Monday 1 March at 09:00.
    assert slot(2027, 2, 3, 10) == datetime(2027, 3, 1, 9, tzinfo=PARIS)
    # Queued on 30 April (a Friday, the month's last day) after 09:00: the next slot is 31 May.
    assert slot(2027, 4, 30, 9, 30) == datetime(2027, 5, 31, 9, tzinfo=PARIS)
    # Queued on 31 December 2026 before 09:00: that very morning; just after: 1 February 2027
    # (31 January is a Sunday).
    assert slot(2026, 12, 31, 8, 59) == datetime(2026, 12, 31, 9, tzinfo=PARIS)
    assert slot(2026, 12, 31, 9, 1) == datetime(2027, 2, 1, 9, tzinfo=PARIS)
    assert sending.slot(datetime(2026, 12, 31, 8, tzinfo=UTC)) == datetime(2026, 12, 31, 9, tzinfo=PARIS)


class _NoClients:
    def get(self, ref: str) -> None:
        return None


@pytest.mark.parametrize("pilot_clients", [frozenset(), frozenset({"C0"}), frozenset({"C0011", "C00"})])
def test_pilot_mode_with_an_empty_or_odd_pilot_list_sends_everything_to_the_operator(pilot_clients):
    invoice = sample_invoice("fr")  # client C001
    mail = Correspondence(
        settings=_settings(pilot=True, pilot_clients=pilot_clients, operator_email="ops@agence.example"),
        clients=_NoClients(),  # type: ignore[arg-type]
        documents=None,  # type: ignore[arg-type]
        config=None,  # type: ignore[arg-type]
        mailer=None,  # type: ignore[arg-type]
        keys=None,
    )
    recipient = mail.recipient(invoice)
    assert recipient.to == "ops@agence.example"
    assert recipient.pilot_for == invoice.buyer.email
