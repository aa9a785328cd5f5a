"""Sending, replies, delivery events and dunning runs under hostile input and a messy world,
against the moto server.

A customer answers with a photo of a cheque, an out-of-office notice, a forged address; SES
delivers the same mail twice and reports bounces of emails that were not the customer's; the
owner's clients file carries an address no SES will send to; a template loops or builds a
megabyte string; two clients' references collide once made file-safe. Each test says what a
careful user expects. The 14 bugs this review found (large replies dead-lettered, duplicate
forwards, owner bounces stopping customer reminders, pilot mode without an address, unsendable
addresses imported, unbounded template rendering, notice key collisions, reference rates not
named or bounded, no dead-letter queue on the SNS path...) are fixed; these tests keep them so.
"""

from __future__ import annotations

import json
import struct
import zlib
from datetime import date, timedelta
from datetime import time as clock_time
from decimal import Decimal
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from invoicing.adapters.invoices import InvoiceRepository
from invoicing.adapters.records import models
from invoicing.domain.calendar import at_local_time, is_business_day, is_holiday, next_business_day
from invoicing.domain.receivable import Delivery, Status
from invoicing.domain.tokens import Keyring, Purpose, reply_address, sign
from invoicing.services.clock import today as business_today
from invoicing.services.dunning import Dunning
from invoicing.settings import RemindSettings
from invoicing_tools.local_aws.server import client
from tests import factories
from tests.integration.test_dunning_flow import FLOW, REPLY_DOMAIN, issue, run_day
from tests.integration.test_other_functions import sqs_event

PILOT = {"PilotMode": "Enabled", "PilotClients": "C001", "OperatorEmail": "ops@agence.example"}
OWNER = "gerant@horizon.example"
ONE_SALE = ["C001;03/11/2026;Audit;10;h;95;20;BC-1;;"]


# --- helpers ---------------------------------------------------------------------------------------


def reply_to_of(mailbox, doc) -> str:
    """The reply address the customer got with the invoice email (a signed REPLY token)."""
    (sent,) = [m for m in mailbox.about(doc.invoice.invoice_id) if m["X-Invoicing-Kind"] == "invoice"]
    address = str(sent["Reply-To"])
    assert address.startswith("reply+")
    return address


def customer_reply(
    to: str,
    *,
    body: str = "Bonjour, le paiement part la semaine prochaine.",
    headers: tuple[tuple[str, str], ...] = (),
    attachment: bytes | None = None,
    date_header: str = "Thu, 26 Nov 2026 11:20:00 +0100",
) -> bytes:
    reply = EmailMessage()
    reply["From"] = "Service comptable <compta@lefevre.example>"
    reply["To"] = to
    reply["Subject"] = "Re: Facture"
    reply["Date"] = date_header
    reply["Message-ID"] = make_msgid("client")
    for name, value in headers:
        reply[name] = value
    reply.set_content(body)
    if attachment is not None:
        reply.add_attachment(attachment, maintype="image", subtype="jpeg", filename="cheque.jpg")
    return reply.as_bytes()


def deliver_mail(bucket, runtime, key: str, raw: bytes) -> None:
    """SES inbound stores the raw mail under inbox/mail/; the ocr function reads it."""
    bucket.put(f"inbox/mail/{key}", raw)
    runtime.run_until_idle()


def forwards(mailbox, doc) -> list[EmailMessage]:
    return [m for m in mailbox.about(doc.invoice.invoice_id) if m["X-Invoicing-Kind"] == "reply-forward"]


def ocr_failures(runtime) -> int:
    return sum(d.failed for d in runtime.deliveries if d.function == "OcrFunction")


def keyring(stack) -> Keyring:
    value = client("ssm").get_parameter(Name=stack.token_keys_parameter(), WithDecryption=True)
    return Keyring.parse(value["Parameter"]["Value"])


def ses_event(message: dict | str) -> dict:
    """A Lambda SNS event carrying one SES event-publishing message."""
    body = message if isinstance(message, str) else json.dumps(message)
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": "5a9e1b1e-0000-4000-8000-000000000001",
                    "TopicArn": "arn:aws:sns:eu-west-3:123456789012:delivery-events",
                    "Message": body,
                    "Timestamp": "2026-11-26T10:00:00.000Z",
                },
            }
        ]
    }


