"""The fitted scorer: two logistic models and the thresholds that decide a tier.

- the sentence model gives each candidate the probability that it answers the question;
- the question model gives the probability that the best candidate does, from how sure
  the sentence model is and how much of the question the sources know;
- `confident`: from this probability up, the answer is given as an answer (tier i);
- `also`: a further sentence joins a confident answer from this sentence probability up;
- `off_topic_similarity`: below this cosine of every candidate's embedding with the
  question's, nothing of the question is near the sources (tier iii).

All of it is fitted by one command (retrieval/answering/fitting.py, run as
`python -m tests.bench.fit_answering --write`) and ships as model.json beside this file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from retrieval.answering.features import QUESTION_FEATURES, SENTENCE_FEATURES

MODEL_FILE = Path(__file__).with_name("model.json")


@dataclass(frozen=True)
class Logistic:
    """A logistic model over standardised features: sigmoid(((x - mean) / scale) · w + b)."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        if not len(rows):
            return np.zeros(0)
        z = ((rows - self.mean) / self.scale) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self) -> dict:
        return {
            "features": list(self.features),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "weights": [round(float(v), 6) for v in self.weights],
            "bias": round(float(self.bias), 6),
        }

    @classmethod
    def from_json(cls, data: dict, expected: tuple[str, ...]) -> Logistic:
        features = tuple(data["features"])
        if features != expected:
            raise ValueError(f"{MODEL_FILE}: fitted for features {features}, the code has {expected}: refit")
        return cls(
            features,
            np.array(data["mean"], dtype=np.float64),
            np.array(data["scale"], dtype=np.float64),
            np.array(data["weights"], dtype=np.float64),
            float(data["bias"]),
        )


@dataclass(frozen=True)
class Model:
    sentence: Logistic
    question: Logistic
    confident: float
    also: float
    off_topic_similarity: float

    def to_json(self) -> dict:
        return {
            "sentence": self.sentence.to_json(),
            "question": self.question.to_json(),
            "thresholds": {
                "confident": round(self.confident, 6),
                "also": round(self.also, 6),
                "off_topic_similarity": round(self.off_topic_similarity, 6),
            },
        }

    @classmethod
    def from_json(cls, data: dict) -> Model:
        thresholds = data["thresholds"]
        return cls(
            Logistic.from_json(data["sentence"], SENTENCE_FEATURES),
            Logistic.from_json(data["question"], QUESTION_FEATURES),
            float(thresholds["confident"]),
            float(thresholds["also"]),
            float(thresholds["off_topic_similarity"]),
        )


@lru_cache(maxsize=1)
def shipped() -> Model:
    """The model fitted on the development cases (model.json)."""
    return Model.from_json(json.loads(MODEL_FILE.read_text(encoding="utf-8")))
