"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-05-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('author',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_author')),
    sa.UniqueConstraint('name', name=op.f('uq_author_name'))
    )
    op.create_table('class_label',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('label_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('name_sha256', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_class_label')),
    sa.UniqueConstraint('label_id', name=op.f('uq_class_label_label_id')),
    sa.UniqueConstraint('name_sha256', name=op.f('uq_class_label_name_sha256'))
    )
    op.create_table('snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('n_videos', sa.Integer(), nullable=False),
    sa.Column('n_events', sa.Integer(), nullable=False),
    sa.Column('classes', sa.JSON(), nullable=False),
    sa.Column('class_histogram', sa.JSON(), nullable=False),
    sa.Column('annotations_sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['author.id'], name=op.f('fk_snapshot_created_by_author')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_snapshot')),
    sa.UniqueConstraint('name', name=op.f('uq_snapshot_name'))
    )
    op.create_table('video',
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('original_name', sa.Text(), nullable=True),
    sa.Column('duration_s', sa.Float(), nullable=False),
    sa.Column('fps', sa.Float(), nullable=True),
    sa.Column('n_frames', sa.Integer(), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('audio_rate', sa.Integer(), nullable=True),
    sa.Column('audio_channels', sa.Integer(), nullable=True),
    sa.Column('size_bytes', sa.BigInteger(), nullable=True),
    sa.Column('stored_path', sa.Text(), nullable=True),
    sa.Column('subset', sa.String(length=16), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['author.id'], name=op.f('fk_video_created_by_author')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_video'))
    )
    with op.batch_alter_table('video', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_video_sha256'), ['sha256'], unique=False)

    op.create_table('feature_set',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('video_id', sa.String(length=128), nullable=False),
    sa.Column('profile', sa.String(length=64), nullable=False),
    sa.Column('grid', sa.JSON(), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('encoders', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['video_id'], ['video.id'], name=op.f('fk_feature_set_video_id_video')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feature_set')),
    sa.UniqueConstraint('video_id', 'profile', name=op.f('uq_feature_set_video_id'))
    )
    op.create_table('model',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=200), nullable=False),
    sa.Column('checkpoint_path', sa.Text(), nullable=True),
    sa.Column('checkpoint_sha256', sa.String(length=64), nullable=True),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('train_snapshot_id', sa.Integer(), nullable=True),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['train_snapshot_id'], ['snapshot.id'], name=op.f('fk_model_train_snapshot_id_snapshot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model')),
    sa.UniqueConstraint('version', name=op.f('uq_model_version'))
    )
    op.create_table('review',
    sa.Column('video_id', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['reviewer_id'], ['author.id'], name=op.f('fk_review_reviewer_id_author')),
    sa.ForeignKeyConstraint(['video_id'], ['video.id'], name=op.f('fk_review_video_id_video')),
    sa.PrimaryKeyConstraint('video_id', name=op.f('pk_review'))
    )
    op.create_table('snapshot_video',
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('video_id', sa.String(length=128), nullable=False),
    sa.Column('subset', sa.String(length=16), nullable=False),
    sa.Column('duration_s', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['snapshot.id'], name=op.f('fk_snapshot_video_snapshot_id_snapshot')),
    sa.ForeignKeyConstraint(['video_id'], ['video.id'], name=op.f('fk_snapshot_video_video_id_video')),
    sa.PrimaryKeyConstraint('snapshot_id', 'video_id', name=op.f('pk_snapshot_video'))
    )
    op.create_table('inference_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('video_id', sa.String(length=128), nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=True),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('internals_path', sa.Text(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['author.id'], name=op.f('fk_inference_run_created_by_author')),
    sa.ForeignKeyConstraint(['model_id'], ['model.id'], name=op.f('fk_inference_run_model_id_model')),
    sa.ForeignKeyConstraint(['video_id'], ['video.id'], name=op.f('fk_inference_run_video_id_video')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inference_run'))
    )
    with op.batch_alter_table('inference_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inference_run_video_id'), ['video_id'], unique=False)

    op.create_table('event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('video_id', sa.String(length=128), nullable=False),
    sa.Column('origin', sa.String(length=8), nullable=False),
    sa.Column('origin_run_id', sa.Integer(), nullable=True),
    sa.Column('head_rev_no', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['author.id'], name=op.f('fk_event_created_by_author')),
    sa.ForeignKeyConstraint(['origin_run_id'], ['inference_run.id'], name=op.f('fk_event_origin_run_id_inference_run')),
    sa.ForeignKeyConstraint(['video_id'], ['video.id'], name=op.f('fk_event_video_id_video')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event'))
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_video_id'), ['video_id'], unique=False)

    op.create_table('event_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('rev_no', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('start_s', sa.Float(), nullable=False),
    sa.Column('end_s', sa.Float(), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['author.id'], name=op.f('fk_event_revision_author_id_author')),
    sa.ForeignKeyConstraint(['class_id'], ['class_label.id'], name=op.f('fk_event_revision_class_id_class_label')),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_revision_event_id_event')),
    sa.ForeignKeyConstraint(['parent_id'], ['event_revision.id'], name=op.f('fk_event_revision_parent_id_event_revision')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_revision')),
    sa.UniqueConstraint('event_id', 'rev_no', name='uq_event_revision_event_rev')
    )
    with op.batch_alter_table('event_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_revision_class_id'), ['class_id'], unique=False)

    op.create_table('snapshot_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('video_id', sa.String(length=128), nullable=False),
    sa.Column('start_s', sa.Float(), nullable=False),
    sa.Column('end_s', sa.Float(), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.Column('label_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_snapshot_item_event_id_event')),
    sa.ForeignKeyConstraint(['revision_id'], ['event_revision.id'], name=op.f('fk_snapshot_item_revision_id_event_revision')),
    sa.ForeignKeyConstraint(['snapshot_id'], ['snapshot.id'], name=op.f('fk_snapshot_item_snapshot_id_snapshot')),
    sa.ForeignKeyConstraint(['video_id'], ['video.id'], name=op.f('fk_snapshot_item_video_id_video')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_snapshot_item'))
    )
    with op.batch_alter_table('snapshot_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_snapshot_item_snapshot_id'), ['snapshot_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('snapshot_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_snapshot_item_snapshot_id'))

    op.drop_table('snapshot_item')
    with op.batch_alter_table('event_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_revision_class_id'))

    op.drop_table('event_revision')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_video_id'))

    op.drop_table('event')
    with op.batch_alter_table('inference_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inference_run_video_id'))

    op.drop_table('inference_run')
    op.drop_table('snapshot_video')
    op.drop_table('review')
    op.drop_table('model')
    op.drop_table('feature_set')
    with op.batch_alter_table('video', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_video_sha256'))

    op.drop_table('video')
    op.drop_table('snapshot')
    op.drop_table('class_label')
    op.drop_table('author')
