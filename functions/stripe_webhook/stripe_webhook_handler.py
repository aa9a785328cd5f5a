"""stripe_webhook: Stripe -> Lambda Function URL -> here.

Parses the Function URL request and hands the raw body and its ``Stripe-Signature`` to the
payments service, which verifies it; a request that is not a POST gets 405. Anything that
fails verification gets a 4xx and changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.data_classes import LambdaFunctionUrlEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing import observability
from invoicing.observability import count, logger
from invoicing.services.payments import StripeWebhook
from invoicing.settings import WebhookSettings

webhook = StripeWebhook.from_settings(WebhookSettings.from_env())


def _response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


@observability.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = LambdaFunctionUrlEvent(event)
    if request.request_context.http.method != "POST":
        count("WebhookRejected")
        return _response(405, {"error": "method not allowed"})
    answer = webhook.receive(request.decoded_body or "", request.headers.get("stripe-signature"))
    if answer.status == 200:
        logger.info("Stripe event received", extra={"id": answer.event_id, "type": answer.event_type})
        count("StripeEventsReceived")
    else:
        logger.warning("Stripe webhook request refused", extra={"status": answer.status, **answer.body})
        count("WebhookRejected")
    return _response(answer.status, answer.body)
