"""Per-(entry, node) subtotals read by the recompute, and the campaign's ledger flag.

Existing campaigns start with ``ledger_stale`` true: their next recompute rebuilds the ledger.

Revision ID: 3d2c16ea6dc4
Revises: b7b872df851a
Create Date: 2026-11-26 08:44:37.954743

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '3d2c16ea6dc4'
down_revision = 'b7b872df851a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('entry_node_score',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('points_low', sa.Float(), nullable=False),
    sa.Column('points_high', sa.Float(), nullable=False),
    sa.Column('judged', sa.Integer(), nullable=False),
    sa.Column('spread', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('campaign_id', 'entry_id', 'node_id'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ledger_stale', sa.Boolean(), server_default=sa.true(), nullable=False))



def downgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('ledger_stale')

    op.drop_table('entry_node_score')
