"""`/`: the shop's front page, leading to the back office, the till and the API docs (also the
back office's "View site")."""

from django.conf import settings
from django.shortcuts import render

from infrastructure.admin.site import TILL_URL


def home(request):
    return render(request, "home.html", {"till_url": TILL_URL})


def shop(request):
    """Context processor: the shop's name on every page (also the 404 page)."""
    return {"shop_name": settings.POS_SHOP_NAME}
