"""`.../{id}/history/`: an aggregate's events, oldest first: who did what, when, from which till."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from kernel.errors import NotFound
from infrastructure.eventstore.store import EventStore


class EventHistoryEntrySerializer(serializers.Serializer):
    event_id = serializers.UUIDField()
    version = serializers.IntegerField()
    event_type = serializers.CharField()
    schema_version = serializers.IntegerField()
    recorded_at = serializers.DateTimeField()
    data = serializers.JSONField()
    user = serializers.CharField(allow_null=True)
    till = serializers.CharField(allow_null=True)
    request_id = serializers.CharField(allow_null=True)
    correlation_id = serializers.CharField(allow_null=True)
    causation_id = serializers.CharField(allow_null=True)


def history_entries(context: str, stream_id, stream_type: str | None = None) -> list[dict]:
    """The stream's events; none when `stream_type` is given and the stream is of another type
    (so `/products/<a category id>/history/` is a 404, not the category's history)."""
    # Opened: in the current schema, personal data decrypted (erased once its key was destroyed).
    events = [e.opened() for e in EventStore(context).load(str(stream_id))]
    if stream_type is not None and events and events[0].stream_type != stream_type:
        return []
    return [
        {"event_id": e.event_id, "version": e.version, "event_type": e.event_type,
         "schema_version": e.schema_version, "recorded_at": e.recorded_at, "data": e.data,
         **{key: e.metadata.get(key) for key in ("user", "till", "request_id", "correlation_id", "causation_id")}}
        for e in events
    ]


class StreamHistoryMixin:
    """Adds `GET {id}/history/` to a ViewSet whose ids are stream ids of `history_context`."""

    history_context: str
    history_stream_type: str | None = None  # e.g. "Product": other streams' ids are a 404

    @extend_schema(responses=EventHistoryEntrySerializer(many=True), summary="The aggregate's events, oldest first")
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, pk=None):
        entries = history_entries(self.history_context, pk, self.history_stream_type)
        if not entries:
            raise NotFound(f"No history for {pk}.")
        return Response(EventHistoryEntrySerializer(entries, many=True).data)
