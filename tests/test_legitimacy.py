"""Legitimacy: experience credited by visibility, the legitimacy paradox, privacy
(brief §3.9, §5.3)."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.config import LegitimacyConfig
from simulation.mechanisms import legitimacy

CFG = LegitimacyConfig(rate=0.05, relaxation=0.0, privacy_erosion=0.01)


def one_month(visibility: float, service: float, expected: float = 0.45, **kw) -> np.ndarray:
    n = 4
    level = np.full(n, 0.5)
    adopted = np.array([True, True, False, False])
    args = dict(intrusiveness=0.0, linking=0.0, cfg=CFG)
    args.update(kw)
    privacy = args.pop("privacy", np.full(n, 0.5))
    legitimacy.step(
        level,
        np.full(n, 0.5),
        adopted,
        privacy,
        service=service,
        visibility=visibility,
        expected=expected,
        **args,
    )
    return level


def test_experience_is_credited_in_proportion_to_visibility() -> None:
    visible = one_month(1.0, 0.9)
    invisible = one_month(0.2, 0.9)
    # Adopters gain rate x visibility x (S - E) x (1 - L): 0.05 x 1.0 x 0.45 x 0.5 vs
    # 0.05 x 0.2 x 0.45 x 0.5 (bounded: part of the gap to full trust).
    assert visible[0] - 0.5 == pytest.approx(0.05 * 1.0 * 0.45 * 0.5)
    assert invisible[0] - 0.5 == pytest.approx(0.05 * 0.2 * 0.45 * 0.5)
    assert (visible[0] - 0.5) == pytest.approx(5 * (invisible[0] - 0.5))
    # Non-adopters have no experience to credit.
    assert visible[2] == invisible[2] == 0.5
    assert one_month(0.0, 0.9)[0] == 0.5


def test_service_below_expectation_costs_legitimacy() -> None:
    """The legitimacy paradox: a service framed as customer service raises expectations;
    the same service then disappoints and adopters lose trust."""
    modest = legitimacy.expectation(0.0, LegitimacyConfig())
    framed = legitimacy.expectation(1.0, LegitimacyConfig())
    assert framed > modest
    service = (modest + framed) / 2
    assert one_month(1.0, service, expected=modest)[0] > 0.5
    assert one_month(1.0, service, expected=framed)[0] < 0.5


def test_linking_files_erodes_trust_among_the_privacy_concerned() -> None:
    privacy = np.array([0.0, 0.9, 0.0, 0.9])
    out = one_month(1.0, 0.45, intrusiveness=1.0, linking=1.0, privacy=privacy)
    assert out[0] == pytest.approx(0.5)  # adopter, no concern: S = E, no gain, no loss
    assert out[1] < out[0]
    assert out[3] < out[2]
    assert out[1] == pytest.approx(0.5 - 0.01 * 0.9)
    no_linking = one_month(1.0, 0.45, intrusiveness=1.0, linking=0.0, privacy=privacy)
    assert np.all(no_linking == 0.5)


def test_legitimacy_relaxes_to_baseline_and_stays_in_unit_interval() -> None:
    cfg = LegitimacyConfig(rate=1.0, relaxation=0.5)
    level = np.array([0.99, 0.01, 0.2])
    legitimacy.step(
        level,
        np.array([0.5, 0.5, 0.8]),
        np.array([True, True, False]),
        np.zeros(3),
        service=1.0,
        visibility=1.0,
        expected=0.0,
        intrusiveness=0.0,
        linking=0.0,
        cfg=cfg,
    )
    assert np.all((level >= 0) & (level <= 1))
    assert level[2] == pytest.approx(0.5)  # halfway back to its baseline 0.8
