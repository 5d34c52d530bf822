"""The back office's Pipeline page (/admin/pipeline/, admins only): per context the relay's
backlog, per consumer its lag and last applied event, the rebuilds running, and the dead letters
with their error and original headers, each to replay (after a fix) or discard with a reason.
And the trace of an order or event across contexts (/admin/pipeline/trace/?id=..., trace.py).

The figures are those of /metrics (observability/pipeline.py), for every context and consumer
(not only those this process serves: on the per-context deployment the back office is served by
the sales API); the actions are consumers/dead_letter_review.py.
"""

from __future__ import annotations

import logging

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from infrastructure.consumers import dead_letter_review
from infrastructure.observability import pipeline
from infrastructure.observability.trace import trace
from infrastructure.projections.models import ProjectionRebuild
from infrastructure.projections.tasks import progress_of

logger = logging.getLogger(__name__)


class DiscardForm(forms.Form):
    reason = forms.CharField(max_length=2000, strip=True, help_text="Why this message will never be applied.")


def _admins_only(view):
    def guarded(request, *args, **kwargs):
        if not (request.user.is_active and request.user.is_superuser):
            raise PermissionDenied("The Pipeline page is for admins.")
        return view(request, *args, **kwargs)

    return admin.site.admin_view(guarded)


def _consumer_rows(now) -> tuple[list[dict], str | None]:
    consumers = pipeline.every_consumer()
    last = pipeline.last_applied(consumers)
    dead = pipeline.dead_events(consumers)
    rows = {name: {"name": name, "lag": None, "partitions": [], "last": last[name], "dead": dead[name],
                   "age": (now - last[name].received_at).total_seconds() if last[name] else None}
            for name in consumers}
    try:
        lags = pipeline.consumer_lags(consumers)
    except Exception as exc:  # noqa: BLE001 - Kafka down: the page still shows what the database knows
        logger.warning("pipeline page: consumer lag unknown: %s: %s", type(exc).__name__, exc)
        return list(rows.values()), "Kafka could not be asked for the consumers' lag."
    for row in rows.values():
        row["lag"] = 0  # Kafka answered: a consumer whose topics have no partition yet has nothing to read
    for lag in lags:
        rows[lag.consumer]["lag"] += lag.lag
        rows[lag.consumer]["partitions"].append(lag)
    return list(rows.values()), None


def _dead_letters() -> tuple[list, str | None]:
    try:
        return dead_letter_review.recent_dead_letters(pipeline.every_consumer()), None
    except Exception as exc:  # noqa: BLE001 - as above
        logger.warning("pipeline page: dead letters unreadable: %s: %s", type(exc).__name__, exc)
        return [], "The dead-letter topic could not be read."


def _rebuilds() -> list[dict]:
    active = ProjectionRebuild.objects.filter(status__in=[ProjectionRebuild.Status.QUEUED,
                                                          ProjectionRebuild.Status.RUNNING])
    result = []
    for rebuild in active:
        known = progress_of(rebuild.pk)
        done, total = known if known else (None, None)
        percent = (100 if not total else min(100, done * 100 // total)) if known else None
        result.append({"rebuild": rebuild, "done": done, "total": total, "percent": percent})
    return result


@_admins_only
def pipeline_page(request):
    from django.conf import settings

    now = timezone.now()
    consumers, consumer_problem = _consumer_rows(now) if settings.KAFKA_ENABLED else (None, None)
    letters, letters_problem = _dead_letters() if settings.KAFKA_ENABLED else ([], None)
    rebuilds = _rebuilds()
    return render(request, "admin/pipeline.html", {
        **admin.site.each_context(request),
        "title": "Pipeline",
        "kafka": settings.KAFKA_ENABLED,
        "relay": sorted(pipeline.relay_backlog(pipeline.every_context()).items()),
        "consumers": consumers,
        "problems": [p for p in (consumer_problem, letters_problem) if p],
        "letters": letters,
        "rebuilds": rebuilds,
        "refresh_seconds": 5 if rebuilds else None,
        "discard_form": DiscardForm(),
    })


def _letter(partition: int, offset: int):
    letter = dead_letter_review.find(pipeline.every_consumer(), partition, offset)
    if letter is None:
        raise PermissionDenied("No such dead letter.")
    return letter


@require_POST
@_admins_only
def replay_dead_letter(request, partition: int, offset: int):
    letter = _letter(partition, offset)
    try:
        dead_letter_review.replay(letter, by=request.user.get_username())
    except (dead_letter_review.AlreadyDecided, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Replayed {letter.event_type or 'the message'} to {letter.original[0]}; "
                                  f"{letter.consumer} applies it if the fix works (its inbox status shows it).")
    return redirect("pipeline")


@require_POST
@_admins_only
def discard_dead_letter(request, partition: int, offset: int):
    letter = _letter(partition, offset)
    form = DiscardForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Discarding needs a reason: " + " ".join(form.errors.get("reason", [])))
        return redirect("pipeline")
    try:
        dead_letter_review.discard(letter, by=request.user.get_username(), reason=form.cleaned_data["reason"])
    except (dead_letter_review.AlreadyDecided, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Discarded {letter.event_type or 'the message'} for {letter.consumer}.")
    return redirect("pipeline")


@_admins_only
def trace_page(request):
    asked = request.GET.get("id", "").strip()[:200]
    return render(request, "admin/trace.html", {
        **admin.site.each_context(request),
        "title": "Trace",
        "asked": asked,
        "trace": trace(asked) if asked else None,
    })


urlpatterns = [
    path("", pipeline_page, name="pipeline"),
    path("trace/", trace_page, name="pipeline-trace"),
    path("dead-letters/<int:partition>/<int:offset>/replay/", replay_dead_letter, name="pipeline-replay"),
    path("dead-letters/<int:partition>/<int:offset>/discard/", discard_dead_letter, name="pipeline-discard"),
]
