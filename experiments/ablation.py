"""The ablation table of the default model: baseline, +LCC, +CDP adaptive and LoCo, each over several seeds.

Every run uses the project's own CLI (``python -m loco train`` then ``python -m loco eval`` on the test split), so
this script only schedules runs and aggregates their JSON results; checkpoints are selected on the validation split.

    python experiments/ablation.py --annotations data/benchmark/annotations.json --features data/benchmark/features \
        --out data/ablation --seeds 1 2 3 --jobs 2 -- train.epochs=20

Prints a Markdown table (mean ± std over seeds, in mAP points, on the test split; the "agnostic" columns come from
``eval --class-agnostic`` and score localisation alone; "validation avg" is the kept checkpoint's validation score) and
writes ``<out>/ablation.json``. Finished runs are reused, so an interrupted table resumes; ``--reevaluate`` scores the
finished runs' checkpoints again (after the test split was rebuilt) without training anything; ``--label-prior W``
evaluates with the encoders' label-space prior at weight W (files ``*_priorW.json``), and ``--label-prior dev`` lets
each run choose its own weight on the dev split (``python -m loco label-prior``, written to
``best_prior_dev.safetensors``; files ``*_priordev.json``, and the chosen weights are a column). ``--variants`` may
also name the EXPERIMENTS below (our changes, not in the table by default). Put ``--`` before the overrides when
``--variants`` is given.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

VARIANTS = {  # name -> (run folder prefix, overrides on the compact config): the README's table
    "baseline (LCC off, CDP dense)": ("baseline", ["model.lcc.enabled=false", "model.cdp.mode=dense"]),
    "+LCC": ("lcc", ["model.lcc.enabled=true", "model.cdp.mode=dense"]),
    "+CDP adaptive": ("cdp", ["model.lcc.enabled=false", "model.cdp.mode=adaptive"]),
    "LoCo (LCC + CDP adaptive)": ("loco", ["model.lcc.enabled=true", "model.cdp.mode=adaptive"]),
}
EXPERIMENTS = {  # not in the table unless asked for with --variants: our changes, not the paper's
    "+LCC, cross-video negatives": ("lcc-xneg", VARIANTS["+LCC"][1] + ["model.lcc.cross_video_negatives=true"]),
    "LoCo, cross-video negatives": (
        "loco-xneg", VARIANTS["LoCo (LCC + CDP adaptive)"][1] + ["model.lcc.cross_video_negatives=true"]),
    "+LCC, position-free": ("lcc-posfree", VARIANTS["+LCC"][1] + ["model.lcc.position_free=true"]),
    "LoCo, position-free": (
        "loco-posfree", VARIANTS["LoCo (LCC + CDP adaptive)"][1] + ["model.lcc.position_free=true"]),
    "baseline, dropout 0.3": ("baseline-drop", VARIANTS["baseline (LCC off, CDP dense)"][1] + ["model.dropout=0.3"]),
    "LoCo, dropout 0.3": ("loco-drop", VARIANTS["LoCo (LCC + CDP adaptive)"][1] + ["model.dropout=0.3"]),
    "baseline, input dropout 0.5": (
        "baseline-indrop", VARIANTS["baseline (LCC off, CDP dense)"][1] + ["model.input_dropout=0.5"]),
    "LoCo, input dropout 0.5": ("loco-indrop", VARIANTS["LoCo (LCC + CDP adaptive)"][1] + ["model.input_dropout=0.5"]),
    "LoCo, event gates 0.2": (
        "loco-evtgate", VARIANTS["LoCo (LCC + CDP adaptive)"][1] + ["model.lcc.event_gate_weight=0.2"]),
    "LoCo, agreement gates 0.2": ("loco-agree", VARIANTS["LoCo (LCC + CDP adaptive)"][1] + [
        "model.lcc.event_gate_weight=0.2", "model.lcc.gate_input=agreement"]),
}
COLUMNS = ("mAP@0.5", "mAP@0.7", "mAP@0.9", "avg")
AGNOSTIC_COLUMNS = ("mAP@0.5", "avg")  # class-agnostic: localisation alone, whatever the predicted name


def _run_logged(log, env: dict, *loco_args: str) -> None:
    subprocess.run([sys.executable, "-m", "loco", *loco_args], check=True, env=env, stdout=log,
                   stderr=subprocess.STDOUT)


DEV_CHOICE = "dev"  # --label-prior dev: every run chooses its own weight on the dev split


def label_prior_setting(text: str) -> float | str:
    """``--label-prior``: a fixed weight, or ``dev`` for a weight chosen per run on the dev split."""
    return DEV_CHOICE if text == DEV_CHOICE else float(text)


def prior_suffix(setting: float | str) -> str:
    if setting == DEV_CHOICE:
        return f"_prior{DEV_CHOICE}"
    return f"_prior{setting:g}" if setting else ""


def chosen_weight(checkpoint: Path) -> float:
    """The label-prior weight ``python -m loco label-prior`` stored in the checkpoint it wrote."""
    from loco.checkpoint import load_checkpoint

    return load_checkpoint(checkpoint).metadata["label_prior_choice"]["weight"]


def run_one(args: argparse.Namespace, variant: str, seed: int) -> tuple[dict, dict, dict, float | None]:
    """Train (unless done) and evaluate one run on the test split: (summary, class-agnostic summary, validation
    summary of the kept checkpoint, the label-prior weight the run chose on dev or None)."""
    prefix, variant_overrides = {**VARIANTS, **EXPERIMENTS}[variant]
    out = args.out / f"{prefix}-seed{seed}"
    suffix = prior_suffix(args.label_prior)
    result_file, agnostic_file = out / f"test_eval{suffix}.json", out / f"test_eval{suffix}_agnostic.json"
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}  # torch's intra-op threads per run
    common = ["--annotations", str(args.annotations), "--features", str(args.features)]
    best, dev_checkpoint = out / "best.safetensors", out / "best_prior_dev.safetensors"
    choose_on_dev = args.label_prior == DEV_CHOICE  # the copy label-prior writes decodes with its weight by default
    evaluate = ["eval", *common, "--split", "test", "--checkpoint", str(dev_checkpoint if choose_on_dev else best)]
    prior = ["--label-prior", str(args.label_prior)] if args.label_prior and not choose_on_dev else []
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_suffix(".log"), "a") as log:
        finished = (out / "test_eval.json").is_file()  # the plain evaluation is written right after training
        if not finished:
            overrides = variant_overrides + [f"train.seed={seed}"] + args.overrides
            _run_logged(log, env, "train", "--config", "compact", *common, "--output", str(out), *overrides)
            _run_logged(log, env, "eval", *common, "--split", "test", "--checkpoint", str(best),
                        "--json", str(out / "test_eval.json"))
        if choose_on_dev and (args.reevaluate or not dev_checkpoint.is_file()):
            _run_logged(log, env, "label-prior", str(best), *common, "--split", "dev", "--output", str(dev_checkpoint))
        if args.reevaluate or not result_file.is_file():
            _run_logged(log, env, *evaluate, *prior, "--json", str(result_file))
        if args.reevaluate or not agnostic_file.is_file():
            _run_logged(log, env, *evaluate, *prior, "--class-agnostic", "--json", str(agnostic_file))
    summary, agnostic = (json.loads(f.read_text())["summary"] for f in (result_file, agnostic_file))
    weight = chosen_weight(dev_checkpoint) if choose_on_dev else None
    return summary, agnostic, best_validation(out / "metrics.jsonl"), weight


def best_validation(metrics_file: Path) -> dict:
    """Validation summary of the epoch that was kept (the best average mAP, as training selects it)."""
    epochs = [json.loads(line) for line in metrics_file.read_text().splitlines() if line.strip()]
    return max((e["val"] for e in epochs if e.get("val")), key=lambda v: v["avg"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annotations", type=Path, required=True)
    parser.add_argument("--features", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("data/ablation"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--variants", nargs="+", choices=[*VARIANTS, *EXPERIMENTS], default=list(VARIANTS),
                        help="default: the four of the table")
    parser.add_argument("--jobs", type=int, default=2, help="runs at a time")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per run")
    parser.add_argument("--label-prior", type=label_prior_setting, default=0.0, metavar="W|dev",
                        help="evaluate with the encoders' label-space prior at weight W (files *_priorW.json), or "
                        "with the weight each run chooses on the dev split (dev; files *_priordev.json)")
    parser.add_argument("--reevaluate", action="store_true",
                        help="evaluate finished runs again on the current test split (trains only missing runs)")
    parser.add_argument("overrides", nargs="*", help="config overrides for every run, e.g. train.epochs=20")
    args = parser.parse_args()

    plan = [(v, s) for s in args.seeds for v in args.variants]
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda vs: run_one(args, *vs), plan))
    table: dict[str, dict[str, list[float]]] = {}
    for (variant, _), (summary, agnostic, validation, weight) in zip(plan, results):
        columns = table.setdefault(variant, {})
        for column in COLUMNS:
            columns.setdefault(column, []).append(100 * summary[column])
        for column in AGNOSTIC_COLUMNS:
            columns.setdefault(f"agnostic {column}", []).append(100 * agnostic[column])
        columns.setdefault("validation avg", []).append(100 * validation["avg"])
        if weight is not None:
            columns.setdefault("dev-chosen weights", []).append(weight)

    def cell(values: list[float]) -> str:
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        return f"{statistics.mean(values):.1f} ± {spread:.1f}"

    def weights_cell(values: list[float]) -> str:
        return ", ".join(f"{w:g}" for w in values)

    headers = list(COLUMNS) + [f"agnostic {c}" for c in AGNOSTIC_COLUMNS] + ["validation avg"]
    weight_header = ["dev-chosen weights"] if args.label_prior == DEV_CHOICE else []
    print(f"| variant (n = {len(args.seeds)} seeds) | " + " | ".join(headers + weight_header) + " |")
    print("|---|" + "---|" * len(headers + weight_header))
    for variant, columns in table.items():
        cells = [cell(columns[c]) for c in headers] + [weights_cell(columns[c]) for c in weight_header]
        print(f"| {variant} | " + " | ".join(cells) + " |")
    summary = {"seeds": args.seeds, "overrides": args.overrides, "label_prior": args.label_prior, "results": table}
    (args.out / f"ablation{prior_suffix(args.label_prior)}.json").write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
