"""pynamodb models, bound at run time to the table names the stack gives (``Resources``).

The invoice record keeps the immutable document as a JSON snapshot (``document``) and its
running state, the receivable, as another (``receivable``, with its ``version`` for
conditional writes). Beside them, copies of what queries and alarms need (status, amounts,
the next-action key of the sparse dunning index): always computed from the receivable when
it is written, never set on their own.
Amounts are DynamoDB numbers read back as ``Decimal``: never float.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from types import SimpleNamespace
from typing import Any

from pynamodb.attributes import Attribute, NumberAttribute, UnicodeAttribute
from pynamodb.constants import NUMBER
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from invoicing.adapters.aws import region
from invoicing.settings import Resources


class DecimalAttribute(Attribute[Decimal]):
    """A DynamoDB number that stays an exact ``Decimal`` (pynamodb's NumberAttribute gives floats)."""

    attr_type = NUMBER

    def serialize(self, value: Decimal) -> str:
        if not isinstance(value, Decimal):
            raise TypeError(f"DecimalAttribute takes Decimal, not {type(value).__name__}")
        return str(value)

    def deserialize(self, value: Any) -> Decimal:
        return Decimal(value)


@cache
def models(resources: Resources) -> SimpleNamespace:
    """Model classes for one stack's tables. Cached: one set per ``Resources`` value."""
    table_region = region()

    class ByNumber(GlobalSecondaryIndex["InvoiceRecord"]):
        class Meta:
            index_name = "by-number"
            projection = AllProjection()

        number = UnicodeAttribute(hash_key=True)

    class ByClient(GlobalSecondaryIndex["InvoiceRecord"]):
        class Meta:
            index_name = "by-client"
            projection = AllProjection()

        client_ref = UnicodeAttribute(hash_key=True)
        issued_key = UnicodeAttribute(range_key=True)

    class ByNextAction(GlobalSecondaryIndex["InvoiceRecord"]):
        class Meta:
            index_name = "by-next-action"
            projection = AllProjection()

        dunning_queue = UnicodeAttribute(hash_key=True)
        next_action_on = UnicodeAttribute(range_key=True)

    class InvoiceRecord(Model):
        class Meta:
            table_name = resources.invoices_table
            region = table_region

        invoice_id = UnicodeAttribute(hash_key=True)
        number = UnicodeAttribute()
        series = UnicodeAttribute()
        document_type = UnicodeAttribute()
        status = UnicodeAttribute()
        client_ref = UnicodeAttribute()
        #: The buyer's name as issued (bank matching reads it with one Scan, not one read each).
        buyer_name = UnicodeAttribute(null=True)
        issue_date = UnicodeAttribute()
        due_date = UnicodeAttribute()
        issued_key = UnicodeAttribute()
        total_excl_vat = DecimalAttribute()
        total_vat = DecimalAttribute()
        total_incl_vat = DecimalAttribute()
        credited_total = DecimalAttribute(default=lambda: Decimal("0"))
        amount_due = DecimalAttribute(default=lambda: Decimal("0"))
        currency = UnicodeAttribute(default="EUR")
        corrects_number = UnicodeAttribute(null=True)
        document = UnicodeAttribute()
        source_key = UnicodeAttribute(null=True)
        source_sha256 = UnicodeAttribute(null=True)
        pdf_key = UnicodeAttribute(null=True)
        pdf_sha256 = UnicodeAttribute(null=True)
        xml_key = UnicodeAttribute(null=True)
        receivable = UnicodeAttribute()
        version = NumberAttribute(default=0)
        dunning_queue = UnicodeAttribute(null=True)
        next_action_on = UnicodeAttribute(null=True)
        created_at = UnicodeAttribute()

        by_number = ByNumber()
        by_client = ByClient()
        by_next_action = ByNextAction()

    class SequenceRecord(Model):
        """A numbering counter (``series`` = pattern#year), a claim on one issued number, or the
        ledger of a client's invoiced rows for a year (``rows#<client>#<year>``: ``rows`` as JSON,
        written with the invoice that bills them, on condition of its ``rows_version``)."""

        class Meta:
            table_name = resources.sequences_table
            region = table_region

        series = UnicodeAttribute(hash_key=True)
        last = NumberAttribute(null=True)
        last_issue_date = UnicodeAttribute(null=True)
        invoice_id = UnicodeAttribute(null=True)
        rows = UnicodeAttribute(null=True)
        rows_version = NumberAttribute(null=True)

    class ClientRecord(Model):
        class Meta:
            table_name = resources.clients_table
            region = table_region

        client_ref = UnicodeAttribute(hash_key=True)
        document = UnicodeAttribute()
        updated_at = UnicodeAttribute()
        source_key = UnicodeAttribute(null=True)

    return SimpleNamespace(
        InvoiceRecord=InvoiceRecord,
        SequenceRecord=SequenceRecord,
        ClientRecord=ClientRecord,
    )
