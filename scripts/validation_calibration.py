"""Headline of docs/validation.md: leave-one-source-out (LOSO) errors per accelerator
family for training and inference, in-sample second, and the prediction-interval widths
`gigawatt train` / `gigawatt serve` attach to their estimates.

The numbers come from src/gigawatt/perf/data/calibration.json, which
``scripts/validation_training.py --calibrate`` and ``scripts/validation_inference.py
--calibrate`` write from the cited rows (tests/validation/ check the file against fresh
predictions). Protocol: docs/calibration.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: issue 12's targets: LOSO MAPE per family, over at least four families
TARGETS = {"training": 0.10, "inference": 0.15}
#: catalog families the planner can choose among
FAMILIES = ("ampere", "hopper", "blackwell", "cdna3", "cdna4", "tpu", "trainium", "gaudi",
            "maia")


def _table(kind: str) -> list[str]:
    from gigawatt.perf import calibration as cal

    loso, ins = cal.summary(kind, "loso"), cal.summary(kind, "in_sample")
    target = TARGETS[kind]
    lines = [f"| family | rows | sources | LOSO MAPE | in-sample MAPE | target <= {target:.0%} "
             "| interval P10 / P90 of the error |",
             "| --- | ---: | ---: | ---: | ---: | --- | --- |"]
    for fam in FAMILIES:
        band = cal.error_band(kind, fam)
        width = f"{band['error_p10']:+.0%} / {band['error_p90']:+.0%}"
        if fam not in loso:
            lines.append(f"| {fam} | 0 | 0 | - | - | uncalibrated | {width} (wide band) |")
            continue
        s, i = loso[fam], ins[fam]
        hit = "hit" if s["mape"] <= target else "**miss**"
        lines.append(f"| {fam} | {s['rows']} | {s['sources']} | {s['mape']:.1%} | "
                     f"{i['mape']:.1%} | {hit} | {width} |")
    rows = cal.load()[kind]["loso"]
    hits = sum(s["mape"] <= target for s in loso.values())
    lines += ["", f"Overall LOSO MAPE {cal.mape(rows):.1%} over {len(rows)} rows "
              f"(in-sample {cal.mape(cal.load()[kind]['in_sample']):.1%}); "
              f"{hits} of {len(loso)} families with data within the {target:.0%} target."]
    return lines


def markdown() -> str:
    lines = [
        "## Headline: out-of-sample errors per accelerator family", "",
        "Leave-one-source-out cross-validation: every efficiency parameter is refitted on "
        "all sources but one, and the left-out source is predicted. A source is one "
        "published table of one system and software release (protocol: "
        "[calibration.md](calibration.md)). A family whose only source is left out is "
        "predicted with the parameters fitted on the other families: its LOSO error is "
        "the error of an uncalibrated family. The interval column is the P10 / P90 of the "
        "LOSO relative error (predicted - measured) / measured that `gigawatt train` and "
        "`gigawatt serve` turn into the P10-P90 band of each estimate; families without "
        "data get the cross-family spread, at least +-40%.", "",
        "### Training (tokens/s, step time)", "", *_table("training"), "",
        "### Inference (output tokens/s)", "", *_table("inference"), ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    print(markdown())


if __name__ == "__main__":
    main()
