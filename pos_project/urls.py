"""URL map. A context's API and admin are mounted only where `POS_CONTEXTS` names it."""

from importlib import util

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from infrastructure import health
from pos_project import till
from infrastructure.http.home import home
from infrastructure.http.api_root import api_prefix, api_root
from infrastructure.observability.views import metrics
from infrastructure.http.problem_pages import problem_index, problem_page
from infrastructure.http.auth_views import LogoutView, ObtainTokenView, RefreshTokenView, WhoAmIView

# Every installed context's admin.py is autodiscovered; a process shows only the model admins of
# the contexts it serves (POS_CONTEXTS), like its API: the others' admin pages are 404 here.
for _model in [model for model in apps.get_models()
               if model._meta.app_label in settings.ALL_CONTEXTS
               and model._meta.app_label not in settings.POS_CONTEXTS and admin.site.is_registered(model)]:
    admin.site.unregister(_model)

# The back office's audit search, a page of the admin where the audit context is served.
_backoffice = [path("admin/audit/", include("contexts.audit.backoffice"))] if "audit" in settings.POS_CONTEXTS else []
# The back office's reports and Z-reports, where the reporting context is served.
if "reporting" in settings.POS_CONTEXTS:
    _backoffice.append(path("admin/reports/", include("contexts.reporting.backoffice")))

urlpatterns = [
    path("", home, name="home"),
    *_backoffice,
    path("admin/pipeline/", include("infrastructure.admin.pipeline")),
    path("admin/", admin.site.urls),
    path("till/", till.page, name="till"),
    path("till/sw.js", till.service_worker, name="till-service-worker"),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("metrics", metrics, name="metrics"),
    path("api/v1/", api_root, name="api-root"),
    path("api/v1/auth/token/", ObtainTokenView.as_view(), name="auth-token"),
    path("api/v1/auth/token/refresh/", RefreshTokenView.as_view(), name="auth-token-refresh"),
    path("api/v1/auth/logout/", LogoutView.as_view(), name="auth-logout"),
    path("api/v1/auth/me/", WhoAmIView.as_view(), name="auth-me"),
    path("api/problems/", problem_index, name="problem-index"),
    path("api/problems/<slug:name>/", problem_page, name="problem-page"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

for context in settings.POS_CONTEXTS:
    package = f"contexts.{context}.api"
    if util.find_spec(package) and util.find_spec(f"{package}.urls"):
        # A context may publish its API under another name (reporting: /api/v1/reports/).
        urlpatterns.append(path(f"api/v1/{api_prefix(context)}/", include(f"{package}.urls")))

# The benchmarks' baseline endpoint (bench/baseline), only where POS_EXTRA_APPS installs it.
from django.apps import apps as _apps  # noqa: E402

if _apps.is_installed("bench.baseline"):
    urlpatterns.append(path("bench/baseline/", include("bench.baseline.urls")))

handler400 = "infrastructure.http.problems.handler400"
handler403 = "infrastructure.http.problems.handler403"
handler404 = "infrastructure.http.problems.handler404"
handler500 = "infrastructure.http.problems.handler500"
