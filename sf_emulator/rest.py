"""The REST API under /services/data/vNN.N/: sObjects, query, limits, composite.

`RestApi.resolve` maps a method and path to a handler and the endpoint label
that API-call counters use; `RestApi.execute` runs it. Composite requests run
their subrequests through the same two steps, inside one transaction.
"""

import logging
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from werkzeug.datastructures import Headers, MultiDict

from sf_emulator import dml, ids, schema, soql
from sf_emulator.errors import ApiError, ErrorItem, not_found
from sf_emulator.web import read_json

logger = logging.getLogger(__name__)

MIN_VERSION = 31
MAX_VERSION = 67
SEASONS = ("Winter", "Spring", "Summer")
MAX_COLLECTION_RECORDS = 200
MAX_COMPOSITE_SUBREQUESTS = 25
# At most this many subrequests of one composite may be queries or sObject
# Collections operations.
MAX_COMPOSITE_QUERIES = 5
QUERY_OR_COLLECTION_URL = re.compile(r"/(query|queryAll|composite/sobjects)\b")
DEFAULT_BATCH_SIZE = 2000
MIN_BATCH_SIZE = 200
# Salesforce keeps query cursors for two days; the emulator keeps them in
# memory, so they also end when the process stops.
CURSOR_LIFETIME_SECONDS = 2 * 24 * 3600
MAX_CURSORS = 500
WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}
ROLLED_BACK = ErrorItem(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was "
    "using AllOrNone header",
    [],
)
PROCESSING_HALTED = {
    "errorCode": "PROCESSING_HALTED",
    "message": "The transaction was rolled back since another operation in the "
    "same transaction failed.",
}
REFERENCE = re.compile(r"@\{([^}]+)\}")


def release_label(version: int) -> str:
    """Return the release name of an API version, e.g. 62 -> "Winter '25"."""
    if version == 31:
        return "Summer '14"
    years, season = divmod(version - 32, 3)
    return f"{SEASONS[season]} '{15 + years}"


def versions() -> list[dict]:
    return [
        {
            "label": release_label(number),
            "url": f"/services/data/v{number}.0",
            "version": f"{number}.0",
        }
        for number in range(MIN_VERSION, MAX_VERSION + 1)
    ]


def parse_version(text: str) -> str:
    """Return "NN.N" for a "vNN.N" path segment, or raise ApiError."""
    match = re.fullmatch(r"v(\d+)\.(\d+)", text)
    if match is None or int(match.group(1)) > MAX_VERSION:
        raise not_found()
    if int(match.group(1)) < MIN_VERSION:
        raise ApiError.single(
            "API_VERSION_RETIRED",
            f"Version {match.group(1)}.{match.group(2)} of the API is no longer "
            "supported. Use a newer API version.",
            status=410,
        )
    return f"{int(match.group(1))}.{match.group(2)}"


@dataclass
class RestCall:
    """One REST request (or composite subrequest) after authentication."""

    method: str
    segments: list[str]
    args: MultiDict
    body: bytes
    headers: Headers
    version: str
    context: dml.OrgContext
    parsed_body: object = field(default=None, init=False)

    def json(self) -> object:
        if self.parsed_body is None:
            self.parsed_body = read_json(self.body)
        return self.parsed_body


def written_objects(call: RestCall) -> set[str]:
    """Name the sObjects a write to sObjects or sObject Collections touches.

    Composite requests return an empty set: their subrequests are not read.
    """
    segments = call.segments
    if len(segments) >= 2 and segments[0] == "sobjects":
        return {schema.canonical_object_name(segments[1]) or segments[1]}
    if segments == ["composite", "sobjects"] and call.method != "DELETE":
        body = call.json()
        records = body.get("records") if isinstance(body, dict) else None
        return {
            record["attributes"]["type"]
            for record in records or []
            if isinstance(record, dict)
            and isinstance(record.get("attributes"), dict)
            and isinstance(record["attributes"].get("type"), str)
        }
    return set()


@dataclass
class RestResult:
    status: int
    body: object = None
    headers: dict = field(default_factory=dict)


@dataclass
class QueryCursor:
    org_id: str
    records: list[dict]
    batch_size: int
    created: float


