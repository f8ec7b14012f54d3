"""`customers.balance_version` (migration 0030C): the database bumps it in the writing
transaction on every write to a row a balance is derived from, so a `/balance` kept by any
process (bot/reports/balance_cache.py) is stale the moment such a write commits. The
end-to-end cases (a /log, an undo, a block, a session ending) are in
tests/handlers/commands/test_query_budget.py; here, the triggers themselves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, select, text, update

from store.models import Base, Booking, BookingEngineer, Customer, HourBlock

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)

# Every table that names a customer (directly or through its booking) either feeds the
# balance, and has the triggers, or does not, for the reason given. A new one must be put
# in one list or the other: this is what keeps the kept balance honest as tables are added.
TRIGGERED = {
    "time_entries",
    "hour_blocks",
    "bookings",
    "booking_engineers",
    "booking_moves",
    "phone_calls",
    "issued_statements",
}
NOT_IN_A_BALANCE = {
    "alerts": "what was posted, not what is owed",
    "audit_log": "the record of who did what",
    "call_timers": "a running timer bills nothing until it is stopped (a phone_calls row)",
    "ledger_changes": "derived from time_entries' writes, which bump the version themselves",
    "tickets": "only the statement's SLA section reads them; a balance does not show it",
}


def _version(db, customer_id: int) -> int:
    return db.execute(
        select(Customer.balance_version).where(Customer.id == customer_id)
    ).scalar_one()


def test_every_table_naming_a_customer_is_triggered_or_excluded_for_a_reason():
    naming = {
        table.name
        for table in Base.metadata.tables.values()
        if {"customer_id", "booking_id"} & set(table.columns.keys())
    }
    assert naming == TRIGGERED | set(NOT_IN_A_BALANCE)


def test_the_triggers_exist(database):
    with database.engine.connect() as connection:
        if database.dialect == "postgresql":
            rows = connection.execute(
                text("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'balance_version_%'")
            )
        else:
            rows = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        names = {row[0] for row in rows}
    expected = {
        f"balance_version_{table}_{event}"
        for table in TRIGGERED
        for event in ("insert", "update", "delete")
    }
    assert expected <= names


def test_inserts_updates_and_deletes_bump_the_customer_and_only_it(database):
    with database.session() as db:
        acme = Customer(name="acme", plan="pro", seats=1, created_at=NOW, created_by="U1")
        globex = Customer(name="globex", plan="pro", seats=1, created_at=NOW, created_by="U1")
        db.add_all([acme, globex])
        db.flush()
        ids = acme.id, globex.id
    seen = []

    def step(change) -> None:
        with database.session() as db:
            change(db)
        with database.session() as db:
            seen.append((_version(db, ids[0]), _version(db, ids[1])))

    def add_block(db) -> None:
        block = HourBlock(
            customer_id=ids[0],
            minutes=600,
            purchased=date(2026, 11, 1),
            expires=date(2027, 11, 1),
            created_at=NOW,
            created_by="U1",
        )
        db.add(block)

    step(add_block)
    step(lambda db: db.execute(update(HourBlock).values(minutes=1200)))
    step(lambda db: db.execute(delete(HourBlock)))

    def book(db) -> None:
        booking = Booking(
            customer_id=ids[0],
            start_at=NOW + timedelta(days=1),
            end_at=NOW + timedelta(days=1, hours=1),
            minutes=60,
            training=False,
            status="booked",
            created_by="U1",
            created_at=NOW,
        )
        db.add(booking)
        db.flush()
        db.add(BookingEngineer(booking_id=booking.id, user_id="U2", extra=False))

    step(book)
    step(lambda db: db.execute(delete(BookingEngineer)))
    # one bump per row written: a block added, changed, removed; a booking and its engineer
    # added; the engineer removed (through its booking's customer). globex is never touched.
    assert seen == [(1, 0), (2, 0), (3, 0), (5, 0), (6, 0)]
