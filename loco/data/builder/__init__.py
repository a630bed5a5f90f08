"""Builds LoCo Studio's default dataset: real Tux Paint stamp photos with their own recorded sounds, moved over real
background footage at times drawn from the real UnAV-100 timelines, written as H.264/AAC MP4 files with a UnAV-format
annotation file. ``sources`` knows the media, ``plan`` draws a video's timeline, ``compose`` renders it, ``build`` runs
the whole split-by-source build."""

from loco.data.builder.build import BuildReport, build_dataset, write_example
from loco.data.builder.compose import render_video
from loco.data.builder.plan import Layer, PlanSpec, TimelineTemplates, VideoPlan, plan_dataset, plan_video
from loco.data.builder.sources import Background, Catalogue, SourceError, Stamp, StampClass, load_catalogue

__all__ = [
    "Background",
    "BuildReport",
    "Catalogue",
    "Layer",
    "PlanSpec",
    "SourceError",
    "Stamp",
    "StampClass",
    "TimelineTemplates",
    "VideoPlan",
    "build_dataset",
    "load_catalogue",
    "plan_dataset",
    "plan_video",
    "render_video",
    "write_example",
]
