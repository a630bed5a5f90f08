"""Writes a compact LoCo checkpoint over the whole UnAV-100 taxonomy (100 classes, taxonomy order), the start of
``python -m loco train --init`` for a model that must score every class, including those the training annotations
never show (``python -m loco train`` alone takes its classes from the annotations). Untrained, or with ``--weights
CHECKPOINT`` every weight of that checkpoint whose name and shape fit (its trunk: encoders, LCC, CDP, pyramid, head
trunks; the class-specific output layers of another class list do not fit and stay initialised). With
``--own-classes`` the start keeps that checkpoint's classes and architecture instead, so all its weights fit: a trained
closed-set model given an open-vocabulary branch (then ``train.open_branch_only``), which scores the taxonomy's other
classes when the app adds them (``LoadedModel.with_classes``).

    python experiments/taxonomy_start.py --out data/taxonomy_start.safetensors model.open_vocabulary.enabled=true
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from loco.checkpoint import load_checkpoint, save_checkpoint
from loco.config import load_config
from loco.grid import UNAV_GRID
from loco.model import build_model
from loco.paths import ASSETS_DIR

TAXONOMY = ASSETS_DIR / "taxonomy" / "unav100_classes.json"


def taxonomy_names() -> list[str]:
    return [c["name"] for c in sorted(json.loads(TAXONOMY.read_text())["classes"], key=lambda c: c["label_id"])]


def write_start(out: Path, overrides: list[str], seed: int = 0, weights: Path | None = None,
                own_classes: bool = False) -> Path:
    """The start checkpoint (compact config + ``overrides``, or with ``own_classes`` the config and classes of
    ``weights`` + ``overrides``), weights seeded by ``seed``, then ``weights``' that fit."""
    if own_classes:
        if weights is None:
            raise SystemExit("--own-classes keeps the classes of --weights")
        trained = load_checkpoint(weights)
        names, config = trained.class_names, trained.config.with_overrides(overrides)
    else:
        names = taxonomy_names()
        config = load_config("compact", [*overrides, f"model.num_classes={len(names)}"])
    model = build_model(config.model, seed=seed)
    note = "untrained: the start of a taxonomy-wide training run"
    if weights is not None:
        own = model.state_dict()
        fitting = {k: v for k, v in load_checkpoint(weights).model.state_dict().items()
                   if k in own and own[k].shape == v.shape}
        model.load_state_dict(fitting, strict=False)
        scope = f"{weights.name}'s classes" if own_classes else "the taxonomy"
        note = f"the start of a run over {scope}: {len(fitting)} of {len(own)} tensors from {weights.name}"
    out.parent.mkdir(parents=True, exist_ok=True)
    return save_checkpoint(out, model, config, names, "fast", UNAV_GRID, {"note": note})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--weights", type=Path, default=None, help="take the fitting weights of this checkpoint")
    parser.add_argument("--own-classes", action="store_true", help="keep the classes and config of --weights")
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="model overrides on the compact config")
    args = parser.parse_args()
    path = write_start(args.out, args.overrides, args.seed, args.weights, args.own_classes)
    print(path, load_checkpoint(path).metadata["note"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
