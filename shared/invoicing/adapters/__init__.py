"""Storage and AWS adapters: DynamoDB (pynamodb), S3, SQS, SNS, each behind a small class.

Clients honour ``AWS_ENDPOINT_URL``, which is how the local harness points them at moto.
"""
