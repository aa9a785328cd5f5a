"""remind: EventBridge Scheduler, daily at 09:00 Europe/Paris -> here.

It asks the dunning service for the invoices whose next action is due today or earlier
(read from the sparse "by-next-action" index, never a table scan) and reports them.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing import observability
from invoicing.observability import count, logger
from invoicing.services.dunning import Dunning
from invoicing.settings import RemindSettings

dunning = Dunning.from_settings(RemindSettings.from_env())


@observability.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    due = dunning.due_actions()
    logger.info(
        "dunning actions due",
        extra={"day": due.day.isoformat(), "count": len(due.numbers), "numbers": list(due.numbers)},
    )
    count("DunningActionsDue", len(due.numbers))
    count("DunningRuns")
    return {"day": due.day.isoformat(), "due": list(due.numbers)}
