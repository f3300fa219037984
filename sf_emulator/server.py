"""The emulator's WSGI application and its threaded HTTPS server.

Requests under /services/data/ go to the REST API, /services/oauth2/ and
/id/ to OAuth, /_emulator/ to the control API. Every request is logged with
its method, path (never the query string, which may carry a token), status
and duration.
"""

import ipaddress
import logging
import socket
import ssl
import time
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from sf_emulator import certs, dml, faults, oauth, orgs, rest
from sf_emulator.control import ControlApi
from sf_emulator.errors import ApiError, invalid_session
from sf_emulator.storage import LimitExceeded, Storage
from sf_emulator.web import error_response, json_response

logger = logging.getLogger(__name__)

DEFAULT_CLIENT_ID = "artisan-local-client"
# A fixed local secret, so that the service's development settings can name it.
DEFAULT_CLIENT_SECRET = "artisan-local-secret"  # noqa: S105
CONNECTED_APP_NAME = "Artisan Salesforce Integration"
DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "var" / "emulator"
# Salesforce returns 414 when the URI exceeds 16,384 bytes.
MAX_URI_BYTES = 16_384
# NOTE: Salesforce documents 431 for a URI and headers together over 16,384
# bytes, which would reject every 16,384-byte URI; the emulator checks the
# headers alone so that a URI at the limit still reaches the API.
MAX_HEADER_BYTES = 16_384


class DroppedConnection(Response):
    """A response never sent: the server closes the connection instead."""


