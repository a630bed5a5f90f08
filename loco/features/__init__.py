"""Feature extraction: pretrained visual (MobileNetV2 / I3D) and audio (YAMNet) encoders on the time grid.

Public API: :func:`loco.features.extract.extract_features`, :class:`~loco.features.extract.FeatureResult`,
:mod:`loco.features.store` (per-video feature files) and :data:`loco.features.profiles.PROFILES`.
"""
