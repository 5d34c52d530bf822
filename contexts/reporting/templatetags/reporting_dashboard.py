"""`{% reporting_dashboard %}`: the managers' dashboard (nothing for anyone else)."""

from django import template

from infrastructure.access.roles import MANAGER, roles_of

from ..dashboard import dashboard

register = template.Library()


@register.inclusion_tag("reporting/dashboard.html", takes_context=True)
def reporting_dashboard(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or MANAGER not in roles_of(user):  # managers, and admins (who hold every role)
        return {"show": False}
    return {"show": True, **dashboard()}
