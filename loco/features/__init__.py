"""Feature extraction: pretrained visual (MobileNetV2 / I3D) and audio (YAMNet) encoders on the time grid.

Public API: :func:`loco.features.extract.extract_features`, :class:`~loco.features.extract.FeatureResult`,
:mod:`loco.features.store` (per-video feature files), :data:`loco.features.profiles.PROFILES` and the encoder
registry :mod:`loco.features.registry`.
"""

# Each encoder module registers its encoder when imported: importing them here makes the registry complete whenever
# anything from this package is used. A new encoder module is added to this line.
from loco.features import faces, i3d, mobilenet, pitch, yamnet  # noqa: F401
