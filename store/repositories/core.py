"""Queries and inserts for the foundation tables. Add and flush; never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store.models import Alert, Customer, HourBlock, Role, UserProfile


def insert_if_absent(db: Session, model: type, values: dict[str, Any], key: Sequence[str]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING on the unique `key` columns; True if a row was added.

    Safe when two processes race on the same key: exactly one insert wins.
    """
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(key))
        .returning(*model.__table__.primary_key.columns)
    )
    # rowcount is unreliable here (psycopg reports -1); RETURNING says whether a row went in.
    return db.execute(statement).first() is not None


class Customers:
    @staticmethod
    def by_name(db: Session, name: str) -> Customer | None:
        return db.scalar(select(Customer).where(Customer.name == name))

    @staticmethod
    def by_channel(db: Session, channel_id: str) -> Customer | None:
        return db.scalar(select(Customer).where(Customer.channel_id == channel_id))

    @staticmethod
    def all(db: Session) -> list[Customer]:
        return list(db.scalars(select(Customer).order_by(Customer.name)))

    @staticmethod
    def add(db: Session, customer: Customer) -> Customer:
        db.add(customer)
        db.flush()
        return customer


class Roles:
    @staticmethod
    def get(db: Session, user_id: str) -> Role | None:
        return db.get(Role, user_id)

    @staticmethod
    def set(db: Session, user_id: str, role: str, granted_by: str, now: datetime) -> Role:
        existing = db.get(Role, user_id)
        if existing is None:
            existing = Role(user_id=user_id, role=role, granted_by=granted_by, granted_at=now)
            db.add(existing)
        else:
            existing.role, existing.granted_by, existing.granted_at = role, granted_by, now
        db.flush()
        return existing

    @staticmethod
    def remove(db: Session, user_id: str) -> bool:
        existing = db.get(Role, user_id)
        if existing is None:
            return False
        db.delete(existing)
        db.flush()
        return True


class HourBlocks:
    @staticmethod
    def for_customer(db: Session, customer_id: int) -> list[HourBlock]:
        return list(
            db.scalars(
                select(HourBlock)
                .where(HourBlock.customer_id == customer_id)
                .order_by(HourBlock.purchased, HourBlock.id)
            )
        )

    @staticmethod
    def expiring_between(db: Session, first: date, last: date) -> list[HourBlock]:
        """Blocks with `first <= expires <= last`, through the expires index."""
        return list(
            db.scalars(
                select(HourBlock)
                .where(HourBlock.expires >= first, HourBlock.expires <= last)
                .order_by(HourBlock.expires, HourBlock.id)
            )
        )

    @staticmethod
    def add(db: Session, block: HourBlock) -> HourBlock:
        db.add(block)
        db.flush()
        return block


class UserProfiles:
    @staticmethod
    def get(db: Session, user_id: str) -> UserProfile | None:
        return db.get(UserProfile, user_id)

    @staticmethod
    def upsert(db: Session, user_id: str, tz: str, name: str | None, now: datetime) -> None:
        profile = db.get(UserProfile, user_id)
        if profile is None:
            db.add(UserProfile(user_id=user_id, tz=tz, name=name, fetched_at=now))
        else:
            profile.tz, profile.name, profile.fetched_at = tz, name, now
        db.flush()


class Alerts:
    @staticmethod
    def by_key(db: Session, key: str) -> Alert | None:
        return db.scalar(select(Alert).where(Alert.key == key))

    @staticmethod
    def due_ids(db: Session, now: datetime, limit: int) -> list[int]:
        """Alerts waiting for delivery, oldest first, through the next_attempt_at index.

        On Postgres the rows are locked with SKIP LOCKED so two clocks never take the same one.
        """
        query = (
            select(Alert.id)
            .where(Alert.next_attempt_at.is_not(None), Alert.next_attempt_at <= now)
            .order_by(Alert.next_attempt_at, Alert.id)
            .limit(limit)
        )
        if db.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return list(db.scalars(query))

    @staticmethod
    def lease(db: Session, ids: Sequence[int], until: datetime) -> None:
        if ids:
            db.execute(update(Alert).where(Alert.id.in_(ids)).values(next_attempt_at=until))

    @staticmethod
    def for_customer(db: Session, customer_id: int) -> list[Alert]:
        return list(
            db.scalars(select(Alert).where(Alert.customer_id == customer_id).order_by(Alert.id))
        )
