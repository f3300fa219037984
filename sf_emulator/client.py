"""A client for the emulator's control API, for tests and the demo.

Every session trusts only the emulator's CA: `trust_env` is off because the
REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE environment variables would otherwise
override `Session.verify`.
"""

from pathlib import Path

import requests
from simple_salesforce import Salesforce

from sf_emulator.server import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

TIMEOUT_SECONDS = 30
API_VERSION = "62.0"


def trusting_session(ca_path: str | Path) -> requests.Session:
    """Return a requests session that verifies certificates against ca_path."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(ca_path)
    return session


class EmulatorError(Exception):
    """The control API rejected a request."""


class EmulatorControl:
    """Calls to the control API (/_emulator/) and a few OAuth conveniences."""

    def __init__(self, base_url: str, ca_path: str | Path):
        self.base_url = base_url.rstrip("/")
        self.ca_path = str(ca_path)
        self.session = trusting_session(ca_path)

    def _request(self, method: str, path: str, **kwargs) -> requests.Response:
        response = self.session.request(
            method, f"{self.base_url}{path}", timeout=TIMEOUT_SECONDS, **kwargs
        )
        if response.status_code >= 400:
            raise EmulatorError(
                f"{method} {path} failed with {response.status_code}: {response.text}"
            )
        return response

    def health(self) -> dict:
        return self._request("GET", "/_emulator/health").json()

    def create_org(self, **config) -> dict:
        """Create an org; returns org_id, instance_url, username, password, user_id."""
        return self._request("POST", "/_emulator/orgs", json=config).json()

    def set_faults(self, org_id: str, **faults) -> dict:
        return self._request(
            "PATCH", f"/_emulator/orgs/{org_id}/faults", json=faults
        ).json()

    def clear_faults(self, org_id: str) -> None:
        self._request("DELETE", f"/_emulator/orgs/{org_id}/faults")

    def api_calls(self, org_id: str) -> dict:
        """Return {"total", "by_endpoint", "used", "limit"} for the org."""
        return self._request("GET", f"/_emulator/orgs/{org_id}/api-calls").json()

    def reset_api_calls(self, org_id: str) -> None:
        self._request("POST", f"/_emulator/orgs/{org_id}/api-calls/reset")

    def convert_lead(self, org_id: str, lead_id: str) -> dict:
        """Convert a Lead; returns lead_id, contact_id and account_id."""
        return self._request(
            "POST", f"/_emulator/orgs/{org_id}/convert-lead", json={"lead_id": lead_id}
        ).json()

    def password_token(
        self,
        username: str,
        password: str,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
    ) -> dict:
        """Log in with the password grant; returns the token response."""
        return self._request(
            "POST",
            "/services/oauth2/token",
            data={
                "grant_type": "password",
                "username": username,
                "password": password,
                "client_id": client_id,
                "client_secret": client_secret,
            },
        ).json()

    def simple_salesforce(self, org: dict) -> Salesforce:
        """Return a simple-salesforce client logged in as the org's admin.

        org is a create_org result, or any dict with "username" and
        "password".
        """
        token = self.password_token(org["username"], org["password"])
        return Salesforce(
            instance_url=token["instance_url"],
            session_id=token["access_token"],
            session=trusting_session(self.ca_path),
            version=API_VERSION,
        )
