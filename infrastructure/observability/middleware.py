"""Request count and latency per route pattern (`api/v1/sales/orders/<uuid:pk>/`, never the raw
path: one series per endpoint, not one per order)."""

import time

from infrastructure.observability import metrics

UNMATCHED = "<unmatched>"  # a 404 for a path no pattern matches: one series for all of them
# Any other method a client makes up is counted as "other" (labels must not grow without bound).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_of(request) -> str:
    match = getattr(request, "resolver_match", None)
    return match.route if match is not None and match.route else UNMATCHED


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        route = route_of(request)
        method = request.method if request.method in METHODS else "other"
        metrics.REQUESTS.labels(route=route, method=method, status=str(response.status_code)).inc()
        metrics.REQUEST_SECONDS.labels(route=route, method=method).observe(time.perf_counter() - started)
        return response
