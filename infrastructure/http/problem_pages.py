"""The pages a problem's `type` URI resolves to: HTML for a person, JSON when asked.

Public (no token): a client reaching a 401 problem must be able to read what it means."""

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from infrastructure.http.problem_types import PROBLEM_TYPES, ProblemType
from infrastructure.http.problems import handler404


def _wants_json(request) -> bool:
    if request.GET.get("format") == "json":
        return True
    accept = request.headers.get("Accept", "")
    return "json" in accept and "text/html" not in accept


def _as_json(problem: ProblemType, request) -> dict:
    return {"type": request.build_absolute_uri(problem.path), "name": problem.name, "title": problem.title,
            "status": problem.status, "what_happened": problem.happened, "why": problem.why,
            "what_to_do": problem.todo}


@require_safe
def problem_index(request):
    problems = sorted(PROBLEM_TYPES.values(), key=lambda p: (p.status, p.name))
    if _wants_json(request):
        return JsonResponse({"results": [_as_json(p, request) for p in problems]})
    return render(request, "problems/index.html", {"problems": problems})


@require_safe
def problem_page(request, name: str):
    problem = PROBLEM_TYPES.get(name)
    if problem is None:
        return handler404(request)
    if _wants_json(request):
        return JsonResponse(_as_json(problem, request))
    return render(request, "problems/page.html", {"problem": problem})
