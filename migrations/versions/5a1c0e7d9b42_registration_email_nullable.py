"""registration email nullable: purge-personal-data erases it but keeps the row for aggregates

Revision ID: 5a1c0e7d9b42
Revises: 012ef35c2e07
Create Date: 2026-11-24 16:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5a1c0e7d9b42'
down_revision = '012ef35c2e07'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=True)


def downgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=False)
