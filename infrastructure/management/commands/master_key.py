"""Master key chores (docs/personal-data.md, "Rotating the master key"):

    manage.py master_key new <id>    print a new POS_MASTER_KEYS entry (put it first in the list)
    manage.py master_key rewrap      wrap every context's data keys (customers, sales) under the current
                                     (first) master key
"""

from django.core.management.base import BaseCommand

from infrastructure.personal_data import cipher
from infrastructure.personal_data.keyring import rewrap_every_keyring


class Command(BaseCommand):
    help = "Make a new master key entry, or rewrap every context's data keys under the current master key."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        new = sub.add_parser("new", help="print a new 'id:key' entry for POS_MASTER_KEYS")
        new.add_argument("key_id", help="a name for the key, such as 2027-01")
        sub.add_parser("rewrap", help="wrap every live data key under the first key of POS_MASTER_KEYS")

    def handle(self, *args, action, key_id=None, **options):
        if action == "new":
            # Printed once for the operator to store in the secret store; never logged.
            self.stdout.write(cipher.new_master_key_entry(key_id))
            return
        changed = rewrap_every_keyring()
        self.stdout.write(f"{changed} data keys rewrapped under master key {cipher.current_master_key().id!r}.")
