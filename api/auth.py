"""Bearer authentication of API requests by account API key."""

import logging

from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from api.keys import CREATE_KEY_HINT, ApiKeyError, authenticate_key
from api.models import ApiKey

logger = logging.getLogger(__name__)


class ApiKeyAuth(HttpBearer):
    """Authentication by `Authorization: Bearer <key>`, setting `request.auth` to the ApiKey."""

    def __call__(self, request) -> ApiKey:
        # The header is parsed here instead of by HttpBearer.__call__. That one
        # logs the whole header, key included, when DEBUG is on and the scheme
        # is not Bearer, and it gives every failure the same message.
        header = request.headers.get(self.header, "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != self.openapi_scheme or not key.strip():
            logger.warning(
                "API request to %s rejected: no Bearer key in the %s header",
                request.path,
                self.header,
            )
            raise AuthenticationError(
                message="Missing API key: send 'Authorization: Bearer <key>' with "
                f"a key printed by `{CREATE_KEY_HINT}`."
            )
        return self.authenticate(request, key.strip())

    def authenticate(self, request, token: str) -> ApiKey:
        try:
            return authenticate_key(token)
        except ApiKeyError as error:
            # The message names at most the key's prefix, never its secret.
            logger.warning("API request to %s rejected: %s", request.path, error)
            raise AuthenticationError(message=str(error)) from error
