"""customers.balance_version: bumped by the database on every write a balance depends on

Issue 11 item 2: `/balance` recomputed this month's statement, the open months and the
forecast on every call (33-40 statements, ~20 ms of CPU). It is now kept per process under
the customer's `balance_version` (read with the customer's row, no extra statement). The
version is bumped by triggers, in the writing transaction, on every insert, update and
delete of the rows a balance is derived from: time entries, hour blocks, bookings (their
engineers and moves), phone calls and issued statements. A trigger, not application code,
so no write path (ORM flush, Core statement, a sweep, a script) can forget it, and a write
through any replica or process invalidates every other one's copy.

Revision ID: 0030C
Revises: 0028
"""

import sqlalchemy as sa
from alembic import op

revision = "0030C"
down_revision = "0028"
branch_labels = None
depends_on = None

# table -> how a row names its customer (OLD./NEW. prefixed in the trigger body)
DIRECT = ("time_entries", "hour_blocks", "bookings", "phone_calls", "issued_statements")
VIA_BOOKING = ("booking_engineers", "booking_moves")
EVENTS = ("INSERT", "UPDATE", "DELETE")


def _customer(table: str, row: str) -> str:
    if table in VIA_BOOKING:
        return f"(SELECT customer_id FROM bookings WHERE id = {row}.booking_id)"
    return f"{row}.customer_id"


def _bump(table: str, rows: tuple[str, ...]) -> str:
    ids = ", ".join(_customer(table, row) for row in rows)
    return f"UPDATE customers SET balance_version = balance_version + 1 WHERE id IN ({ids})"


def _rows(event: str) -> tuple[str, ...]:
    return {"INSERT": ("NEW",), "UPDATE": ("OLD", "NEW"), "DELETE": ("OLD",)}[event]


def _name(table: str, event: str) -> str:
    return f"balance_version_{table}_{event.lower()}"


def upgrade() -> None:
    op.add_column(
        "customers",
        sa.Column("balance_version", sa.Integer(), server_default="0", nullable=False),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in DIRECT + VIA_BOOKING:
        for event in EVENTS:
            name, bump = _name(table, event), _bump(table, _rows(event))
            if postgres:
                result = "OLD" if event == "DELETE" else "NEW"
                op.execute(
                    f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    f"BEGIN {bump}; RETURN {result}; END $$"
                )
                op.execute(
                    f"CREATE TRIGGER {name} AFTER {event} ON {table} "
                    f"FOR EACH ROW EXECUTE FUNCTION {name}()"
                )
            else:
                op.execute(
                    f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN {bump}; END"
                )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in DIRECT + VIA_BOOKING:
        for event in EVENTS:
            name = _name(table, event)
            if postgres:
                op.execute(f"DROP TRIGGER {name} ON {table}")
                op.execute(f"DROP FUNCTION {name}()")
            else:
                op.execute(f"DROP TRIGGER {name}")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("balance_version")
