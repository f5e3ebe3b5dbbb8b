"""jero: a class-based, msgspec-first ASGI micro-framework for typed JSON/REST APIs."""

from ._app import BaseApp
from ._auth import AuthorizationHeader, BasicAuth, BearerAuth
from ._binding.base import Limits
from ._binding.forms import FormPart
from ._binding.uploads import FilePart
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
    ServiceUnavailableError,
    TooManyRequestsError,
    UnsupportedMediaTypeError,
    ValidationFailedError,
    WiringError,
)
from ._headers import RawHeaders
from ._lifecycle import BaseFactory
from ._meta import EndpointMeta, OperationMeta, ResourceMeta
from ._openapi import DocsPage, Scalar, SwaggerUI
from ._rendering.cookies import SetCookie
from ._rendering.responses import Accepted, BytesResponse, Created, JSONResponse, NoContent
from ._routing.routes import Endpoint, Resource
from ._streaming.responses import (
    NDJSONStreamingResponse,
    ServerSentEvent,
    SSEResponse,
    StreamingResponse,
)
from ._tasks import BackgroundTasks

__all__ = [
    "Accepted",
    "AuthenticationRequiredError",
    "AuthorizationHeader",
    "BackgroundTasks",
    "BaseApp",
    "BaseFactory",
    "BasicAuth",
    "BearerAuth",
    "BytesResponse",
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
    "MalformedRequestError",
    "MethodNotAllowedError",
    "NDJSONStreamingResponse",
    "NoContent",
    "NotFoundError",
    "OperationMeta",
    "PayloadTooLargeError",
    "Problem",
    "RawHeaders",
    "Resource",
    "ResourceMeta",
    "SSEResponse",
    "Scalar",
    "ServerSentEvent",
    "ServiceUnavailableError",
    "SetCookie",
    "StreamingResponse",
    "SwaggerUI",
    "TooManyRequestsError",
    "UnsupportedMediaTypeError",
    "ValidationFailedError",
    "WiringError",
]
