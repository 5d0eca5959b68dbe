"""a recorded payment notification wakes the settlement workers (issue 17, items 3 and 5)

On PostgreSQL every statement that inserts into ``payment_inbox`` sends ``NOTIFY
admit_payment_inbox`` (delivered when its transaction commits, once per transaction): the
``admit settle`` processes LISTEN on that channel and settle at once instead of at their next
poll. No round trip is added to the notification's request. SQLite has no notifications: its
settlers poll.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 05:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION admit_payment_inbox_notify() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('admit_payment_inbox', '');
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER payment_inbox_notify AFTER INSERT ON payment_inbox
        FOR EACH STATEMENT EXECUTE FUNCTION admit_payment_inbox_notify()
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER payment_inbox_notify ON payment_inbox")
    op.execute("DROP FUNCTION admit_payment_inbox_notify()")
