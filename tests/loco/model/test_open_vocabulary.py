"""The open-vocabulary head on a tiny model: shapes for more classes than trained, the training-free score is the
product of the streams' evidence, classes without examples keep a class-agnostic score and regression, training
counts examples and learns, and checkpoints keep it."""

import pytest
import torch

from loco.checkpoint import load_checkpoint, save_checkpoint
from loco.config import Config, OpenVocabularyConfig
from loco.grid import UNAV_GRID
from loco.model import ModelInputError, SegmentTargets, build_model
from loco.model.open_vocabulary import UNSCORED_LOGIT, ClassEvidence
from tests.loco.model.conftest import random_inputs, tiny_config


def ov_config(**changes):
    return tiny_config(open_vocabulary__enabled=True, **changes)


def evidence(batch: int, classes: int, steps: int, value: float = 0.5, seed: int = 0) -> ClassEvidence:
    generator = torch.Generator().manual_seed(seed)
    scores = torch.rand(batch, 2, classes, steps, generator=generator) if value is None else \
        torch.full((batch, 2, classes, steps), value)
    return ClassEvidence(scores, torch.ones(2, classes, dtype=torch.bool))


def test_it_scores_more_classes_than_it_was_built_with_and_needs_the_evidence():
    cfg = ov_config()
    model = build_model(cfg, seed=0).eval()
    visual, audio, mask = random_inputs(cfg, [37])
    with pytest.raises(ModelInputError, match="label-space evidence"):
        model(visual, audio, mask)
    with torch.no_grad():
        output = model(visual, audio, mask, evidence=evidence(1, 8, 37, None))
    length = 37
    for level in range(cfg.pyramid_levels):
        assert output.cls_logits[level].shape == (1, length, 8)
        assert output.open_logits[level].shape == (1, length, 8)
        assert output.agnostic_logits[level].shape == (1, length, 1)
        assert output.reg_offsets[level].shape == (1, length, 8, 2)
        length = (length + 1) // 2


def test_training_free_scores_are_the_product_of_the_streams_evidence():
    head = build_model(ov_config(open_vocabulary=OpenVocabularyConfig(
        enabled=True, fixed_calibration=True, agnostic_weight_init=0.0, class_terms=False)), seed=0).open_vocabulary
    scores = torch.tensor([[0.9, 0.8, 0.3], [0.9, 0.01, 0.3]])  # [S=2, K=3]: audio row, visual row
    mapped = torch.tensor([[True, True, True], [True, True, False]])
    logits = head.open_logits(torch.zeros(1, 1, 1), scores[None, :, :, None], mapped)[0, 0]
    assert torch.sigmoid(logits).tolist() == pytest.approx([0.81, 0.008, 0.3 * 0.5], rel=1e-4)  # 0.5: no labels
    assert not any(p.requires_grad for p in (head.agnostic_weight, head.bias, head.stream_weight))


def test_classes_without_examples_regress_with_the_most_confident_trained_class():
    head = build_model(ov_config(), seed=0).open_vocabulary
    head.examples[:] = torch.tensor([0.0, 3.0, 0.0, 1.0, 0.0])
    offsets = torch.arange(5.0)[None, None, :, None].expand(1, 1, 5, 2)  # class c regresses (c, c)
    closed = torch.tensor([[[9.0, 1.0, 8.0, 2.0, 7.0]]])  # untrained classes score highest: ignored
    out = head.regression(offsets, closed, 7)
    assert out[0, 0, :, 0].tolist() == [3.0, 1.0, 3.0, 3.0, 3.0, 3.0, 3.0]


@pytest.mark.parametrize("alone", [False, True])
def test_classes_with_examples_add_or_keep_their_closed_set_logit(alone):
    head = build_model(ov_config(num_classes=3, open_vocabulary=OpenVocabularyConfig(
        enabled=True, fixed_calibration=True, agnostic_weight_init=0.0, closed_logits_alone=alone)),
        seed=0).open_vocabulary
    head.examples[:] = torch.tensor([0.0, 3.0, 0.0])
    scores = torch.full((1, 2, 4, 1), 0.5)  # q = 0.25 for each of K = 4 classes: open logit log(1/3)
    closed = torch.tensor([[[2.0, -1.0, 5.0]]])  # classes 0 and 2 have no examples: their closed logit is unused
    logits, opened, _ = head(torch.zeros(1, 64, 1), torch.ones(1, 1, dtype=torch.bool), closed, scores,
                             torch.ones(2, 4, dtype=torch.bool))
    open_logit = torch.log(torch.tensor(1 / 3)).item()
    assert opened[0, 0].tolist() == pytest.approx([open_logit] * 4, abs=1e-5)
    trained_logit = -1.0 if alone else open_logit - 1.0
    assert logits[0, 0].tolist() == pytest.approx([open_logit, trained_logit, open_logit, open_logit], abs=1e-5)


def test_closed_logits_alone_needs_class_terms():
    with pytest.raises(ValueError, match="closed_logits_alone needs class_terms"):
        OpenVocabularyConfig(class_terms=False, closed_logits_alone=True)


