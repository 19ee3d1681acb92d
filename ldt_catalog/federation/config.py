"""The federation settings: what the DCAT-AP and Gaia-X exports need that the pages do not say.

The publisher, the licence, the dates, the provider's registration number and legal address are
facts about the people who publish the catalogue, so they come from a small TOML file the user fills
in (see ``federation.example.toml``) and are never guessed.  ``load_federation_settings`` reads that
file and reports *every* missing or malformed key at once, each as ``FILE: key: problem``;
``federation_settings_from_mapping`` does the same for an already parsed mapping (tests, other
front ends).  A value that still carries the marker of ``federation.example.toml`` (the word
``EXAMPLE``) is a warning naming the file and key (``settings.warnings``): it would be published as
it is; ``strict_settings`` turns those warnings into errors.  Nothing here touches the network.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ldt_catalog.errors import Diagnostic, ReportedError, Severity

DATA_THEME = "http://publications.europa.eu/resource/authority/data-theme"
"""The EU data-theme vocabulary (the DCAT-AP ``dcat:themeTaxonomy``)."""

DATA_THEMES: Mapping[str, str] = {
    "AGRI": "Agriculture, fisheries, forestry and food",
    "ECON": "Economy and finance",
    "EDUC": "Education, culture and sport",
    "ENER": "Energy",
    "ENVI": "Environment",
    "GOVE": "Government and public sector",
    "HEAL": "Health",
    "INTR": "International issues",
    "JUST": "Justice, legal system and public safety",
    "OP_DATPRO": "Provisional data",
    "REGI": "Regions and cities",
    "SOCI": "Population and society",
    "TECH": "Science and technology",
    "TRAN": "Transport",
}
"""Codes and English labels of the EU data-theme vocabulary."""

PUBLISHER_TYPES: Mapping[str, str] = {
    "Academia-ScientificOrganisation": "Academia/Scientific organisation",
    "Company": "Company",
    "IndustryConsortium": "Industry consortium",
    "LocalAuthority": "Local Authority",
    "NationalAuthority": "National authority",
    "NonGovernmentalOrganisation": "Non-Governmental Organisation",
    "NonProfitOrganisation": "Non-Profit Organisation",
    "PrivateIndividual(s)": "Private Individual(s)",
    "RegionalAuthority": "Regional authority",
    "StandardisationBody": "Standardisation body",
    "SupraNationalAuthority": "Supra-national authority",
}
"""Codes and labels of the ADMS publisher-type vocabulary (``http://purl.org/adms/publishertype/``)."""

DEFAULT_CONFIG_NAME = "federation.toml"

EXAMPLE_MARKER = re.compile(r"\bEXAMPLE\b")
"""How ``federation.example.toml`` marks its placeholders (``EXAMPLE-Publisher``, ``https://EXAMPLE.org/``)."""


class FederationConfigError(ReportedError):
    """The federation config is missing keys or has malformed values (every problem listed)."""


LangText = tuple[tuple[str, str], ...]
"""Texts by language tag, sorted by tag: ``(("de", "..."), ("en", "..."))``."""


@dataclass(frozen=True)
class Publisher:
    name: str
    url: str | None = None
    email: str | None = None
    type: str | None = None
    """An ADMS publisher-type code (a key of ``PUBLISHER_TYPES``), if given."""


@dataclass(frozen=True)
class Address:
    """A postal address as Gaia-X wants it; ``country_code`` is ISO 3166-1 (``BE``, ``DEU`` ...)."""

    country_code: str
    region: str | None = None
    """A NUTS region code (``BE10``), as ``vcard:region``."""
    street_address: str | None = None
    postal_code: str | None = None
    locality: str | None = None
    country_name: str | None = None


@dataclass(frozen=True)
class RegistrationNumbers:
    """The provider's registration number(s); at least one of the identifiers is set."""

    local: str | None = None
    vat_id: str | None = None
    lei_code: str | None = None
    euid: str | None = None
    eori: str | None = None
    country_code: str | None = None
    """Country of the VAT id / LEI code, when given (ISO 3166-1)."""


@dataclass(frozen=True)
class GaiaxSettings:
    legal_name: str
    registration: RegistrationNumbers
    legal_address: Address
    headquarters_address: Address
    terms_url: str
    terms_hash: str
    provider_id: str | None = None
    """The provider's IRI or DID (``did:web:...``); defaults to ``<base_url>gaiax.jsonld#provider``."""
    contact_url: str | None = None
    contact_email: str | None = None
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class FederationSettings:
    base_url: str
    """Where the build outputs are published; always ends with ``/``."""
    title: LangText
    description: LangText
    publisher: Publisher
    license: str
    issued: date
    modified: date
    themes: tuple[str, ...] = (f"{DATA_THEME}/TECH",)
    """Full IRIs in the EU data-theme vocabulary."""
    keywords: tuple[str, ...] = ()
    spatial: tuple[str, ...] = ()
    homepage: str | None = None
    broker_url: str | None = None
    dataset_title: LangText = ()
    dataset_description: LangText = ()
    gaiax: GaiaxSettings | None = None
    source: str = DEFAULT_CONFIG_NAME
    """The config file the values came from (for error messages)."""
    warnings: tuple[Diagnostic, ...] = ()
    """Values that still carry the example marker, one warning per key (``FILE: key: ...``)."""


def load_federation_settings(
    path: Path,
    *,
    base_url: str | None = None,
    broker_url: str | None = None,
    build_date: date | None = None,
) -> FederationSettings:
    """Read ``path`` (TOML) into settings; ``base_url``/``broker_url`` override the file's values.

    ``build_date`` fills ``issued``/``modified`` when the file leaves them out (the CLI passes
    ``SOURCE_DATE_EPOCH`` or today).  Raises ``FederationConfigError`` listing every problem.
    """
    try:
        with path.open("rb") as stream:
            data = tomllib.load(stream)
    except OSError as exc:
        raise FederationConfigError(
            [Diagnostic(str(path), f"cannot read the federation config: {exc}")]
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise FederationConfigError([Diagnostic(str(path), f"not valid TOML: {exc}")]) from exc
    return federation_settings_from_mapping(
        data, source=str(path), base_url=base_url, broker_url=broker_url, build_date=build_date
    )


class _Reader:
    """Typed access to the parsed TOML that records a diagnostic for every bad key."""

    def __init__(self, data: Mapping[str, Any], source: str) -> None:
        self.data = data
        self.source = source
        self.problems: list[Diagnostic] = []

    def problem(self, key: str, message: str) -> None:
        self.problems.append(Diagnostic(self.source, f"{key}: {message}"))

    def _lookup(self, key: str) -> Any:
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return None
            node = node[part]
        return node

    def has(self, key: str) -> bool:
        return self._lookup(key) is not None

    def text(self, key: str, *, required: bool = False, hint: str = "") -> str | None:
        value = self._lookup(key)
        if value is None:
            if required:
                self.problem(key, "missing" + (f" ({hint})" if hint else ""))
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(key, f"expected a non-empty string, got {value!r}")
            return None
        return value.strip()

    def iri(self, key: str, *, required: bool = False, hint: str = "") -> str | None:
        value = self.text(key, required=required, hint=hint)
        if value is not None and not _is_iri(value):
            self.problem(key, f"expected an absolute http(s) IRI, got {value!r}")
            return None
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self._lookup(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.problem(key, f"expected a list of non-empty strings, got {value!r}")
            return ()
        return tuple(v.strip() for v in value)

    def email(self, key: str) -> str | None:
        value = self.text(key)
        local, at, domain = (value or "").removeprefix("mailto:").partition("@")
        if value is not None and not (local and at and "." in domain and " " not in value):
            self.problem(key, f"expected an e-mail address, got {value!r}")
            return None
        return value.removeprefix("mailto:") if value else None

    def lang_text(self, key: str, *, required: bool = False, hint: str = "") -> LangText:
        """A plain string (English) or a table of language tag -> text."""
        value = self._lookup(key)
        if value is None:
            if required:
                self.problem(key, "missing" + (f" ({hint})" if hint else ""))
            return ()
        if isinstance(value, str) and value.strip():
            return (("en", value.strip()),)
        if isinstance(value, Mapping) and value:
            items: list[tuple[str, str]] = []
            for lang, text in value.items():
                if not _is_lang(lang):
                    self.problem(f"{key}.{lang}", "expected a language tag such as 'en' or 'de'")
                elif not isinstance(text, str) or not text.strip():
                    self.problem(f"{key}.{lang}", f"expected a non-empty string, got {text!r}")
                else:
                    items.append((lang.lower(), text.strip()))
            return tuple(sorted(items))
        self.problem(key, f"expected a string or a table of language -> text, got {value!r}")
        return ()

    def day(self, key: str, fallback: date | None, *, hint: str) -> date | None:
        value = self._lookup(key)
        if value is None:
            if fallback is None:
                self.problem(key, f"missing ({hint}; or let the build pass its build date)")
            return fallback
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.problem(key, f"expected a date such as 2025-01-31, got {value!r}")
        return None


def _is_iri(value: str) -> bool:
    scheme, _, rest = value.partition("://")
    return scheme in ("http", "https") and bool(rest) and not any(c in value for c in ' <>"{}|\\^`')


def _is_lang(value: str) -> bool:
    head, _, tail = value.partition("-")
    return head.isalpha() and 2 <= len(head) <= 3 and (not tail or tail.replace("-", "").isalnum())


def _theme_iri(reader: _Reader, value: str) -> str | None:
    code = value.rsplit("/", 1)[-1] if value.startswith(DATA_THEME + "/") else value
    if code not in DATA_THEMES:
        reader.problem(
            "catalog.themes",
            f"{value!r} is not in the EU data-theme vocabulary ({DATA_THEME}); use one of "
            + ", ".join(sorted(DATA_THEMES)),
        )
        return None
    return f"{DATA_THEME}/{code}"


def _address(reader: _Reader, key: str) -> Address | None:
    if not reader.has(key):
        reader.problem(key, 'missing (a table with at least country_code, e.g. country_code = "BE")')
        return None
    country = reader.text(f"{key}.country_code", required=True, hint="ISO 3166-1 code, e.g. BE")
    address = Address(
        country_code=country or "",
        region=reader.text(f"{key}.region"),
        street_address=reader.text(f"{key}.street_address"),
        postal_code=reader.text(f"{key}.postal_code"),
        locality=reader.text(f"{key}.locality"),
        country_name=reader.text(f"{key}.country_name"),
    )
    return address if country else None


def _gaiax(reader: _Reader) -> GaiaxSettings | None:
    p = "gaiax.provider"
    legal_name = reader.text(f"{p}.legal_name", required=True, hint="the provider's registered legal name")
    r = f"{p}.registration_number"
    registration = RegistrationNumbers(
        local=reader.text(f"{r}.local"),
        vat_id=reader.text(f"{r}.vat_id"),
        lei_code=reader.text(f"{r}.lei_code"),
        euid=reader.text(f"{r}.euid"),
        eori=reader.text(f"{r}.eori"),
        country_code=reader.text(f"{r}.country_code"),
    )
    if not any(
        (registration.local, registration.vat_id, registration.lei_code, registration.euid, registration.eori)
    ):
        reader.problem(r, "missing (set at least one of local, vat_id, lei_code, euid, eori)")
    legal_address = _address(reader, f"{p}.legal_address")
    headquarters_address = _address(reader, f"{p}.headquarters_address")
    terms_url = reader.iri(
        "gaiax.terms_and_conditions.url",
        required=True,
        hint="the URL of the terms and conditions of the catalogue service",
    )
    terms_hash = reader.text(
        "gaiax.terms_and_conditions.hash",
        required=True,
        hint="the SHA-256 of that document, e.g. `sha256sum terms.pdf`",
    )
    provider_id = reader.text(f"{p}.id")
    if provider_id is not None and not (_is_iri(provider_id) or provider_id.startswith("did:")):
        reader.problem(f"{p}.id", f"expected an http(s) IRI or a DID, got {provider_id!r}")
    if None in (legal_name, legal_address, headquarters_address, terms_url, terms_hash):
        return None
    assert legal_name and legal_address and headquarters_address and terms_url and terms_hash
    return GaiaxSettings(
        legal_name=legal_name,
        registration=registration,
        legal_address=legal_address,
        headquarters_address=headquarters_address,
        terms_url=terms_url,
        terms_hash=terms_hash,
        provider_id=provider_id,
        contact_url=reader.iri(
            "gaiax.contact.url",
            required=reader.has("gaiax.contact"),
            hint="a contact page; required when [gaiax.contact] is given",
        ),
        contact_email=reader.email("gaiax.contact.email"),
        keywords=reader.texts("gaiax.keywords"),
    )


def federation_settings_from_mapping(
    data: Mapping[str, Any],
    *,
    source: str = DEFAULT_CONFIG_NAME,
    base_url: str | None = None,
    broker_url: str | None = None,
    build_date: date | None = None,
) -> FederationSettings:
    """Settings from parsed TOML; raises ``FederationConfigError`` with every problem found."""
    reader = _Reader(data, source)
    base = base_url or reader.iri("base_url", required=True, hint="or pass --base-url")
    if base is not None and not _is_iri(base):
        reader.problem("base_url (--base-url)", f"expected an absolute http(s) URL, got {base!r}")
    title = reader.lang_text("catalog.title", required=True, hint="the catalogue's title")
    description = reader.lang_text("catalog.description", required=True, hint="what the catalogue lists")
    license_iri = reader.iri(
        "catalog.license",
        required=True,
        hint="licence IRI, e.g. http://publications.europa.eu/resource/authority/licence/CC_BY_4_0",
    )
    issued = reader.day("catalog.issued", build_date, hint="date of first publication")
    modified = reader.day("catalog.modified", build_date, hint="date of the last change")
    themes = tuple(
        t for t in (_theme_iri(reader, v) for v in reader.texts("catalog.themes")) if t is not None
    ) or (f"{DATA_THEME}/TECH",)
    spatial = reader.texts("catalog.spatial")
    for value in spatial:
        if not _is_iri(value):
            reader.problem("catalog.spatial", f"expected IRIs, got {value!r}")
    publisher_name = reader.text("publisher.name", required=True, hint="who publishes the catalogue")
    publisher_type = reader.text("publisher.type")
    if publisher_type is not None and publisher_type not in PUBLISHER_TYPES:
        reader.problem(
            "publisher.type",
            f"{publisher_type!r} is not an ADMS publisher type; use one of "
            + ", ".join(sorted(PUBLISHER_TYPES)),
        )
    publisher = Publisher(
        name=publisher_name or "",
        url=reader.iri("publisher.url"),
        email=reader.email("publisher.email"),
        type=publisher_type if publisher_type in PUBLISHER_TYPES else None,
    )
    broker = broker_url or reader.iri("broker_url")
    if broker is not None and not _is_iri(broker):
        reader.problem("broker_url (--broker-url)", f"expected an absolute http(s) URL, got {broker!r}")
    gaiax = _gaiax(reader) if reader.has("gaiax") else None
    settings = FederationSettings(
        base_url=(base or "").rstrip("/") + "/",
        title=title,
        description=description,
        publisher=publisher,
        license=license_iri or "",
        issued=issued or date.min,
        modified=modified or date.min,
        themes=themes,
        keywords=reader.texts("catalog.keywords"),
        spatial=spatial,
        homepage=reader.iri("catalog.homepage"),
        broker_url=broker,
        dataset_title=reader.lang_text("dataset.title"),
        dataset_description=reader.lang_text("dataset.description"),
        gaiax=gaiax,
        source=source,
        warnings=example_value_warnings(
            data,
            source,
            overridden={key for key, value in (("base_url", base_url), ("broker_url", broker_url)) if value},
        ),
    )
    if reader.problems:
        raise FederationConfigError(reader.problems)
    return settings


def example_value_warnings(
    data: Mapping[str, Any], source: str, *, overridden: set[str] | frozenset[str] = frozenset()
) -> tuple[Diagnostic, ...]:
    """A warning for every string of the config that still carries ``EXAMPLE``, in file order.

    ``overridden`` keys (given on the command line instead) are not used, so not reported.
    """
    found: list[Diagnostic] = []

    def walk(value: Any, key: str) -> None:
        if isinstance(value, Mapping):
            for name, item in value.items():
                walk(item, f"{key}.{name}" if key else str(name))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{key}[{index}]")
        elif isinstance(value, str) and key not in overridden and EXAMPLE_MARKER.search(value):
            found.append(
                Diagnostic(
                    source,
                    f"{key}: still the placeholder {value!r} of federation.example.toml; it would be "
                    "published as it is: replace it with your own value",
                    Severity.WARNING,
                )
            )

    walk(data, "")
    return tuple(found)


def strict_settings(settings: FederationSettings) -> FederationSettings:
    """The settings unchanged, or ``FederationConfigError`` with their warnings as errors (``--strict``)."""
    if settings.warnings:
        raise FederationConfigError([replace(d, severity=Severity.ERROR) for d in settings.warnings])
    return settings


def require_gaiax(settings: FederationSettings) -> GaiaxSettings:
    """The Gaia-X part of the settings, or a clear error naming the file and the missing table."""
    if settings.gaiax is None:
        raise FederationConfigError(
            [
                Diagnostic(
                    settings.source,
                    "gaiax: missing (the [gaiax.provider] and [gaiax.terms_and_conditions] tables are needed "
                    "for gaiax.jsonld; see federation.example.toml)",
                )
            ]
        )
    return settings.gaiax