def bounce(invoice_id: str, *, to: str, kind: str = "invoice", bounce_type: str = "Permanent") -> dict:
    """What SES publishes for a bounce of one of our tagged messages."""
    return {
        "eventType": "Bounce",
        "bounce": {
            "bounceType": bounce_type,
            "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": to, "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
            "timestamp": "2026-11-26T10:00:00.000Z",
        },
        "mail": {
            "messageId": "0102018f-0000-0000-0000-000000000000-000000",
            "destination": [to],
            "tags": {"invoice_id": [invoice_id], "kind": [kind]},
        },
    }


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels (a decompression bomb's header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1024))
        + chunk(b"IEND", b"")
    )


# --- replies: what holds -------------------------------------------------------------------------


@pytest.mark.stack_parameters(**FLOW)
def test_replies_with_forged_expired_or_payment_tokens_pause_nothing_and_reach_the_operator(
    runtime, stack, bucket, resources, with_clients, mailbox, operator_inbox
):
    doc = issue(runtime, bucket, resources, ONE_SALE)["BC-1"]
    (invoice_mail,) = mailbox.about(doc.invoice.invoice_id)
    text = invoice_mail.get_body(("plain",)).get_content()
    pay_token = text.split("/pay/", 1)[1][:56]
    keys = keyring(stack)
    yesterday = business_today("Europe/Paris") - timedelta(days=1)
    expired = sign(doc.invoice.invoice_id, Purpose.REPLY, yesterday, keys)
    addresses = {
        "forged": f"reply+{'a' * 56}@{REPLY_DOMAIN}",
        "pay-token": reply_address(pay_token, REPLY_DOMAIN),  # a payment token is not a reply token
        "expired": reply_address(expired, REPLY_DOMAIN),
    }
    before = len(mailbox.messages())
    for name, address in addresses.items():
        deliver_mail(bucket, runtime, name, customer_reply(address))
    assert ocr_failures(runtime) == 0
    r = InvoiceRepository(resources).get(doc.invoice.invoice_id).receivable
    assert r.dunning.paused_until is None
    assert len(mailbox.messages()) == before  # nothing forwarded, nothing sent
    alerts = [a for a in operator_inbox.messages() if a["Subject"] == "Reponse non reconnue"]
    assert len(alerts) == 3
    assert all("compta@lefevre.example" in a["Message"] for a in alerts)
    assert sorted(bucket.keys("inbox/mail/")) == sorted(f"inbox/mail/{n}" for n in addresses)  # kept


@pytest.mark.stack_parameters(**FLOW)
def test_a_reply_dated_in_2100_or_year_9999_pauses_two_weeks_from_today_and_never_crashes(
    runtime, bucket, resources, with_clients, mailbox
):
    docs = issue(
        runtime,
        bucket,
        resources,
        ["C001;03/11/2026;Audit;1;h;95;20;BC-1;;", "C001;03/11/2026;Audit;1;h;95;20;BC-2;;"],
    )
    repo = InvoiceRepository(resources)
    deliver_mail(
        bucket,
        runtime,
        "future",
        customer_reply(reply_to_of(mailbox, docs["BC-1"]), date_header="Fri, 01 Jan 2100 10:00:00 +0100"),
    )
    deliver_mail(
        bucket,
        runtime,
        "far-future",
        customer_reply(reply_to_of(mailbox, docs["BC-2"]), date_header="Fri, 31 Dec 9999 23:00:00 -1200"),
    )
    assert ocr_failures(runtime) == 0
    for doc in docs.values():
        paused = repo.get(doc.invoice.invoice_id).receivable.dunning.paused_until
        assert paused is not None
        assert paused <= business_today("Europe/Paris") + timedelta(
            days=15
        )  # 14 days, whatever the sender wrote
        assert len(forwards(mailbox, doc)) == 1


