"""Invoicing core: the Lambda layer shared by every function.

Layers, each importing only downward:

- ``invoicing.domain``     pure Python and ``Decimal``: money, VAT, parties, invoices, numbering, terms.
- ``invoicing.ingest``     spreadsheets (CSV/XLSX) to validated invoice drafts; pure, no AWS.
- ``invoicing.documents``  PDF (fpdf2), Factur-X XML, email bodies.
- ``invoicing.adapters``   DynamoDB (pynamodb), S3, SQS, SNS behind small interfaces.
- ``invoicing.services``   use cases wiring the above; what handlers call.

Importing a package never imports a heavy third-party library it does not need:
the Stripe webhook imports ``invoicing.domain`` and ``invoicing.adapters`` only.
"""
