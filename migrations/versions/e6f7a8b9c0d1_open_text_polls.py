"""open-text polls: the poll kind 'text', text answers (normalised key, held or shown) and hidden words

Revision ID: e6f7a8b9c0d1
Revises: d5e6f7a8b9c0
Create Date: 2026-12-01 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e6f7a8b9c0d1'
down_revision = 'd5e6f7a8b9c0'
branch_labels = None
depends_on = None


OLD_KINDS = ('verdict', 'classic', 'choice', 'scale')


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':  # a native enum there; SQLite stores the kind as text
        op.execute("ALTER TYPE pollkind ADD VALUE IF NOT EXISTS 'text'")
    op.create_table('hidden_word',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('facilitator_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['facilitator_id'], ['facilitator.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('poll_id', 'key', name='uq_hidden_word')
    )
    with op.batch_alter_table('hidden_word', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hidden_word_poll_id'), ['poll_id'], unique=False)

    op.create_table('text_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('stance', sa.String(length=80), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('poll_id', 'round', 'participant_id', 'key', name='uq_text_answer_once')
    )
    with op.batch_alter_table('text_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_text_answer_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index('ix_text_answer_poll_round', ['poll_id', 'round'], unique=False)



def downgrade():
    with op.batch_alter_table('text_answer', schema=None) as batch_op:
        batch_op.drop_index('ix_text_answer_poll_round')
        batch_op.drop_index(batch_op.f('ix_text_answer_participant_id'))

    op.drop_table('text_answer')
    with op.batch_alter_table('hidden_word', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hidden_word_poll_id'))

    op.drop_table('hidden_word')
    op.execute("DELETE FROM poll WHERE kind = 'text'")
    if op.get_bind().dialect.name == 'postgresql':  # PostgreSQL cannot drop an enum value: rebuild the type
        op.execute("ALTER TYPE pollkind RENAME TO pollkind_old")
        sa.Enum(*OLD_KINDS, name='pollkind').create(op.get_bind())
        op.execute("ALTER TABLE poll ALTER COLUMN kind TYPE pollkind USING kind::text::pollkind")
        op.execute("DROP TYPE pollkind_old")
