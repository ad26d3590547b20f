"""Sans-IO codec for the Comodo reseller APIs !AutoApplyIdA and !UpdateUserEvClickThrough.

Bytes and typed values in, bytes and typed values out: no sockets, files or clocks.  Every limit,
code and allowed value comes from the generated tables in ``codec/_tables.py``.  Vendor this
folder alone; it needs only attrs and cattrs.

Client half: :func:`encode_request`, :func:`decode_response`.
Server half: :func:`decode_request`, :func:`encode_response`, :func:`error_response`.
"""

from ._schema import (
    AUTO_APPLY_IDA,
    COUNTRIES,
    ENDPOINTS,
    UPDATE_USER_EV_CLICK_THROUGH,
    EndpointSpec,
    canonical_endpoint,
    endpoint_spec,
)
from .convert import REQUEST_CLASSES, RESPONSE_CLASSES, converter
from .errors import CodecError, Deviation, RequestInvalid, RequestRejected, ResponseEncodeError, ResponseInvalid
from .form import FormError, decode_form, encode_form
from .messages import message_for, parse_message
from .models import (
    REDACTED,
    AutoApplyIdARequest,
    AutoApplyIdAResponse,
    EncodedResponse,
    ErrorDetail,
    HttpRequest,
    UpdateUserEvClickThroughRequest,
    UpdateUserEvClickThroughResponse,
)
from .request import decode_request, encode_request, encode_request_fields, request_to_wire
from .response import decode_response, encode_response, error_detail, error_response

__all__ = [
    "AUTO_APPLY_IDA",
    "COUNTRIES",
    "ENDPOINTS",
    "REDACTED",
    "REQUEST_CLASSES",
    "RESPONSE_CLASSES",
    "UPDATE_USER_EV_CLICK_THROUGH",
    "AutoApplyIdARequest",
    "AutoApplyIdAResponse",
    "CodecError",
    "Deviation",
    "EncodedResponse",
    "EndpointSpec",
    "ErrorDetail",
    "FormError",
    "HttpRequest",
    "RequestInvalid",
    "RequestRejected",
    "ResponseEncodeError",
    "ResponseInvalid",
    "UpdateUserEvClickThroughRequest",
    "UpdateUserEvClickThroughResponse",
    "canonical_endpoint",
    "converter",
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
    "request_to_wire",
]
