"""The back office's admin site: the shop's name on every page, the shop's pages first and the
plumbing (sign-in tokens, login attempts, projection bookkeeping, raw users) only for admins, and a
login that tells a cashier where to go instead of "enter the correct username and password".

It is Django's default site (`BackOfficeAdminConfig.default_site`), so `admin.site` and
`@admin.register` everywhere register here."""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from infrastructure.access.roles import CASHIER, roles_of

#: the order of the shop's own pages in the menu; anything else is plumbing
SHOP_APPS = ("stores", "catalog", "customers", "sales", "reporting", "audit")
#: plumbing, shown to admins only, under names a person understands
SYSTEM_APPS = {
    "auth": "System: users and groups",
    "token_blacklist": "System: API sign-in tokens",
    "axes": "System: login attempts",
    "infrastructure": "System: projections",
}
TILL_URL = "/till/"


class BackOfficeLoginForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "cashier": "Cashiers use the till (%(till)s); the back office is for managers.",
    }

    def confirm_login_allowed(self, user):
        # Only after the password was right: a cashier learns where to go, nobody learns who exists.
        if user.is_active and not user.is_staff and CASHIER in roles_of(user):
            raise ValidationError(self.error_messages["cashier"], code="cashier", params={"till": TILL_URL})
        super().confirm_login_allowed(user)


class BackOfficeSite(admin.AdminSite):
    site_title = f"{settings.POS_SHOP_NAME} back office"
    site_header = f"{settings.POS_SHOP_NAME} back office"
    index_title = "Back office"
    site_url = "/"
    login_form = BackOfficeLoginForm

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        shop = sorted((app for app in apps if app["app_label"] not in SYSTEM_APPS),
                      key=lambda app: (SHOP_APPS.index(app["app_label"]) if app["app_label"] in SHOP_APPS
                                       else len(SHOP_APPS), app["name"]))
        if not request.user.is_superuser:
            return shop
        system = [{**app, "name": SYSTEM_APPS[app["app_label"]]} for app in apps if app["app_label"] in SYSTEM_APPS]
        return shop + sorted(system, key=lambda app: app["name"])

    def each_context(self, request):
        return {**super().each_context(request), "till_url": TILL_URL}
