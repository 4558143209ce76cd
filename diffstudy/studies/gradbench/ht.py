"""GradBench's ``ht`` (ADBench's hand tracking): a hand model of bones skinned to vertices, posed by
26 parameters θ (global rotation and translation, then each finger's joint angles); the
objective is the difference between observed points and the model's corresponding vertices
(``simple``) or points on its triangles at barycentric coordinates u (``complicated``, when
``us`` is not empty). The Jacobian has a column per parameter, after two for u (each point's
error depends only on its own u, so a column holds ∂errᵢ/∂uᵢ).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .evals import Eval, Function, floats, listed
from .methods import Method

FINGERS = 5
SMALL_ANGLE = 1e-4  # below it the global rotation is the identity, as ADBench's


@dataclass(eq=False)
class Hand:
    """The model and the observations, as the program reads them."""

    parents: list[int]
    base_relatives: np.ndarray  # (bones, 4, 4)
    inverse_base_absolutes: np.ndarray  # (bones, 4, 4)
    base_positions: np.ndarray  # (vertices, 4), homogeneous
    weights: np.ndarray  # (vertices, bones)
    triangles: np.ndarray  # (triangles, 3)
    mirrored: bool
    correspondences: np.ndarray  # (points,)
    points: np.ndarray  # (points, 3)
    pose_index: np.ndarray  # (3, bones + 3): where each pose parameter is found in [θ, 0, 1]


def pose_layout(bones: int, parameters: int) -> np.ndarray:
    """The pose parameters (3 × (bones + 3)) as indices into [θ, 0, 1]: the global rotation, a
    scale of 1, the translation, then per finger three joints (the first with two angles)."""
    zero, one = parameters, parameters + 1
    index = np.full((3, bones + 3), zero)
    index[:, 0], index[:, 1], index[:, 2] = [0, 1, 2], one, [3, 4, 5]
    theta, column = 6, 5
    for _ in range(FINGERS):
        for joint in range(3):
            index[0, column] = theta
            theta += 1
            if joint == 0:
                index[1, column] = theta
                theta += 1
            column += 1
        column += 1
    return index


def _euler_rotations(angles: Any) -> Any:
    """Rz·Ry·Rx for each bone's angles (x, z, y), as (bones, 3, 3)."""
    tx, tz, ty = angles[:, 0], angles[:, 1], angles[:, 2]
    cx, sx, cy, sy, cz, sz = np.cos(tx), np.sin(tx), np.cos(ty), np.sin(ty), np.cos(tz), np.sin(tz)
    rows = [
        [cz * cy, cz * sy * sx - sz * cx, cz * sy * cx + sz * sx],
        [sz * cy, sz * sy * sx + cz * cx, sz * sy * cx - cz * sx],
        [-sy, cy * sx, cy * cx],
    ]
    return np.stack([np.stack(row, axis=1) for row in rows], axis=1)


def _homogeneous(rotations: Any) -> Any:
    """(bones, 3, 3) rotations as (bones, 4, 4) transforms with no translation."""
    bones = rotations.shape[0]
    side = np.concatenate([rotations, np.zeros((bones, 1, 3))], axis=1)
    corner = np.concatenate([np.zeros((bones, 3, 1)), np.ones((bones, 1, 1))], axis=1)
    return np.concatenate([side, corner], axis=2)


def _angle_axis_rotation(v: Any) -> Any:
    """Rodrigues' rotation matrix of an angle-axis vector."""
    norm = np.sqrt(np.sum(v * v))
    if norm < SMALL_ANGLE:
        return np.eye(3)
    x, y, z = v[0] / norm, v[1] / norm, v[2] / norm
    s, c = np.sin(norm), np.cos(norm)
    return np.stack(
        [
            np.stack([x * x + (1 - x * x) * c, x * y * (1 - c) - z * s, x * z * (1 - c) + y * s]),
            np.stack([x * y * (1 - c) + z * s, y * y + (1 - y * y) * c, y * z * (1 - c) - x * s]),
            np.stack([x * z * (1 - c) - y * s, z * y * (1 - c) + x * s, z * z + (1 - z * z) * c]),
        ]
    )


