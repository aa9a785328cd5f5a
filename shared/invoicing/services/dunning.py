"""Dunning: the daily run reads the invoices whose next action is due and reports them.

It reads the sparse "by-next-action" index (never the table): an invoice is in it exactly
while its receivable has a next action (``Receivable.next_action_on``). Sending the
reminders arrives with the dunning issue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from invoicing.adapters.invoices import InvoiceRepository
from invoicing.services.clock import today
from invoicing.settings import RemindSettings


@dataclass(frozen=True, slots=True)
class DueActions:
    day: date
    numbers: tuple[str, ...]


class Dunning:
    def __init__(self, *, invoices: InvoiceRepository, today: Callable[[], date]) -> None:
        self.invoices = invoices
        self.today = today

    @classmethod
    def from_settings(cls, settings: RemindSettings) -> Dunning:
        return cls(invoices=InvoiceRepository(settings.resources), today=lambda: today(settings.time_zone))

    def due_actions(self) -> DueActions:
        day = self.today()
        numbers = tuple(stored.invoice.number for stored in self.invoices.due_for_action(day))
        return DueActions(day, numbers)
