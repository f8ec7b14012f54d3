"""Queries and inserts for issued statements. Add and flush; never commit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

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
    def for_months(
        db: Session, customer_id: int, months: list[str], *, with_json: bool = True
    ) -> list[IssuedStatement]:
        """The customer's issued statements for these months (YYYY-MM), oldest first, in one
        read; without `with_json`, each JSON is read only when asked for."""
        query = select(IssuedStatement).where(
            IssuedStatement.customer_id == customer_id, IssuedStatement.month.in_(months)
        )
        if not with_json:
            query = query.options(defer(IssuedStatement.json))
        return list(db.scalars(query.order_by(IssuedStatement.month)))
