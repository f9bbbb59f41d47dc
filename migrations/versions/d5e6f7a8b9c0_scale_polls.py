"""scale polls: the poll kind 'scale' and Poll.settings (a scale's range and labels)

Revision ID: d5e6f7a8b9c0
Revises: c4d5e6f7a8b9
Create Date: 2026-12-01 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5e6f7a8b9c0'
down_revision = 'c4d5e6f7a8b9'
branch_labels = None
depends_on = None

OLD_KINDS = ('verdict', 'classic', 'choice')


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':  # a native enum there; SQLite stores the kind as text
        op.execute("ALTER TYPE pollkind ADD VALUE IF NOT EXISTS 'scale'")
    with op.batch_alter_table('poll', schema=None) as batch_op:
        batch_op.add_column(sa.Column('settings', sa.JSON(), nullable=True))


def downgrade():
    op.execute("DELETE FROM poll WHERE kind = 'scale'")
    with op.batch_alter_table('poll', schema=None) as batch_op:
        batch_op.drop_column('settings')
    if op.get_bind().dialect.name == 'postgresql':  # PostgreSQL cannot drop an enum value: rebuild the type
        op.execute("ALTER TYPE pollkind RENAME TO pollkind_old")
        sa.Enum(*OLD_KINDS, name='pollkind').create(op.get_bind())
        op.execute("ALTER TABLE poll ALTER COLUMN kind TYPE pollkind USING kind::text::pollkind")
        op.execute("DROP TYPE pollkind_old")
