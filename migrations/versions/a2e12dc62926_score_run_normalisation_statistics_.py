"""score_run.normalisation: the z-score statistics a run used; explanations rebuild normalised marks (issue 18).

Revision ID: a2e12dc62926
Revises: 860eb91879d3
Create Date: 2026-11-30 21:18:40.699860

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'a2e12dc62926'
down_revision = '860eb91879d3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('score_run', schema=None) as batch_op:
        json_type = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
        batch_op.add_column(sa.Column('normalisation', json_type, nullable=True))


def downgrade():
    with op.batch_alter_table('score_run', schema=None) as batch_op:
        batch_op.drop_column('normalisation')
