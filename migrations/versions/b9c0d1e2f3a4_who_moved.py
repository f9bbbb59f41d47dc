"""who moved: polls planned as a re-run, and what of their flows the projector shows

Revision ID: b9c0d1e2f3a4
Revises: a8b9c0d1e2f3
Create Date: 2026-12-01 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b9c0d1e2f3a4'
down_revision = 'a8b9c0d1e2f3'
branch_labels = None
depends_on = None


def upgrade():
    # rerun_planned: the planner means to run the poll again (the control screen offers the re-run);
    # moves_shown: what the projector shows of its who-moved flows ('*' everyone, else a stance; NULL off).
    with op.batch_alter_table('poll', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rerun_planned', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('moves_shown', sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table('poll', schema=None) as batch_op:
        batch_op.drop_column('moves_shown')
        batch_op.drop_column('rerun_planned')
