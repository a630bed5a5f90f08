"""The encoder registry: lookups, what the profiles expect of it, and loaded encoders that give the registered dims."""

from dataclasses import replace

import numpy as np
import pytest

from loco.features.profiles import PROFILES, Profile
from loco.features.registry import (
    DuplicateEncoderError,
    UnknownEncoderError,
    encoders,
    get_encoder,
    main_stream,
    prepare_all,
    register_encoder,
)

# What each profile's trained models were built on: (visual encoder, dim), (audio encoder, dim).
EXPECTED = {"fast": (("mobilenet_v2", 1280), ("yamnet", 1024)), "i3d": (("i3d", 1024), ("yamnet", 1024))}


def test_unknown_name_is_a_typed_error_that_names_the_registered_ones():
    registered = "faces, i3d, mobilenet_v2, voice_pitch, yamnet"
    with pytest.raises(UnknownEncoderError, match=f"unknown encoder 'vggish'; registered: {registered}"):
        get_encoder("vggish")
    assert issubclass(UnknownEncoderError, ValueError)  # the CLI prints ValueErrors as one line


def test_every_profile_names_registered_encoders_of_the_dims_it_expects():
    assert set(PROFILES) == set(EXPECTED)
    for name, profile in PROFILES.items():
        (visual, visual_dim), (audio, audio_dim) = EXPECTED[name]
        assert (profile.visual_encoder, profile.audio_encoder) == (visual, audio)
        assert (get_encoder(visual).stream, get_encoder(audio).stream) == ("visual", "audio")
        assert (get_encoder(visual).dim, get_encoder(audio).dim) == (visual_dim, audio_dim)
        assert (profile.visual_dim, profile.audio_dim) == (visual_dim, audio_dim)


def test_a_profile_refuses_an_encoder_of_the_wrong_stream_or_an_unknown_one():
    with pytest.raises(ValueError, match="'yamnet' is not a visual encoder"):
        Profile("odd", "yamnet", "yamnet", clip_frames=1, batch_size=1)
    with pytest.raises(UnknownEncoderError):
        Profile("odd", "mobilenet_v2", "vggish", clip_frames=1, batch_size=1)


def test_a_duplicate_name_is_refused_and_the_first_registration_kept():
    original = get_encoder("yamnet")
    with pytest.raises(DuplicateEncoderError, match="'yamnet' is already registered"):
        register_encoder(replace(original, version="something else"))
    assert get_encoder("yamnet") is original
    assert [encoder.name for encoder in encoders()] == ["faces", "i3d", "mobilenet_v2", "yamnet", "voice_pitch"]


def test_every_package_file_is_pinned_and_matches_its_pin():
    assert [encoder.name for encoder in encoders() if not encoder.files] == ["voice_pitch"]  # no weights: signal only
    for encoder in encoders():
        for packaged in encoder.files:
            assert len(packaged.sha256) == 64 and "==" in packaged.requirement, packaged
            packaged.verified_path()


def test_prepare_all_converts_every_registered_encoder():
    converted = prepare_all()
    assert list(converted) == [encoder.name for encoder in encoders()]
    assert all(all(path.is_file() for path in paths) for paths in converted.values())
    assert [name for name, paths in converted.items() if not paths] == ["voice_pitch"]


@pytest.mark.slow
def test_loaded_encoders_embed_to_their_registered_dims():
    batches = {
        "mobilenet_v2": np.zeros((2, 1, 224, 224, 3), np.uint8),
        "i3d": np.zeros((1, 16, 224, 224, 3), np.uint8),
        "yamnet": np.zeros((3, 96, 64), np.float32),
        "faces": np.zeros((3, 1, 224, 224, 3), np.uint8),
        "voice_pitch": (np.zeros(32000, np.float32), np.array([0.48, 0.8, 1.12])),  # (samples, step centres)
    }
    for encoder in encoders():
        batch = batches[encoder.name]
        out = encoder.load("cpu")(*batch) if encoder.stream == "waveform" else encoder.load("cpu")(batch)
        assert out.shape == (3 if encoder.stream == "waveform" else len(batch), encoder.dim), encoder.name
        assert out.dtype == np.float32, encoder.name


def test_an_extra_stream_belongs_to_the_main_stream_it_reads():
    """The modality probe blanks an extra stream with its main stream (studio/probes.py)."""
    assert [main_stream(name) for name in ("faces", "voice_pitch", "yamnet", "i3d")] == ["visual", "audio", "audio",
                                                                                        "visual"]
