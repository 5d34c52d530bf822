"""Content negotiation: `?format=` wins over `Accept`, and an unknown `?format=` is a 406 problem
naming the formats on offer.

DRF answers an unknown format with a bare 404 (as if the resource did not exist), which misleads a
client that only misspelled `csv`; and it answers a known one with 406 when the client's `Accept`
does not list it (`?format=csv` from a client that always sends `Accept: application/json`). The
format in the URL is the more explicit ask, so it is served."""

from django.http import Http404
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class ProblemContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        format = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        if format:
            renderer = self.filter_renderers(renderers, format)[0]
            return renderer, renderer.media_type
        return super().select_renderer(request, renderers, format_suffix)

    def filter_renderers(self, renderers, format):
        try:
            return super().filter_renderers(renderers, format)
        except Http404:
            offered = ", ".join(sorted({renderer.format for renderer in renderers}))
            raise NotAcceptable(f"Unknown format {format!r}; this endpoint answers in: {offered}.") from None
