"""The embedded local AWS: moto in server mode, the stack created from template.yaml, and the
event source mappings (S3 -> SQS -> Lambda handlers) played in-process."""
