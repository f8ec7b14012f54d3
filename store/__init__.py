"""Storage: SQLAlchemy models, engine and session scope, repositories, Alembic migrations.

Repositories add and flush but never commit: the caller owns the transaction.
Never imports bot/, handlers/ or Slack; repositories/ imports only models/.
"""
