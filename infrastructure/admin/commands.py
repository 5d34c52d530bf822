"""Admin pages over read models whose every write is a command. The back office's one pattern:
catalog, sales and customers all use it.

- `CommandModelForm`: a ModelForm (the admin requires one) that never writes its model. Once its
  fields and `clean()` have passed (`full_clean`, a public hook), it builds a command and
  executes it through the same handler as the API, so a refusal
  that only the handler can know (a taken email or SKU, a concurrent change, a row removed
  meanwhile) is a form error like any other: the admin answers 200 with the input kept, and the
  handler's transaction (a savepoint in the admin's) has rolled back, so nothing was written.
  A `DomainError` lands on the form field its `field` names (`form_field_for` maps names that
  differ, such as "address.city" to "address_city"), else on the form as a whole. Field rules
  run first (`clean_<field>`, `clean`); with any error the command is not executed. Uniqueness
  is the command's rule, not the read table's (`validate_unique` does nothing).
- `CommandAdmin`: saving and deleting only execute commands (`delete_command`); delete refusals
  become messages, and bulk deletion (where an admin enables it) reports each refusal. After an
  add it returns to the list. In full mode the read row arrives a moment after the command
  commits: with `history_context` set, a change or delete page asked for before then redirects to
  the list with "saved; it will appear in a moment" instead of Django's "doesn't exist".
- `command_form_view`: an extra admin page (e.g. "receive stock") for a plain command form.
"""

import uuid

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from kernel.errors import DomainError
from infrastructure.eventstore.store import EventStore


class CommandFormMixin:
    request = None
    instance_id = None
    result = None

    def build_command(self, data: dict):
        raise NotImplementedError

    def form_field_for(self, name: str | None) -> str | None:
        """The form field that shows a domain error about input `name` (None: the whole form).
        Override when the domain's names differ from the form's."""
        return name if name in self.fields else None

    def apply_rule(self, rule, field: str):
        """For a `clean_<field>`: the domain's value rule on the field's input, its refusal a
        field error (so every field's error shows at once, before the command runs)."""
        try:
            return rule(self.cleaned_data.get(field))
        except DomainError as error:
            raise forms.ValidationError(error.message, code=error.code) from None

    def add_domain_error(self, error: DomainError) -> None:
        self.add_error(self.form_field_for(error.field), error.message)

    def full_clean(self):
        super().full_clean()  # the fields, clean() and (a ModelForm) the model's field checks
        if not self.is_bound or self.errors or not hasattr(self, "cleaned_data"):
            return  # unbound, empty, or any error: nothing is executed
        try:
            self.result = execute(self.build_command(self.cleaned_data), Metadata.from_request(self.request))
        except DomainError as exc:
            self.add_domain_error(exc)


class CommandModelForm(CommandFormMixin, forms.ModelForm):
    def validate_unique(self):
        """Not the read table's: a taken SKU or email is the command handler's refusal."""


class CommandForm(CommandFormMixin, forms.Form):
    pass


class CommandAdmin(admin.ModelAdmin):
    """Base for the back office's read-model admins."""

    actions = None  # no bulk delete unless an admin opts in (`actions = []`): each is a command
    history_context: str | None = None  # the event-store context of this admin's streams

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
        # The command ran in form.full_clean(); keep the id for the log entry and the redirect.
        if not change and form.result and "id" in form.result:
            obj.pk = form.result["id"]

    def save_related(self, request, form, formsets, change):
        pass

    def _changelist_url(self) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(request, f"Added the {self.opts.verbose_name} “{obj}”.", messages.SUCCESS)
        return HttpResponseRedirect(self._changelist_url())

    # -- deleting ------------------------------------------------------------------------------
    def delete_command(self, obj):
        raise NotImplementedError

    def delete_model(self, request, obj):
        execute(self.delete_command(obj), Metadata.from_request(request))

    def delete_view(self, request, object_id, extra_context=None):
        trailing = self._trailing_read_row_redirect(request, object_id, self.has_delete_permission)
        if trailing is not None:
            return trailing
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:  # Django's delete transaction (with its log entry) rolled back
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[object_id]))

    def delete_queryset(self, request, queryset):
        """The bulk delete action: one command per object; refusals are reported, the rest done."""
        refused = []
        for obj in queryset:
            try:
                execute(self.delete_command(obj), Metadata.from_request(request))
            except DomainError as exc:
                refused.append(f"{obj}: {exc.message}")
        if refused:
            self.message_user(request, "Not deleted: " + "; ".join(refused), messages.WARNING)

    # -- the read model trails the command side in full mode ----------------------------------
    def change_view(self, request, object_id, form_url="", extra_context=None):
        trailing = self._trailing_read_row_redirect(request, object_id, self.has_view_or_change_permission)
        if trailing is not None:
            return trailing
        return super().change_view(request, object_id, form_url, extra_context)

    def _trailing_read_row_redirect(self, request, object_id, permitted):
        """A redirect to the list when there is no read row yet but the stream exists (its events
        are not projected yet); None otherwise, and Django answers as usual (also with its 403 to
        a user without the page's permission, which Django checks before the object's existence)."""
        if self.history_context is None or not permitted(request):
            return None
        if self.get_object(request, unquote(object_id)) is not None:
            return None
        try:
            stream_id = str(uuid.UUID(str(unquote(object_id))))  # stream ids are the aggregates' UUIDs
        except ValueError:
            return None
        if EventStore(self.history_context).current_version(stream_id) == 0:
            return None
        self.message_user(request, f"Saved; the {self.opts.verbose_name} will appear in a moment.", messages.INFO)
        return HttpResponseRedirect(self._changelist_url())


def missing_object_redirect(model_admin, request, object_id):
    """What Django's own pages do for an unknown id: a message, and back to the list."""
    opts = model_admin.opts
    model_admin.message_user(request, f"There is no {opts.verbose_name} with ID “{object_id}”.", messages.WARNING)
    return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))


def command_form_view(model_admin, request, object_id, form_cls, title: str):
    """An admin page with one command form for one object (GET shows it, POST executes it)."""
    obj = model_admin.get_object(request, object_id)
    if obj is None:
        return missing_object_redirect(model_admin, request, object_id)
    if not model_admin.has_change_permission(request, obj):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    form = form_cls(request.POST or None)
    form.request, form.instance_id = request, obj.pk
    if request.method == "POST" and form.is_valid():
        # The form says what happened in the shop's words ("Received 12 × Coffee beans.").
        said = getattr(form, "success_message", None)
        model_admin.message_user(request, said(obj) if said else f"{title}: done.", messages.SUCCESS)
        return HttpResponseRedirect(reverse(
            f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk]))
    context = {**model_admin.admin_site.each_context(request), "title": f"{title}: {obj}", "form": form,
               "object": obj, "opts": model_admin.opts, "original": obj}
    return TemplateResponse(request, "admin/pos_command_form.html", context)


def column(field: str, description: str, empty: str = "—"):
    """A list column over one field with a shorter heading than the field's name (lists fit
    1366 px), sortable by that field: `sku_column = column("sku", "SKU")`."""

    @admin.display(description=description, ordering=field)
    def show(model_admin, obj):
        value = getattr(obj, field)
        return empty if value is None or value == "" else value

    return show
