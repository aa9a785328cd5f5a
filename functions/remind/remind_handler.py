"""remind: EventBridge Scheduler, daily at 09:00 Europe/Paris -> here.

It reads the invoices whose next dunning action is due today or earlier from the sparse
"by-next-action" index (never a table scan) and reports them; sending the reminders arrives
with the dunning issue.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing.adapters.invoices import InvoiceRepository
from invoicing.services.clock import today
from invoicing.settings import Resources

logger = Logger()


@cache
def _invoices() -> InvoiceRepository:
    return InvoiceRepository(Resources.from_env())


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    day = today(os.environ.get("TIME_ZONE", "Europe/Paris"))
    due = [stored.invoice.number for stored in _invoices().due_for_action(day)]
    logger.info("dunning actions due", extra={"day": day.isoformat(), "count": len(due), "numbers": due})
    return {"day": day.isoformat(), "due": due}
