"""The fitted scorer: refitting reproduces model.json, and the fit itself behaves."""

from __future__ import annotations

import json

import numpy as np
import pytest

from retrieval.answering.fitting import PENALTIES, _penalty, fit, fit_logistic
from retrieval.answering.scorer import MODEL_FILE, Model, shipped
from tests.bench.fit_answering import SHARED, prepared_cases


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} not present")
def test_refitting_on_the_development_cases_reproduces_the_shipped_model():
    refit = fit(prepared_cases()).to_json()
    shipped_json = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    assert refit["sentence"]["features"] == shipped_json["sentence"]["features"]
    assert refit["question"]["features"] == shipped_json["question"]["features"]
    for part in ("sentence", "question"):
        for key in ("mean", "scale", "weights"):
            np.testing.assert_allclose(refit[part][key], shipped_json[part][key], rtol=1e-4, atol=1e-5, err_msg=f"{part}.{key}")
    for key, value in shipped_json["thresholds"].items():
        assert refit["thresholds"][key] == pytest.approx(value, abs=1e-5), key


def test_the_shipped_model_loads_and_round_trips():
    model = shipped()
    assert Model.from_json(model.to_json()).to_json() == model.to_json()
    assert 0.0 < model.confident < 1.0


def test_logistic_regression_separates_what_can_be_separated_and_is_deterministic():
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(400, 2))
    labels = rows[:, 0] + 0.2 * rng.normal(size=400) > 0
    first = fit_logistic(rows, labels, ("a", "b"), 1.0)
    again = fit_logistic(rows, labels, ("a", "b"), 1.0)
    assert first.to_json() == again.to_json()
    assert first.weights[0] > 2 and abs(first.weights[1]) < 0.5
    predicted = first.probabilities(rows) > 0.5
    assert (predicted == labels).mean() > 0.9


def _cases(signal: float, seed: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Five small cases of one real feature (weighted by `signal`) and eight of noise."""
    rng = np.random.default_rng(seed)
    out = {}
    for name in "abcde":
        rows = rng.normal(size=(40, 9))
        labels = signal * rows[:, 0] + rng.normal(size=40) > 0
        out[name] = (rows, labels)
    return out


def test_the_penalty_is_the_strongest_where_nothing_carries_from_case_to_case():
    # Labels unrelated to the features: whatever a light penalty fits is each case's noise.
    assert _penalty(_cases(signal=0.0), tuple("abcdefghi")) == max(PENALTIES)


def test_the_penalty_stays_light_where_a_feature_carries():
    assert _penalty(_cases(signal=5.0), tuple("abcdefghi")) < max(PENALTIES)
