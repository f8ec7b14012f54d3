"""Repositories: `get` for ids the code holds (a missing row raises), `find` where absence is normal."""

from __future__ import annotations

import pytest

from store.models import Customer
from store.repositories.core import Customers, Roles, RowMissing


def test_get_raises_a_store_error_and_find_returns_none(database, clock):
    with database.session() as db:
        acme = Customers.add(
            db,
            Customer(name="acme", plan="lite", seats=1, created_at=clock.now(), created_by="t"),
        )
        assert Customers.get(db, acme.id) is acme
        assert Customers.find(db, acme.id + 1) is None
        with pytest.raises(RowMissing, match=f"no customers row with id {acme.id + 1}"):
            Customers.get(db, acme.id + 1)
        assert isinstance(RowMissing(), LookupError)
        assert Roles.find(db, "UNOBODY01") is None
