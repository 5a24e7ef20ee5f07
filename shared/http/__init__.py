"""HTTP conventions shared by the four services, by concern: the route table's types
(``table``), what every request passes (``middlewares``), what a request carries and who
sends it (``requests``, ``addresses``), the routes every service has (``base``) and the
OpenAPI document (``openapi``). One error shape, ``{"error": {"code", "message", "fields"}}``;
a request id on every answer; typed JSON bodies; the one way a handler asks who is calling.
What services use is named here, so they import it from ``shared.http``.
"""

from shared.http.addresses import (
    client_address as client_address,
)
from shared.http.addresses import (
    proxy_networks as proxy_networks,
)
from shared.http.base import (
    BASE_ENDPOINTS as BASE_ENDPOINTS,
)
from shared.http.middlewares import (
    errors as errors,
)
from shared.http.middlewares import (
    request_context as request_context,
)
from shared.http.middlewares import (
    security_headers as security_headers,
)
from shared.http.middlewares import (
    tracing as tracing,
)
from shared.http.openapi import (
    access_table as access_table,
)
from shared.http.openapi import (
    openapi_path as openapi_path,
)
from shared.http.requests import (
    add_endpoints as add_endpoints,
)
from shared.http.requests import (
    idempotency_key as idempotency_key,
)
from shared.http.requests import (
    principal as principal,
)
from shared.http.requests import (
    read_body as read_body,
)
from shared.http.requests import (
    read_query as read_query,
)
from shared.http.requests import (
    require as require,
)
from shared.http.table import (
    AUTH as AUTH,
)
from shared.http.table import (
    CHECK_ANSWERS as CHECK_ANSWERS,
)
from shared.http.table import (
    ENDPOINTS as ENDPOINTS,
)
from shared.http.table import (
    METRICS as METRICS,
)
from shared.http.table import (
    METRICS_TOKEN as METRICS_TOKEN,
)
from shared.http.table import (
    READY_CHECKS as READY_CHECKS,
)
from shared.http.table import (
    READY_NOTES as READY_NOTES,
)
from shared.http.table import (
    SERVICE_NAME as SERVICE_NAME,
)
from shared.http.table import (
    ApiError as ApiError,
)
from shared.http.table import (
    AuthConfig as AuthConfig,
)
from shared.http.table import (
    Body as Body,
)
from shared.http.table import (
    Endpoint as Endpoint,
)
from shared.http.table import (
    HandlerFn as HandlerFn,
)
from shared.http.table import (
    IPNetwork as IPNetwork,
)
from shared.http.table import (
    Moment as Moment,
)
from shared.http.table import (
    answers as answers,
)
from shared.http.table import (
    in_range as in_range,
)
from shared.http.table import (
    picked as picked,
)