class QueryCursors:
    """Remaining rows of queries larger than one page, by locator."""

    def __init__(self):
        self._cursors: OrderedDict[str, QueryCursor] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, cursor: QueryCursor) -> str:
        locator = ids.new_id("QueryLocator")
        with self._lock:
            self._cursors[locator] = cursor
            while len(self._cursors) > MAX_CURSORS:
                self._cursors.popitem(last=False)
        return locator

    def get(self, locator: str, org_id: str) -> QueryCursor | None:
        with self._lock:
            cursor = self._cursors.get(locator)
        if cursor is None or cursor.org_id != org_id:
            return None
        if time.time() - cursor.created > CURSOR_LIFETIME_SECONDS:
            return None
        return cursor


def method_not_allowed(method: str, allowed: list[str]) -> ApiError:
    return ApiError.single(
        "METHOD_NOT_ALLOWED",
        f"HTTP Method '{method}' not allowed. Allowed are {','.join(allowed)}",
        status=405,
    )


class RestApi:
    """The REST resources of one emulator, with its open query cursors."""

    def __init__(self):
        self.cursors = QueryCursors()

    # Routing

    def resolve(self, method: str, segments: list[str]):
        """Return (handler, endpoint label, keyword arguments) for a request."""
        routes = self._routes(segments)
        if routes is None:
            raise not_found()
        methods, template, kwargs = routes
        if method not in methods:
            raise method_not_allowed(method, sorted(methods))
        return methods[method], f"{method} {template}".rstrip(), kwargs

    def _routes(self, segments: list[str]):
        count = len(segments)
        head = segments[0] if segments else ""
        if count == 0:
            return {"GET": self.resources}, "", {}
        if head == "sobjects":
            return self._sobject_routes(segments)
        if head in ("query", "queryAll") and count <= 2:
            include_deleted = head == "queryAll"
            if count == 1:
                return (
                    {"GET": self.query},
                    head,
                    {"include_deleted": include_deleted},
                )
            return (
                {"GET": self.query_more},
                f"{head}/{{locator}}",
                {"locator": segments[1]},
            )
        if segments == ["limits"]:
            return {"GET": self.limits}, "limits", {}
        if segments == ["composite"]:
            return {"POST": self.composite}, "composite", {}
        if segments == ["composite", "sobjects"]:
            return (
                {
                    "POST": self.collection_create,
                    "PATCH": self.collection_update,
                    "DELETE": self.collection_delete,
                },
                "composite/sobjects",
                {},
            )
        if count == 3 and segments[:2] == ["composite", "sobjects"]:
            object_name = self._object_name(segments[2])
            return (
                {"GET": self.collection_get, "POST": self.collection_get},
                f"composite/sobjects/{object_name}",
                {"object_name": object_name},
            )
        return None

    def _sobject_routes(self, segments: list[str]):
        count = len(segments)
        if count == 1:
            return {"GET": self.global_describe}, "sobjects", {}
        object_name = self._object_name(segments[1])
        base = f"sobjects/{object_name}"
        kwargs = {"object_name": object_name}
        if count == 2:
            return {"GET": self.object_info, "POST": self.create}, base, kwargs
        if count == 3 and segments[2] == "describe":
            return {"GET": self.describe}, f"{base}/describe", kwargs
        if count == 3:
            return (
                {"GET": self.read, "PATCH": self.update, "DELETE": self.delete},
                f"{base}/{{id}}",
                {**kwargs, "record_id": segments[2]},
            )
        return None

    @staticmethod
    def _object_name(name: str) -> str:
        canonical = schema.canonical_object_name(name)
        if canonical is None:
            raise not_found()
        return canonical

    def execute(self, call: RestCall, handler, kwargs: dict) -> RestResult:
        try:
            return handler(call, **kwargs)
        except ApiError as error:
            return RestResult(error.status, error.rest_body())

    # Resources and describe

    def resources(self, call: RestCall) -> RestResult:
        base = f"/services/data/v{call.version}"
        names = ("sobjects", "query", "queryAll", "limits", "composite")
        return RestResult(200, {name: f"{base}/{name}" for name in names})

    def global_describe(self, call: RestCall) -> RestResult:
        objects = [
            self._object_summary(call, call.context.schema(name).spec)
            for name in sorted(schema.STANDARD_OBJECTS)
        ]
        return RestResult(
            200, {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": objects}
        )

    def _object_summary(self, call: RestCall, spec: schema.ObjectSpec) -> dict:
        base = f"/services/data/v{call.version}/sobjects/{spec.name}"
        return {
            "activateable": False,
            "createable": spec.createable,
            "custom": spec.custom,
            "customSetting": False,
            "deepCloneable": False,
            "deletable": spec.deletable,
            "deprecatedAndHidden": False,
            "feedEnabled": False,
            "hasSubtypes": False,
            "isInterface": False,
            "isSubtype": False,
            "keyPrefix": spec.key_prefix,
            "label": spec.label,
            "labelPlural": spec.label_plural,
            "layoutable": spec.createable,
            "mergeable": spec.name in ("Lead", "Contact", "Account"),
            "mruEnabled": spec.createable,
            "name": spec.name,
            "queryable": True,
            "replicateable": True,
            "retrieveable": True,
            "searchable": spec.createable,
            "triggerable": spec.createable,
            "undeletable": spec.deletable,
            "updateable": spec.updateable,
            "urls": {
                "rowTemplate": f"{base}/{{ID}}",
                "defaultValues": f"{base}/defaultValues?recordTypeId&fields",
                "describe": f"{base}/describe",
                "sobject": base,
            },
        }

    def object_info(self, call: RestCall, object_name: str) -> RestResult:
        spec = call.context.schema(object_name).spec
        return RestResult(
            200,
            {"objectDescribe": self._object_summary(call, spec), "recentItems": []},
        )

    def describe(self, call: RestCall, object_name: str) -> RestResult:
        object_schema = call.context.schema(object_name)
        spec = object_schema.spec
        body = self._object_summary(call, spec)
        body.update(
            actionOverrides=[],
            associateEntityType=None,
            associateParentEntity=None,
            childRelationships=[
                {
                    "cascadeDelete": False,
                    "childSObject": child,
                    "deprecatedAndHidden": False,
                    "field": field_name,
                    "junctionIdListNames": [],
                    "junctionReferenceTo": [],
                    "relationshipName": relationship,
                    "restrictedDelete": False,
                }
                for child, field_name, relationship in spec.child_relationships
            ],
            compactLayoutable=spec.createable,
            defaultImplementation=None,
            extendedBy=None,
            extendsInterfaces=None,
            fields=[
                field_spec.describe() for field_spec in object_schema.fields.values()
            ],
            implementedBy=None,
            implementsInterfaces=None,
            listviewable=None,
            lookupLayoutable=None,
            namedLayoutInfos=[],
            networkScopeFieldName=None,
            recordTypeInfos=[
                {
                    "active": True,
                    "available": True,
                    "defaultRecordTypeMapping": True,
                    "developerName": "Master",
                    "master": True,
                    "name": "Master",
                    "recordTypeId": "012000000000000AAA",
                    "urls": {
                        "layout": f"/services/data/v{call.version}/sobjects/"
                        f"{spec.name}/describe/layouts/012000000000000AAA"
                    },
                }
            ],
            searchLayoutable=spec.createable,
            sobjectDescribeOption="FULL",
            supportedScopes=[
                {"label": "All " + spec.label_plural, "name": "everything"}
            ],
        )
        return RestResult(200, body)

    # Single records

    def create(self, call: RestCall, object_name: str) -> RestResult:
        record_id = dml.create(call.context, object_name, call.json())
        location = call.context.record_url(object_name, record_id)
        return RestResult(
            201,
            {"id": record_id, "success": True, "errors": []},
            {"Location": location},
        )

    def read(self, call: RestCall, object_name: str, record_id: str) -> RestResult:
        fields = call.args.get("fields")
        names = [name.strip() for name in fields.split(",")] if fields else None
        return RestResult(200, dml.get(call.context, object_name, record_id, names))

    def update(self, call: RestCall, object_name: str, record_id: str) -> RestResult:
        dml.update(call.context, object_name, record_id, call.json())
        return RestResult(204)

    def delete(self, call: RestCall, object_name: str, record_id: str) -> RestResult:
        dml.delete(call.context, object_name, record_id)
        return RestResult(204)

    # sObject Collections

    def _collection_records(self, call: RestCall) -> tuple[list, bool]:
        body = call.json()
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            raise ApiError.single(
                "JSON_PARSER_ERROR", "The request body must have a 'records' list."
            )
        records = body["records"]
        if len(records) > MAX_COLLECTION_RECORDS:
            raise ApiError.single(
                "EXCEEDED_ID_LIMIT",
                "record limit reached. cannot submit more than 200 records into "
                "this call",
            )
        return records, bool(body.get("allOrNone", False))

    def collection_create(self, call: RestCall) -> RestResult:
        records, all_or_none = self._collection_records(call)

        def create_one(record: object) -> str:
            return dml.create(call.context, _record_type(record), record)

        return self._run_collection(call, records, all_or_none, create_one)

    def collection_update(self, call: RestCall) -> RestResult:
        records, all_or_none = self._collection_records(call)

        def update_one(record: object) -> str:
            object_name = _record_type(record)
            record_id = _record_id(record)
            body = {key: value for key, value in record.items() if key.lower() != "id"}
            dml.update(call.context, object_name, record_id, body)
            return ids.normalize(record_id)

        return self._run_collection(call, records, all_or_none, update_one)

    def collection_delete(self, call: RestCall) -> RestResult:
        record_ids = [item for item in call.args.get("ids", "").split(",") if item]
        if len(record_ids) > MAX_COLLECTION_RECORDS:
            raise ApiError.single(
                "EXCEEDED_ID_LIMIT",
                "record limit reached. cannot submit more than 200 records into "
                "this call",
            )
        all_or_none = call.args.get("allOrNone", "false").lower() == "true"

        def delete_one(record_id: str) -> str:
            normalized = ids.normalize(record_id)
            object_name = ids.object_type(normalized) if normalized else None
            if object_name not in schema.STANDARD_OBJECTS:
                raise ApiError.single(
                    "MALFORMED_ID", f"malformed id {record_id}", ["Id"]
                )
            dml.delete(call.context, object_name, record_id)
            return normalized

        return self._run_collection(call, record_ids, all_or_none, delete_one)

    def _run_collection(self, call, items, all_or_none: bool, operation) -> RestResult:
        """Apply operation to each item and report results in request order.

        With allOrNone, one failure rolls back every item and the items that
        succeeded report ALL_OR_NONE_OPERATION_ROLLED_BACK instead.
        """
        results: list[dict] = []
        storage = call.context.storage
        try:
            with storage.transaction():
                for item in items:
                    results.append(_collection_result(operation, item))
                failed = any(not result["success"] for result in results)
                if all_or_none and failed:
                    raise _RollBack
        except _RollBack:
            results = [
                result
                if not result["success"]
                else {
                    "success": False,
                    "errors": [ROLLED_BACK.collection_body()],
                }
                for result in results
            ]
        return RestResult(200, results)

    def collection_get(self, call: RestCall, object_name: str) -> RestResult:
        if call.method == "POST":
            body = call.json()
            record_ids = body.get("ids", []) if isinstance(body, dict) else []
            fields = body.get("fields", []) if isinstance(body, dict) else []
        else:
            record_ids = [item for item in call.args.get("ids", "").split(",") if item]
            fields = [item for item in call.args.get("fields", "").split(",") if item]
        if not fields:
            raise ApiError.single(
                "MALFORMED_QUERY", "The 'fields' parameter is required."
            )
        records = []
        for record_id in record_ids:
            try:
                records.append(dml.get(call.context, object_name, record_id, fields))
            except ApiError as error:
                if error.errors[0].error_code == "INVALID_FIELD":
                    raise
                records.append(None)
        return RestResult(200, records)

    # Query

    def query(self, call: RestCall, include_deleted: bool) -> RestResult:
        text = call.args.get("q")
        if not text:
            raise ApiError.single(
                "MALFORMED_QUERY", "A query string has to be specified"
            )
        context = call.context
        describe_cache: dict[str, dict | None] = {}

        def describe_fields(object_name: str) -> dict | None:
            if object_name not in describe_cache:
                object_schema = context.schema(object_name)
                describe_cache[object_name] = (
                    object_schema.describe_fields() if object_schema else None
                )
            return describe_cache[object_name]

        def fetch(object_name: str) -> list[dict]:
            return self._fetch(context, object_name, include_deleted)

        def get(object_name: str, record_id: str) -> dict | None:
            found = context.lookup(record_id)
            if found is None or found[0] != object_name:
                return None
            return found[1]

        try:
            parsed = soql.parse(text)
            records = soql.run(
                parsed,
                describe_fields=describe_fields,
                fetch=fetch,
                get=get,
                api_version=call.version,
                sobject_names=schema.STANDARD_OBJECTS,
            )
        except soql.SoqlError as error:
            raise ApiError.single(error.error_code, error.message) from None
        if parsed.is_count:
            return RestResult(
                200, {"totalSize": len(records), "done": True, "records": []}
            )
        batch_size = _batch_size(call.headers.get("Sforce-Query-Options", ""))
        cursor = QueryCursor(context.org_id, records, batch_size, time.time())
        locator = self.cursors.add(cursor) if len(records) > batch_size else None
        return RestResult(200, self._page(call, cursor, locator, 0))

    def _fetch(self, context, object_name: str, include_deleted: bool) -> list[dict]:
        if object_name == "LeadStatus":
            return schema.lead_status_records(context.org["config"])
        object_schema = context.schema(object_name)
        names = list(object_schema.fields)
        return [
            {name: record.get(name) for name in names}
            for record in context.storage.records(
                context.org_id, object_name, include_deleted=include_deleted
            )
        ]

    def query_more(self, call: RestCall, locator: str) -> RestResult:
        cursor_id, _, offset = locator.partition("-")
        cursor = self.cursors.get(cursor_id, call.context.org_id)
        if cursor is None or not offset.isdigit():
            raise ApiError.single("INVALID_QUERY_LOCATOR", "invalid query locator")
        return RestResult(200, self._page(call, cursor, cursor_id, int(offset)))

    def _page(self, call, cursor: QueryCursor, locator: str | None, offset: int):
        end = offset + cursor.batch_size
        body = {
            "totalSize": len(cursor.records),
            "done": end >= len(cursor.records),
            "records": cursor.records[offset:end],
        }
        if not body["done"]:
            body["nextRecordsUrl"] = (
                f"/services/data/v{call.version}/query/{locator}-{end}"
            )
        return body

    # Limits

    def limits(self, call: RestCall) -> RestResult:
        org = call.context.storage.org(call.context.org_id)
        limit = org["config"]["api_limit"]
        body = {
            "DailyApiRequests": {
                "Max": limit,
                "Remaining": max(limit - org["api_used"], 0),
            },
            "DailyAsyncApexExecutions": {"Max": 250000, "Remaining": 250000},
            "DailyBulkApiBatches": {"Max": 15000, "Remaining": 15000},
            "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
            "DataStorageMB": {"Max": 5, "Remaining": 5},
            "FileStorageMB": {"Max": 20, "Remaining": 20},
            "HourlyPublishedPlatformEvents": {"Max": 50000, "Remaining": 50000},
            "MassEmail": {"Max": 10, "Remaining": 10},
            "SingleEmail": {"Max": 15, "Remaining": 15},
        }
        return RestResult(200, body)

    # Composite

    def composite(self, call: RestCall) -> RestResult:
        body = call.json()
        subrequests = body.get("compositeRequest") if isinstance(body, dict) else None
        if not isinstance(subrequests, list) or not subrequests:
            raise ApiError.single(
                "JSON_PARSER_ERROR", "The request body needs a 'compositeRequest' list."
            )
        if len(subrequests) > MAX_COMPOSITE_SUBREQUESTS:
            raise ApiError.single(
                "INVALID_INPUT",
                f"Max. number of subrequests allowed is {MAX_COMPOSITE_SUBREQUESTS}",
            )
        for subrequest in subrequests:
            _check_subrequest(subrequest)
        queries = [
            subrequest
            for subrequest in subrequests
            if QUERY_OR_COLLECTION_URL.search(subrequest["url"])
        ]
        if len(queries) > MAX_COMPOSITE_QUERIES:
            raise ApiError.single(
                "INVALID_INPUT",
                f"Max. number of query or sObject Collections subrequests allowed "
                f"is {MAX_COMPOSITE_QUERIES}",
            )
        all_or_none = bool(body.get("allOrNone", False))
        responses: list[dict] = []
        try:
            with call.context.storage.transaction():
                for subrequest in subrequests:
                    response = self._run_subrequest(call, subrequest, responses)
                    responses.append(response)
                    failed = response["httpStatusCode"] >= 400
                    if failed and all_or_none:
                        raise _RollBack
        except _RollBack:
            for response in responses[:-1]:
                response.update(
                    body=[PROCESSING_HALTED], httpHeaders={}, httpStatusCode=400
                )
            for subrequest in subrequests[len(responses) :]:
                responses.append(
                    {
                        "body": [PROCESSING_HALTED],
                        "httpHeaders": {},
                        "httpStatusCode": 400,
                        "referenceId": subrequest["referenceId"],
                    }
                )
        return RestResult(200, {"compositeResponse": responses})

    def _run_subrequest(self, call: RestCall, subrequest: dict, done: list) -> dict:
        reference_id = subrequest["referenceId"]
        results = {response["referenceId"]: response for response in done}
        try:
            url = _substitute(subrequest["url"], results)
            body = _substitute(subrequest.get("body"), results)
            path, _, query = url.partition("?")
            segments = [part for part in path.split("/") if part]
            if segments[:2] != ["services", "data"] or len(segments) < 3:
                raise not_found()
            version = parse_version(segments[2])
            method = subrequest["method"].upper()
            handler, _, kwargs = self.resolve(method, segments[3:])
            headers = Headers(call.headers)
            headers.update(subrequest.get("httpHeaders") or {})
            subcall = RestCall(
                method=method,
                segments=segments[3:],
                args=MultiDict(parse_qsl(query, keep_blank_values=True)),
                body=b"",
                headers=headers,
                version=version,
                context=call.context,
            )
            subcall.parsed_body = body
            result = self.execute(subcall, handler, kwargs)
        except ApiError as error:
            result = RestResult(error.status, error.rest_body())
        return {
            "body": result.body,
            "httpHeaders": result.headers,
            "httpStatusCode": result.status,
            "referenceId": reference_id,
        }


class _RollBack(Exception):
    """Raised inside a transaction to undo an all-or-none request."""


def _record_type(record: object) -> str:
    attributes = record.get("attributes") if isinstance(record, dict) else None
    object_name = attributes.get("type") if isinstance(attributes, dict) else None
    if not object_name:
        raise ApiError.single("INVALID_TYPE", "Must send a concrete entity type.")
    return object_name


def _record_id(record: dict) -> str:
    for key, value in record.items():
        if key.lower() == "id" and isinstance(value, str):
            return value
    raise ApiError.single(
        "MISSING_ARGUMENT", "Id not specified in an update call", ["Id"]
    )


def _collection_result(operation, item) -> dict:
    try:
        record_id = operation(item)
    except ApiError as error:
        return {
            "success": False,
            "errors": [problem.collection_body() for problem in error.errors],
        }
    return {"id": record_id, "success": True, "errors": []}


def _batch_size(header: str) -> int:
    match = re.search(r"batchSize\s*=\s*(\d+)", header, re.IGNORECASE)
    if match is None:
        return DEFAULT_BATCH_SIZE
    return min(max(int(match.group(1)), MIN_BATCH_SIZE), DEFAULT_BATCH_SIZE)


def _check_subrequest(subrequest: object) -> None:
    valid = (
        isinstance(subrequest, dict)
        and isinstance(subrequest.get("method"), str)
        and isinstance(subrequest.get("url"), str)
        and isinstance(subrequest.get("referenceId"), str)
    )
    if not valid:
        raise ApiError.single(
            "JSON_PARSER_ERROR",
            "Each subrequest needs 'method', 'url' and 'referenceId'.",
        )
    forbidden = {"accept", "authorization", "content-type"}
    headers = subrequest.get("httpHeaders") or {}
    if forbidden & {name.lower() for name in headers}:
        raise ApiError.single(
            "INVALID_INPUT",
            "Subrequests cannot set the Accept, Authorization or Content-Type header.",
        )


def _substitute(value: object, results: dict) -> object:
    """Replace @{referenceId.path} expressions with earlier subrequest values."""
    if isinstance(value, dict):
        return {key: _substitute(item, results) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, results) for item in value]
    if not isinstance(value, str) or "@{" not in value:
        return value
    whole = REFERENCE.fullmatch(value)
    if whole:
        return _resolve_reference(whole.group(1), results)
    return REFERENCE.sub(
        lambda match: str(_resolve_reference(match.group(1), results)), value
    )


def _resolve_reference(expression: str, results: dict) -> object:
    reference_id, _, path = expression.partition(".")
    response = results.get(reference_id)
    value = response["body"] if response and response["httpStatusCode"] < 400 else None
    steps = re.findall(r"[^.\[\]]+|\[\d+\]", path)
    for step in steps:
        if value is None:
            break
        if step.startswith("["):
            index = int(step[1:-1])
            value = (
                value[index] if isinstance(value, list) and index < len(value) else None
            )
        else:
            value = value.get(step) if isinstance(value, dict) else None
    if value is None:
        raise ApiError.single(
            "PROCESSING_HALTED",
            f"Invalid reference specified. No value for {expression} found in "
            f"{reference_id}.",
        )
    return value
