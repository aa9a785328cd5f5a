"""Secrets from SSM Parameter Store (SecureString), through Powertools Parameters.

Values are cached for ``max_age`` seconds so a warm function does not call SSM on every
request, and a rotated secret takes effect within that time. A value is never logged.
"""

from __future__ import annotations

from aws_lambda_powertools.utilities import parameters

#: How long a secret is cached between invocations (seconds).
SECRET_MAX_AGE = 300


class SecretParameter:
    def __init__(self, name: str, *, max_age: int = SECRET_MAX_AGE) -> None:
        self.name = name
        self.max_age = max_age

    def value(self) -> str:
        return str(parameters.get_parameter(self.name, decrypt=True, max_age=self.max_age))

    def __repr__(self) -> str:  # never the value
        return f"SecretParameter({self.name!r})"
