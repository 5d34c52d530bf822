"""Admin support shared by the contexts: every change page shows the aggregate's event history,
and domain errors raised by command handlers become form errors instead of 500s."""

from infrastructure.http.history import history_entries


class EventHistoryAdminMixin:
    """Put the stream's events under the change form (template `admin/pos_change_form.html`)."""

    history_context: str
    change_form_template = "admin/pos_change_form.html"

    def stream_id_of(self, object_id) -> str:
        return str(object_id)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        extra_context["event_history"] = history_entries(self.history_context, self.stream_id_of(object_id))
        return super().change_view(request, object_id, form_url, extra_context)