def vertex_positions(theta: Any, hand: Hand) -> Any:
    """The posed model's vertices, (3, vertices)."""
    pose = np.concatenate([theta, np.array([0.0, 1.0])])[hand.pose_index]
    relatives = hand.base_relatives @ _homogeneous(_euler_rotations(pose[:, 3:].T))
    absolutes: list[Any] = []
    for bone, parent in enumerate(hand.parents):
        absolutes.append(relatives[bone] if parent == -1 else absolutes[parent] @ relatives[bone])
    transforms = np.stack(absolutes) @ hand.inverse_base_absolutes
    moved = transforms[:, 0:3, :] @ hand.base_positions.T  # (bones, 3, vertices)
    positions = np.sum(moved * hand.weights.T[:, None, :], axis=0)
    if hand.mirrored:
        positions = positions * np.array([[-1.0], [1.0], [1.0]])
    rotation = _angle_axis_rotation(pose[:, 0]) * pose[:, 1][None, :]
    return rotation @ positions + pose[:, 2][:, None]


def errors(theta: Any, us: Any, hand: Hand) -> Any:
    """(points, 3): each observed point minus its place on the model."""
    positions = vertex_positions(theta, hand)
    if us is None:
        return hand.points - positions[:, hand.correspondences].T
    corners = hand.triangles[hand.correspondences]  # (points, 3)
    u, v = us[:, 0:1], us[:, 1:2]
    on_triangle = (
        u * positions[:, corners[:, 0]].T
        + v * positions[:, corners[:, 1]].T
        + (1 - u - v) * positions[:, corners[:, 2]].T
    )
    return hand.points - on_triangle


def flat_errors(theta: Any, us: Any, hand: Hand) -> Any:
    """The errors as one vector, point by point."""
    return np.ravel(errors(theta, us, hand))


def _by_us(us: Any, theta: np.ndarray, hand: Hand) -> Any:
    return errors(theta, us, hand)


def _read(data: dict[str, Any]) -> tuple[np.ndarray, np.ndarray | None, Hand]:
    model, observed = data["data"]["model"], data["data"]
    theta = floats(data["theta"])
    bones = len(model["parents"])
    hand = Hand(
        parents=[int(p) for p in model["parents"]],
        base_relatives=floats(model["base_relatives"]).reshape(bones, 4, 4),
        inverse_base_absolutes=floats(model["inverse_base_absolutes"]).reshape(bones, 4, 4),
        base_positions=floats(model["base_positions"]),
        weights=floats(model["weights"]),
        triangles=np.asarray(model["triangles"], dtype=int).reshape(-1, 3),
        mirrored=bool(model["is_mirrored"]),
        correspondences=np.asarray(observed["correspondences"], dtype=int),
        points=floats(observed["points"]).reshape(-1, 3),
        pose_index=pose_layout(bones, len(theta)),
    )
    us = floats(data["us"]).reshape(-1, 2) if len(data.get("us", [])) else None
    return theta, us, hand


def _jacobian(args: tuple[np.ndarray, np.ndarray | None, Hand], method: Method) -> np.ndarray:
    theta, us, hand = args
    by_theta = np.asarray(method.jacobian(flat_errors)(theta, us, hand))
    if us is None:
        return by_theta
    by_us = method.batched_jacobian(_by_us, rows=3, inputs=1)(us, theta, hand)[0]  # (points, 3, 2)
    return np.concatenate([by_us.reshape(-1, 2), by_theta], axis=1)


EVAL = Eval(
    "ht",
    {
        "objective": Function(_read, lambda args, method: flat_errors(*args), listed, derivative=False),
        "jacobian": Function(_read, _jacobian, listed, derivative=True),
    },
    primal="objective",
    derivatives=("jacobian",),
)
