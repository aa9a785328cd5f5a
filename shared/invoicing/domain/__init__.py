"""Pure domain model: no boto3, no pynamodb, no fpdf2. Everything here runs in milliseconds."""
