"""Payments: Stripe's webhook.

Every request must carry a valid ``Stripe-Signature`` for the webhook secret kept in SSM
Parameter Store (SecureString ``/<stack>/stripe/webhook-secret``). Anything else gets a 4xx
and changes nothing. For now a verified event is acknowledged; marking invoices paid (the
receivable's ``record_payment``, ``refund``, ``dispute``) arrives with the payments issue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import stripe

from invoicing.adapters.secrets import SecretParameter
from invoicing.settings import WebhookSettings


@dataclass(frozen=True, slots=True)
class WebhookAnswer:
    """What the webhook answers Stripe: an HTTP status and a small JSON body."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)
    event_id: str | None = None
    event_type: str | None = None


class StripeWebhook:
    def __init__(self, *, secret: Callable[[], str]) -> None:
        self._secret = secret

    @classmethod
    def from_settings(cls, settings: WebhookSettings) -> StripeWebhook:
        return cls(secret=SecretParameter(settings.webhook_secret_parameter).value)

    def receive(self, payload: str, signature: str | None) -> WebhookAnswer:
        if not signature:
            return WebhookAnswer(400, {"error": "missing Stripe-Signature header"})
        try:
            event = stripe.Webhook.construct_event(payload, signature, self._secret())
        except stripe.SignatureVerificationError:
            return WebhookAnswer(400, {"error": "invalid signature"})
        except ValueError:
            return WebhookAnswer(400, {"error": "malformed payload"})
        return WebhookAnswer(
            200,
            {"received": True, "id": event.id, "type": event.type},
            event_id=event.id,
            event_type=event.type,
        )
