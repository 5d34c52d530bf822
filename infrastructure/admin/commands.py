"""Admin pages over read models whose every write is a command.

- `CommandModelForm`: a ModelForm (the admin requires one) that never writes its model. Its
  `clean()` builds a command and executes it through the same handler as the API; a
  `DomainError` becomes a form error on the field it names. Model validation is skipped: the
  read row is not what is being saved.
- `CommandAdmin`: saving and deleting only execute commands; delete errors become messages;
  after an add it returns to the list (in full mode the read row arrives a moment later).
- `command_form_view`: an extra admin page (e.g. "receive stock") for a plain command form.
"""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from infrastructure.errors import DomainError


class CommandFormMixin:
    request = None
    instance_id = None
    result = None

    def build_command(self, data: dict):
        raise NotImplementedError

    def clean(self):
        data = super().clean()
        if self.errors:
            return data  # field errors first; nothing is executed
        try:
            self.result = execute(self.build_command(data), Metadata.from_request(self.request))
        except DomainError as exc:
            field = exc.field if exc.field in self.fields else None
            self.add_error(field, exc.message)
        return data


class CommandModelForm(CommandFormMixin, forms.ModelForm):
    def _post_clean(self):
        pass  # no model validation, no instance construction: the command is the write


class CommandForm(CommandFormMixin, forms.Form):
    pass


class CommandAdmin(admin.ModelAdmin):
    """Base for the back office's read-model admins."""

    actions = None  # no bulk delete: each change is a command with its own rules

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_cls = super().get_form(request, obj, change, **kwargs)
        admin_self = self

        class BoundForm(form_cls):
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                self.request = request
                self.instance_id = obj.pk if obj is not None else None
                admin_self.prepare_form(self, request, obj)

        return BoundForm

    def prepare_form(self, form, request, obj):
        """Hook: adjust a form instance (e.g. choices) before it is used."""

    def save_model(self, request, obj, form, change):
        # The command ran in form.clean(); keep the id for the log entry and the redirect.
        if not change and form.result and "id" in form.result:
            obj.pk = form.result["id"]

    def save_related(self, request, form, formsets, change):
        pass

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(request, f"Saved {self.model._meta.verbose_name}; the list shows it as soon as its "
                                   "events are projected (at once in embedded mode).", messages.SUCCESS)
        return HttpResponseRedirect(reverse(f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}"
                                            "_changelist"))

    def delete_command(self, obj):
        raise NotImplementedError

    def delete_model(self, request, obj):
        execute(self.delete_command(obj), Metadata.from_request(request))

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(reverse(
                f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_change", args=[object_id]))


def command_form_view(model_admin, request, object_id, form_cls, title: str):
    """An admin page with one command form for one object (GET shows it, POST executes it)."""
    obj = model_admin.get_object(request, object_id)
    if obj is None:
        return model_admin._get_obj_does_not_exist_redirect(request, model_admin.opts, object_id)
    if not model_admin.has_change_permission(request, obj):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    form = form_cls(request.POST or None)
    form.request, form.instance_id = request, obj.pk
    if request.method == "POST" and form.is_valid():
        model_admin.message_user(request, f"{title}: done.", messages.SUCCESS)
        return HttpResponseRedirect(reverse(
            f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk]))
    context = {**model_admin.admin_site.each_context(request), "title": f"{title}: {obj}", "form": form,
               "object": obj, "opts": model_admin.opts, "original": obj}
    return TemplateResponse(request, "admin/pos_command_form.html", context)
