import pytest

from loco.config import Config, load_config


def test_presets_load_and_differ():
    compact, unav, baseline = load_config("compact"), load_config("unav"), load_config("baseline")
    assert compact.model.embed_dim < unav.model.embed_dim
    assert unav.model.dependency_block and not compact.model.dependency_block
    assert baseline.model.cdp.mode == "dense" and not baseline.model.lcc.enabled
    assert compact.model.cdp.mode == "adaptive" and compact.model.lcc.enabled


def test_overrides_parse_values():
    cfg = load_config("compact", ["model.lcc.enabled=false", "train.lr=3e-4", "model.cdp.mode=fixed"])
    assert cfg.model.lcc.enabled is False
    assert cfg.train.lr == pytest.approx(3e-4)
    assert cfg.model.cdp.mode == "fixed"


def test_round_trip_and_errors():
    cfg = load_config("compact")
    assert Config.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="unknown config key"):
        cfg.with_overrides(["model.nope=1"])
    with pytest.raises(ValueError, match="unknown ModelConfig keys"):
        Config.from_dict({"model": {"bogus": 1}})
    with pytest.raises(FileNotFoundError):
        load_config("does-not-exist")


@pytest.mark.parametrize(
    "override", ["model.cdp.mode=bogus", "model.lcc.gate_input=Coherence", "data.feature_format=x"]
)
def test_a_value_outside_its_choices_is_refused(override):
    with pytest.raises(ValueError, match="must be one of"):
        load_config("compact", [override])
