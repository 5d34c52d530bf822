"""Content negotiation: an unknown `?format=` is a 406 problem naming the formats on offer.

DRF answers it with a bare 404 (as if the resource did not exist), which misleads a client that
only misspelled `csv`."""

from django.http import Http404
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class ProblemContentNegotiation(DefaultContentNegotiation):
    def filter_renderers(self, renderers, format):
        try:
            return super().filter_renderers(renderers, format)
        except Http404:
            offered = ", ".join(sorted({renderer.format for renderer in renderers}))
            raise NotAcceptable(f"Unknown format {format!r}; this endpoint answers in: {offered}.") from None
