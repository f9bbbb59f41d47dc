"""room screens and join defences: poll timer, verdict meanings, pause/cap/rotate joining

Revision ID: c4d5e6f7a8b9
Revises: b3f1c2d4e5a6
Create Date: 2026-12-01 10:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4d5e6f7a8b9'
down_revision = 'b3f1c2d4e5a6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verdict_meanings', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('join_paused', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('participant_cap', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('join_code_rotates', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('poll', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timer_seconds', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('closes_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('poll', schema=None) as batch_op:
        batch_op.drop_column('closes_at')
        batch_op.drop_column('timer_seconds')
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.drop_column('join_code_rotates')
        batch_op.drop_column('participant_cap')
        batch_op.drop_column('join_paused')
        batch_op.drop_column('verdict_meanings')
