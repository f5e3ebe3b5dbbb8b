"""jero: a class-based, msgspec-first ASGI micro-framework for typed JSON/REST APIs."""

import inspect
import sys

from ._app import BaseApp
from ._asgi import ASGIApp, Message, Receive, Scope, Send
from ._auth import AuthorizationHeader, BasicAuth, BearerAuth
from ._auth_keys import APIKeyAuth
from ._binding.base import Limits
from ._binding.forms import FormPart
from ._binding.uploads import FilePart
from ._channels import (
    Channel,
    Channels,
    ChannelUnavailableError,
    Feed,
    InProcessBackend,
    PostgresBackend,
    RedisBackend,
    SubscriberOverflowError,
    Subscription,
    backend_from_url,
)
from ._conditional.errors import PreconditionFailedError
from ._conditional.etags import make_etag
from ._conditional.preconditions import Preconditions
from ._errors import (
    AuthenticationRequiredError,
    ConflictError,
    FieldProblem,
    ForbiddenError,
    GoneError,
    HTTPError,
    InternalServerError,
    MalformedRequestError,
    MethodNotAllowedError,
    NotFoundError,
    PayloadTooLargeError,
    Problem,
    RequestTimeoutError,
    ServiceUnavailableError,
    TooManyRequestsError,
    UnsupportedMediaTypeError,
    ValidationFailedError,
    WiringError,
)
from ._errors_format import ErrorFormat, InputStatuses
from ._headers import RawHeaders
from ._jobs import JobBackend, JobId, JobState, JobStatus, MemoryJobs, PostgresJobs, RetryPolicy
from ._lifecycle import BaseFactory
from ._meta import EndpointMeta, OperationMeta, ResourceMeta
from ._middleware.chain import ASGIMiddleware, Middleware, RouteInfo
from ._middleware.compression import Compression
from ._middleware.cors import CORS, CORSRefusedError
from ._middleware.request_id import RequestId, current_request_id
from ._openapi import DocsPage, Scalar, SwaggerUI
from ._protection import (
    CSRF,
    HSTS,
    Admission,
    CSRFRefusedError,
    InvalidSessionError,
    MemoryStore,
    RateLimit,
    RateLimitedError,
    RedisStore,
    SecurityHeaders,
    Session,
    Sessions,
    Store,
    TrustedHosts,
    TrustedProxies,
    UntrustedHostError,
)
from ._rendering.cookies import SetCookie
from ._rendering.links import Link
from ._rendering.responses import Accepted, BytesResponse, Created, JSONResponse, NoContent
from ._routes import Endpoint, Resource
from ._routing.reverse import URLFor
from ._streaming.responses import (
    NDJSONStreamingResponse,
    ServerSentEvent,
    SSEResponse,
    StreamingResponse,
)
from ._tasks import BackgroundTasks
from ._telemetry import AccessLog, Health, Metrics, RouteOnScope, RouteTemplate, Tracing
from ._websockets.endpoint import WebSocketEndpoint, WebSocketLimits
from ._websockets.socket import WebSocket

__all__ = [
    "CORS",
    "CSRF",
    "HSTS",
    "APIKeyAuth",
    "ASGIApp",
    "ASGIMiddleware",
    "Accepted",
    "AccessLog",
    "Admission",
    "AuthenticationRequiredError",
    "AuthorizationHeader",
    "BackgroundTasks",
    "BaseApp",
    "BaseFactory",
    "BasicAuth",
    "BearerAuth",
    "BytesResponse",
    "CORSRefusedError",
    "CSRFRefusedError",
    "Channel",
    "ChannelUnavailableError",
    "Channels",
    "Compression",
    "ConflictError",
    "Created",
    "DocsPage",
    "Endpoint",
    "EndpointMeta",
    "ErrorFormat",
    "Feed",
    "FieldProblem",
    "FilePart",
    "ForbiddenError",
    "FormPart",
    "GoneError",
    "HTTPError",
    "Health",
    "InProcessBackend",
    "InputStatuses",
    "InternalServerError",
    "InvalidSessionError",
    "JSONResponse",
    "JobBackend",
    "JobId",
    "JobState",
    "JobStatus",
    "Limits",
    "Link",
    "MalformedRequestError",
    "MemoryJobs",
    "MemoryStore",
    "Message",
    "MethodNotAllowedError",
    "Metrics",
    "Middleware",
    "NDJSONStreamingResponse",
    "NoContent",
    "NotFoundError",
    "OperationMeta",
    "PayloadTooLargeError",
    "PostgresBackend",
    "PostgresJobs",
    "PreconditionFailedError",
    "Preconditions",
    "Problem",
    "RateLimit",
    "RateLimitedError",
    "RawHeaders",
    "Receive",
    "RedisBackend",
    "RedisStore",
    "RequestId",
    "RequestTimeoutError",
    "Resource",
    "ResourceMeta",
    "RetryPolicy",
    "RouteInfo",
    "RouteOnScope",
    "RouteTemplate",
    "SSEResponse",
    "Scalar",
    "Scope",
    "SecurityHeaders",
    "Send",
    "ServerSentEvent",
    "ServiceUnavailableError",
    "Session",
    "Sessions",
    "SetCookie",
    "Store",
    "StreamingResponse",
    "SubscriberOverflowError",
    "Subscription",
    "SwaggerUI",
    "TooManyRequestsError",
    "Tracing",
    "TrustedHosts",
    "TrustedProxies",
    "URLFor",
    "UnsupportedMediaTypeError",
    "UntrustedHostError",
    "ValidationFailedError",
    "WebSocket",
    "WebSocketEndpoint",
    "WebSocketLimits",
    "WiringError",
    "backend_from_url",
    "current_request_id",
    "make_etag",
]


def _present_as_public(cls: type) -> None:
    """Show a public class as `jero.Name` (in tracebacks, reprs and pickles) rather than
    as the private module defining it.

    `typing.get_type_hints` and msgspec resolve a class's string annotations in the
    module `__module__` names, so the class's own annotations are resolved first, in
    the module that defines them (names only imported for type checking stay strings).
    """
    home = sys.modules[cls.__module__].__dict__
    own = inspect.get_annotations(cls)
    if own:
        scope = {p.__name__: p for p in getattr(cls, "__type_params__", ())}
        resolved: dict[str, object] = {}
        for name, annotation in own.items():
            try:
                resolved[name] = (
                    eval(annotation, home, scope) if isinstance(annotation, str) else annotation
                )
            except NameError:
                resolved[name] = annotation
        cls.__annotations__ = resolved
    cls.__module__ = __name__


for _public in [globals()[name] for name in __all__]:
    if isinstance(_public, type):
        _present_as_public(_public)
