"""What a business drops under ``config/`` is checked when it arrives (S3 -> SQS -> generate):

- ``config/templates/<name>.j2``: an email template override (``emails.check_override``: it
  compiles, uses known variables only, renders for sample documents);
- ``config/logo.png`` / ``.jpg``: the logo (a PNG or JPEG the PDF renderer can draw, at most
  512 KB since every email carries it);
- ``config/dunning.json``: the reminder policy (``DunningPolicy.parse``).

A file that would not work is moved to ``rejected/config/…`` with a report beside it under
``reports/config/``, and the operator alerted: what was in force before stays in force (the
readers in ``adapters.business_config`` check again, so a file put by other means cannot break
the emails either). A file that passes stays where it is and is in force for the next email, and
for the documents issued from the next minute on
(the readers' cache).
"""

from __future__ import annotations

from dataclasses import dataclass

from invoicing.adapters.business_config import LOGO_KEYS, POLICY_KEY, TEMPLATES_PREFIX, logo_problem
from invoicing.adapters.documents import DocumentStore
from invoicing.adapters.messaging import Alerts

CONFIG_PREFIX = "config/"
#: Largest configuration file read (a template, a policy, a logo).
MAX_CONFIG_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ConfigOutcome:
    key: str
    accepted: bool
    problems: tuple[str, ...] = ()
    report_key: str | None = None


def config_problems(key: str, data: bytes, others: dict[str, str]) -> list[str]:
    """Why the configuration file ``key`` would not work (an empty list when it works).
    ``others``: the business's other template overrides, in force together with this one."""
    if len(data) > MAX_CONFIG_BYTES:
        return [f"{key}: {len(data)} bytes, more than {MAX_CONFIG_BYTES}"]
    if key.startswith(TEMPLATES_PREFIX):
        from invoicing.documents.emails import check_override

        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return [f"{key}: not UTF-8 text"]
        return check_override(key[len(TEMPLATES_PREFIX) :], text, others=others)
    if key in LOGO_KEYS:
        problem = logo_problem(data)
        if problem:
            return [problem]
        from invoicing.documents.pdf import logo_image

        try:
            logo_image(data)
        except ValueError as exc:
            return [str(exc)]
        return []
    if key == POLICY_KEY:
        from invoicing.domain.dunning_policy import DunningPolicy, PolicyError

        try:
            DunningPolicy.parse(data.decode("utf-8", errors="replace"))
        except PolicyError as exc:
            return [f"{key}: {exc}"]
        return []
    known = ", ".join([TEMPLATES_PREFIX + "<template>.j2", *LOGO_KEYS, POLICY_KEY])
    return [f"{key}: not a configuration file this stack reads (expected {known})"]


class ConfigUploads:
    def __init__(self, *, documents: DocumentStore, alerts: Alerts, business_name: str) -> None:
        self.documents = documents
        self.alerts = alerts
        self.business_name = business_name

    def check(self, key: str, version_id: str | None = None) -> ConfigOutcome:
        stored = self.documents.get(key, version_id)
        if stored is None:
            return ConfigOutcome(key, True, ("no longer there",))
        others = {}
        if key.startswith(TEMPLATES_PREFIX):
            for other in self.documents.keys(TEMPLATES_PREFIX):
                if other != key:
                    found = self.documents.get(other)
                    if found is not None:
                        others[other[len(TEMPLATES_PREFIX) :]] = found.data.decode("utf-8", errors="replace")
        problems = config_problems(key, stored.data, others)
        if not problems:
            return ConfigOutcome(key, True)
        relative = key[len(CONFIG_PREFIX) :]
        report = f"reports/config/{relative}.errors.txt"
        destination = f"rejected/config/{relative}"
        lines = [
            f"{key} refusé : il ne fonctionnerait pas. La version précédente (ou le modèle par défaut) "
            "reste en vigueur.",
            f"{key} refused: it would not work. What was in force before stays in force.",
            "",
            *problems,
        ]
        self.documents.put(report, "\n".join(lines).encode("utf-8"), "text/plain; charset=utf-8")
        self.alerts.publish(
            f"[{self.business_name}] Configuration refusee : {relative}",
            "\n".join([*lines, "", f"Le fichier est conservé : {destination} ; rapport : {report}"]),
        )
        self.documents.move(key, destination, version_id=stored.version_id)
        return ConfigOutcome(key, False, tuple(problems), report)
