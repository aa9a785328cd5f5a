"""What a business configures by dropping files in its bucket, under ``config/``:

- ``config/templates/<name>.j2``: its own wording for an email template (see
  ``invoicing.documents.emails.TEMPLATE_NAMES``);
- ``config/logo.png`` (or ``.jpg``): its logo, on its emails and PDFs;
- ``config/dunning.json``: its reminder policy (``invoicing.domain.dunning_policy``).

Each upload is checked when it arrives (``services.configuration``): a file that would not
work is moved to ``rejected/config/`` with a report, and what was in force stays. The readers
here check again (a file may predate a check, or be put by hand), keep what works and say what
they left out. A warm function keeps what it read and looks at the bucket's listing of
``config/`` (one LIST request) before using it: a file dropped, replaced or removed is in force
for the next document, never a stale copy.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from invoicing.adapters.documents import DocumentStore

CONFIG_PREFIX = "config/"
TEMPLATES_PREFIX = "config/templates/"
LOGO_KEYS = ("config/logo.png", "config/logo.jpg", "config/logo.jpeg")
POLICY_KEY = "config/dunning.json"
#: A listing of config/ this recent is reused (the reads of one email come within milliseconds).
LISTING_REUSE_SECONDS = 0.25
#: Largest logo accepted: it travels in every email.
MAX_LOGO_BYTES = 512 * 1024


class BusinessConfig:
    """``max_age``: seconds during which what was read is used without looking at the listing
    again (generate, which reads the policy and the logo for every document of a file of up to
    500, looks once a minute; the emailing functions look every time)."""

    def __init__(
        self, documents: DocumentStore, *, max_age: float = 0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.documents = documents
        self.max_age = max_age
        self._clock = clock
        self._cache: dict[str, tuple[tuple[tuple[str, str], ...], float, Any]] = {}
        self._seen: tuple[float, dict[str, str]] | None = None
        #: What the last reads left out, and why (for the logs).
        self.problems: dict[str, list[str]] = {}

    def forget(self) -> None:
        """Read the bucket again next time."""
        self._cache.clear()
        self._seen = None

    def _listing(self, now: float) -> dict[str, str]:
        """``config/``'s keys and ETags: one LIST serves the reads of one email (the templates and
        the logo, asked within milliseconds of each other)."""
        if self._seen is None or now - self._seen[0] >= LISTING_REUSE_SECONDS:
            self._seen = (now, self.documents.etags(CONFIG_PREFIX))
        return self._seen[1]

    def _cached(self, name: str, prefix: str, load: Callable[[], Any]) -> Any:
        """``load()``'s value, read again only when an object under ``prefix`` changed."""
        now = self._clock()
        hit = self._cache.get(name)
        if hit is not None and self.max_age and now - hit[1] < self.max_age:
            return hit[2]
        seen = tuple(sorted((k, e) for k, e in self._listing(now).items() if k.startswith(prefix)))
        if hit is not None and hit[0] == seen:
            self._cache[name] = (seen, now, hit[2])
            return hit[2]
        value = load()
        self._cache[name] = (seen, now, value)
        return value

    def template_overrides(self) -> dict[str, str]:
        """The business's email template texts by name (``config/templates/<name>``), unchecked:
        ``EmailTemplates.checked`` keeps the ones that render."""

        def load() -> dict[str, str]:
            overrides: dict[str, str] = {}
            for key in self.documents.keys(TEMPLATES_PREFIX):
                stored = self.documents.get(key)
                if stored is not None:
                    overrides[key[len(TEMPLATES_PREFIX) :]] = stored.data.decode("utf-8", errors="replace")
            return overrides

        return self._cached("templates", TEMPLATES_PREFIX, load)

    def logo(self) -> bytes | None:
        """The business's logo (PNG or JPEG), or None."""

        def load() -> bytes | None:
            for key in LOGO_KEYS:
                stored = self.documents.get(key)
                if stored is None:
                    continue
                problem = logo_problem(stored.data)
                if problem:
                    self.problems[key] = [problem]
                    continue
                return stored.data
            return None

        return self._cached("logo", "config/logo.", load)

    def policy(self) -> Any:
        """The business's dunning policy from the bucket, or None (the stack's is in force)."""
        from invoicing.domain.dunning_policy import DunningPolicy, PolicyError

        def load() -> DunningPolicy | None:
            stored = self.documents.get(POLICY_KEY)
            if stored is None:
                return None
            try:
                return DunningPolicy.parse(stored.data.decode("utf-8", errors="replace"))
            except PolicyError as exc:
                self.problems[POLICY_KEY] = [str(exc)]
                return None

        return self._cached("policy", POLICY_KEY, load)


def logo_problem(data: bytes) -> str | None:
    """Why ``data`` cannot be the logo, or None."""
    if len(data) > MAX_LOGO_BYTES:
        return f"the logo is {len(data)} bytes, more than {MAX_LOGO_BYTES}: every email carries it"
    if not (data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff")):
        return "the logo must be a PNG or JPEG image"
    return None
