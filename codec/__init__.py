"""Sans-IO codec for the Comodo reseller APIs !AutoApplyIdA and !UpdateUserEvClickThrough.

Bytes and typed values in, bytes and typed values out: no sockets, files or clocks.  Every limit,
code and allowed value comes from the generated tables in ``codec/_tables.py``, read once into the
typed classes of :mod:`codec.tables` (:class:`EndpointSpec`, :class:`FieldSpec` with its value
kind from :mod:`codec.kinds`, rules, formats, codes, notes).  Vendor this folder alone; it needs
only attrs and cattrs, and imports itself relatively (it works under any package name).

Client half: :func:`encode_request`, :func:`decode_response`.
Server half: :func:`decode_request` (and :func:`request_faults`: every rule a request breaks),
:func:`encode_response`, :func:`error_response`.

Every function takes ``version=`` (default: the newest document): the table of that document
when it is kept in ``spec/sources`` (:data:`DOCUMENT_VERSIONS`), else the variables a later
document's history lists by then (:data:`VERSIONS`; :func:`endpoint_spec`).  Bad input raises a
:class:`CodecError` subclass; a value of the wrong Python type raises ``TypeError`` naming the
parameter.

Modules: ``tables`` (the typed tables), ``kinds`` (one class per value kind), ``models`` (the
typed requests and responses, generated into ``_models.py`` by ``python -m spec regenerate``),
``request`` / ``response`` / ``form`` / ``validate`` / ``convert`` / ``messages`` (the general
paths, the readable reference), ``_fast`` (every speed shortcut, behind one switch), ``errors``,
``_args`` (the Python types the public functions take, checked off the usual path).
"""

from ._notes import NoteId
from .convert import converter, converter_for
from .errors import (
    CodecError,
    Deviation,
    FormError,
    RequestInvalid,
    RequestRejected,
    ResponseEncodeError,
    ResponseInvalid,
    UnknownEndpoint,
    UnknownVersion,
)
from .form import decode_form, encode_form
from .kinds import (
    CommaList,
    Country,
    Enum,
    Flag,
    Integer,
    IntegerEnum,
    InvalidExample,
    NumericEnum,
    Text,
    ValueKind,
)
from .messages import message_for, parse_message
from .models import (
    REDACTED,
    REQUEST_CLASSES,
    RESPONSE_CLASSES,
    AutoApplyIdARequest,
    AutoApplyIdAResponse,
    EncodedResponse,
    ErrorDetail,
    HttpRequest,
    Request,
    RequestFault,
    Response,
    UpdateUserEvClickThroughRequest,
    UpdateUserEvClickThroughResponse,
)
from .request import decode_request, encode_request, encode_request_fields, request_faults, request_to_wire
from .response import decode_response, encode_response, error_detail, error_response
from .tables import (
    AUTO_APPLY_IDA,
    COUNTRIES,
    DOCUMENT_VERSIONS,
    ENDPOINTS,
    UPDATE_USER_EV_CLICK_THROUGH,
    VERSIONS,
    CodeSpec,
    DeliveryMeaning,
    EndpointSpec,
    ExclusiveRule,
    FieldSpec,
    LineLayout,
    MessageAllowance,
    NewlineFormat,
    Note,
    ParamSpec,
    Policy,
    Presence,
    PresenceAllowance,
    RequiredUnlessRule,
    RequiredWhenRule,
    ResponseFormat,
    Rule,
    StatusSpec,
    TableError,
    UrlencodedFormat,
    VersionEntry,
    canonical_endpoint,
    endpoint_spec,
)

__all__ = [
    "AUTO_APPLY_IDA",
    "COUNTRIES",
    "DOCUMENT_VERSIONS",
    "ENDPOINTS",
    "REDACTED",
    "REQUEST_CLASSES",
    "RESPONSE_CLASSES",
    "UPDATE_USER_EV_CLICK_THROUGH",
    "VERSIONS",
    "AutoApplyIdARequest",
    "AutoApplyIdAResponse",
    "CodeSpec",
    "CodecError",
    "CommaList",
    "Country",
    "DeliveryMeaning",
    "Deviation",
    "EncodedResponse",
    "EndpointSpec",
    "Enum",
    "ErrorDetail",
    "ExclusiveRule",
    "FieldSpec",
    "Flag",
    "FormError",
    "HttpRequest",
    "Integer",
    "IntegerEnum",
    "InvalidExample",
    "LineLayout",
    "MessageAllowance",
    "NewlineFormat",
    "Note",
    "NoteId",
    "NumericEnum",
    "ParamSpec",
    "Policy",
    "Presence",
    "PresenceAllowance",
    "Request",
    "RequestFault",
    "RequestInvalid",
    "RequestRejected",
    "RequiredUnlessRule",
    "RequiredWhenRule",
    "Response",
    "ResponseEncodeError",
    "ResponseFormat",
    "ResponseInvalid",
    "Rule",
    "StatusSpec",
    "TableError",
    "Text",
    "UnknownEndpoint",
    "UnknownVersion",
    "UpdateUserEvClickThroughRequest",
    "UpdateUserEvClickThroughResponse",
    "UrlencodedFormat",
    "ValueKind",
    "VersionEntry",
    "canonical_endpoint",
    "converter",
    "converter_for",
    "decode_form",
    "decode_request",
    "decode_response",
    "encode_form",
    "encode_request",
    "encode_request_fields",
    "encode_response",
    "endpoint_spec",
    "error_detail",
    "error_response",
    "message_for",
    "parse_message",
    "request_faults",
    "request_to_wire",
]
