from rest_framework import serializers

from infrastructure.http.history import EventHistoryEntrySerializer


class AuditEventOut(EventHistoryEntrySerializer):
    """An archived event: an aggregate's history entry (same fields), plus where it belongs and
    the audit fields it is found by."""

    context = serializers.CharField()
    stream_type = serializers.CharField()
    stream_id = serializers.CharField()
    type = serializers.CharField(help_text="CloudEvents type, pos.<context>.<EventType>.v<schema>.")
    source = serializers.CharField(help_text="CloudEvents source, /pos/<context>.")
    actor = serializers.CharField(allow_null=True, help_text="The user in the metadata, else the cashier in the data.")
    store = serializers.CharField(allow_null=True)
    metadata = serializers.DictField()


class AuditPageOut(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    source = serializers.ChoiceField(choices=["archive", "event-table"],
                                     help_text="archive: the document database; event-table: embedded mode.")
    results = AuditEventOut(many=True)