@pytest.mark.stack_parameters(**FLOW)
def test_spam_non_mail_and_a_reply_among_500_recipients(runtime, bucket, resources, with_clients, mailbox):
    docs = issue(
        runtime,
        bucket,
        resources,
        ["C001;03/11/2026;Audit;1;h;95;20;BC-1;;", "C001;03/11/2026;Audit;1;h;95;20;BC-2;;"],
    )
    repo = InvoiceRepository(resources)
    spam, crowd = docs["BC-1"], docs["BC-2"]
    # SES says spam: the token is not acted upon, whatever the sender wrote below SES's verdict.
    deliver_mail(
        bucket,
        runtime,
        "spam",
        customer_reply(
            reply_to_of(mailbox, spam),
            headers=(("X-SES-Spam-Verdict", "FAIL"), ("X-SES-Virus-Verdict", "PASS")),
        ),
    )
    # Not a mail at all under inbox/mail/ (a PDF, binary junk, an empty file).
    deliver_mail(bucket, runtime, "scan.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    deliver_mail(bucket, runtime, "junk", bytes(range(256)) * 40)
    deliver_mail(bucket, runtime, "empty", b"")
    # A reply-all to 500 people, our reply address last.
    others = ", ".join(f"associe{n}@lefevre.example" for n in range(500))
    deliver_mail(bucket, runtime, "crowd", customer_reply(f"{others}, {reply_to_of(mailbox, crowd)}"))
    assert ocr_failures(runtime) == 0
    assert repo.get(spam.invoice.invoice_id).receivable.dunning.paused_until is None
    assert forwards(mailbox, spam) == []
    assert repo.get(crowd.invoice.invoice_id).receivable.dunning.paused_until is not None
    (forward,) = forwards(mailbox, crowd)
    # The forward cannot start a loop: it goes to the owner, without any reply address of ours.
    assert str(forward["To"]) == OWNER
    assert forward["Reply-To"] is None
    assert "reply+" not in str(forward["From"])


# --- replies: bugs ----------------------------------------------------------------------------------


@pytest.mark.stack_parameters(**FLOW)
def test_a_reply_with_a_large_attachment_still_reaches_the_owner(
    runtime, bucket, resources, with_clients, mailbox, operator_inbox
):
    doc = issue(runtime, bucket, resources, ONE_SALE)["BC-1"]
    photo = b"\xff\xd8\xff\xe0" + bytes(8 * 1024 * 1024)
    bucket.put("inbox/mail/cheque", customer_reply(reply_to_of(mailbox, doc), attachment=photo))
    runtime.poll("OcrFunction")  # one delivery (a failure would be retried five times, then dead-lettered)
    assert InvoiceRepository(resources).get(doc.invoice.invoice_id).receivable.dunning.paused_until
    told = forwards(mailbox, doc) or [
        a for a in operator_inbox.messages() if doc.invoice.number in a["Message"]
    ]
    assert told, "neither the owner nor the operator heard of the reply"
    assert ocr_failures(runtime) == 0


@pytest.mark.stack_parameters(**FLOW)
def test_the_same_reply_delivered_twice_is_forwarded_once(
    runtime, stack, bucket, resources, with_clients, mailbox
):
    doc = issue(runtime, bucket, resources, ONE_SALE)["BC-1"]
    deliver_mail(bucket, runtime, "reply-1", customer_reply(reply_to_of(mailbox, doc)))
    paused = InvoiceRepository(resources).get(doc.invoice.invoice_id).receivable.dunning.paused_until
    assert paused is not None
    assert len(forwards(mailbox, doc)) == 1
    version = bucket.s3.head_object(Bucket=bucket.name, Key="inbox/mail/reply-1").get("VersionId")
    notification = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "bucket": {"name": bucket.name},
                    "object": {"key": "inbox/mail/reply-1", "versionId": version},
                },
            }
        ]
    }
    answer = runtime.invoke("OcrFunction", sqs_event(stack, "OcrQueue", [json.dumps(notification)]))
    assert answer == {"batchItemFailures": []}
    assert InvoiceRepository(resources).get(doc.invoice.invoice_id).receivable.dunning.paused_until == paused
    assert len(forwards(mailbox, doc)) == 1


@pytest.mark.stack_parameters(**FLOW)
def test_a_reply_to_a_paid_invoice_does_not_tell_the_owner_reminders_will_resume(
    runtime, bucket, resources, with_clients, mailbox
):
    doc = issue(runtime, bucket, resources, ONE_SALE)["BC-1"]
    repo = InvoiceRepository(resources)
    repo.update(doc.invoice.invoice_id, lambda r: r.record_payment("vir-123", r.due, r.issue_date))
    deliver_mail(bucket, runtime, "merci", customer_reply(reply_to_of(mailbox, doc), body="Réglé hier."))
    r = repo.get(doc.invoice.invoice_id).receivable
    assert r.status is Status.PAID
    assert r.dunning.paused_until is None
    (forward,) = forwards(mailbox, doc)
    text = forward.get_body(("plain",)).get_content()
    assert "suspendues jusqu'au" not in text
    assert "reprendront" not in text


