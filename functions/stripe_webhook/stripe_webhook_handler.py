"""stripe_webhook: Stripe -> Lambda Function URL -> here.

Every request must carry a valid ``Stripe-Signature`` for the webhook secret kept in SSM
Parameter Store (SecureString ``/<stack>/stripe/webhook-secret``). Anything else gets a 4xx
and changes nothing. For now a verified event is acknowledged; marking invoices paid arrives
with the Stripe issue.
"""

from __future__ import annotations

import json
import os
from typing import Any

import stripe
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.data_classes import LambdaFunctionUrlEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()

#: How long the secret is cached between invocations (seconds): rotation takes effect quickly.
SECRET_MAX_AGE = 300


def _secret() -> str:
    return str(
        parameters.get_parameter(
            os.environ["STRIPE_WEBHOOK_SECRET_PARAM"], decrypt=True, max_age=SECRET_MAX_AGE
        )
    )


def _response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = LambdaFunctionUrlEvent(event)
    if request.request_context.http.method != "POST":
        return _response(405, {"error": "method not allowed"})
    signature = request.headers.get("stripe-signature")
    if not signature:
        return _response(400, {"error": "missing Stripe-Signature header"})
    payload = request.decoded_body or ""
    try:
        stripe_event = stripe.Webhook.construct_event(payload, signature, _secret())
    except stripe.SignatureVerificationError:
        logger.warning("rejected a request with an invalid Stripe signature")
        return _response(400, {"error": "invalid signature"})
    except ValueError:
        return _response(400, {"error": "malformed payload"})
    logger.info("Stripe event received", extra={"id": stripe_event.id, "type": stripe_event.type})
    return _response(200, {"received": True, "id": stripe_event.id, "type": stripe_event.type})
