"""stripe_webhook: a Lambda Function URL (and, optionally, Stripe's Amazon EventBridge events).

Routes (Powertools event handler): ``POST /stripe/webhook`` hands the raw body (base64 bodies
decoded) and its ``Stripe-Signature`` to the payments service, which verifies it and applies
the event once; ``GET /pay/<token>`` opens a payment link (a Stripe Checkout Session for what
is still due, or a page saying why not) and ``GET /pay/<token>/thanks`` is where Checkout
sends the customer back. An event delivered by EventBridge (Stripe's event destination) is
applied without a signature: EventBridge, not the internet, invoked the function.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing import observability
from invoicing.observability import count, logger
from invoicing.services.payments import PaymentsEndpoint, WebhookAnswer
from invoicing.settings import WebhookSettings

endpoint = PaymentsEndpoint.from_settings(WebhookSettings.from_env())
app = LambdaFunctionUrlResolver()


def _json(answer: WebhookAnswer) -> Response:
    return Response(answer.status, "application/json", json.dumps(answer.body))


def _page(page: Any) -> Response:
    headers = dict(page.headers)
    if page.location:
        headers["Location"] = page.location
    return Response(page.status, page.content_type, page.body, headers=headers)


def _base_url() -> str:
    return f"https://{app.current_event.request_context.domain_name}"


def _outcome(answer: WebhookAnswer) -> WebhookAnswer:
    if answer.status == 200:
        logger.info("Stripe event", extra={"id": answer.event_id, "type": answer.event_type, **answer.body})
        count("StripeEventsReceived")
    else:
        logger.warning("Stripe webhook request refused", extra={"status": answer.status, **answer.body})
        count("WebhookRejected")
    return answer


@app.post("/stripe/webhook")
def stripe_webhook() -> Response:
    request = app.current_event
    try:
        body = request.decoded_body or ""
    except ValueError:  # not base64, or not UTF-8: no Stripe request looks like that
        return _json(_outcome(WebhookAnswer(400, {"error": "malformed payload"})))
    return _json(_outcome(endpoint.webhook.receive(body, request.headers.get("stripe-signature"))))


@app.get("/pay/<token>")
def pay(token: str) -> Response:
    count("PayLinksOpened")
    return _page(
        endpoint.pay_links.open(
            token, base_url=_base_url(), accept_language=app.current_event.headers.get("accept-language")
        )
    )


@app.get("/pay/<token>/thanks")
def thanks(token: str) -> Response:
    return _page(
        endpoint.pay_links.thanks(token, accept_language=app.current_event.headers.get("accept-language"))
    )


@app.not_found
def not_found(_: Exception) -> Response:
    count("WebhookRejected")
    return Response(404, "text/plain; charset=utf-8", "Not found / Introuvable\n")


@observability.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    endpoint.webhook.register(context)
    if str(event.get("source", "")).startswith("aws.partner/stripe.com") and "detail" in event:
        answer = _outcome(endpoint.webhook.consume(event["detail"]))
        if answer.status >= 300:
            raise RuntimeError(
                f"Stripe event {answer.event_id} not applied: {answer.body}"
            )  # EventBridge retries
        return answer.body
    return app.resolve(event, context)
