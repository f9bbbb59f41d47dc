"""predict the other side: the poll switch and one prediction per person per round

Revision ID: a8b9c0d1e2f3
Revises: f7a8b9c0d1e2
Create Date: 2026-12-01 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a8b9c0d1e2f3'
down_revision = 'f7a8b9c0d1e2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('poll', schema=None) as batch_op:
        batch_op.add_column(sa.Column('predict', sa.Boolean(), server_default=sa.false(), nullable=False))

    op.create_table('prediction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('target', sa.String(length=80), nullable=False),
    sa.Column('pick', sa.String(length=8), nullable=True),
    sa.Column('snog', sa.Integer(), nullable=False),
    sa.Column('marry', sa.Integer(), nullable=False),
    sa.Column('avoid', sa.Integer(), nullable=False),
    sa.Column('stance', sa.String(length=80), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('poll_id', 'round', 'participant_id', name='uq_prediction_once')
    )
    with op.batch_alter_table('prediction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prediction_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index('ix_prediction_poll_round', ['poll_id', 'round'], unique=False)


def downgrade():
    with op.batch_alter_table('prediction', schema=None) as batch_op:
        batch_op.drop_index('ix_prediction_poll_round')
        batch_op.drop_index(batch_op.f('ix_prediction_participant_id'))

    op.drop_table('prediction')
    with op.batch_alter_table('poll', schema=None) as batch_op:
        batch_op.drop_column('predict')