class Emulator:
    """One emulator instance: its storage and its three APIs."""

    def __init__(
        self,
        data_dir: Path,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        base_url: str = "https://localhost:8765",
    ):
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        self.base_url = base_url
        self.storage = Storage(data_dir / "emulator.sqlite3")
        self.storage.save_connected_app(client_id, client_secret, CONNECTED_APP_NAME)
        orgs.ensure_demo_org(self.storage)
        self.rest = rest.RestApi()
        self.oauth = oauth.OAuthEndpoints(self)
        self.control = ControlApi(self)

    def __call__(self, environ, start_response):
        request = Request(environ)
        started = time.perf_counter()
        response = self.dispatch(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        if isinstance(response, DroppedConnection):
            logger.info(
                "%s %s dropped the connection after saving (%.0f ms)",
                request.method,
                request.path,
                elapsed_ms,
            )
            # Shutting the socket down makes the server's write fail, which
            # werkzeug treats as a connection the client dropped.
            environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
        else:
            logger.info(
                "%s %s %s %.0f ms",
                request.method,
                request.path,
                response.status_code,
                elapsed_ms,
            )
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        uri = request.environ.get("REQUEST_URI") or request.full_path
        if len(uri.encode()) > MAX_URI_BYTES:
            return Response("URI Too Long", status=414, content_type="text/plain")
        header_bytes = sum(
            len(name) + len(value) + 4 for name, value in request.headers
        )
        if header_bytes > MAX_HEADER_BYTES:
            return Response(
                "Request Header Fields Too Large", status=431, content_type="text/plain"
            )
        path = request.path
        try:
            if path.startswith("/_emulator/"):
                return self.control.handle(request)
            if path.startswith("/services/oauth2/") or path.startswith("/id/"):
                return self.oauth.handle(request)
            if path.rstrip("/") == "/services/data":
                return json_response(rest.versions())
            if path.startswith("/services/data/"):
                return self.handle_rest(request)
        except Exception:
            logger.exception("Request %s %s failed", request.method, path)
            return json_response(faults.server_error_body(500), 500)
        return json_response(
            [
                {
                    "errorCode": "NOT_FOUND",
                    "message": "The requested resource does not exist",
                }
            ],
            404,
        )

    def handle_rest(self, request: Request) -> Response:
        segments = [part for part in request.path.split("/") if part]
        try:
            version = rest.parse_version(segments[2])
        except ApiError as error:
            return error_response(error)
        token_row = self._access_token(request)
        if token_row is None:
            return error_response(invalid_session())
        org = self.storage.org(token_row["org_id"])
        latency_ms = org["faults"].get("latency_ms")
        if latency_ms:
            time.sleep(latency_ms / 1000)
        limit = org["config"]["api_limit"]

        def limit_header(used: int) -> dict:
            return {"Sforce-Limit-Info": f"api-usage={used}/{limit}"}

        try:
            handler, label, kwargs = self.rest.resolve(request.method, segments[3:])
        except ApiError as error:
            return error_response(error, limit_header(org["api_used"]))
        server_error = faults.take(self.storage, org["org_id"], "server_errors")
        if server_error:
            status = server_error["status"]
            return json_response(faults.server_error_body(status), status)
        try:
            used = self.storage.count_api_call(org["org_id"], label, limit)
        except LimitExceeded:
            error = ApiError.single(
                "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", status=403
            )
            return error_response(error, limit_header(org["api_used"]))
        call = rest.RestCall(
            method=request.method,
            segments=segments[3:],
            args=request.args,
            body=request.get_data(),
            headers=request.headers,
            version=version,
            context=self._context(request, org, token_row["user_id"], version),
        )
        result = self.rest.execute(call, handler, kwargs)
        headers = {**result.headers, **limit_header(used)}
        if request.method in rest.WRITE_METHODS and result.status < 300:
            lost = faults.take(
                self.storage,
                org["org_id"],
                "lose_response_after_save",
                written=rest.written_objects(call),
            )
            if lost and lost["mode"] == "close":
                return DroppedConnection()
            if lost:
                return Response(b"", status=502)
        if result.body is None:
            return Response(status=result.status, headers=headers)
        return json_response(result.body, result.status, headers)

    def _access_token(self, request: Request):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "oauth") or not token.strip():
            return None
        return self.storage.valid_token(token.strip(), "access")

    def _context(self, request, org: dict, user_id: str, version: str):
        duplicate_header = request.headers.get("Sforce-Duplicate-Rule-Header", "")
        options = {
            key.strip().lower(): value.strip().lower()
            for key, _, value in (
                part.partition("=") for part in duplicate_header.split(";")
            )
        }
        auto_assign = request.headers.get("Sforce-Auto-Assign", "TRUE")
        return dml.OrgContext(
            storage=self.storage,
            org=org,
            user_id=user_id,
            api_version=version,
            allow_duplicates=options.get("allowsave") == "true",
            auto_assign=auto_assign.strip().upper() != "FALSE",
        )


class QuietRequestHandler(WSGIRequestHandler):
    """Leave request logging to the application, which omits query strings."""

    def log_request(self, code="-", size="-") -> None:
        pass


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    data_dir: Path | str = DEFAULT_DATA_DIR,
    *,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
) -> None:
    """Run the emulator over HTTPS until interrupted.

    Port 0 picks a free port; the ready line printed to stdout names the
    port in use. Raises ValueError for a host that is not a loopback address,
    because the control API has no authentication.
    """
    if not is_loopback(host):
        raise ValueError(f"the emulator only listens on loopback addresses, not {host}")
    data_dir = Path(data_dir)
    ca_path, cert_path, key_path = certs.ensure_certificates(data_dir)
    ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ssl_context.load_cert_chain(cert_path, key_path)
    emulator = Emulator(data_dir, client_id=client_id, client_secret=client_secret)
    server = make_server(
        host,
        port,
        emulator,
        threaded=True,
        request_handler=QuietRequestHandler,
        ssl_context=ssl_context,
    )
    emulator.base_url = f"https://localhost:{server.port}"
    print(
        f"Salesforce emulator listening on {emulator.base_url} (CA bundle: {ca_path})",
        flush=True,
    )
    try:
        server.serve_forever()
    finally:
        emulator.storage.close()
