"""Datasets: UnAV-format annotations with per-video feature files, and generated sequences for tests."""

from loco.data.unav import (
    Batch,
    DatasetError,
    UnAVDataset,
    VideoFeatureDataset,
    VideoSample,
    collate_videos,
    dataset_from_config,
    load_video_features,
    random_crop,
)

__all__ = [
    "Batch",
    "DatasetError",
    "UnAVDataset",
    "VideoFeatureDataset",
    "VideoSample",
    "collate_videos",
    "dataset_from_config",
    "load_video_features",
    "random_crop",
]
