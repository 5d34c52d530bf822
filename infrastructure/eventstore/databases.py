"""Which database alias holds a context's data (its events, outbox, inbox and read models)."""

from django.conf import settings


def db_for(context: str) -> str:
    return settings.POS_CONTEXT_DATABASES.get(context, "default")


class ContextRouter:
    """Routes each context app's models to that context's database. The infrastructure tables
    exist in every database; their queries name the database explicitly via `db_for`."""

    def _context_of(self, model):
        label = model._meta.app_label
        return label if label in settings.ALL_CONTEXTS else None

    def db_for_read(self, model, **hints):
        context = self._context_of(model)
        return db_for(context) if context else None

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label in settings.ALL_CONTEXTS:
            return db == db_for(app_label)
        return None
