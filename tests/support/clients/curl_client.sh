#!/bin/sh
# A client of both endpoints in POSIX sh and curl, for `python -m conformance client`:
#
#     python -m conformance client -- sh tests/support/clients/curl_client.sh [--fault NAME]
#
# It reads what the kit gives every client (COMODO_API_URL ending /products/, COMODO_CA_FILE,
# COMODO_LOGIN_NAME, COMODO_LOGIN_PASSWORD), places a test order (test=Y, answered URL-encoded)
# and clicks through on it. Values are sent with curl --data-urlencode, which percent-encodes
# them; --fault NAME makes one mistake instead:
#
#   raw-data       sends the order with curl --data, which encodes nothing: the '&' in
#                  "Smith & Sons Ltd" splits the pair, and " Sons Ltd" arrives as a variable
#   four-faults    leaves postalCode out, sends days=366, a 65-character organizationName and
#                  colour=blue (the kit lists all four)
#   no-ca          verifies the vendor against the system's CAs only (as PHP's cURL may)
#   plain-http     sends to http:// at the HTTPS port
#
# Exit status: 0 when both answers were successes, 1 otherwise.
set -eu

fault=""
if [ "${1:-}" = "--fault" ]; then
    fault="${2:?--fault needs a name}"
fi
api="${COMODO_API_URL:?COMODO_API_URL is not set}"
form="Content-Type: application/x-www-form-urlencoded"

post() {
    # post ENDPOINT CURL-ARGS...: the answer's body on stdout
    endpoint="$1"
    shift
    url="$api"
    if [ "$fault" = "plain-http" ]; then
        url=$(printf '%s' "$api" | sed 's/^https:/http:/')
    fi
    if [ "$fault" = "no-ca" ]; then
        (unset CURL_CA_BUNDLE SSL_CERT_FILE; curl -sS -X POST -H "$form" "$@" "${url}!${endpoint}")
    elif [ -n "${COMODO_CA_FILE:-}" ]; then
        curl -sS -X POST -H "$form" --cacert "$COMODO_CA_FILE" "$@" "${url}!${endpoint}"
    else
        curl -sS -X POST -H "$form" "$@" "${url}!${endpoint}"
    fi
}

param() {
    # param NAME ANSWER: one parameter of a URL-encoded answer (its value has no escapes here)
    printf '%s' "$2" | tr '&' '\n' | sed -n "s/^$1=//p"
}

# the order's variables, as curl arguments (POSIX sh has one array: the positional parameters)
encode="--data-urlencode"
[ "$fault" = "raw-data" ] && encode="--data"
set -- \
    --data-urlencode "loginName=$COMODO_LOGIN_NAME" \
    --data-urlencode "loginPassword=$COMODO_LOGIN_PASSWORD" \
    --data-urlencode "product=36" \
    --data-urlencode "location=https://www.example.com/" \
    --data-urlencode "streetAddress1=1 High St" \
    --data-urlencode "localityName=Leeds" \
    --data-urlencode "stateOrProvinceName=West Yorkshire" \
    --data-urlencode "countryName=GB" \
    --data-urlencode "isCustomerValidated=N" \
    --data-urlencode "responseFormat=1" \
    --data-urlencode "test=Y"
if [ "$fault" = "four-faults" ]; then
    set -- "$@" \
        --data-urlencode "days=366" \
        --data-urlencode "organizationName=Smith and Sons, Builders and Decorators of Leeds and Bradford Ltd" \
        --data-urlencode "colour=blue"
else
    set -- "$@" \
        --data-urlencode "days=365" \
        "$encode" "organizationName=Smith & Sons Ltd" \
        --data-urlencode "postalCode=LS1 1AA"
fi
order=$(post AutoApplyIdA "$@")
code=$(param errorCode "$order")
if [ "$code" != "0" ]; then
    echo "order refused: $order" >&2
    exit 1
fi
number=$(param orderNumber "$order")
echo "placed test order $number"

clicked=$(post UpdateUserEvClickThrough \
    --data-urlencode "loginName=$COMODO_LOGIN_NAME" \
    --data-urlencode "loginPassword=$COMODO_LOGIN_PASSWORD" \
    --data-urlencode "action=ReplaceMailAddress" \
    --data-urlencode "orderNumber=$number" \
    --data-urlencode "adminEmailAddress=it@example.com")
if [ "$(param errorCode "$clicked")" != "0" ]; then
    echo "click-through refused: $clicked" >&2
    exit 1
fi
echo "click-through: status $(param status "$clicked")"
