"""The back office's page for projection rebuilds (admins only): start one, watch its progress.

Starting one adds a `ProjectionRebuild` row and, once that commits, queues `tasks.run_rebuild`
on a Celery worker (in embedded mode it runs at once, in the request). The list shows each run
with its progress, and refreshes itself while one is queued or running.
"""

from django import forms
from django.contrib import admin
from django.db import transaction
from django.utils.html import format_html

from infrastructure.projections.models import ProjectionRebuild
from infrastructure.projections.tasks import progress_of, run_rebuild

REFRESH_SECONDS = 2


def projection_choices() -> list[tuple[str, str]]:
    from infrastructure.projections.rebuild import replayable_projections

    names = sorted(f"{p.consumer}.{p.name}" for p in replayable_projections())
    return [(name, name) for name in names]


class StartRebuildForm(forms.ModelForm):
    projection = forms.ChoiceField(choices=projection_choices, help_text=(
        "Its tables are emptied and replayed from the events its context has received. Live "
        "events wait while it runs and are applied on top when it is done; nothing is lost."))

    class Meta:
        model = ProjectionRebuild
        fields = ["projection"]


@admin.register(ProjectionRebuild)
class ProjectionRebuildAdmin(admin.ModelAdmin):
    form = StartRebuildForm
    list_display = ["projection", "status", "progress", "events", "duration", "requested_by", "requested_at",
                    "finished_at"]
    list_filter = ["status"]
    actions = None

    # Admins only: a rebuild holds a context's consumer for its duration.
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.requested_by = request.user
        super().save_model(request, obj, form, change)
        transaction.on_commit(lambda: run_rebuild.delay(obj.pk))

    @admin.display(description="progress")
    def progress(self, obj):
        if obj.status == ProjectionRebuild.Status.DONE:
            return "100 %"
        known = progress_of(obj.pk)
        if obj.status != ProjectionRebuild.Status.RUNNING or not known:
            return "—"
        done, total = known
        percent = 100 if not total else min(100, done * 100 // total)
        return format_html('<progress max="100" value="{}"></progress> {} % ({} of {} events)',
                           percent, percent, done, total)

    @admin.display(description="took")
    def duration(self, obj):
        return f"{obj.seconds:.1f} s" if obj.seconds is not None else "—"

    def changelist_view(self, request, extra_context=None):
        busy = ProjectionRebuild.objects.filter(status__in=[ProjectionRebuild.Status.QUEUED,
                                                            ProjectionRebuild.Status.RUNNING]).exists()
        extra_context = {**(extra_context or {}), "refresh_seconds": REFRESH_SECONDS if busy else None}
        return super().changelist_view(request, extra_context)
