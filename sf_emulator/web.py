"""Small helpers for building the emulator's HTTP responses."""

import json

from werkzeug.wrappers import Response

from sf_emulator.errors import ApiError


def json_response(body: object, status: int = 200, headers: dict | None = None):
    return Response(
        json.dumps(body),
        status=status,
        headers=headers,
        content_type="application/json;charset=UTF-8",
    )


def error_response(error: ApiError, headers: dict | None = None) -> Response:
    return json_response(error.rest_body(), error.status, headers)


def empty_response(status: int = 204, headers: dict | None = None) -> Response:
    return Response(status=status, headers=headers)


def read_json(raw: bytes) -> object:
    """Parse a request body as JSON, or raise ApiError JSON_PARSER_ERROR."""
    try:
        return json.loads(raw or b"null")
    except ValueError as error:
        raise ApiError.single(
            "JSON_PARSER_ERROR", f"Unexpected character in the request body: {error}"
        ) from None
