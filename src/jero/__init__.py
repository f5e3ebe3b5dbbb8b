"""jero: a class-based, msgspec-first ASGI micro-framework for typed JSON/REST APIs."""

from ._app import BaseApp
from ._auth import AuthorizationHeader, BasicAuth, BearerAuth
from ._binding import Limits
from ._cookies import SetCookie
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
from ._forms import FormPart
from ._headers import RawHeaders
from ._lifecycle import BaseFactory
from ._meta import EndpointMeta, OperationMeta, ResourceMeta
from ._openapi import DocsPage, Scalar, SwaggerUI
from ._responses import Accepted, BytesResponse, Created, JSONResponse, NoContent
from ._routes import Endpoint, Resource
from ._streaming import NDJSONStreamingResponse, ServerSentEvent, SSEResponse, StreamingResponse
from ._tasks import BackgroundTasks
from ._uploads import FilePart

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
