"""Demo customers for `make run`, registered through the command handlers. Idempotent: a demo
customer whose email address is already claimed on the command side is not registered again
(the claims table, not the read model, which may trail in full mode)."""

from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata

from . import commands as c
from .command_side import EmailClaim
from .domain.values import email_key

DEMO_CUSTOMERS = (
    {"name": "Ada Lovelace", "phone": "+44 20 7946 0018", "email": "ada@demo.pos",
     "address": {"line1": "12 St James's Square", "line2": "", "city": "London", "postal_code": "SW1Y 4JH",
                 "country": "GB"}},
    {"name": "Grace Hopper", "phone": "+1 (212) 555-0147", "email": "grace@demo.pos", "address": None},
    {"name": "Alan Turing", "phone": None, "email": "alan@demo.pos",
     "address": {"line1": "Bletchley Park", "line2": "Sherwood Drive", "city": "Milton Keynes",
                 "postal_code": "MK3 6EB", "country": "GB"}},
)


def load(stdout) -> None:
    metadata = Metadata.new(user="demo")
    created = 0
    for details in DEMO_CUSTOMERS:
        if EmailClaim.objects.filter(email_key=email_key(details["email"])).exists():
            continue
        execute(c.RegisterCustomer(**details), metadata)
        created += 1
    stdout.write(f"Customers demo: {len(DEMO_CUSTOMERS)} customers ({created} new).")
