"""A scripted customer who connects Salesforce the way a person would.

It clicks Connect Salesforce on Artisan's settings page, logs in on the
emulator's consent page and clicks Allow, then follows the redirect back to
Artisan's OAuth callback. Plain requests and html.parser, no browser: the demo
and the end-to-end tests use it against a running Django site.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests

TIMEOUT_SECONDS = 30
SETTINGS_PATH = "/settings/integrations/salesforce/"
LOGIN_PATH = "/accounts/login/"


class ConsentError(RuntimeError):
    """A page of the connect flow did not look as expected."""


@dataclass
class Form:
    id: str
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    """Collect every form with its action and the values of its inputs."""

    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(
                Form(
                    id=attributes.get("id", ""),
                    action=attributes.get("action", ""),
                    method=attributes.get("method", "get").lower(),
                )
            )
        elif not self.forms:
            return
        elif tag == "input" and attributes.get("name"):
            kind = attributes.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            self.forms[-1].fields[attributes["name"]] = attributes.get("value", "")
        elif tag == "select":
            self._select = attributes.get("name")
        elif tag == "option" and self._select and "selected" in attributes:
            self.forms[-1].fields[self._select] = attributes.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def parse_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def _form(html: str, page_url: str, *, form_id: str = "", action_part: str = ""):
    for form in parse_forms(html):
        if (form_id and form.id == form_id) or (
            action_part and action_part in form.action
        ):
            return form
    raise ConsentError(
        f"{page_url} has no form {form_id or action_part!r}; the page may have "
        "changed or shown an error."
    )


def approve(
    session: requests.Session,
    authorize_url: str,
    *,
    ca_path: str,
    username: str,
    password: str,
    allow: bool = True,
) -> str:
    """Log in on the consent page, click Allow (or Deny), return the redirect URL.

    The returned URL is the OAuth callback with `code` and `state`, or with
    `error` and `error_description` when the emulator rejects the request.
    """
    page = session.get(authorize_url, verify=ca_path, timeout=TIMEOUT_SECONDS)
    if page.status_code != 200:
        raise ConsentError(
            f"The consent page {authorize_url} returned {page.status_code}: "
            f"{page.text[:300]}"
        )
    form = _form(page.text, page.url, action_part="/services/oauth2/authorize")
    fields = {
        **form.fields,
        "username": username,
        "password": password,
        "action": "allow" if allow else "deny",
    }
    answer = session.post(
        urljoin(page.url, form.action),
        data=fields,
        verify=ca_path,
        timeout=TIMEOUT_SECONDS,
        allow_redirects=False,
    )
    if answer.status_code not in (301, 302, 303):
        raise ConsentError(
            f"Logging in on the consent page as {username} failed "
            f"({answer.status_code}); check the username and password."
        )
    return answer.headers["Location"]


def authorization_code(
    session: requests.Session,
    login_url: str,
    *,
    ca_path: str,
    client_id: str,
    redirect_uri: str,
    username: str,
    password: str,
    scope: str = "api refresh_token id openid",
) -> str:
    """Run the authorize step without a Django site and return the code."""
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
        }
    )
    location = approve(
        session,
        f"{login_url.rstrip('/')}/services/oauth2/authorize?{query}",
        ca_path=ca_path,
        username=username,
        password=password,
    )
    params = parse_qs(urlsplit(location).query)
    if "code" not in params:
        raise ConsentError(f"The authorize step returned no code: {location}")
    return params["code"][0]


def connect_salesforce(
    session: requests.Session,
    site_url: str,
    *,
    ca_path: str,
    username: str,
    password: str,
    account_slug: str = "",
    login_host: str = "",
    my_domain: str = "",
    allow: bool = True,
) -> requests.Response:
    """Connect Salesforce from Artisan's settings page and return the final page.

    `session` must be logged in to the Django site at `site_url`. The login
    host defaults to the one the page preselects.
    """
    site_url = site_url.rstrip("/")
    settings_url = f"{site_url}{SETTINGS_PATH}"
    if account_slug:
        settings_url += f"?{urlencode({'account': account_slug})}"
    page = session.get(settings_url, timeout=TIMEOUT_SECONDS)
    page.raise_for_status()
    form = _form(page.text, page.url, form_id="connect-form")
    fields = dict(form.fields)
    if login_host:
        fields["login_host"] = login_host
    if my_domain:
        fields["my_domain"] = my_domain
    started = session.post(
        urljoin(page.url, form.action),
        data=fields,
        headers={"Referer": page.url},
        timeout=TIMEOUT_SECONDS,
        allow_redirects=False,
    )
    if started.status_code != 302:
        raise ConsentError(
            f"Clicking Connect Salesforce returned {started.status_code} instead of "
            f"a redirect to Salesforce: {started.text[:300]}"
        )
    authorize_url = urljoin(started.url, started.headers["Location"])
    if not authorize_url.startswith(
        ("http://", "https://")
    ) or authorize_url.startswith(site_url):
        # The site rejected the input and redirected back to its settings page.
        return session.get(authorize_url, timeout=TIMEOUT_SECONDS)
    callback_url = approve(
        session,
        authorize_url,
        ca_path=ca_path,
        username=username,
        password=password,
        allow=allow,
    )
    if not callback_url.startswith(site_url):
        raise ConsentError(
            f"Salesforce redirected to {callback_url}, not back to {site_url}."
        )
    return session.get(callback_url, timeout=TIMEOUT_SECONDS)


def log_in(
    session: requests.Session, site_url: str, *, username: str, password: str
) -> requests.Response:
    """Log in to the Django site through allauth's login form."""
    login_url = f"{site_url.rstrip('/')}{LOGIN_PATH}"
    page = session.get(login_url, timeout=TIMEOUT_SECONDS)
    page.raise_for_status()
    form = _form(page.text, page.url, action_part=LOGIN_PATH)
    response = session.post(
        login_url,
        data={**form.fields, "login": username, "password": password},
        headers={"Referer": page.url},
        timeout=TIMEOUT_SECONDS,
        allow_redirects=False,
    )
    if response.status_code != 302:
        raise ConsentError(
            f"Logging in to {site_url} as {username} failed ({response.status_code}); "
            "check the username and password."
        )
    return response


def connect_through_consent(
    *,
    session: requests.Session,
    site_url: str,
    site_username: str,
    site_password: str,
    salesforce_username: str,
    salesforce_password: str,
    ca_path: str,
    account_slug: str = "",
) -> requests.Response:
    """Log in to the Django site, then connect Salesforce as `connect_salesforce`."""
    log_in(session, site_url, username=site_username, password=site_password)
    return connect_salesforce(
        session,
        site_url,
        ca_path=ca_path,
        username=salesforce_username,
        password=salesforce_password,
        account_slug=account_slug,
    )
