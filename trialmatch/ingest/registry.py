"""The ClinicalTrials.gov API v2 over HTTP: one page of `/api/v2/studies` at a time.

Polite by default: at most one request per `min_interval` seconds, retries with exponential
backoff on 429 and 5xx answers and on network errors (a `Retry-After` header is honoured),
and a page error names the page. `sleep` and the backoff base are parameters, so tests run
without waiting.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

from trialmatch import __version__
from trialmatch.errors import TrialmatchError

DEFAULT_BASE_URL = "https://clinicaltrials.gov"
STUDIES_PATH = "/api/v2/studies"
# what trialmatch stores of a study (field paths of the API v2 data model): the parser's
# inputs, status and version date, and the sites with their geo points
FIELDS = (
    "protocolSection.identificationModule.nctId",
    "protocolSection.identificationModule.briefTitle",
    "protocolSection.identificationModule.officialTitle",
    "protocolSection.statusModule.overallStatus",
    "protocolSection.statusModule.lastUpdatePostDateStruct",
    "protocolSection.conditionsModule.conditions",
    "protocolSection.designModule.phases",
    "protocolSection.eligibilityModule",
    "protocolSection.descriptionModule.briefSummary",
    "protocolSection.contactsLocationsModule.locations",
)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class PageError(TrialmatchError):
    """A page could not be fetched or read (after retries); `page` is its 1-based number."""

    def __init__(self, page: int, message: str, *, status: int | None = None) -> None:
        super().__init__(f"page {page} of the registry query: {message}")
        self.page = page
        self.status = status


@dataclass(frozen=True, slots=True)
class Page:
    studies: list[Any]
    next_token: str | None
    total: int | None


@dataclass
class RegistryClient:
    """Fetches pages of `/api/v2/studies` from `base_url` (the registry, or a mirror)."""

    base_url: str = DEFAULT_BASE_URL
    retries: int = 3
    backoff_base: float = 1.0  # seconds; the n-th retry waits base * 2**(n-1)
    max_wait: float = 300.0  # the longest wait a Retry-After may ask for
    min_interval: float = 1.0  # seconds between requests (the registry asks for restraint)
    timeout: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    waits: list[float] = field(default_factory=list)  # every wait, for the summary and tests
    _last: float | None = None
    _http: Any = None

    def __post_init__(self) -> None:
        import httpx

        self._http = httpx.Client(
            base_url=self.base_url.rstrip("/"), timeout=self.timeout, follow_redirects=True,
            headers={"Accept": "application/json",
                     "User-Agent": f"trialmatch/{__version__} (registry sync)"})

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self.waits.append(seconds)
            self.sleep(seconds)

    def _pace(self) -> None:
        if self._last is not None:
            self._wait(self.min_interval - (time.monotonic() - self._last))
        self._last = time.monotonic()

    def _retry_after(self, response: Any) -> float | None:
        value = response.headers.get("Retry-After")
        if not value:
            return None
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())

    def _get(self, params: dict[str, Any], page: int) -> Any:
        """The response to one GET, retried as the class docstring says."""
        import httpx

        problem, wait = "", 0.0
        for attempt in range(self.retries + 1):
            if attempt:
                self._wait(wait)
            self._pace()
            try:
                response = self._http.get(STUDIES_PATH, params=params)
            except httpx.TransportError as exc:
                problem = f"cannot reach the registry ({type(exc).__name__})"
                wait = self.backoff_base * 2 ** attempt
                continue
            if response.status_code not in RETRY_STATUSES:
                return response
            problem = f"HTTP {response.status_code} from the registry"
            asked = self._retry_after(response)
            if asked is not None and asked > self.max_wait:
                raise PageError(page, f"{problem}; it asks to wait {asked:.0f} s, longer than "
                                f"{self.max_wait:.0f} s: try again later",
                                status=response.status_code)
            wait = asked if asked is not None else self.backoff_base * 2 ** attempt
        raise PageError(page, f"{problem} after {self.retries} retries")

    def page(self, params: dict[str, Any], page: int) -> Page:
        """One page of studies; `PageError` when it cannot be had or read."""
        response = self._get(params, page)
        if response.status_code != 200:
            reason = _error_text(response)
            raise PageError(page, f"HTTP {response.status_code} from the registry"
                            + (f": {reason}" if reason else ""), status=response.status_code)
        try:
            data = json.loads(response.content)
        except (json.JSONDecodeError, UnicodeDecodeError):
            kind = response.headers.get("Content-Type", "no content type").split(";")[0]
            raise PageError(page, f"the registry's answer is not JSON ({kind}, "
                            f"{len(response.content)} bytes)") from None
        if not isinstance(data, dict) or not isinstance(data.get("studies"), list):
            raise PageError(page, "the registry's answer is JSON but not an API v2 studies "
                            "page (no \"studies\" list)")
        token = data.get("nextPageToken")
        total = data.get("totalCount")
        return Page(data["studies"], token if isinstance(token, str) and token else None,
                    total if isinstance(total, int) else None)


def _error_text(response: Any) -> str:
    """A short reason from an error answer (the API sends plain text), at most 200 chars."""
    try:
        text = response.text.strip()
    except Exception:  # undecodable body: the status code says enough
        return ""
    text = " ".join(text.split())
    return text[:200] + ("..." if len(text) > 200 else "")
