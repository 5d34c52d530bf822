"""The browser till at /till/ (frontend/till/, issue 17): its page and its service worker. Its
script and styles are static files (/static/till/, built by `make till`); it talks to the public
API only, like any other till."""

from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache

BUILD_HINT = "The till is not built: run `make till` (npm ci and the esbuild bundle)."


@never_cache
def page(request):
    return render(request, "till/index.html")


@never_cache
def service_worker(request):
    """Served from /till/ so that its scope covers the till's page (a worker under /static/ could not)."""
    path = settings.TILL_BUILD_DIR / "sw.js"
    if not path.exists():
        raise Http404(BUILD_HINT)
    response = FileResponse(path.open("rb"), content_type="text/javascript")
    response["Service-Worker-Allowed"] = "/till/"
    return response
