"""jero: a class-based, msgspec-first ASGI micro-framework for typed JSON/REST APIs."""

from ._app import BaseApp
from ._asgi import ASGIApp, Message, Receive, Scope, Send
from ._auth import AuthorizationHeader, BasicAuth, BearerAuth
from ._binding.base import Limits
from ._binding.forms import FormPart
from ._binding.uploads import FilePart
from ._conditional.errors import PreconditionFailedError
from ._conditional.etags import make_etag
from ._conditional.preconditions import Preconditions
from ._errors import (
    AuthenticationRequiredError,
    ConflictError,
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
from ._headers import RawHeaders
from ._lifecycle import BaseFactory
from ._meta import EndpointMeta, OperationMeta, ResourceMeta
from ._middleware.chain import ASGIMiddleware, Middleware, RouteInfo
from ._middleware.compression import Compression
from ._middleware.cors import CORS, CORSRefusedError
from ._middleware.request_id import RequestId, current_request_id
from ._openapi import DocsPage, Scalar, SwaggerUI
from ._rendering.cookies import SetCookie
from ._rendering.links import Link
from ._rendering.responses import Accepted, BytesResponse, Created, JSONResponse, NoContent
from ._routing.reverse import URLFor
from ._routing.routes import Endpoint, Resource
from ._streaming.responses import (
    NDJSONStreamingResponse,
    ServerSentEvent,
    SSEResponse,
    StreamingResponse,
)
from ._tasks import BackgroundTasks
from ._websockets.endpoint import WebSocketEndpoint, WebSocketLimits
from ._websockets.socket import WebSocket

__all__ = [
    "CORS",
    "ASGIApp",
    "ASGIMiddleware",
    "Accepted",
    "AuthenticationRequiredError",
    "AuthorizationHeader",
    "BackgroundTasks",
    "BaseApp",
    "BaseFactory",
    "BasicAuth",
    "BearerAuth",
    "BytesResponse",
    "CORSRefusedError",
    "Compression",
    "ConflictError",
    "Created",
    "DocsPage",
    "Endpoint",
    "EndpointMeta",
    "FilePart",
    "ForbiddenError",
    "FormPart",
    "GoneError",
    "HTTPError",
    "InternalServerError",
    "JSONResponse",
    "Limits",
    "Link",
    "MalformedRequestError",
    "Message",
    "MethodNotAllowedError",
    "Middleware",
    "NDJSONStreamingResponse",
    "NoContent",
    "NotFoundError",
    "OperationMeta",
    "PayloadTooLargeError",
    "PreconditionFailedError",
    "Preconditions",
    "Problem",
    "RawHeaders",
    "Receive",
    "RequestId",
    "RequestTimeoutError",
    "Resource",
    "ResourceMeta",
    "RouteInfo",
    "SSEResponse",
    "Scalar",
    "Scope",
    "Send",
    "ServerSentEvent",
    "ServiceUnavailableError",
    "SetCookie",
    "StreamingResponse",
    "SwaggerUI",
    "TooManyRequestsError",
    "URLFor",
    "UnsupportedMediaTypeError",
    "ValidationFailedError",
    "WebSocket",
    "WebSocketEndpoint",
    "WebSocketLimits",
    "WiringError",
    "current_request_id",
    "make_etag",
]
