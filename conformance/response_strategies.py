"""Every response a conforming server may send, as a public Hypothesis strategy (re-exported by
:mod:`conformance.strategies`; client mode draws the answers it judges a decoder by from it)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

import codec
from codec import EndpointSpec

__all__ = ["responses"]


def _amounts() -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False)


def responses(endpoint: str | EndpointSpec, *, response_format: int | None = None) -> st.SearchStrategy[codec.Response]:
    """Every response a conforming server may send (typed): each code of the endpoint's table with
    its template filled, and successes with values the tables allow for *response_format*."""
    spec = endpoint if isinstance(endpoint, EndpointSpec) else codec.endpoint_spec(endpoint)
    cls = codec.RESPONSE_CLASSES[spec.name]
    errors = [c for c in spec.codes if c < 0]
    names = st.sampled_from(sorted(f.name for f in spec.fields))

    def error(code: int, name: str) -> codec.Response:
        argument = "XX" if spec.codes[code].placeholder_kind == "country" else name
        return codec.error_response(spec.name, code, argument, version=spec.version)

    error_strategy = st.builds(error, st.sampled_from(errors), names)
    if spec.statuses:

        def done(status: int) -> codec.Response:
            values: dict[str, Any] = {"status": status, "description": spec.statuses[status].description}
            return cls(error_code=0, error_message=spec.codes[0].message, **values)

        success = st.sampled_from(sorted(spec.statuses)).map(done)
        return st.one_of(error_strategy, success)
    fmt_key = str(response_format if response_format is not None else 0)
    hours = spec.formats[fmt_key].expected_delivery
    success_codes = sorted(c for c in spec.codes if c >= 0)

    def ok(code: int, order: int, cost: Decimal, hour: int) -> codec.Response:
        message = spec.codes[code].message if code > 0 else None
        values: dict[str, Any] = {"order_number": order, "total_cost": cost, "expected_delivery_time": hour}
        return cls(error_code=code, error_message=message, **values)

    success = st.builds(
        ok,
        st.sampled_from(success_codes),
        st.integers(min_value=1, max_value=2**31),
        _amounts(),
        st.sampled_from(hours),
    )
    return st.one_of(error_strategy, success)