@pytest.mark.stack_parameters(**FLOW)
def test_an_out_of_office_auto_reply_does_not_pause_the_reminders(
    runtime, bucket, resources, with_clients, mailbox
):
    doc = issue(runtime, bucket, resources, ONE_SALE)["BC-1"]
    deliver_mail(
        bucket,
        runtime,
        "absent",
        customer_reply(
            reply_to_of(mailbox, doc),
            body="Je suis absent jusqu'au 4 janvier. Pour toute urgence : accueil@lefevre.example",
            headers=(("Auto-Submitted", "auto-replied"), ("X-Autoreply", "yes")),
        ),
    )
    r = InvoiceRepository(resources).get(doc.invoice.invoice_id).receivable
    assert r.dunning.paused_until is None


# --- SES delivery events -------------------------------------------------------------------------


@pytest.mark.stack_parameters(**FLOW)
def test_odd_delivery_events_change_nothing_they_should_not(
    runtime, bucket, resources, with_clients, mailbox, operator_inbox
):
    docs = issue(
        runtime,
        bucket,
        resources,
        ["C001;03/11/2026;Audit;1;h;95;20;BC-1;;", "C001;03/11/2026;Audit;1;h;95;20;BC-2;;"],
    )
    doc, failing = docs["BC-1"], docs["BC-2"]
    repo = InvoiceRepository(resources)
    invoice_id = doc.invoice.invoice_id
    unknown = "inv-" + "0" * 32
    outcomes = {
        "unknown": runtime.invoke("SendFunction", ses_event(bounce(unknown, to="x@y.example"))),
        "not-json": runtime.invoke("SendFunction", ses_event("{not json")),
        "confirmation": runtime.invoke(
            "SendFunction", ses_event("You have chosen to subscribe to the topic")
        ),
        "no-mail": runtime.invoke(
            "SendFunction", ses_event({"eventType": "Bounce", "bounce": {"bounceType": "Permanent"}})
        ),
        "transient": runtime.invoke(
            "SendFunction",
            ses_event(bounce(invoice_id, to="compta@lefevre.example", bounce_type="Transient")),
        ),
        "delivery": runtime.invoke(
            "SendFunction",
            ses_event({"eventType": "Delivery", "mail": {"tags": {"invoice_id": [invoice_id]}}}),
        ),
    }
    assert outcomes == {
        "unknown": {"delivery_events": ["unknown-document"]},
        "not-json": {"delivery_events": []},
        "confirmation": {"delivery_events": []},
        "no-mail": {"delivery_events": ["unknown-document"]},
        "transient": {"delivery_events": ["transient"]},
        "delivery": {"delivery_events": ["ignored"]},
    }
    assert repo.get(invoice_id).receivable.status is Status.SENT
    assert repo.get(unknown) is None
    # A permanent bounce of the customer's address stops that invoice's reminders, not the other's.
    answer = runtime.invoke(
        "SendFunction", ses_event(bounce(failing.invoice.invoice_id, to="compta@lefevre.example"))
    )
    assert answer == {"delivery_events": ["delivery-failed"]}
    assert repo.get(failing.invoice.invoice_id).receivable.next_action_on is None
    assert repo.get(invoice_id).receivable.next_action_on is not None
    alerts = operator_inbox.messages()
    assert any("sans facture reconnue" in a["Message"] for a in alerts)


@pytest.mark.parametrize("kind", ["reply-forward", "escalation"])
@pytest.mark.stack_parameters(**FLOW)
def test_a_bounce_of_an_email_to_the_owner_does_not_stop_the_customers_reminders(
    runtime, bucket, resources, with_clients, mailbox, operator_inbox, kind
):
    doc = issue(runtime, bucket, resources, ONE_SALE)["BC-1"]
    repo = InvoiceRepository(resources)
    next_on = repo.get(doc.invoice.invoice_id).receivable.next_action_on
    runtime.invoke("SendFunction", ses_event(bounce(doc.invoice.invoice_id, to=OWNER, kind=kind)))
    r = repo.get(doc.invoice.invoice_id).receivable
    assert r.status is Status.SENT
    assert r.next_action_on == next_on
    assert not any("fichier clients" in a["Message"] for a in operator_inbox.messages())


