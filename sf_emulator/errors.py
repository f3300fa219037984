"""Salesforce API errors and the two body shapes they take.

Single-record and query endpoints return a JSON array of
{"message", "errorCode", "fields"}; sObject Collections report the same error
per record with the key "statusCode" instead of "errorCode".
"""

from dataclasses import dataclass, field


@dataclass
class ErrorItem:
    error_code: str
    message: str
    fields: list[str] | None = None
    extra: dict = field(default_factory=dict)

    def rest_body(self) -> dict:
        body = {**self.extra, "errorCode": self.error_code, "message": self.message}
        if self.fields is not None:
            body["fields"] = self.fields
        return body

    def collection_body(self) -> dict:
        return {
            "statusCode": self.error_code,
            "message": self.message,
            "fields": self.fields or [],
        }


class ApiError(Exception):
    """A request the API rejects, with one or more errors and an HTTP status."""

    def __init__(self, errors: ErrorItem | list[ErrorItem], status: int = 400):
        self.errors = errors if isinstance(errors, list) else [errors]
        self.status = status
        super().__init__(self.errors[0].message)

    @classmethod
    def single(
        cls,
        error_code: str,
        message: str,
        fields: list[str] | None = None,
        status: int = 400,
    ) -> "ApiError":
        return cls(ErrorItem(error_code, message, fields), status)

    def rest_body(self) -> list[dict]:
        return [item.rest_body() for item in self.errors]


def not_found() -> ApiError:
    return ApiError.single(
        "NOT_FOUND", "The requested resource does not exist", status=404
    )


def entity_is_deleted() -> ApiError:
    return ApiError.single("ENTITY_IS_DELETED", "entity is deleted", [], status=404)


def invalid_session() -> ApiError:
    return ApiError.single(
        "INVALID_SESSION_ID", "Session expired or invalid", status=401
    )


def invalid_field(object_name: str, field_name: str) -> ApiError:
    return ApiError.single(
        "INVALID_FIELD",
        f"No such column '{field_name}' on sobject of type {object_name}",
    )


def unsupported_operation(object_name: str, operation: str) -> ApiError:
    return ApiError.single(
        "INVALID_TYPE_FOR_OPERATION",
        f"entity type {object_name} does not support {operation}",
    )


def converted_lead(fields: list[str] | None = None) -> ErrorItem:
    return ErrorItem(
        "CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", fields or []
    )
