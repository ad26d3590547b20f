"""Requests, both halves: the client encodes them, the server decodes them.

* :func:`encode_request` -- typed request -> :class:`HttpRequest` (method, URL, headers, UTF-8
  form body), validated against the tables first; a broken rule raises :class:`RequestInvalid`.
* :func:`encode_request_fields` -- the same from wire names (a JSON object, a dict), or, with
  ``validate=False``, any pairs at all: the deliberate unchecked path a conformance kit needs.
* :func:`decode_request` -- what a server received (method, scheme, content type, body) -> typed
  request, or :class:`RequestRejected` carrying the vendor code to answer, the argument the
  message names and the response format to answer in.
* :func:`request_faults` -- every rule a received request breaks (:class:`RequestFault`), the
  one the vendor answers first (the one :func:`decode_request` raises) first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from . import _fast
from ._args import as_bytes, check_flag, check_optional_text, check_text, wire_pairs
from .convert import REQUEST_CLASSES, converter_for
from .errors import RequestInvalid, RequestRejected, shown, wrong_type
from .form import FormError, decode_form, encode_form
from .messages import message_for, utf8_encodable
from .models import HttpRequest, Request, RequestFault
from .tables import ENDPOINTS, EndpointSpec, PerSpec, endpoint_spec
from .validate import Fault, check_wire, name_key, read_names, read_pairs, wire_faults

__all__ = [
    "Request",
    "RequestFault",
    "decode_request",
    "encode_request",
    "encode_request_fields",
    "request_faults",
    "request_to_wire",
]


@attrs.frozen
class _Plan:
    """What encoding a request of one bound spec needs, worked out once."""

    headers: tuple[tuple[str, str], ...]
    order: Mapping[str, int]  # variable -> its place in the document
    names: frozenset[str]
    foreign: bool  # the typed class has attributes this version does not (other kept versions' variables)


def _make_plan(spec: EndpointSpec) -> _Plan:
    names = frozenset(f.name for f in spec.fields)
    return _Plan(
        headers=(("Content-Type", spec.content_type),),
        order={f.name: i for i, f in enumerate(spec.fields)},
        names=names,
        foreign=len(attrs.fields(REQUEST_CLASSES[spec.name])) > len(names),
    )


_PLANS = PerSpec(_make_plan)
_SPECS: dict[type, EndpointSpec] = {cls: ENDPOINTS[name] for name, cls in REQUEST_CLASSES.items()}  # class -> newest
_CLASSES = " or ".join(cls.__name__ for cls in REQUEST_CLASSES.values())


def _spec_of(request: object, version: str | None) -> EndpointSpec:
    """The spec *request*'s class speaks, bound to *version*; TypeError naming ``request`` when it
    is not a typed request."""
    spec = _SPECS.get(type(request))
    if spec is None:
        raise wrong_type("request", request, f"a typed request ({_CLASSES})")
    return spec if version is None else endpoint_spec(spec.name, version)


def _invalid(spec: EndpointSpec, fault: Fault) -> RequestInvalid:
    message = message_for(spec, fault.code, fault.argument) or ""
    field = fault.field or fault.argument
    return RequestInvalid(
        f"{spec.name}: {shown(field or '')}: {fault.detail} (vendor error {fault.code}: {message})",
        code=fault.code,
        field=field,
        rule=fault.rule,
    )


def request_to_wire(request: Request, *, version: str | None = None) -> dict[str, str]:
    """Typed request -> ``{wire name: text}`` in the document's order (of *version*, default the
    newest), absent variables omitted; a variable only other versions have comes last."""
    unstructure = _fast.UNSTRUCTURE.get(type(request)) if version is None else None
    if unstructure is not None:
        wire: dict[str, str] = unstructure(request)
        return wire
    spec = _spec_of(request, version)
    unstructure = _fast.unstructure_for(spec)
    wire = converter_for(spec).unstructure(request) if unstructure is None else unstructure(request)
    return wire


def encode_request(request: Request, *, strict: bool = True, version: str | None = None) -> HttpRequest:
    """Validate *request* against its table (bound to document *version*, default the newest) and
    encode it.  Returns an :class:`~codec.models.HttpRequest`; raises :class:`RequestInvalid` (a
    variable the bound version does not have is -2)."""
    spec = _spec_of(request, version)
    if strict is not True and strict is not False:
        check_flag(strict, "strict")
    unstructure = _fast.UNSTRUCTURE.get(type(request)) if version is None else _fast.unstructure_for(spec)
    wire: dict[str, str] = converter_for(spec).unstructure(request) if unstructure is None else unstructure(request)
    if spec.policy.blank_value_is_absent and "" in wire.values():  # note blank-value: read as absent
        wire = {name: value for name, value in wire.items() if value != ""}
    plan = _PLANS[spec]
    if plan.foreign:  # set attributes of variables other versions have: not this one's
        for name in wire:
            if name not in plan.names:
                detail = f"not a variable of {spec.name} {spec.version}"
                raise _invalid(spec, Fault(-2, name, name, "unrecognised", detail))
    fault = check_wire(spec, wire, strict=strict)
    if fault is not None:
        raise _invalid(spec, fault)
    return _http(spec, plan, list(wire.items()))


def _http(spec: EndpointSpec, plan: _Plan, pairs: list[tuple[str, str]]) -> HttpRequest:
    try:
        body = _fast.encode_form(pairs)
        if body is None:
            body = encode_form(pairs)
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 body can carry it
        name = next(n for n, v in pairs if not utf8_encodable(n) or not utf8_encodable(v))
        raise _invalid(spec, Fault(-4, name, name, "utf-8", "not encodable as UTF-8 (lone surrogate)")) from None
    return HttpRequest(method=spec.method, url=spec.url, path=spec.path, headers=plan.headers, body=body)


def encode_request_fields(
    endpoint: str,
    fields: Mapping[str, object] | Sequence[tuple[str, object]],
    *,
    validate: bool = True,
    strict: bool = True,
    version: str | None = None,
) -> HttpRequest:
    """Encode wire-named *fields* (names in any case; values are ``str``, or ``int``, ``bool`` and
    lists of numbers written as the wire writes them) against the table of *version* (default the
    newest).  With ``validate=False`` the pairs are sent exactly as given -- unknown names,
    repeats, blanks and over-long values included -- for testing servers with faulty requests.
    A value of another Python type (None, a float, ...) is a TypeError naming ``fields``."""
    spec = endpoint_spec(endpoint, version)
    if validate is not True and validate is not False:
        check_flag(validate, "validate")
    if strict is not True and strict is not False:
        check_flag(strict, "strict")
    pairs: list[tuple[str, str]]
    if isinstance(fields, Mapping) and _TEXT >= set(map(type, fields)) and _TEXT >= set(map(type, fields.values())):
        pairs = list(fields.items())  # type: ignore[arg-type]  # names and values are text: nothing to write
    else:
        pairs = wire_pairs(fields, "fields")
    plan = _PLANS[spec]
    if validate:
        wire, fault = read_pairs(spec, pairs, None)
        fault = fault or check_wire(spec, wire, strict=strict)
        if fault is not None:
            raise _invalid(spec, fault)
        names = sorted(wire, key=plan.order.__getitem__)  # the document's order
        pairs = list(zip(names, map(wire.__getitem__, names), strict=True))
    return _http(spec, plan, pairs)


_TEXT = frozenset({str})


def _response_format(spec: EndpointSpec, wire: Mapping[str, str]) -> int:
    """Note ``format-of-errors``: a valid responseFormat is honoured even for an error answer;
    an absent or invalid one gets the default format."""
    name = spec.format_field
    if name is None or name.lower() not in spec.by_key:
        return 0
    f = spec.by_key[name.lower()]
    default = int(f.default or 0)
    value = wire.get(f.name)
    if value is not None and value in f.kind.values:
        return int(value)
    return default


_FORM = "application/x-www-form-urlencoded"


def decode_request(
    endpoint: str,
    body: bytes,
    *,
    method: str = "POST",
    scheme: str = "https",
    content_type: str | None = _FORM,
    strict: bool = True,
    version: str | None = None,
) -> Request:
    """Judge a received request the way the vendor does, and decode it.

    Raises :class:`RequestRejected` with the vendor code (-17 not POST, -1 not HTTPS, -2
    unrecognised, -3 missing, -4 invalid, -7 unknown country), the argument its message names and
    the response format to answer in.  *version* binds the judging to that document's table
    (default the newest).  *content_type* is not judged (the documents name no error for it); the
    body -- bytes, a bytearray or a memoryview -- is read as a form whatever it says.  A GET's
    query string is the *body*.
    """
    spec = endpoint_spec(endpoint, version)
    if strict is not True and strict is not False:
        check_flag(strict, "strict")
    if content_type is not _FORM:
        check_optional_text(content_type, "content_type")
    try:
        pairs = _fast.decode_form(body)
        if pairs is None:
            pairs = decode_form(body)
        form_fault = None
    except FormError as exc:
        pairs = _readable_pairs(body)  # still honour a valid responseFormat (note format-of-errors)
        form_fault = exc
    except (TypeError, AttributeError):  # not bytes (checked only now: the usual body never gets here)
        if type(body) is bytes:
            raise
        body = as_bytes(body, "body")  # a memoryview is read as its bytes; a str or None is refused
        return decode_request(
            endpoint,
            body,
            method=method,
            scheme=scheme,
            content_type=content_type,
            strict=strict,
            version=version,
        )
    wire, name_fault = read_pairs(spec, pairs, None)
    # note format-of-errors: GET requests get the default format whatever they ask for; note
    # method-not-post: methods are compared exactly (RFC 9110 section 9.1), so ``post`` is not POST
    fmt = _response_format(spec, wire if method == spec.method else {})

    def reject(code: int, argument: str | None, field: str | None, rule: str, detail: str) -> RequestRejected:
        fault = _fault(spec, pairs, code, argument, field, rule, detail)
        return RequestRejected(
            fault.detail, code=code, field=field, rule=rule, argument=fault.argument, response_format=fmt
        )

    if method != spec.method or scheme != "https":
        check_text(method, "method")
        check_text(scheme, "scheme")
        if method != spec.method:
            raise reject(-17, None, None, "method", f"method {shown(method)!r}, not {spec.method}")
        if scheme.lower() != "https":
            raise reject(-1, None, None, "https", f"scheme {shown(scheme.lower())}, not https")
    if form_fault is not None:
        if form_fault.name is None:
            raise reject(-2, f"pair {form_fault.index + 1}", None, "form", str(form_fault))
        f = spec.by_key.get(name_key(form_fault.name))
        if f is None:
            raise reject(-2, form_fault.name, None, "unrecognised", str(form_fault))
        if name_fault is not None and name_fault.code == -2:  # note error-precedence: -2 before -4
            raise reject(-2, name_fault.argument, None, name_fault.rule, name_fault.detail)
        raise reject(-4, form_fault.name, f.name, "form", str(form_fault))
    fault = name_fault
    if fault is None or fault.code != -2:
        value_fault = check_wire(spec, wire, strict=strict)
        if value_fault is not None and (fault is None or _before(spec, value_fault, fault)):
            fault = value_fault
    if fault is not None:
        where = shown(fault.field or fault.argument or "")
        raise reject(fault.code, fault.argument, fault.field, fault.rule, f"{where}: {fault.detail}")
    # every value passed the tables' rules above: the shortcut builds it without validating again
    cls = REQUEST_CLASSES[spec.name]
    build = _fast.STRUCTURE.get(cls) if version is None else _fast.structure_for(spec)
    request: Request = converter_for(spec).structure(wire, cls) if build is None else build(wire)
    return request


def _fault(
    spec: EndpointSpec,
    pairs: Sequence[tuple[str, str]],
    code: int,
    argument: str | None,
    field: str | None,
    rule: str,
    detail: str,
) -> RequestFault:
    """One broken rule as the vendor reports it: its message names the variable as first spelled."""
    if field is not None and argument == field:
        argument = _spelled(spec, pairs, field)
    message = message_for(spec, code, argument) or ""
    row = f"{spec.name}.request.{field}.{rule}" if field else f"{spec.name}.request.{rule}"
    return RequestFault(
        code=code,
        field=field,
        rule=rule,
        argument=argument,
        row=row,
        message=message,
        detail=f"{spec.name}: {detail} (vendor error {code}: {message})",
    )


def request_faults(
    endpoint: str,
    body: bytes,
    *,
    method: str = "POST",
    scheme: str = "https",
    content_type: str | None = _FORM,
    strict: bool = True,
    version: str | None = None,
) -> tuple[RequestFault, ...]:
    """Every rule a received request breaks, judged as :func:`decode_request` judges it; empty
    when it decodes.

    The first is the fault the vendor answers -- the one :func:`decode_request` raises, with the
    same code, variable, rule, argument and message; the rest follow by the tables' precedence
    (``policy.error_precedence``: -17, -1, -2, -3, -4, -7; within a code, in the order sent for
    names and in table order for values).  Each pair the form cannot decode is a fault (-2 when
    its name is unreadable or unknown, -4 naming the variable); so is each unrecognised name (-2),
    each repeated variable (-4, note ``duplicate-names``), each missing variable (-3), each
    variable the exclusive rule forbids and each invalid value (-4, -7).  A variable whose pair
    cannot be decoded is not also reported missing.  Takes the same arguments as
    :func:`decode_request`.
    """
    spec = endpoint_spec(endpoint, version)
    check_text(method, "method")
    check_text(scheme, "scheme")
    check_flag(strict, "strict")
    if content_type is not _FORM:
        check_optional_text(content_type, "content_type")
    pairs, form_errors = _pairs_and_form_errors(as_bytes(body, "body"))
    wire, unrecognised, repeated = read_names(spec, pairs, None)
    known = spec.by_key

    def fault(found: Fault, prefixed: bool = True) -> RequestFault:
        detail = f"{shown(found.field or found.argument or '')}: {found.detail}" if prefixed else found.detail
        return _fault(spec, pairs, found.code, found.argument, found.field, found.rule, detail)

    transport: list[RequestFault] = []
    if method != spec.method:
        transport.append(_fault(spec, pairs, -17, None, None, "method", f"method {shown(method)!r}, not {spec.method}"))
    if scheme.lower() != "https":
        transport.append(_fault(spec, pairs, -1, None, None, "https", f"scheme {shown(scheme.lower())}, not https"))
    form: list[RequestFault] = []
    unreadable: set[str] = set()
    for error in form_errors:
        if error.name is None:
            form.append(_fault(spec, pairs, -2, f"pair {error.index + 1}", None, "form", str(error)))
            continue
        f = known.get(name_key(error.name))
        if f is None:
            form.append(_fault(spec, pairs, -2, error.name, None, "unrecognised", str(error)))
        else:
            unreadable.add(f.name)
            form.append(_fault(spec, pairs, -4, error.name, f.name, "form", str(error)))
    names = [fault(u, prefixed=not form_errors) for u in unrecognised]
    repeats = [fault(r) for r in repeated]
    values = [
        fault(v) for v in wire_faults(spec, dict(wire), strict=strict) if not (v.code == -3 and v.field in unreadable)
    ]
    # the one decode_request answers, by the same steps
    if transport:
        first = transport[0]
    elif form:
        first = names[0] if form[0].code != -2 and names else form[0]
    elif names:
        first = names[0]
    elif repeats and (not values or not _before(spec, values[0], repeats[0])):
        first = repeats[0]
    elif values:
        first = values[0]
    else:
        return ()
    rest = sorted(
        (f for f in [*transport, *form, *names, *repeats, *values] if f is not first),
        key=lambda f: spec.policy.rank(f.code),
    )
    return (first, *rest)


def _pairs_and_form_errors(body: bytes) -> tuple[list[tuple[str, str]], list[FormError]]:
    """The pairs of *body* that decode, and a :class:`FormError` for each that does not (with
    its place in the whole body, as :func:`decode_form` would report it)."""
    try:
        return decode_form(body), []
    except FormError:
        pass
    pairs: list[tuple[str, str]] = []
    errors: list[FormError] = []
    for index, piece in enumerate(body.split(b"&")):
        if not piece:
            continue
        try:
            pairs.extend(decode_form(piece))
        except FormError as exc:
            errors.append(FormError(index, exc.name, exc.reason))
    return pairs, errors


def _spelled(spec: EndpointSpec, pairs: Sequence[tuple[str, str]], field: str) -> str:
    """Notes duplicate-names, names-case-insensitive: a message names a variable as first spelled."""
    for sent, _ in pairs:
        known = spec.by_key.get(name_key(sent))
        if known is not None and known.name == field:
            return sent
    return field


def _readable_pairs(body: bytes) -> list[tuple[str, str]]:
    """The pairs of a body that decode, skipping those that do not."""
    out: list[tuple[str, str]] = []
    for piece in body.split(b"&"):
        try:
            out.extend(decode_form(piece))
        except FormError:
            continue
    return out


def _before(spec: EndpointSpec, a: Fault | RequestFault, b: Fault | RequestFault) -> bool:
    return spec.policy.rank(a.code) < spec.policy.rank(b.code)