@pytest.mark.stack_parameters(**FLOW)
def test_the_same_bounce_twice_alerts_once(runtime, bucket, resources, with_clients, operator_inbox):
    doc = issue(runtime, bucket, resources, ONE_SALE)["BC-1"]
    event = ses_event(bounce(doc.invoice.invoice_id, to="compta@lefevre.example"))
    runtime.invoke("SendFunction", event)
    runtime.invoke("SendFunction", event)
    alerts = [a for a in operator_inbox.messages() if doc.invoice.number in a["Subject"]]
    assert len(alerts) == 1


# --- sending -----------------------------------------------------------------------------------------


@pytest.mark.stack_parameters(**FLOW)
def test_header_injection_in_a_client_name_a_zero_invoice_and_a_credit_note(
    runtime, stack, bucket, resources, mailbox
):
    from invoicing.business import GenerateSettings
    from invoicing.services.credit_notes import issue_credit_note
    from invoicing.services.issuing import Issuer

    text = factories.clients_csv(
        [factories.bakery(), factories.bakery(ref="C040", email="compta@c040.example")]
    )
    # A multi-line spreadsheet cell, as a CSV export quotes it.
    text = text.replace("C040;Boulangerie Lefèvre SAS;", 'C040;"Evil SARL\r\nBcc: spy@evil.example";')
    bucket.put("incoming/clients/clients.csv", text)
    runtime.run_until_idle()
    assert bucket.keys("rejected/") == []
    docs = issue(
        runtime,
        bucket,
        resources,
        ["C040;03/11/2026;Audit;1;h;95;20;BC-1;;", "C001;03/11/2026;Geste commercial;1;h;0;20;BC-0;;"],
    )
    (evil,) = mailbox.about(docs["BC-1"].invoice.invoice_id)
    assert "spy@evil.example" not in evil.envelope_to
    assert evil["Bcc"] is None
    assert "\n" not in str(evil["To"])
    assert str(evil["To"]).endswith("<compta@c040.example>")
    # A zero invoice: nothing to pay, no payment link, nothing to chase.
    (zero,) = mailbox.about(docs["BC-0"].invoice.invoice_id)
    assert "/pay/" not in zero.get_body(("plain",)).get_content()
    assert InvoiceRepository(resources).get(docs["BC-0"].invoice.invoice_id).receivable.next_action_on is None
    # A credit note goes out without a payment link.
    issuer = Issuer.from_settings(GenerateSettings.from_env(stack.functions["GenerateFunction"].environment))
    note = issue_credit_note(issuer, docs["BC-1"].invoice.number, reason="Annulation")
    runtime.run_until_idle()
    (credit,) = mailbox.about(note.invoice_id)
    assert "/pay/" not in credit.get_body(("plain",)).get_content()


@pytest.mark.stack_parameters(**PILOT)
def test_pilot_mode_and_a_client_without_email_waits_for_an_address(
    runtime, bucket, resources, mailbox, operator_inbox
):
    no_email = factories.bakery(ref="C010", name="Atelier Sans Courriel SARL", email=None)
    bucket.put("incoming/clients/clients.csv", factories.clients_csv([no_email]))
    runtime.run_until_idle()
    doc = issue(runtime, bucket, resources, ["C010;03/11/2026;Audit;1;h;95;20;BC-1;;"])["BC-1"]
    r = InvoiceRepository(resources).get(doc.invoice.invoice_id).receivable
    assert r.status is not Status.DELIVERY_FAILED, r.delivery.failure
    assert r.status is Status.TO_SEND or r.delivery.state is Delivery.SENT


@pytest.mark.parametrize("address", ["compta\u200b@atelier.example", "élodie.martin@atelier.example"])
@pytest.mark.stack_parameters(**FLOW)
def test_a_clients_file_with_an_unsendable_address_is_refused_with_a_report(
    runtime, bucket, resources, mailbox, address
):
    client_row = factories.bakery(ref="C050", name="Atelier Martin SARL", email=address)
    bucket.put("incoming/clients/clients.csv", factories.clients_csv([client_row]))
    runtime.run_until_idle()
    assert bucket.keys("rejected/clients/") == ["rejected/clients/clients.csv"]
    report = bucket.get("reports/clients/clients.csv.errors.csv").decode("utf-8-sig")
    assert "email" in report


