"""remind: EventBridge Scheduler, daily at 09:00 Europe/Paris -> here.

The schedule passes its scheduled time (``{"scheduled_time": "<aws.scheduler.scheduled-time>"}``):
the run works for that day in the business's time zone, even when retried later. The dunning
service reads the invoices whose next action is due (the sparse "by-next-action" index, never a
table scan), sends what is due and reports what it did.
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
    report = dunning.run(dunning.run_day(event))
    summary = report.as_dict()
    logger.info("dunning run", extra=summary)
    count("DunningRuns")
    count("RemindersSent", len(report.reminders))
    count("Escalations", len(report.escalations))
    count("DunningFailures", len(report.failures))
    return summary
