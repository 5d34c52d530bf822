"""`/metrics`: the process's instruments (summed over gunicorn's workers in multiprocess mode)
followed by the pipeline's state (collector.py), in Prometheus' text format.

Not public: the gateway never routes it (deploy/nginx/gateway.conf); Prometheus scrapes each
deployment from inside the network with `Authorization: Bearer $POS_METRICS_TOKEN`. Without a
token configured, only a signed-in superuser may read it (a developer in embedded mode).
"""

import hmac

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from infrastructure.http.problems import problem_response
from infrastructure.observability.collector import PipelineCollector

_pipeline_registry = CollectorRegistry(auto_describe=False)
_pipeline_registry.register(PipelineCollector())


def allowed(request) -> bool:
    token = settings.POS_METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_active and user.is_superuser)


def _process_metrics() -> bytes:
    if settings.PROMETHEUS_MULTIPROC_DIR:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


@never_cache
@require_GET
def metrics(request):
    if not allowed(request):
        return problem_response(request, 403, "The metrics need the bearer token of POS_METRICS_TOKEN.",
                                code="permission-denied")
    body = _process_metrics() + generate_latest(_pipeline_registry)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