@pytest.mark.stack_parameters(**FLOW)
def test_a_template_that_renders_megabytes_is_refused_on_upload(
    runtime, bucket, resources, with_clients, mailbox
):
    bucket.put("config/templates/invoice.fr.txt.j2", '{{ "x" * 11000000 }}')
    runtime.run_until_idle()
    assert bucket.keys("config/") == []
    assert bucket.keys("rejected/config/") == ["rejected/config/templates/invoice.fr.txt.j2"]
    doc = issue(runtime, bucket, resources, ONE_SALE)["BC-1"]
    assert InvoiceRepository(resources).get(doc.invoice.invoice_id).receivable.status is Status.SENT


@pytest.mark.stack_parameters(**FLOW)
def test_hostile_configuration_files_are_refused_and_emails_still_go_out(
    runtime, bucket, resources, with_clients, mailbox, operator_inbox
):
    steps = ",".join(f'{{"day": {n}, "tone": "gentle"}}' for n in range(1, 10_001))
    hostile = {
        "config/templates/../../incoming/x.j2": b"path tricks",
        "config/templates/reminder_gentle.fr.txt.j2": b"a" * (5 * 1024 * 1024),
        "config/templates/reminder_firm.fr.txt.j2": b"Bonjour \xe9\xff {{ number }}",
        "config/templates/invoice.fr.subject.j2": b"{{ number.__class__.__mro__ }}",
        "config/templates/invoice.en.txt.j2": b"{% for i in range(10**9) %}x{% endfor %}",
        "config/logo.png": png_header(60_000, 60_000),
        "config/dunning.json": ('{"steps": [' + steps + "]}").encode(),
    }
    for key, data in hostile.items():
        bucket.put(key, data)
    runtime.run_until_idle()
    assert bucket.keys("config/") == []
    assert len(bucket.keys("rejected/config/")) == len(hostile)
    assert len(bucket.keys("reports/config/")) == len(hostile)
    assert bucket.keys("incoming/") == []  # the ../ stayed a name, nothing landed elsewhere
    refused = [a for a in operator_inbox.messages() if "Configuration refusee" in a["Subject"]]
    assert len(refused) == len(hostile)
    doc = issue(runtime, bucket, resources, ONE_SALE)["BC-1"]
    (sent,) = mailbox.about(doc.invoice.invoice_id)
    assert str(sent["Subject"]).startswith("Facture ")


# --- dunning runs ------------------------------------------------------------------------------------


@pytest.mark.stack_parameters(**FLOW)
def test_holidays_garbage_schedules_and_a_deleted_client(runtime, bucket, resources, with_clients, mailbox):
    docs = issue(
        runtime,
        bucket,
        resources,
        ["C001;03/11/2026;Audit;1;h;95;20;BC-1;;", "C003;03/11/2026;Cours;1;h;40;20;BC-2;;"],
    )
    before = len(mailbox.messages())
    with pytest.raises(ValueError, match="garbage"):
        runtime.invoke("RemindFunction", {"scheduled_time": "garbage"})
    with pytest.raises(ValueError, match="time zone"):
        runtime.invoke("RemindFunction", {"scheduled_time": "2026-12-29"})
    assert len(mailbox.messages()) == before
    # A public holiday on a weekday (Christmas 2026 is a Friday), once both invoices have a step due:
    # nothing goes out; the next business day catches up.
    holiday = max(d.receivable.next_action_on for d in docs.values())
    while not (holiday.weekday() < 5 and is_holiday(holiday)):
        holiday += timedelta(days=1)
    assert (
        runtime.run_schedule("RemindFunction", at=at_local_time(holiday, clock_time(9)))["business_day"]
        is False
    )
    assert len(mailbox.messages()) == before
    # The client C003 is deleted from the clients table: its reminder goes to the invoice's address.
    models(resources).ClientRecord("C003").delete()
    result = run_day(runtime, next_business_day(holiday))
    assert len(result["reminders"]) == 2
    assert result["failures"] == []
    (to_c003,) = [
        m
        for m in mailbox.messages()[before:]
        if m["X-Invoicing-Invoice-Id"] == docs["BC-2"].invoice.invoice_id
    ]
    assert str(to_c003["To"]).endswith("<helene@courriel.example>")


