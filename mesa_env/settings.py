"""The settings of a ``MesaEnv`` in one place: their types, defaults and compatibility rule.

:class:`EnvSettings` holds every ``MesaEnv`` keyword argument that is a plain value (not the
data, the base learner or the render mode). Its defaults are *the* defaults: ``MesaEnv``'s
signature, ``agents.training.env_settings``, the sampler-file check, ``MesaClassifier`` and both
command lines read them, so changing σ's default is one edit here.

Code that needs a default at call time reads :func:`defaults` (the module's :data:`DEFAULTS`),
never a copy taken at import, so replacing :data:`DEFAULTS` (e.g. with ``monkeypatch``) is seen
by every such reader. ``MesaEnv``'s keyword defaults are the exception: Python fixes a
signature's defaults when the class is defined, from :data:`DEFAULTS` as it was then.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

__all__ = ["DEFAULTS", "EnvSettings", "check_compatible", "defaults"]

#: What each annotation accepts (booleans are refused where a number is expected).
_TYPE_CHECKS: dict[str, tuple[str, Any]] = {
    "int": ("an integer", lambda v: isinstance(v, numbers.Integral) and not isinstance(v, bool)),
    "float": ("a real number", lambda v: isinstance(v, numbers.Real) and not isinstance(v, bool)),
    "str": ("a string", lambda v: isinstance(v, str)),
    "bool": ("a bool (True or False)", lambda v: isinstance(v, (bool, np.bool_))),
}


@dataclass(frozen=True)
class EnvSettings:
    """The plain-value settings of ``MesaEnv`` with their defaults.

    See ``MesaEnv``'s docstring for what each one means and which values it accepts.

    Construction and :meth:`replace` check types only (``progress_obs`` must be a ``bool``,
    ``n_bins`` an integer, …); ``MesaEnv`` checks ranges and choices.
    """

    n_estimators: int = 10
    n_bins: int = 5
    sigma: float = 0.2
    metric: str = "aucprc"
    reward_scale: float = 1.0
    histogram: str = "all"
    train_ratio: float = 1.0
    label_noise: float = 0.0
    split_seed: int = 0
    progress_obs: bool = False
    info_scores: str = "final"

    #: Settings that change what an observation means: a sampler trained under other values of
    #: these reads its observations wrongly, so its μ is meaningless.
    OBSERVATION_FIELDS: ClassVar[tuple[str, ...]] = ("n_bins", "histogram", "sigma", "progress_obs")
    #: Settings that only change what ``info`` carries, not the episode: a checkpoint does not
    #: record them (``agents.training.env_settings`` leaves them out).
    INFO_FIELDS: ClassVar[tuple[str, ...]] = ("info_scores",)

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            expected, accepts = _TYPE_CHECKS[str(item.type)]
            value = getattr(self, item.name)
            if not accepts(value):
                raise TypeError(
                    f"{item.name} must be {expected}; got {type(value).__name__} {value!r}"
                )

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """Every setting's name, in ``MesaEnv``'s signature order."""
        return tuple(item.name for item in dataclasses.fields(cls))

    @classmethod
    def field_type(cls, name: str) -> str:
        """The type a setting takes: ``"int"``, ``"float"``, ``"str"`` or ``"bool"``."""
        return str(next(item.type for item in dataclasses.fields(cls) if item.name == name))

    @classmethod
    def run_fields(cls) -> tuple[str, ...]:
        """The settings that define a run, all but :attr:`INFO_FIELDS`.

        These are what a checkpoint records and ``--meta-env`` accepts.
        """
        return tuple(name for name in cls.field_names() if name not in cls.INFO_FIELDS)

    def replace(self, **changes: Any) -> EnvSettings:
        """A copy with ``changes`` applied.

        An unknown name is a ``ValueError`` naming the known ones, a value of the wrong type
        (``progress_obs="yes"``) a ``TypeError``.
        """
        known = self.field_names()
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise ValueError(f"unknown environment setting(s) {unknown}; known: {', '.join(known)}")
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """``{name: value}`` in signature order: the keyword arguments of ``MesaEnv``."""
        return {name: getattr(self, name) for name in self.field_names()}

    def observation(self) -> dict[str, Any]:
        """Only the :attr:`OBSERVATION_FIELDS`, in their order."""
        return {name: getattr(self, name) for name in self.OBSERVATION_FIELDS}


#: The defaults every reader uses; replace it (not mutate: it is frozen) to change them at run
#: time, e.g. in a test.
DEFAULTS = EnvSettings()


def defaults() -> EnvSettings:
    """The current :data:`DEFAULTS` (looked up at call time)."""
    return DEFAULTS


def check_compatible(
    trained: Mapping[str, Any], wanted: Mapping[str, Any], *, strict: bool = True
) -> list[str]:
    """The mismatches between a sampler's training settings and the settings wanted for it.

    Only :attr:`EnvSettings.OBSERVATION_FIELDS` are compared; a wanted value of ``None`` means
    "whatever it was trained with". A setting ``trained`` does not record is a mismatch when
    ``strict`` (a sampler file records them all) and accepted otherwise (an in-memory agent may
    carry no metadata). Each mismatch reads ``"sigma=0.3 (trained with 0.2)"``, in the order of
    ``wanted``; an empty list means compatible.
    """
    return [
        f"{key}={value!r} (trained with {trained.get(key)!r})"
        for key, value in wanted.items()
        if value is not None
        and key in EnvSettings.OBSERVATION_FIELDS
        and (strict or key in trained)
        and trained.get(key) != value
    ]
