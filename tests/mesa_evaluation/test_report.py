"""evaluate(): every requested cell, deterministic by seed, independent of n_jobs."""

from __future__ import annotations

import numpy as np
import pytest

from mesa_evaluation.protocol import evaluate
from mesa_evaluation.report import markdown_tables, paper_value
from tests.mesa_evaluation.requests import TINY


def _row(method, run, test, valid, noise=0.0):
    return {"dataset": "d", "noise": noise, "run": run, "k": 10, "method": method,
            "aucprc": test, "valid_score": valid}  # fmt: skip


def test_markdown_table_bolds_the_best_mean_per_column(report):
    text = markdown_tables(report)
    assert "| method | toy-less k=2 | toy-less k=3 |" in text
    table = report["tables"]["aucprc"]
    header = next(x for x in text.splitlines() if x.startswith("| method |"))
    columns = [c.strip() for c in header.strip("|").split("|")]
    for key, title in (("toy-less|2", "toy-less k=2"), ("toy-less|3", "toy-less k=3")):
        best = max(TINY["methods"], key=lambda m, key=key: table[m][key]["mean"])
        for method in TINY["methods"]:
            line = next(x for x in text.splitlines() if x.startswith(f"| {method} |"))
            cell = [c.strip() for c in line.strip("|").split("|")][columns.index(title)]
            bold = cell.startswith("**")
            # bold exactly in the column's best row (ties with the best are bold too)
            tied = np.isclose(table[method][key]["mean"], table[best][key]["mean"])
            assert bold == tied, (method, title, cell)


def test_paper_numbers_are_looked_up():
    assert paper_value("eil", "mammography", "mesa", 10) == 0.644
    assert paper_value("eil", "digits", "mesa", 10) is None  # sklearn's digits is not the paper's


@pytest.mark.expensive
def test_transfer_reports_delta_against_self():
    report = evaluate(
        experiment="transfer",
        datasets=("toy-less",),
        runs=1,
        ks=(3,),
        meta_train=30,
        meta_train_k=3,
        meta_hp={"learning_starts": 10},  # SAC's 500 warm-up steps would leave it untrained
        methods=("mesa@self", "mesa@10%"),
    )
    assert {r["method"] for r in report["rows"]} == {"mesa@self", "mesa@10%"}
    assert "(Δ " in markdown_tables(report)


def test_gap_picks_the_rival_by_validation_and_scores_it_on_test():
    from mesa_evaluation.report import learnability_gap

    rows = [
        _row("mesa", 0, 0.80, 0.99),  # the learned sampler's own valid score never matters
        _row("constant-1.0", 0, 0.90, 0.70),  # best on test, but not picked: valid is lower
        _row("tuned-constant", 0, 0.75, 0.85),
        _row("mesa", 1, 0.60, 0.50),
        _row("constant-1.0", 1, 0.70, 0.90),
        _row("tuned-constant", 1, 0.50, 0.20),
    ]
    gap = learnability_gap(rows, "aucprc")["d|0.0"]
    assert gap["n"] == 2 and gap["wins"] == 1
    assert gap["mean"] == pytest.approx(((0.80 - 0.75) + (0.60 - 0.70)) / 2)
    assert gap["picked"] == {"tuned-constant": 1, "constant-1.0": 1}


def test_ablation_reports_valid_scores_and_the_gap_table():
    methods = ("mesa", "constant-0.5", "random-mu", "underbagging")
    rep = evaluate(
        experiment="ablation", datasets=("toy-less",), runs=1, noises=(0.0, 0.25), methods=methods
    )
    assert all(0.0 <= r["valid_score"] <= 1.0 for r in rep["rows"])
    assert set(rep["tables"]["gap"]) == {"toy-less|0.0", "toy-less|0.25"}
    text = markdown_tables(rep)
    assert "learnability gap" in text and "| toy-less | 0.25 |" in text
