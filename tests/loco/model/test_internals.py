import numpy as np
import torch

from loco.model.internals import BatchInternals


def test_video_crops_each_level_to_its_valid_tokens():
    batch = BatchInternals(
        lengths=[[5, 3], [3, 2]],
        correspondence=torch.arange(50.0).view(2, 5, 5),
        coherence_visual=torch.ones(2, 5), coherence_audio=torch.ones(2, 5),
        gate_visual=torch.ones(2, 5), gate_audio=torch.ones(2, 5),
        cdp_left=[torch.ones(2, 4, 5), torch.ones(2, 4, 3)], cdp_right=[torch.ones(2, 4, 5), torch.ones(2, 4, 3)],
        attention=[{"visual": torch.ones(2, 4, 5, 5), "audio": torch.ones(2, 4, 5, 5)},
                   {"visual": torch.ones(2, 4, 3, 3), "audio": torch.ones(2, 4, 3, 3)}],
        lcc_band=2,
    )
    video = batch.video(1)
    assert video.correspondence.shape == (3, 3) and video.correspondence[0, 0] == 25.0
    assert video.coherence_visual.shape == (3,) and isinstance(video.gate_audio, np.ndarray)
    assert [a.shape for a in video.cdp_left] == [(4, 3), (4, 2)]
    assert video.attention[1]["audio"].shape == (4, 2, 2) and video.num_steps == 3