@pytest.mark.stack_parameters(**FLOW)
def test_a_payment_between_claim_and_completion_and_the_next_reminder_states_what_is_left(
    runtime, stack, bucket, resources, with_clients, mailbox
):
    doc = issue(runtime, bucket, resources, ONE_SALE)["BC-1"]
    invoice_id = doc.invoice.invoice_id
    repo = InvoiceRepository(resources)
    day = next_business_day(doc.invoice.due_date + timedelta(days=15))
    dunning = Dunning.from_settings(RemindSettings.from_env(stack.functions["RemindFunction"].environment))
    send = dunning.mail.send

    def send_while_the_customer_pays(message, **tags):
        # The customer's transfer is recorded while the reminder is on its way to SES.
        repo.update(invoice_id, lambda r: r.record_payment("vir-1", Decimal("500.00"), day))
        return send(message, **tags)

    dunning.mail.send = send_while_the_customer_pays
    report = dunning.run(day)
    assert [(r["tone"], r["due"]) for r in report.reminders] == [("firm", "1140.00")]
    r = repo.get(invoice_id).receivable
    assert (r.dunning.step, r.dunning.claimed) == (3, None)  # completed despite the concurrent write
    assert r.due == Decimal("640.00")
    assert [m.kind for m in r.messages] == ["invoice", "reminder"]
    # The same day again: nothing twice. The final reminder asks what is left, penalties included.
    assert dunning.run(day).reminders == []
    final_day = next_business_day(doc.invoice.due_date + timedelta(days=30))
    before = len(mailbox.messages())
    result = run_day(runtime, final_day)
    assert [(x["tone"], x["due"]) for x in result["reminders"]] == [("final", "640.00")]
    (final,) = mailbox.messages()[before:]
    text = final.get_body(("plain",)).get_content().replace("\u202f", " ").replace("\xa0", " ")
    assert "640,00 €" in text
    assert "Pénalités de retard" in text


def _escalate(runtime, due: date) -> dict:
    """The final reminder, then the escalation eight days later (two runs, business days)."""
    final_day = next_business_day(due + timedelta(days=30))
    assert {r["tone"] for r in run_day(runtime, final_day)["reminders"]} == {"final"}
    return run_day(runtime, next_business_day(final_day + timedelta(days=8)))


@pytest.mark.stack_parameters(**FLOW)
def test_two_invoices_of_one_client_escalate_in_one_notice(runtime, bucket, resources, with_clients, mailbox):
    docs = issue(
        runtime,
        bucket,
        resources,
        ["C001;03/11/2026;Audit;1;h;95;20;BC-1;;", "c001;03/11/2026;Audit;2;h;95;20;BC-2;;"],
    )
    result = _escalate(runtime, docs["BC-1"].invoice.due_date)
    (escalation,) = result["escalations"]
    assert sorted(escalation["numbers"]) == sorted(d.invoice.number for d in docs.values())
    assert escalation["due"] == "342.00"
    assert len(bucket.keys("notices/")) == 1
    owner_mail = [m for m in mailbox.messages() if m["X-Invoicing-Kind"] == "escalation"]
    assert len(owner_mail) == 1
    assert is_business_day(date.fromisoformat(result["day"]))


@pytest.mark.stack_parameters(**FLOW)
def test_two_clients_whose_references_differ_by_a_slash_get_their_own_notice(
    runtime, bucket, resources, mailbox
):
    clients = [
        factories.bakery(ref="C/030", name="Slash SARL", email="compta@slash.example"),
        factories.bakery(ref="C_030", name="Souligné SARL", email="compta@souligne.example"),
    ]
    bucket.put("incoming/clients/clients.csv", factories.clients_csv(clients))
    runtime.run_until_idle()
    docs = issue(
        runtime,
        bucket,
        resources,
        ["C/030;03/11/2026;Audit;1;h;95;20;BC-1;;", "C_030;03/11/2026;Audit;1;h;95;20;BC-2;;"],
    )
    result = _escalate(runtime, docs["BC-1"].invoice.due_date)
    assert len(result["escalations"]) == 2
    notices = {e["notice"] for e in result["escalations"]}
    assert len(notices) == 2
    assert len(bucket.keys("notices/")) == 2


@pytest.mark.stack_parameters(ReferenceRates="{ecb: {2026-H2: 2.15}}")
def test_a_malformed_reference_rates_parameter_fails_the_cold_start_by_name(runtime):
    with pytest.raises(ValueError, match=r"ReferenceRates|REFERENCE_RATES"):
        runtime.run_schedule("RemindFunction")
