"""Queries and inserts for the foundation tables, and what every repository shares: the
typed `Repository` base (`get` raises `RowMissing`, `find` returns None), row and
advisory locks on Postgres (`locked`, `lock_customer`, `lock_key`), `insert_if_absent` and
`upsert`. Add and flush; never commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import ColumnElement, Select, Table, case, func, inspect, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store.db import READ_ONLY
from store.models import Alert, Base, Customer, HourBlock, Role, UserProfile
from store.models.time_entries import LOCKED_AND_READ, LOCKED_CUSTOMERS

M = TypeVar("M", bound=Base)
Row = TypeVar("Row", bound=tuple[Any, ...])


class RowMissing(LookupError):
    """A row that must exist does not: a bug or a lost race, never something a user typed."""


class Repository(Generic[M]):
    """By-primary-key reads and inserts for one model.

    `get` is for ids the code itself holds (absence is a bug, so it raises); `find` and the
    `by_…` lookups are for what a person typed or what may be gone (absence is normal).
    """

    model: type[M]

    @classmethod
    def get(cls, db: Session, id: Any) -> M:
        row = db.get(cls.model, id)
        if row is None:
            raise RowMissing(f"no {cls.model.__tablename__} row with id {id!r}")
        return row

    @classmethod
    def find(cls, db: Session, id: Any) -> M | None:
        return db.get(cls.model, id)

    @classmethod
    def add(cls, db: Session, row: M) -> M:
        db.add(row)
        db.flush()
        return row


def is_postgres(db: Session) -> bool:
    return db.get_bind().dialect.name == "postgresql"


def locked(db: Session, query: Select[Row], *, skip_locked: bool = False) -> Select[Row]:
    """The query with row locks on Postgres (SQLite already serialises writers with BEGIN
    IMMEDIATE). `skip_locked`: rows another worker holds are passed over, not waited for.
    A read-only transaction (Database.session(readonly=True)) takes no locks: it changes
    nothing, so it need not wait for a writer (and Postgres refuses FOR UPDATE in it)."""
    bind = db.get_bind()
    if not is_postgres(db) or bind.get_execution_options().get(READ_ONLY):
        return query
    return query.with_for_update(skip_locked=skip_locked)


def database_time(db: Session) -> datetime:
    """The database server's wall clock (SQLite: the host's), for leases: a process whose
    own clock is ahead, or a sweep replayed `--at` a later time, cannot steal a lease."""
    if is_postgres(db):
        value = db.scalar(select(func.clock_timestamp()))
        assert isinstance(value, datetime)
        return value.astimezone(UTC)
    text = db.scalar(select(func.strftime("%Y-%m-%d %H:%M:%f", "now")))
    return datetime.fromisoformat(str(text)).replace(tzinfo=UTC)


def lock_key(db: Session, scope: str, *parts: str | int) -> None:
    """Hold a transaction-scoped lock on `(scope, *parts)` until the transaction ends: the
    guard of a check-then-insert rule about something that has no row of its own to lock,
    e.g. `("agent-day", agent_id, "2026-11-20")` for the 24 hours an agent may log into a day.

    Postgres: `pg_advisory_xact_lock` on a stable 64-bit hash of the key (the same in every
    process and release), released at COMMIT or ROLLBACK. SQLite: nothing to do, BEGIN
    IMMEDIATE already serialises writers. The table of which lock guards which rule is in
    docs/architecture.md ("Locks").

    Lock order, so that two transactions never wait for each other in a circle (Postgres
    would abort one with a deadlock, a 500): a transaction takes its locks in this order,
    and several of one kind sorted (`lock_keys`, `lock_customers`):

    1. the rows it acts on (a booking, a timer, a time entry; sweeps take theirs with SKIP
       LOCKED, so they never wait there);
    2. whole-table keys: `("customer-registry",)`, adding a customer or changing its
       channels (names and channels are unique across customers); `("policy-versions",)`;
    3. people: `("agent-day", agent, day)` and `("engineer", user)`;
    4. customers (`lock_customer`, a row lock on `customers`).

    So never take a person's or a whole-table lock while holding a customer's. Rows written
    under a customer lock (its entries, calls, alerts, recorded blocks) are either rows
    whose other lockers never wait for a customer (the outbox's lease) or disjoint from
    what they lock (the expiry sweep locks only blocks not yet recorded; the drawdown
    writes only recorded ones).
    """
    if is_postgres(db):
        db.execute(select(func.pg_advisory_xact_lock(lock_id(scope, *parts))))


def lock_keys(db: Session, scope: str, keys: Iterable[str]) -> None:
    """`lock_key` for each of several keys of one scope, in sorted order (see there)."""
    for key in sorted(set(keys)):
        lock_key(db, scope, key)


def lock_id(scope: str, *parts: str | int) -> int:
    """The signed 64-bit advisory-lock id of a key: BLAKE2b of its parts, so it is stable
    (Python's `hash` is salted per process) and two keys share an id only by a 2**-64 chance
    (which would only make one wait for the other, never break a rule)."""
    text = "\x1f".join(str(part) for part in (scope, *parts))
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_customer(db: Session, customer_id: int) -> None:
    """Serialise billing and call accounting for one customer until the transaction ends.

    Two entries (or calls) recorded at once must see each other, e.g. so neither misses the
    moment the balance crosses the low-balance threshold or a fair-use limit. The lock is
    taken before the ledger is read, so whoever takes it second sees the first's commit.
    The last lock in the order `lock_key` describes.
    """
    db.execute(locked(db, select(Customer.id).where(Customer.id == customer_id)))
    db.info.setdefault(LOCKED_CUSTOMERS, set()).add(customer_id)


def lock_customers(db: Session, customer_ids: Iterable[int]) -> None:
    """`lock_customer` for several customers at once (a sweep's batch), by ascending id, so
    two clocks sweeping different rows of the same customers never deadlock."""
    ids = sorted(set(customer_ids))
    if ids:
        query = select(Customer.id).where(Customer.id.in_(ids)).order_by(Customer.id)
        db.execute(locked(db, query))
        db.info.setdefault(LOCKED_CUSTOMERS, set()).update(ids)


def insert_if_absent(
    db: Session, model: type[Base], values: dict[str, Any], key: Sequence[str]
) -> bool:
    """INSERT … ON CONFLICT DO NOTHING on the unique `key` columns; True if a row was added.

    Safe when two processes race on the same key: exactly one insert wins.
    """
    insert = postgresql.insert if is_postgres(db) else sqlite.insert
    statement = (
        insert(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(key))
        .returning(*inspect(model).primary_key)
    )
    # rowcount is unreliable here (psycopg reports -1); RETURNING says whether a row went in.
    return db.execute(statement).first() is not None


INSERT_ROWS = 200  # rows an `insert_all_if_absent` statement carries at most


def insert_all_if_absent(
    db: Session, model: type[Base], rows: Sequence[dict[str, Any]], key: str
) -> set[Any]:
    """`insert_if_absent` for many rows (all with the same columns), in one multi-row
    INSERT … ON CONFLICT DO NOTHING per `INSERT_ROWS`; the `key` values of the rows that
    went in. Of two rows with the same key, the first goes in (as one by one).

    One statement with the rows as parameters (SQLAlchemy's "insertmanyvalues" writes the
    multi-row VALUES), not the rows as literal VALUES: that construct is compiled again for
    every number of rows (issue 11: ~5 ms each, four or five times a sweep tick), this one
    once per process."""
    insert = postgresql.insert if is_postgres(db) else sqlite.insert
    table = cast(Table, model.__table__)
    statement = (
        insert(table)
        .on_conflict_do_nothing(index_elements=[key])
        .returning(table.c[key])
        .execution_options(insertmanyvalues_page_size=INSERT_ROWS)
    )
    return set(db.scalars(statement, list(rows))) if rows else set()


def upsert(db: Session, model: type[M], values: dict[str, Any], key: Sequence[str]) -> M:
    """INSERT … ON CONFLICT (key) DO UPDATE: the row is written whether or not it existed.

    Never check-then-insert: two first requests by one user at once would both find nothing,
    both insert, and one would fail on the primary key. Returns the row as stored now.
    """
    insert = postgresql.insert if is_postgres(db) else sqlite.insert
    statement = insert(model).values(**values)
    changes = {name: statement.excluded[name] for name in values if name not in key}
    db.execute(statement.on_conflict_do_update(index_elements=list(key), set_=changes))
    identity = tuple(values[name] for name in key)
    row = db.get(model, identity[0] if len(identity) == 1 else identity, populate_existing=True)
    assert row is not None  # just written in this transaction
    return row


class Customers(Repository[Customer]):
    model = Customer

    @staticmethod
    def by_name(db: Session, name: str) -> Customer | None:
        return db.scalar(select(Customer).where(Customer.name == name))

    @staticmethod
    def by_channel(db: Session, channel_id: str) -> Customer | None:
        return db.scalar(select(Customer).where(Customer.channel_id == channel_id))

    @staticmethod
    def by_team_channel(db: Session, channel_id: str) -> Customer | None:
        return db.scalar(select(Customer).where(Customer.team_channel == channel_id).limit(1))

    @staticmethod
    def all(db: Session) -> list[Customer]:
        return list(db.scalars(select(Customer).order_by(Customer.name)))

    @staticmethod
    def by_ids(db: Session, ids: Iterable[int]) -> dict[int, Customer]:
        """These customers by id, in one round trip (a sweep's batch, instead of a query
        per row's `customer`)."""
        wanted = set(ids)
        if not wanted:
            return {}
        query = select(Customer).where(Customer.id.in_(wanted))
        return {customer.id: customer for customer in db.scalars(query)}

    @staticmethod
    def by_ids_in_name_order(db: Session, ids: Iterable[int]) -> list[Customer]:
        """These customers, ordered as `all` orders them (by name, in the database's
        collation), in one round trip."""
        wanted = set(ids)
        if not wanted:
            return []
        query = select(Customer).where(Customer.id.in_(wanted)).order_by(Customer.name)
        return list(db.scalars(query))

    @staticmethod
    def balance_versions(db: Session, ids: Iterable[int]) -> dict[int, int]:
        """These customers' `balance_version` as the database has it now (this transaction's
        own writes included, which an identity map's copy may predate), in one read."""
        wanted = set(ids)
        if not wanted:
            return {}
        query = select(Customer.id, Customer.balance_version).where(Customer.id.in_(wanted))
        return {row.id: row.balance_version for row in db.execute(query)}

    @staticmethod
    def starting_with(db: Session, prefix: str, limit: int) -> list[Customer]:
        """The first `limit` customers by name whose name starts with `prefix` (names are
        stored lower-case; `%` and `_` in the prefix match themselves)."""
        query = select(Customer).where(Customer.name.startswith(prefix.lower(), autoescape=True))
        return list(db.scalars(query.order_by(Customer.name).limit(limit)))

    @staticmethod
    def reload(db: Session, customer: Customer) -> None:
        """Read the row again (after `lock_customer`), so a change another transaction
        committed while this one waited for the lock is seen, e.g. the phone add-on."""
        db.refresh(customer)

    @staticmethod
    def lock_and_reload(db: Session, customer: Customer) -> None:
        """`lock_customer` and `reload` in one statement: the row read again, locked for
        the rest of the transaction on Postgres (SQLite serialises writers already). Nothing
        to do for a row `lock_and_get` read in this transaction: it is current and locked."""
        if customer.id in db.info.get(LOCKED_AND_READ, set()):
            return
        db.refresh(customer, with_for_update=True if is_postgres(db) else None)
        db.info.setdefault(LOCKED_CUSTOMERS, set()).add(customer.id)

    @staticmethod
    def lock_and_get(db: Session, customer_id: int) -> Customer:
        """The customer's row read and locked in one statement (`lock_and_reload` of a row
        not yet loaded); a later `lock_and_reload` in the transaction then reads nothing."""
        customer = db.get_one(
            Customer,
            customer_id,
            with_for_update=True if is_postgres(db) else None,
            populate_existing=True,
        )
        db.info.setdefault(LOCKED_CUSTOMERS, set()).add(customer_id)
        db.info.setdefault(LOCKED_AND_READ, set()).add(customer_id)
        return customer


class Roles(Repository[Role]):
    model = Role

    @staticmethod
    def set(db: Session, user_id: str, role: str, granted_by: str, now: datetime) -> Role:
        values = {"user_id": user_id, "role": role, "granted_by": granted_by, "granted_at": now}
        return upsert(db, Role, values, ["user_id"])

    @staticmethod
    def role_of(db: Session, user_id: str) -> str | None:
        """The stored role's name: one column, read on every request (no ORM object)."""
        return db.scalar(select(Role.role).where(Role.user_id == user_id))

    @staticmethod
    def remove(db: Session, user_id: str) -> bool:
        existing = db.get(Role, user_id)
        if existing is None:
            return False
        db.delete(existing)
        db.flush()
        return True

    @staticmethod
    def all(db: Session) -> list[Role]:
        return list(db.scalars(select(Role).order_by(Role.role.desc(), Role.user_id)))


@dataclass(frozen=True)
class BlockRow:
    """A block's terms, read as columns: a sweep reads hundreds, and loading each as a row
    object (with its three timestamps) cost more than the sweep's statements."""

    id: int
    customer_id: int
    minutes: int
    purchased: date
    expires: date


class HourBlocks(Repository[HourBlock]):
    model = HourBlock

    @staticmethod
    def for_customer(db: Session, customer_id: int) -> list[HourBlock]:
        """The customer's blocks in use (a voided block counts nowhere)."""
        return list(
            db.scalars(
                select(HourBlock)
                .where(HourBlock.customer_id == customer_id, HourBlock.voided_at.is_(None))
                .order_by(HourBlock.purchased, HourBlock.id)
            )
        )

    @staticmethod
    def for_customers(db: Session, customer_ids: Iterable[int]) -> dict[int, list[HourBlock]]:
        """`for_customer` for a sweep's batch of customers, in one round trip."""
        found: dict[int, list[HourBlock]] = {customer_id: [] for customer_id in customer_ids}
        if found:
            query = (
                select(HourBlock)
                .where(HourBlock.customer_id.in_(found), HourBlock.voided_at.is_(None))
                .order_by(HourBlock.purchased, HourBlock.id)
            )
            for block in db.scalars(query):
                found[block.customer_id].append(block)
        return found

    @staticmethod
    def terms_for(db: Session, customer_ids: Iterable[int]) -> dict[int, list[BlockRow]]:
        """`for_customers`' blocks as `BlockRow`s, in the same order."""
        found: dict[int, list[BlockRow]] = {customer_id: [] for customer_id in customer_ids}
        if found:
            query = (
                select(
                    HourBlock.id,
                    HourBlock.customer_id,
                    HourBlock.minutes,
                    HourBlock.purchased,
                    HourBlock.expires,
                )
                .where(HourBlock.customer_id.in_(found), HourBlock.voided_at.is_(None))
                .order_by(HourBlock.purchased, HourBlock.id)
            )
            for row in db.execute(query):
                found[row.customer_id].append(BlockRow(*row))
        return found

    @staticmethod
    def voided_for_customer(db: Session, customer_id: int) -> list[HourBlock]:
        return list(
            db.scalars(
                select(HourBlock)
                .where(HourBlock.customer_id == customer_id, HourBlock.voided_at.is_not(None))
                .order_by(HourBlock.voided_at, HourBlock.id)
            )
        )

    @staticmethod
    def expiring_between(db: Session, first: date, last: date) -> list[HourBlock]:
        """Blocks with `first <= expires <= last`, through the expires index."""
        return list(
            db.scalars(
                select(HourBlock)
                .where(
                    HourBlock.expires >= first,
                    HourBlock.expires <= last,
                    HourBlock.voided_at.is_(None),
                )
                .order_by(HourBlock.expires, HourBlock.id)
            )
        )


class UserProfiles(Repository[UserProfile]):
    model = UserProfile

    @staticmethod
    def upsert(db: Session, user_id: str, tz: str, name: str | None, now: datetime) -> None:
        values = {"user_id": user_id, "tz": tz, "name": name, "fetched_at": now}
        upsert(db, UserProfile, values, ["user_id"])


class Alerts(Repository[Alert]):
    model = Alert

    @staticmethod
    def by_key(db: Session, key: str) -> Alert | None:
        return db.scalar(select(Alert).where(Alert.key == key))

    @staticmethod
    def by_keys(db: Session, keys: Sequence[str]) -> dict[str, Alert]:
        """The alerts with these keys (absent keys are left out), in one round trip."""
        return {alert.key: alert for alert in db.scalars(select(Alert).where(Alert.key.in_(keys)))}

    @staticmethod
    def next_due_batch(
        db: Session,
        now: datetime,
        wall: datetime,
        count: int,
        where: Sequence[ColumnElement[bool]] = (),
        first: Sequence[str] = (),
    ) -> list[Alert]:
        """The `count` oldest alerts waiting for delivery (`next_attempt_at` has come by the
        clock) that nobody holds a live lease on (by the database's clock `wall`), locked;
        `where` narrows them further (Slack's limits: store.repositories.pacing.open_alerts);
        alerts of the kinds in `first` come before the others, in `first`'s order (every
        alert of its first kind before any of its second), oldest first within each: by
        when it first failed if it is being retried (else a breach whose post Slack
        refused once waited, after its back-off, behind every breach raised meanwhile in a
        channel Slack's one post a second had queued: 20 s in the chaos run), else by
        when it fell due.

        On Postgres the rows are locked with SKIP LOCKED so two clocks never take the same
        one; SQLite serialises the leasing transactions (BEGIN IMMEDIATE).
        """
        query = (
            select(Alert)
            .where(
                Alert.next_attempt_at.is_not(None),
                Alert.next_attempt_at <= now,
                or_(Alert.leased_until.is_(None), Alert.leased_until <= wall),
                *where,
            )
            .order_by(
                *(
                    [case(*((Alert.kind == k, n) for n, k in enumerate(first)), else_=len(first))]
                    if first
                    else []
                ),
                func.coalesce(Alert.failing_since, Alert.next_attempt_at),
                Alert.id,
            )
            .limit(count)
        )
        return list(db.scalars(locked(db, query, skip_locked=True)))

    @staticmethod
    def cut_leases(db: Session, until: datetime) -> int:
        """Leases running past `until` end then instead (a new clock leader's takeover,
        bot.alerts.delivery.take_over); how many were cut. Their tokens stay, so a late
        holder's result is still fenced out once another deliverer takes the row."""
        result = db.execute(
            update(Alert)
            .where(Alert.lease_token.is_not(None), Alert.leased_until > until)
            .values(leased_until=until)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    @staticmethod
    def held_batch(db: Session, ids: Sequence[int], token: str) -> dict[int, Alert]:
        """The alerts among `ids` whose lease `token` still holds, locked, by id, in one
        round trip; those whose lease was lost (another deliverer took the row over) or
        that are gone are left out."""
        if not ids:
            return {}
        query = select(Alert).where(Alert.id.in_(ids), Alert.lease_token == token)
        return {alert.id: alert for alert in db.scalars(locked(db, query))}

    @staticmethod
    def redeliver(db: Session, alert_id: int, now: datetime) -> None:
        """Deliver the alert's current version once more (an edit that may have landed out
        of order is overwritten by the next holder's)."""
        db.execute(
            update(Alert)
            .where(Alert.id == alert_id)
            .values(version=Alert.version + 1, next_attempt_at=now)
        )

    @staticmethod
    def for_customer(db: Session, customer_id: int) -> list[Alert]:
        return list(
            db.scalars(select(Alert).where(Alert.customer_id == customer_id).order_by(Alert.id))
        )

    @staticmethod
    def given_up(db: Session) -> list[Alert]:
        """Alerts with a version never delivered and no retry planned: Slack refused them for
        good, or there was no channel to post to."""
        return list(
            db.scalars(
                select(Alert)
                .where(
                    Alert.next_attempt_at.is_(None),
                    Alert.last_error.is_not(None),
                    Alert.delivered_version < Alert.version,
                )
                .order_by(Alert.updated_at, Alert.id)
            )
        )

    @staticmethod
    def of_kind(db: Session, kind: str) -> list[Alert]:
        return list(db.scalars(select(Alert).where(Alert.kind == kind).order_by(Alert.id)))

    @staticmethod
    def failing_since(db: Session, before: datetime) -> list[Alert]:
        """Alerts still being retried whose failures began at or before `before`, oldest
        failure first."""
        return list(
            db.scalars(
                select(Alert)
                .where(
                    Alert.next_attempt_at.is_not(None),
                    Alert.failing_since.is_not(None),
                    Alert.failing_since <= before,
                )
                .order_by(Alert.failing_since, Alert.id)
            )
        )
