"""GradBench's ``ba`` (ADBench's bundle adjustment): the reprojection error of p observations of
m points by n cameras, weighted, and each weight's error 1 − w²; the Jacobian in GradBench's
sparse form, of which the first 30 and the last entries are sent.

The input is one camera, one point, one weight and one feature, repeated n, m, p and p times;
observation i sees point i mod m from camera i mod n. Every observation is computed (the
repetition is not exploited): the program runs on all p observations at once, each row of its
arrays one observation, and since each observation's error depends only on its own camera, point
and weight, the Jacobian's p blocks (2 × 15 each) come from one sweep per error coordinate
(reverse) or one pass per parameter (forward) over the whole batch.

A camera is rotation (angle-axis, 3), centre (3), focal length, principal point (2) and radial
distortion (2).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .evals import Eval, Function, floats, listed
from .methods import Method

CAMERA = 11


def _cross(a: Any, b: Any) -> Any:
    return np.stack(
        [
            a[:, 1] * b[:, 2] - a[:, 2] * b[:, 1],
            a[:, 2] * b[:, 0] - a[:, 0] * b[:, 2],
            a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0],
        ],
        axis=1,
    )


def rotate(rotation: Any, points: Any) -> Any:
    """Rodrigues' rotation of each point by its angle-axis vector (a zero angle rotates by the
    first-order formula p + r × p, as ADBench does)."""
    squared = np.sum(rotation * rotation, axis=1)
    zero = squared == 0
    theta = np.sqrt(np.where(zero, 1.0, squared))[:, None]
    axis = rotation / theta
    cos, sin = np.cos(theta), np.sin(theta)
    along = np.sum(axis * points, axis=1)[:, None] * (1 - cos)
    rotated = points * cos + _cross(axis, points) * sin + axis * along
    return np.where(zero[:, None], points + _cross(rotation, points), rotated)


def reprojection_error(cameras: Any, points: Any, weights: Any, features: np.ndarray) -> Any:
    """(p, 2): each observation's weighted difference between the projected point and its feature."""
    seen = rotate(cameras[:, 0:3], points - cameras[:, 3:6])
    projected = seen[:, 0:2] / seen[:, 2:3]
    radius2 = np.sum(projected * projected, axis=1)[:, None]
    distortion = 1 + cameras[:, 9:10] * radius2 + cameras[:, 10:11] * radius2 * radius2
    pixel = projected * distortion * cameras[:, 6:7] + cameras[:, 7:9]
    return weights[:, None] * (pixel - features)


def weight_error(weights: Any) -> Any:
    """1 − w² for each weight."""
    return 1 - weights * weights


class Problem:
    """The repeated input, laid out as the program reads it: one row per observation."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.n, self.m, self.p = int(data["n"]), int(data["m"]), int(data["p"])
        cameras = np.tile(floats(data["cam"]), (self.n, 1))
        points = np.tile(floats(data["x"]), (self.m, 1))
        self.weights = np.full(self.p, float(data["w"]))
        self.features = np.tile(floats(data["feat"]), (self.p, 1))
        self.camera_of = np.arange(self.p) % self.n
        self.point_of = np.arange(self.p) % self.m
        self.cameras, self.points = cameras, points

    def observed(self) -> tuple[np.ndarray, np.ndarray]:
        """Each observation's camera and point."""
        return self.cameras[self.camera_of], self.points[self.point_of]


def _objective(problem: Problem, method: Method) -> tuple[Any, Any]:
    cameras, points = problem.observed()
    return reprojection_error(cameras, points, problem.weights, problem.features), weight_error(problem.weights)


def _write_objective(result: tuple[Any, Any]) -> dict[str, Any]:
    reprojection, weights = (np.asarray(r) for r in result)
    return {
        "reproj_error": {"elements": listed(reprojection[0]), "repeated": len(reprojection)},
        "w_err": {"element": float(weights[0]), "repeated": len(weights)},
    }


def _jacobian(problem: Problem, method: Method) -> dict[str, np.ndarray]:
    cameras, points = problem.observed()
    errors = method.batched_jacobian(reprojection_error, rows=2, inputs=3)
    by_camera, by_point, by_weight = errors(cameras, points, problem.weights, problem.features)
    by_own_weight = method.batched_jacobian(_weight_error_column, rows=1, inputs=1)(problem.weights)[0]
    return _sparse(problem, by_camera, by_point, by_weight, by_own_weight[:, 0])


def _weight_error_column(weights: Any) -> Any:
    return weight_error(weights)[:, None]


def _sparse(problem: Problem, by_camera: Any, by_point: Any, by_weight: Any, by_own_weight: Any) -> dict[str, Any]:
    """The Jacobian in compressed rows, as ADBench lays it out: for each observation two rows of
    15 entries (its camera's 11 columns, its point's 3, its weight's 1), then one row per weight."""
    p, n, m = problem.p, problem.n, problem.m
    camera_columns = CAMERA * problem.camera_of[:, None] + np.arange(CAMERA)
    point_columns = CAMERA * n + 3 * problem.point_of[:, None] + np.arange(3)
    weight_columns = (CAMERA * n + 3 * m + np.arange(p))[:, None]
    columns = np.concatenate([camera_columns, point_columns, weight_columns], axis=1)  # (p, 15)
    values = np.concatenate([by_camera, by_point, by_weight[:, :, None]], axis=2)  # (p, 2, 15)
    block_columns = np.repeat(columns[:, None, :], 2, axis=1).ravel()
    cols = np.concatenate([block_columns, CAMERA * n + 3 * m + np.arange(p)])
    vals = np.concatenate([values.ravel(), by_own_weight])
    rows = np.concatenate([np.arange(2 * p + 1) * 15, 30 * p + 1 + np.arange(p)])
    return {"rows": rows, "cols": cols, "vals": vals}


SENT = 30  # the first 30 entries of each list are sent, and the last


def _write_jacobian(sparse: dict[str, np.ndarray]) -> dict[str, Any]:
    def shown(values: np.ndarray, kind: type) -> list[Any]:
        return [kind(v) for v in [*values[:SENT], values[-1]]]

    return {
        "rows": shown(sparse["rows"], int),
        "cols": shown(sparse["cols"], int),
        "vals": shown(sparse["vals"], float),
    }


EVAL = Eval(
    "ba",
    {
        "objective": Function(Problem, _objective, _write_objective, derivative=False),
        "jacobian": Function(Problem, _jacobian, _write_jacobian, derivative=True),
    },
    primal="objective",
    derivatives=("jacobian",),
)
