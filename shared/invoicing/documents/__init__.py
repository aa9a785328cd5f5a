"""Documents: the invoice PDF (fpdf2, PDF/A-3B), the Factur-X XML, email bodies."""
