"""reactions: the workshop's reaction set and switch, counted reactions per segment and stance

Revision ID: f7a8b9c0d1e2
Revises: e6f7a8b9c0d1
Create Date: 2026-12-01 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f7a8b9c0d1e2'
down_revision = 'e6f7a8b9c0d1'
branch_labels = None
depends_on = None


DEFAULT_SET = '["clap", "heart", "laugh", "think", "wow"]'


def upgrade():
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reactions_on', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('reaction_set', sa.JSON(), nullable=True))
    op.execute(f"UPDATE workshop SET reaction_set = '{DEFAULT_SET}'")  # existing workshops: the default set
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.alter_column('reactions_on', server_default=None)

    op.create_table('reaction_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('segment_id', sa.Integer(), nullable=False),
    sa.Column('stance', sa.String(length=80), nullable=False),
    sa.Column('reaction', sa.String(length=16), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workshop_id', 'segment_id', 'stance', 'reaction', name='uq_reaction_count')
    )
    op.create_table('reactor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('segment_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('stance', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workshop_id', 'segment_id', 'participant_id', name='uq_reactor_once')
    )
    with op.batch_alter_table('reactor', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reactor_participant_id'), ['participant_id'], unique=False)


def downgrade():
    with op.batch_alter_table('reactor', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reactor_participant_id'))

    op.drop_table('reactor')
    op.drop_table('reaction_count')
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.drop_column('reaction_set')
        batch_op.drop_column('reactions_on')
