"""Queries and inserts for issued statements. Add and flush; never commit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import IssuedStatement
from store.repositories.core import Repository


class IssuedStatements(Repository[IssuedStatement]):
    model = IssuedStatement

    @staticmethod
    def for_month(db: Session, customer_id: int, month: str) -> IssuedStatement | None:
        """The customer's issued statement for `month` (YYYY-MM), if it was issued."""
        return db.scalar(
            select(IssuedStatement).where(
                IssuedStatement.customer_id == customer_id, IssuedStatement.month == month
            )
        )

    @staticmethod
    def months(db: Session, customer_id: int) -> set[str]:
        """Every month (YYYY-MM) the customer has an issued statement for."""
        query = select(IssuedStatement.month).where(IssuedStatement.customer_id == customer_id)
        return set(db.scalars(query))

    @staticmethod
    def sha256_by_month(db: Session, customer_id: int) -> dict[str, str]:
        """The sha256 of each month's issued JSON (YYYY-MM -> hex), without the JSON."""
        query = select(IssuedStatement.month, IssuedStatement.sha256).where(
            IssuedStatement.customer_id == customer_id
        )
        return {month: sha256 for month, sha256 in db.execute(query)}

    @staticmethod
    def between(db: Session, customer_id: int, first: str, last: str) -> list[IssuedStatement]:
        """The customer's issued statements for the months from `first` to `last` (YYYY-MM,
        both included), oldest first: one read for a run of months, not one a month."""
        query = (
            select(IssuedStatement)
            .where(
                IssuedStatement.customer_id == customer_id,
                IssuedStatement.month >= first,
                IssuedStatement.month <= last,
            )
            .order_by(IssuedStatement.month)
        )
        return list(db.scalars(query))
