"""Every change page of the back office shows its aggregate's events, and its HISTORY button
shows the same events (not Django's log, which knows nothing of changes made through the API or
by policies): newest first, paged, filtered by event type, each event a sentence a manager reads
("Received 12 (delivery note DN-7); 40 on hand"), its raw data one click away.

A context's admin says how its events read with `event_sentences`: event type -> function of the
history entry returning text or safe HTML (`format_html`). An event type without a sentence reads
as its name in words ("Product price changed") with its data behind the click."""

import json
import re

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.template.response import TemplateResponse

from infrastructure.http.history import history_entries

from .commands import missing_object_redirect

EVENTS_PER_PAGE = 20
PAGE_PARAM, TYPE_PARAM = "events_page", "event_type"


def event_title(event_type: str) -> str:
    """"ProductPriceChanged" -> "Product price changed"."""
    words = re.findall(r"[A-Z][a-z0-9]*", event_type) or [event_type]
    return " ".join([words[0], *(word.lower() for word in words[1:])])


def who(user: str | None) -> str:
    """The metadata's user as a person reads it: policies are the system acting on its own."""
    if not user:
        return "—"
    if user.startswith("policy:"):
        return f"automatic ({user.removeprefix('policy:')})"
    return user


class EventHistoryAdminMixin:
    history_context: str
    change_form_template = "admin/pos_change_form.html"
    object_history_template = "admin/pos_object_history.html"
    event_sentences: dict = {}

    def stream_id_of(self, object_id) -> str:
        return str(object_id)

    def till_name(self, till_id: str | None) -> str:
        """Hook: a till's name where the context knows its tills."""
        return "a till" if till_id else "—"

    def describe_event(self, entry: dict):
        sentence = self.event_sentences.get(entry["event_type"])
        return sentence(self, entry) if sentence else event_title(entry["event_type"])

    def event_history(self, request, object_id) -> dict:
        entries = list(reversed(history_entries(self.history_context, self.stream_id_of(object_id))))
        types = sorted({e["event_type"] for e in entries})
        chosen = request.GET.get(TYPE_PARAM, "")
        if chosen:
            entries = [e for e in entries if e["event_type"] == chosen]
        page = Paginator(entries, EVENTS_PER_PAGE).get_page(request.GET.get(PAGE_PARAM))
        for entry in page.object_list:
            entry.update(title=event_title(entry["event_type"]), sentence=self.describe_event(entry),
                         who=who(entry["user"]), till_name=self.till_name(entry["till"]),
                         raw=json.dumps(entry["data"], indent=2, sort_keys=True, default=str))
        params = request.GET.copy()
        params.pop(PAGE_PARAM, None)
        return {"page": page, "entries": page.object_list, "types": [(t, event_title(t)) for t in types],
                "chosen_type": chosen, "query": params.urlencode(), "page_param": PAGE_PARAM,
                "type_param": TYPE_PARAM}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        history = self.event_history(request, object_id)
        extra_context["event_history"] = history["entries"]
        extra_context["history"] = history
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return missing_object_redirect(self, request, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        history = self.event_history(request, obj.pk)
        context = {**self.admin_site.each_context(request), "title": f"History: {obj}", "subtitle": None,
                   "opts": self.opts, "object": obj, "history": history, "event_history": history["entries"],
                   **(extra_context or {})}
        return TemplateResponse(request, self.object_history_template, context)
