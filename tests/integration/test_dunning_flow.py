"""Sending and dunning against the moto server, over simulated days.

Invoices are issued through the generate function (a sales file dropped in the bucket), emailed
by the send function through SES, then the remind function runs every day at 09:00 Paris time
as EventBridge Scheduler triggers it (its ``scheduled_time``), from the issue date to 45 days
after the due date. What went out is read back from what moto's SES recorded and parsed as MIME.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from invoicing.adapters.invoices import InvoiceRepository
from invoicing.domain.calendar import at_local_time, is_business_day, next_business_day
from invoicing.domain.receivable import Delivery, Status
from tests.conftest import fixture_path, sales_csv

REPLY_DOMAIN = "reply.horizon.example"
#: Test values for the reference rates (not the published ones): ECB + 10 points.
RATES = json.dumps({"ecb": {"2026-H2": "2.15", "2027-H1": "2.00", "2027-H2": "2.00"}})
FLOW = {"ReplyDomain": REPLY_DOMAIN, "ReferenceRates": RATES, "OwnerEmail": "gerant@horizon.example"}


def run_day(runtime, day: date) -> dict:
    """The 09:00 run of ``day``, then whatever it queued (scheduled sends) or the inbox holds."""
    result = runtime.run_schedule("RemindFunction", at=at_local_time(day, clock_time(9, 0, 5)))
    runtime.run_until_idle()
    return result


def attachments(message: EmailMessage) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()}


def issue(runtime, bucket, resources, rows: list[str]) -> dict[str, object]:
    bucket.put("incoming/ventes.csv", sales_csv(rows))
    runtime.run_until_idle()
    stored = InvoiceRepository(resources).all()
    return {s.invoice.draft.order_ref or s.invoice.buyer.ref: s for s in stored}


@pytest.mark.stack_parameters(**FLOW)
def test_a_portfolio_over_fifty_days(
    runtime, stack, bucket, resources, with_clients, mailbox, operator_inbox
):
    docs = issue(
        runtime,
        bucket,
        resources,
        [
            "C001;03/11/2026;Audit logistique;10;h;95;20;BC-A;;",  # never paid: the whole sequence
            "C001;03/11/2026;Formation;1;jour;690;20;BC-B;;",  # paid after the gentle reminder
            "C003;03/11/2026;Cours particulier;2;h;40;20;BC-C;;",  # a private person who replies
        ],
    )
    a, b, c = docs["BC-A"], docs["BC-B"], docs["BC-C"]
    repo = InvoiceRepository(resources)
    # Each invoice went out at once, with its PDF, payment link and a reply address.
    for doc in (a, b, c):
        (sent,) = mailbox.about(doc.invoice.invoice_id)
        assert repo.get(doc.invoice.invoice_id).receivable.status is Status.SENT
        assert f"{doc.invoice.number}.pdf" in attachments(sent)
        assert str(sent["To"]).endswith(doc.invoice.buyer.email + ">")
        assert "/pay/" in sent.get_body(("plain",)).get_content()
    start = len(mailbox.messages())

    due = a.invoice.due_date
    assert b.invoice.due_date == c.invoice.due_date == due
    replied_on = None
    per_day: dict[date, list[EmailMessage]] = defaultdict(list)
    day = a.invoice.issue_date
    while day <= due + timedelta(days=45):
        before = len(mailbox.messages())
        run_day(runtime, day)
        new = mailbox.messages()[before:]
        per_day[day] += new
        for message in new:
            number_of = message["X-Invoicing-Invoice-Id"]
            if number_of == b.invoice.invoice_id and "gentle" in _tones(repo, b):
                # B pays the day after its gentle reminder.
                pay_day = day + timedelta(days=1)
                repo.update(b.invoice.invoice_id, lambda r, d=pay_day: r.record_payment("tr_b", r.due, d))
            if number_of == c.invoice.invoice_id and replied_on is None:
                # C's customer answers the first reminder the next day.
                replied_on = day + timedelta(days=1)
                _reply(bucket, runtime, message, replied_on)
        day += timedelta(days=1)

    # --- A: the whole sequence, each step once, on the expected business days, then the owner.
    a_mail = [m for m in mailbox.messages()[start:] if m["X-Invoicing-Invoice-Id"] == a.invoice.invoice_id]
    sent_days = {m.ses_id: d for d, ms in per_day.items() for m in ms}
    expected = [next_business_day(due + timedelta(days=n)) for n in (-3, 7, 15, 30, 38)]
    assert [sent_days[m.ses_id] for m in a_mail] == expected
    assert all(is_business_day(d) for d in expected)
    customer, owner = a_mail[:4], a_mail[4]
    for m in customer:
        assert str(m["To"]).endswith("compta@lefevre.example>")
        assert str(m["Reply-To"]).startswith("reply+")
        assert str(m["Reply-To"]).endswith("@" + REPLY_DOMAIN)
        assert f"{a.invoice.number}.pdf" in attachments(m)
    texts = [m.get_body(("plain",)).get_content() for m in customer]
    # Penalties are computed in the firm and final reminders only, with the 40 EUR recovery fee.
    assert ["Pénalités de retard (" in t for t in texts] == [False, False, True, True]
    assert all("Indemnité forfaitaire pour frais de recouvrement : 40,00" in t for t in texts[2:])
    assert "L441-10" in texts[2] or "L. 441-10" in texts[2]
    assert "gerant@horizon.example" in str(owner["To"])
    notice = [data for name, data in attachments(owner).items() if name.endswith(".pdf")]
    assert len(notice) == 1
    assert notice[0].startswith(b"%PDF-")
    assert bucket.keys("notices/")
    assert bucket.keys("notices/")[0].endswith(".pdf")
    final_a = repo.get(a.invoice.invoice_id).receivable
    assert final_a.dunning.finished
    assert final_a.next_action_on is None
    assert [m.tone for m in final_a.messages if m.kind != "invoice"] == [
        "courtesy",
        "gentle",
        "firm",
        "final",
        "escalation",
    ]

    # --- B: paid after its gentle reminder: nothing after it.
    b_mail = [m for m in mailbox.messages()[start:] if m["X-Invoicing-Invoice-Id"] == b.invoice.invoice_id]
    assert [sent_days[m.ses_id] for m in b_mail] == expected[:2]
    assert repo.get(b.invoice.invoice_id).receivable.status is Status.PAID

    # --- C: the reply paused its reminders for 14 days and reached the owner.
    assert replied_on is not None
    c_rem = [m for m in mailbox.messages()[start:] if m["X-Invoicing-Invoice-Id"] == c.invoice.invoice_id]
    to_owner = [m for m in c_rem if "gerant@horizon.example" in str(m["To"])]
    forwarded = [m for m in to_owner if "message/rfc822" in {p.get_content_type() for p in m.walk()}]
    assert len(forwarded) == 1
    (original,) = [p.get_content() for p in forwarded[0].walk() if p.get_content_type() == "message/rfc822"]
    assert "le paiement part la semaine prochaine" in original.get_body(("plain",)).get_content()
    reminders_c = [sent_days[m.ses_id] for m in c_rem if m not in to_owner]
    pause_end = replied_on + timedelta(days=14)
    assert reminders_c[0] == expected[0]
    assert all(d >= pause_end for d in reminders_c[1:])  # nothing while paused
    assert len(reminders_c) >= 2  # and the sequence resumed after the pause
    alerts = operator_inbox.messages()
    assert any("Fin des relances" in a["Subject"] for a in alerts)


def _tones(repo, doc) -> list[str]:
    return [m.tone for m in repo.get(doc.invoice.invoice_id).receivable.messages if m.tone]


def _reply(bucket, runtime, reminder: EmailMessage, on: date) -> None:
    """The customer answers: SES inbound stores the raw mail under inbox/mail/."""
    reply = EmailMessage()
    reply["From"] = reminder["To"]
    reply["To"] = reminder["Reply-To"]
    reply["Subject"] = "Re: " + str(reminder["Subject"])
    reply["Date"] = at_local_time(on, clock_time(11, 20)).strftime("%a, %d %b %Y %H:%M:%S %z")
    reply["Message-ID"] = make_msgid("client")
    reply.set_content("Bonjour, la facture est bien reçue ; le paiement part la semaine prochaine.")
    bucket.put(f"inbox/mail/{on.isoformat()}-reply", reply.as_bytes())
    runtime.run_until_idle()


@pytest.mark.stack_parameters(**FLOW)
def test_concurrent_and_retried_runs_send_each_step_once(
    runtime, stack, bucket, resources, with_clients, mailbox
):
    from invoicing.services.dunning import Dunning
    from invoicing.settings import RemindSettings

    docs = issue(runtime, bucket, resources, [f"C001;03/11/2026;Audit;1;h;95;20;BC-{n};;" for n in range(6)])
    due = next(iter(docs.values())).invoice.due_date
    day = next_business_day(due + timedelta(days=7))
    before = len(mailbox.messages())
    results: list[dict] = []
    # Three containers of the remind function at once, each with its own service (as Lambda
    # would run them), built from the function's own environment.
    settings = RemindSettings.from_env(stack.functions["RemindFunction"].environment)
    containers = [Dunning.from_settings(settings) for _ in range(3)]

    def run(dunning: Dunning) -> None:
        results.append(dunning.run(day).as_dict())

    threads = [threading.Thread(target=run, args=(d,)) for d in containers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    again = runtime.run_schedule("RemindFunction", at=at_local_time(day, clock_time(10)))  # a retried run
    sent = mailbox.messages()[before:]
    assert sorted(m["X-Invoicing-Invoice-Id"] for m in sent) == sorted(
        d.invoice.invoice_id for d in docs.values()
    )
    assert sum(len(r["reminders"]) for r in [*results, again]) == len(docs)
    # A run missed for a week (J+7 and J+15 both due): only the latest step goes out, once.
    later = next_business_day(due + timedelta(days=16))
    before = len(mailbox.messages())
    result = run_day(runtime, later)
    assert {r["tone"] for r in result["reminders"]} == {"firm"}
    assert len(mailbox.messages()) - before == len(docs)


@pytest.mark.stack_parameters(**FLOW)
def test_a_bounce_or_a_complaint_stops_the_reminders_and_tells_the_operator(
    runtime, bucket, resources, with_clients, mailbox, operator_inbox
):
    docs = issue(
        runtime,
        bucket,
        resources,
        ["C001;03/11/2026;Audit;1;h;95;20;BC-1;;", "C001;03/11/2026;Audit;1;h;95;20;BC-2;;"],
    )
    repo = InvoiceRepository(resources)
    for (_order, fixture), doc in zip(
        (("BC-1", "SnsBounceExample.json"), ("BC-2", "SnsComplaintExample.json")),
        (docs["BC-1"], docs["BC-2"]),
        strict=True,
    ):
        (sent,) = mailbox.about(doc.invoice.invoice_id)
        envelope = json.loads(fixture_path("ses", "notifications", "laravel-ses", fixture).read_text())
        message = json.loads(envelope["Message"])
        # What SES publishes for our message: its id, and the tags we sent it with.
        message["mail"]["messageId"] = sent.ses_id
        message["mail"]["tags"] = {"invoice_id": [doc.invoice.invoice_id], "kind": ["invoice"]}
        # ... and the recipient it was for (the recorded shapes name other people).
        for key in ("bounce", "complaint"):
            if key in message:
                recipients = message[key].get("bouncedRecipients") or message[key].get("complainedRecipients")
                recipients[0]["emailAddress"] = "compta@lefevre.example"
        event = {
            "Records": [
                {
                    "EventSource": "aws:sns",
                    "EventVersion": "1.0",
                    "Sns": {**envelope, "Message": json.dumps(message)},
                }
            ]
        }
        answer = runtime.invoke("SendFunction", event)
        assert answer == {"delivery_events": ["delivery-failed"]}
        r = repo.get(doc.invoice.invoice_id).receivable
        assert r.status is Status.DELIVERY_FAILED
        assert r.next_action_on is None
    alerts = [a["Message"] for a in operator_inbox.messages()]
    assert any("compta@lefevre.example" in a and "Bounce Permanent/General" in a for a in alerts)
    assert any("compta@lefevre.example" in a and "Complaint abuse" in a for a in alerts)
    # The same event again changes nothing; a delivery notification is only counted.
    due = docs["BC-1"].invoice.due_date
    before = len(mailbox.messages())
    run_day(runtime, next_business_day(due + timedelta(days=7)))
    assert len(mailbox.messages()) == before


@pytest.mark.stack_parameters(PilotMode="Enabled", PilotClients="C001", OperatorEmail="ops@agence.example")
def test_pilot_mode_sends_only_to_the_pilot_clients(runtime, bucket, resources, with_clients, mailbox):
    docs = issue(
        runtime,
        bucket,
        resources,
        ["C001;03/11/2026;Audit;1;h;95;20;BC-1;;", "C003;03/11/2026;Cours;1;h;40;20;BC-2;;"],
    )
    (pilot,) = mailbox.about(docs["BC-1"].invoice.invoice_id)
    (other,) = mailbox.about(docs["BC-2"].invoice.invoice_id)
    assert str(pilot["To"]).endswith("<compta@lefevre.example>")
    assert not str(pilot["Subject"]).startswith("[PILOTE")
    assert str(other["To"]).endswith("<ops@agence.example>")
    assert str(other["Subject"]).startswith("[PILOTE → helene@courriel.example]")
    assert other["X-Invoicing-Pilot-Original-To"] == "helene@courriel.example"
    assert "helene@courriel.example" in other.get_body(("plain",)).get_content()


@pytest.mark.stack_parameters(**FLOW)
def test_a_business_client_without_email_waits_until_a_clients_file_gives_one(
    runtime, bucket, resources, mailbox, operator_inbox
):
    from tests import factories

    no_email = factories.bakery(ref="C010", name="Atelier Sans Courriel SARL", email=None)
    bucket.put("incoming/clients/clients.csv", factories.clients_csv([no_email]))
    runtime.run_until_idle()
    docs = issue(runtime, bucket, resources, ["C010;03/11/2026;Audit;1;h;95;20;BC-1;;"])
    doc = docs["BC-1"]
    repo = InvoiceRepository(resources)
    assert repo.get(doc.invoice.invoice_id).receivable.status is Status.TO_SEND
    assert mailbox.about(doc.invoice.invoice_id) == []
    assert any("C010" in a["Message"] and "adresse" in a["Message"] for a in operator_inbox.messages())
    # The address arrives with the next clients file: the invoice goes out then, once.
    bucket.put(
        "incoming/clients/clients-maj.csv",
        factories.clients_csv(
            [factories.bakery(ref="C010", name=no_email.name, email="compta@atelier.example")]
        ),
    )
    runtime.run_until_idle()
    (sent,) = mailbox.about(doc.invoice.invoice_id)
    assert str(sent["To"]).endswith("<compta@atelier.example>")
    assert repo.get(doc.invoice.invoice_id).receivable.status is Status.SENT


@pytest.mark.stack_parameters(SendTiming="next-business-morning")
def test_next_business_morning_sending_waits_for_its_slot(runtime, bucket, resources, with_clients, mailbox):
    docs = issue(runtime, bucket, resources, ["C001;03/11/2026;Audit;1;h;95;20;BC-1;;"])
    doc = docs["BC-1"]
    repo = InvoiceRepository(resources)
    r = repo.get(doc.invoice.invoice_id).receivable
    now = datetime.now(UTC)
    if r.delivery.state is Delivery.SENT:  # issued within 5 minutes of a business morning's 09:00
        pytest.skip("issued at the slot itself: nothing to wait for")
    assert r.delivery.state is Delivery.SCHEDULED
    slot = r.delivery.send_at
    assert slot is not None
    assert slot > now
    assert slot.hour == 9
    assert is_business_day(slot.date())
    assert mailbox.about(doc.invoice.invoice_id) == []
    run_day(runtime, slot.date())  # the 09:00 run queues it; the send function sends it
    assert len(mailbox.about(doc.invoice.invoice_id)) == 1


@pytest.mark.stack_parameters(**FLOW)
def test_a_run_that_fails_on_one_invoice_carries_on_and_reports_it(
    runtime, bucket, resources, with_clients, mailbox, operator_inbox
):
    docs = issue(runtime, bucket, resources, [f"C001;03/11/2026;Audit;1;h;95;20;BC-{n};;" for n in range(3)])
    broken = docs["BC-1"]
    bucket.s3.delete_object(Bucket=bucket.name, Key=broken.pdf_key)
    day = next_business_day(broken.invoice.due_date - timedelta(days=3))
    result = run_day(runtime, day)
    assert [f["number"] for f in result["failures"]] == [broken.invoice.number]
    assert len(result["reminders"]) == 2
    assert any(broken.invoice.number in a["Message"] for a in operator_inbox.messages())
    # The failed step was given back: once the PDF is there again, the next run sends it.
    r = InvoiceRepository(resources).get(broken.invoice.invoice_id).receivable
    assert r.dunning.claimed is None
    assert r.dunning.step == 0


@pytest.mark.stack_parameters(**FLOW)
def test_template_overrides_good_and_broken(
    runtime, bucket, resources, with_clients, mailbox, operator_inbox
):
    bucket.put("config/templates/invoice.fr.subject.j2", "Votre facture {{ number }} — merci !")
    bucket.put("config/templates/invoice.fr.txt.j2", "Bonjour {{ client_nom }}")  # unknown variable
    bucket.put("config/dunning.json", '{"steps": [{"day": 7, "tone": "rude"}]}')
    runtime.run_until_idle()
    # Refused on upload, with a report and an alert; the good one stays in force.
    assert bucket.keys("config/") == ["config/templates/invoice.fr.subject.j2"]
    assert sorted(bucket.keys("rejected/config/")) == [
        "rejected/config/dunning.json",
        "rejected/config/templates/invoice.fr.txt.j2",
    ]
    report = bucket.get("reports/config/templates/invoice.fr.txt.j2.errors.txt").decode()
    assert "unknown variable 'client_nom'" in report
    assert "tone must be one of" in bucket.get("reports/config/dunning.json.errors.txt").decode()
    assert sum("Configuration refusee" in a["Subject"] for a in operator_inbox.messages()) == 2
    docs = issue(runtime, bucket, resources, ["C001;03/11/2026;Audit;1;h;95;20;BC-1;;"])
    (sent,) = mailbox.about(docs["BC-1"].invoice.invoice_id)
    assert str(sent["Subject"]) == f"Votre facture {docs['BC-1'].invoice.number} — merci !"
    body = sent.get_body(("plain",)).get_content()
    assert "client_nom" not in body
    assert "Veuillez trouver" in body


def test_credit_note_partway_reduces_what_the_reminder_asks(
    runtime, bucket, resources, with_clients, mailbox
):
    docs = issue(runtime, bucket, resources, ["C001;03/11/2026;Audit;10;h;100;20;BC-1;;"])
    doc = docs["BC-1"]
    repo = InvoiceRepository(resources)
    repo.update(
        doc.invoice.invoice_id,
        lambda r: r.credit("AV-TEST-1", Decimal("600.00"), r.issue_date, by_rate=()),
    )
    day = next_business_day(doc.invoice.due_date + timedelta(days=7))
    before = len(mailbox.messages())
    run_day(runtime, day)
    (reminder,) = mailbox.messages()[before:]
    text = reminder.get_body(("plain",)).get_content().replace("\u202f", " ").replace("\xa0", " ")
    assert "Montant TTC : 1 200,00 €" in text
    assert "Reste à régler : 600,00 €" in text  # what the credit note left due


@pytest.mark.stack_parameters(**FLOW)
def test_english_reminders_and_a_dispute_in_the_middle(
    runtime, stack, bucket, resources, with_clients, mailbox, operator_inbox
):
    from invoicing.adapters.exclusions import ClientExclusions
    from invoicing.adapters.messaging import Alerts, SendQueue
    from invoicing.services.desk import Desk

    docs = issue(
        runtime,
        bucket,
        resources,
        [
            "C002;03/11/2026;Process review;2;day;950;0;BC-EN;;autoliquidation",
            "C001;03/11/2026;Audit;1;h;95;20;BC-FR;;",
        ],
    )
    en, fr = docs["BC-EN"], docs["BC-FR"]
    # The Belgian client writes in English: its reminder is in English.
    day = next_business_day(en.invoice.due_date - timedelta(days=3))
    run_day(runtime, day)
    (courtesy,) = [m for m in mailbox.about(en.invoice.invoice_id) if m["X-Invoicing-Kind"] == "reminder-1"]
    assert courtesy["Content-Language"] == "en"
    assert "due" in str(courtesy["Subject"]).lower()
    assert (
        "Dear" in courtesy.get_body(("plain",)).get_content()
        or "Hello" in courtesy.get_body(("plain",)).get_content()
    )
    # The French invoice is disputed after its first reminder: nothing more is sent, the owner knows.
    fr_day = next_business_day(fr.invoice.due_date - timedelta(days=3))
    run_day(runtime, fr_day)
    env = stack.functions["RemindFunction"].environment
    desk = Desk(
        invoices=InvoiceRepository(resources),
        alerts=Alerts(env["ALERTS_TOPIC_ARN"]),
        send_queue=SendQueue(env["SEND_QUEUE_URL"]),
        exclusions=ClientExclusions(resources.dunning_table),
        today=lambda: fr_day,
    )
    desk.dispute(fr.invoice.number, "prestation contestée")
    before = len(mailbox.about(fr.invoice.invoice_id))
    for n in range(1, 45):
        later = fr_day + timedelta(days=n)
        if is_business_day(later):
            run_day(runtime, later)
    assert len(mailbox.about(fr.invoice.invoice_id)) == before
    assert InvoiceRepository(resources).get(fr.invoice.invoice_id).receivable.status is Status.DISPUTED
    assert any(
        "Litige" in a["Subject"] and fr.invoice.number in a["Message"] for a in operator_inbox.messages()
    )


def test_the_business_logo_is_on_the_invoice_pdf_and_in_its_email(
    runtime, bucket, resources, with_clients, mailbox
):
    import io

    import pdfplumber
    from PIL import Image

    def images(doc) -> int:
        with pdfplumber.open(io.BytesIO(bucket.get(doc.pdf_key))) as pdf:
            return len(pdf.pages[0].images)

    plain = issue(runtime, bucket, resources, ["C001;03/11/2026;Audit;1;h;95;20;BC-1;;"])["BC-1"]
    png = io.BytesIO()
    Image.new("RGBA", (240, 120), (20, 60, 120, 255)).save(png, format="PNG")
    bucket.put("config/logo.png", png.getvalue())
    runtime.run_until_idle()
    assert bucket.keys("config/") == ["config/logo.png"]  # accepted on upload
    bucket.put("incoming/ventes-2.csv", sales_csv(["C001;04/11/2026;Audit;1;h;95;20;BC-2;;"]))
    runtime.run_until_idle()
    with_logo = next(s for s in InvoiceRepository(resources).all() if s.invoice.draft.order_ref == "BC-2")
    assert images(with_logo) == images(plain) + 1
    (sent,) = mailbox.about(with_logo.invoice.invoice_id)
    inline = [p for p in sent.walk() if p.get_content_type() == "image/png" and p["Content-ID"]]
    assert len(inline) == 1
    assert f"cid:{inline[0]['Content-ID'][1:-1]}" in sent.get_body(("html",)).get_content()