def test_training_counts_examples_and_lowers_the_loss():
    cfg = ov_config()
    torch.manual_seed(0)
    model = build_model(cfg, seed=0).train()
    visual, audio, mask = random_inputs(cfg, [48, 40], total=64)
    targets = [SegmentTargets(torch.tensor([[4.0, 20.0]]), torch.tensor([1])),
               SegmentTargets(torch.tensor([[10.0, 30.0]]), torch.tensor([3]))]
    proof = evidence(2, 5, 64, 0.1)
    proof.scores[0, :, 1, 4:20] = 0.9
    proof.scores[1, :, 3, 10:30] = 0.9
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=3e-3)
    first = None
    for _ in range(30):
        loss = model.compute_loss(model(visual, audio, mask, evidence=proof), targets).total
        first = float(loss.detach()) if first is None else first
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    assert float(loss.detach()) < 0.85 * first
    trained = model.open_vocabulary.trained.tolist()
    assert trained == [False, True, False, True, False]
    assert model.open_vocabulary.stream_weight.grad is not None


def test_checkpoints_keep_the_head_and_its_counts(tmp_path):
    config = Config(model=ov_config())
    model = build_model(config.model, seed=0)
    model.open_vocabulary.examples[2] = 5.0
    path = save_checkpoint(tmp_path / "ov.safetensors", model, config, [f"c{i}" for i in range(5)], "fast", UNAV_GRID)
    loaded = load_checkpoint(path)
    assert loaded.config.model.open_vocabulary.enabled
    assert loaded.model.open_vocabulary.trained.tolist() == [False, False, True, False, False]
    assert Config.from_dict(Config().to_dict()).model.open_vocabulary == OpenVocabularyConfig()  # older headers


def test_bad_calibration_values_are_refused():
    with pytest.raises(ValueError, match="missing_stream_evidence"):
        Config().with_overrides(["model.open_vocabulary.missing_stream_evidence=0"])
    assert Config().with_overrides(["model.open_vocabulary.enabled=true"]).model.open_vocabulary.enabled


def test_a_one_class_model_regresses_the_classes_it_adds():
    head = build_model(ov_config(num_classes=1), seed=0).open_vocabulary
    out = head.regression(torch.ones(1, 3, 2), torch.zeros(1, 3, 1), 4)  # the regression head squeezes one class
    assert out.shape == (1, 3, 4, 2) and bool((out == 1).all())


def test_calibration_maps_each_kind_of_logit_by_its_own_pair():
    head = build_model(ov_config(num_classes=2, open_vocabulary=OpenVocabularyConfig(
        enabled=True, fixed_calibration=True, agnostic_weight_init=0.0, closed_logits_alone=True,
        trained_calibration=[2.0, 0.5], untrained_calibration=[0.5, -1.0])), seed=0).open_vocabulary
    head.examples[:] = torch.tensor([4.0, 0.0])
    scores = torch.full((1, 2, 3, 1), 0.5)  # q = 0.25: open logit log(1/3) for every class
    mapped = torch.tensor([[True, True, False], [True, True, False]])  # class 2: no labels and no examples
    logits, opened, _ = head(torch.zeros(1, 64, 1), torch.ones(1, 1, dtype=torch.bool),
                             torch.tensor([[[3.0, 7.0]]]), scores, mapped)
    open_logit = torch.log(torch.tensor(1 / 3)).item()
    assert logits[0, 0].tolist() == pytest.approx([2.0 * 3.0 + 0.5, 0.5 * open_logit - 1.0, UNSCORED_LOGIT], abs=1e-5)
    assert opened[0, 0, :2].tolist() == pytest.approx([open_logit] * 2, abs=1e-5)  # what the open loss reads


def test_a_calibration_must_keep_the_ranking():
    with pytest.raises(ValueError, match="scale > 0"):
        OpenVocabularyConfig(untrained_calibration=[-1.0, 0.0])
    with pytest.raises(ValueError, match=r"\[scale, shift\]"):
        Config().with_overrides(["model.open_vocabulary.trained_calibration=[1.0]"])


@pytest.mark.parametrize("detach", [False, True])
def test_a_detached_open_branch_trains_itself_and_not_the_trunk(detach):
    cfg = ov_config(open_vocabulary=OpenVocabularyConfig(enabled=True, detach_open_branch=detach))
    model = build_model(cfg, seed=0).train()
    visual, audio, mask = random_inputs(cfg, [32])
    output = model(visual, audio, mask, evidence=evidence(1, 5, 32, None))
    torch.cat(output.open_logits, dim=1).sum().backward()  # the open branch's logits alone
    assert model.open_vocabulary.agnostic_weight.grad is not None
    assert all(p.grad is not None for p in model.open_vocabulary.agnostic.parameters())
    trunk = [p.grad for name, p in model.named_parameters() if name.startswith(("visual_encoder.", "pyramid."))]
    assert all(g is None for g in trunk) == detach
