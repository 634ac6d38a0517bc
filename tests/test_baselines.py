"""Behaviour of the ensemble imbalanced-learning baselines (``baselines``).

One contract block parametrised over every entry of ``BASELINES`` (fitted attributes, valid and
reproducible probabilities, original labels, binary-only, clone, scikit-learn's own checks, and
better AUCPRC than a single tree on held-out data), then one block per method for the property
that defines it.
"""

from __future__ import annotations

import numpy as np
import pytest
from imblearn.ensemble import BalancedBaggingClassifier
from sklearn.base import clone, is_classifier
from sklearn.datasets import make_classification
from sklearn.ensemble import AdaBoostClassifier, BaggingClassifier
from sklearn.metrics import average_precision_score
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from mesa_baselines import (
    BASELINES,
    BalanceCascadeClassifier,
    EasyEnsembleClassifier,
    RAMOBoostClassifier,
    RUSBoostClassifier,
    SelfPacedEnsembleClassifier,
    SMOTEBaggingClassifier,
    SMOTEBoostClassifier,
    UnderBaggingClassifier,
    n_training_samples,
)
from mesa_baselines.self_paced import apportion, hardness, self_paced_bin_weights
from mesa_baselines.smote_boost import minority_neighbours, smote_interpolate

NAMES = sorted(BASELINES)


def make(name: str, **params):
    """A baseline with its defaults, except EasyEnsemble's members are 5-stump AdaBoosts (not 50),
    which keeps this file fast without changing what is tested."""
    if name == "easyensemble":
        params.setdefault("estimator", AdaBoostClassifier(n_estimators=5))
    return BASELINES[name](**params)


@pytest.fixture(scope="module")
def imbalanced():
    """540 majority / 60 minority examples, 20 features."""
    return make_classification(n_samples=600, weights=[0.9], random_state=0)


@pytest.fixture(scope="module")
def overlapping():
    """2-D, IR = 9: N ~ N(0, I), P ~ N((1.5, 1.5), I); the classes overlap heavily."""
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(0.0, 1.0, (1800, 2)), rng.normal(1.5, 1.0, (200, 2))])
    y = np.r_[np.zeros(1800, dtype=int), np.ones(200, dtype=int)]
    return X, y


def _counts(y):
    n_pos = int((y == 1).sum())
    return n_pos, y.shape[0] - n_pos


# --------------------------------------------------------------------------- contract, all


def test_registry_names_and_shared_arguments():
    assert set(BASELINES) == {
        "spe",
        "cascade",
        "smoteboost",
        "smotebagging",
        "ramoboost",
        "rusboost",
        "underbagging",
        "easyensemble",
    }
    for cls in BASELINES.values():
        clf = cls()
        assert is_classifier(clf)
        assert {"estimator", "n_estimators", "random_state", "n_jobs"} <= set(clf.get_params())


@pytest.mark.parametrize("name", NAMES)
def test_fitted_attributes(name, imbalanced):
    X, y = imbalanced
    n_pos, _ = _counts(y)
    clf = make(name, random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    assert clf.n_features_in_ == X.shape[1]
    assert 1 <= len(clf.estimators_) <= clf.n_estimators
    assert clf.n_training_samples_ == n_training_samples(clf, X, y) > 0
    if name in {"spe", "cascade", "underbagging", "easyensemble", "rusboost"}:
        # Under-sampling ensembles train every member on 2|P| rows.
        assert clf.n_training_samples_ == len(clf.estimators_) * 2 * n_pos


@pytest.mark.parametrize("name", NAMES)
def test_predict_proba_is_a_distribution_over_classes(name, imbalanced):
    X, y = imbalanced
    clf = make(name, random_state=0).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (X.shape[0], 2)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert proba[:, 1].std() > 0  # not a constant score


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_model_other_seed_other_model(name, imbalanced):
    X, y = imbalanced
    # Off the training rows: members that fit their training data agree on them whatever the seed.
    probe = X + np.random.RandomState(1).normal(0.0, 0.5, X.shape)
    first = make(name, random_state=3).fit(X, y).predict_proba(probe)
    again = make(name, random_state=3).fit(X, y).predict_proba(probe)
    other = make(name, random_state=4).fit(X, y).predict_proba(probe)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("name", NAMES)
def test_beats_a_single_tree_on_held_out_aucprc(name, overlapping):
    X, y = overlapping
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)

    def score(clf):
        return average_precision_score(y_te, clf.fit(X_tr, y_tr).predict_proba(X_te)[:, 1])

    tree = np.mean([score(DecisionTreeClassifier(random_state=s)) for s in (0, 1)])
    ensemble = np.mean([score(make(name, random_state=s)) for s in (0, 1)])
    assert ensemble > tree + 0.05, (ensemble, tree)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "labels",
    [np.array(["b_major", "a_minor"]), np.array([-1, 1]), np.array([1, 0])],
    ids=["strings-minority-first", "minus-one-one", "minority-is-zero"],
)
def test_original_labels_are_kept_and_the_minority_is_positive(name, labels, imbalanced):
    X, y = imbalanced
    reference = make(name, random_state=0).fit(X, y).predict_proba(X)[:, 1]
    clf = make(name, random_state=0).fit(X, labels[y])
    np.testing.assert_array_equal(clf.classes_, np.sort(labels))
    assert set(np.unique(clf.predict(X))) <= set(labels)
    # Same model whatever the labels: p(minority) does not depend on how classes are named.
    column = list(clf.classes_).index(labels[1])
    np.testing.assert_allclose(clf.predict_proba(X)[:, column], reference)


@pytest.mark.parametrize("name", NAMES)
def test_more_than_two_classes_is_refused(name):
    X, y = make_classification(n_samples=150, n_classes=3, n_informative=4, random_state=0)
    with pytest.raises(ValueError, match="binary"):
        make(name).fit(X, y)


@pytest.mark.parametrize("name", NAMES)
def test_clone_gives_an_unfitted_copy_that_refits_identically(name, imbalanced):
    X, y = imbalanced
    clf = make(name, n_estimators=4, random_state=0).fit(X, y)
    copy = clone(clf)
    assert not hasattr(copy, "estimators_")
    assert copy.get_params().keys() == clf.get_params().keys()
    assert copy.get_params()["n_estimators"] == 4
    np.testing.assert_array_equal(copy.fit(X, y).predict_proba(X), clf.predict_proba(X))


def _expected_failures(estimator):
    if isinstance(estimator, (UnderBaggingClassifier, EasyEnsembleClassifier)):
        # imbalanced-learn's bagging passes object arrays through to its sampler unchanged.
        return {"check_dtype_object": "imbalanced-learn bagging accepts object X"}
    return {}


@parametrize_with_checks(
    [make(name, n_estimators=3, random_state=0) for name in NAMES],
    expected_failed_checks=_expected_failures,
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


# --------------------------------------------------------------------------- balanced members


@pytest.mark.parametrize(
    "cls", [SelfPacedEnsembleClassifier, BalanceCascadeClassifier], ids=["spe", "cascade"]
)
def test_every_member_is_trained_on_a_balanced_subset(cls, imbalanced):
    X, y = imbalanced
    n_pos, _ = _counts(y)
    clf = cls(random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.subset_sizes_, np.full((10, 2), n_pos))
    for member in clf.estimators_:  # what the trees actually saw: 2|P| rows, half of each class
        assert member.tree_.n_node_samples[0] == 2 * n_pos
        np.testing.assert_allclose(member.tree_.value[0, 0], [0.5, 0.5])


def test_underbagging_members_see_all_minority_and_as_many_majority(imbalanced):
    X, y = imbalanced
    n_pos, _ = _counts(y)
    clf = UnderBaggingClassifier(random_state=0).fit(X, y)
    assert clf.bootstrap is False and len(clf.estimators_) == 10
    for rows, member in zip(clf.estimators_samples_, clf.estimators_, strict=True):
        kept = y[rows][member.steps[0][1].sample_indices_]
        np.testing.assert_array_equal(np.bincount(kept), [n_pos, n_pos])
        assert member.steps[-1][1].tree_.n_node_samples[0] == 2 * n_pos


# --------------------------------------------------------------------------- BalanceCascade


def test_cascade_pool_shrinks_geometrically_to_about_p(imbalanced):
    X, y = imbalanced
    n_pos, n_neg = _counts(y)
    clf = BalanceCascadeClassifier(n_estimators=10, random_state=0).fit(X, y)
    f = (n_pos / n_neg) ** (1 / 9)
    assert clf.keep_ratio_ == pytest.approx(f)
    pools = clf.pool_sizes_
    assert pools[0] == n_neg
    np.testing.assert_array_equal(pools[1:], np.ceil(f * pools[:-1]).astype(int))
    assert n_pos <= pools[-1] <= n_pos + 2


def test_cascade_keeps_the_majority_examples_the_ensemble_gets_wrong(imbalanced):
    X, y = imbalanced
    n_pos, _ = _counts(y)
    # With two stages f = |P|/|N|, so stage 2 trains on the |P| hardest majority examples.
    clf = BalanceCascadeClassifier(n_estimators=2, random_state=0).fit(X, y)
    first, second = clf.estimators_
    majority = np.flatnonzero(y == 0)
    false_positives = majority[first.predict(X[majority]) == 1]
    assert 0 < false_positives.size <= n_pos
    # A full-depth tree fits its training rows, so stage 2 saw (and fixed) all of them.
    assert np.all(second.predict(X[false_positives]) == 0)


# --------------------------------------------------------------------------- Self-Paced Ensemble


def test_spe_self_paced_factor_is_tan_i_pi_over_2n(imbalanced):
    X, y = imbalanced
    clf = SelfPacedEnsembleClassifier(n_estimators=7, random_state=0).fit(X, y)
    np.testing.assert_allclose(clf.alphas_, np.tan(np.arange(1, 7) * np.pi / 14))
    assert len(clf.bin_weights_) == 6


def test_spe_bin_weights_are_inverse_mean_hardness_plus_alpha():
    h = np.array([0.0, 0.0, 0.1, 0.52, 0.95, 1.0])
    bins, weights = self_paced_bin_weights(h, k_bins=10, alpha=0.5)
    np.testing.assert_array_equal(bins, [0, 0, 1, 5, 9, 9])
    expected = np.zeros(10)
    expected[[0, 1, 5, 9]] = 1 / (np.array([0.0, 0.1, 0.52, 0.975]) + 0.5)
    np.testing.assert_allclose(weights, expected)


def test_spe_recorded_bin_weights_come_from_the_mean_probability_of_earlier_members(imbalanced):
    X, y = imbalanced
    # Shallow trees give soft probabilities, so a mean of votes would give other weights.
    base = DecisionTreeClassifier(max_depth=3)
    clf = SelfPacedEnsembleClassifier(base, n_estimators=5, random_state=0).fit(X, y)
    majority = X[y == 0]
    for i in range(1, 5):
        mean_proba = np.mean([m.predict_proba(majority)[:, 1] for m in clf.estimators_[:i]], 0)
        _, weights = self_paced_bin_weights(
            hardness(mean_proba, 0, "absolute"), 10, clf.alphas_[i - 1]
        )
        np.testing.assert_allclose(clf.bin_weights_[i - 1], weights)


def test_apportion_is_proportional_capped_and_exact():
    counts = apportion(10, np.array([1.0, 1.0, 2.0]), np.array([100, 100, 100]))
    assert counts.sum() == 10 and np.all(np.abs(counts - [2.5, 2.5, 5.0]) < 1)
    # A bin smaller than its share is taken whole and the rest goes to the others.
    np.testing.assert_array_equal(apportion(10, np.array([1.0, 1.0]), np.array([2, 100])), [2, 8])
    # Empty or zero-weight bins get nothing.
    np.testing.assert_array_equal(
        apportion(4, np.array([0.0, 3.0, 1.0]), np.array([9, 0, 9])), [0, 0, 4]
    )


@pytest.mark.parametrize("kind", ["absolute", "squared", "cross_entropy"])
def test_spe_hardness_options(kind, imbalanced):
    p, y = np.array([0.9, 0.2]), np.array([1, 0])
    expected = {
        "absolute": [0.1, 0.2],
        "squared": [0.01, 0.04],
        "cross_entropy": [-np.log(0.9), -np.log(0.8)],
    }[kind]
    np.testing.assert_allclose(hardness(p, y, kind), expected)
    X, y_data = imbalanced
    clf = SelfPacedEnsembleClassifier(hardness=kind, random_state=0).fit(X, y_data)
    assert np.all(clf.subset_sizes_[:, 0] == clf.subset_sizes_[:, 1])


def test_spe_falls_back_to_random_under_sampling_when_all_equally_hard():
    # Separable classes: every majority example has p(+) = 0, i.e. the same hardness.
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(0, 1, (200, 2)), rng.normal(20, 1, (20, 2))])
    y = np.r_[np.zeros(200, dtype=int), np.ones(20, dtype=int)]
    clf = SelfPacedEnsembleClassifier(n_estimators=4, random_state=0).fit(X, y)
    assert all(np.isnan(w).all() for w in clf.bin_weights_)
    np.testing.assert_array_equal(clf.subset_sizes_, np.full((4, 2), 20))


# --------------------------------------------------------------------------- SMOTE-based


def test_smote_interpolates_between_a_seed_and_its_minority_neighbours():
    x = np.linspace(0.0, 1.0, 11)
    X_min = np.column_stack([x, 2 * x])  # on the line y = 2x
    neighbours = minority_neighbours(X_min, 2)
    assert neighbours.shape == (11, 2) and not np.any(neighbours == np.arange(11)[:, None])
    seeds = np.zeros(50, dtype=int)  # all from x = 0, whose neighbours are x = 0.1 and 0.2
    X_syn = smote_interpolate(X_min, neighbours, seeds, np.random.RandomState(0))
    np.testing.assert_allclose(X_syn[:, 1], 2 * X_syn[:, 0])
    assert X_syn[:, 0].min() >= 0 and X_syn[:, 0].max() <= 0.2


def test_smotebagging_rates_cycle_and_bags_are_balanced(imbalanced):
    X, y = imbalanced
    _, n_neg = _counts(y)
    clf = SMOTEBaggingClassifier(n_estimators=12, random_state=0).fit(X, y)
    rates = np.r_[np.arange(1, 11), 1, 2] / 10
    np.testing.assert_allclose(clf.sampling_rates_, rates)
    np.testing.assert_array_equal(clf.n_synthetic_, n_neg - np.floor(n_neg * rates + 0.5))
    np.testing.assert_array_equal(clf.subset_sizes_, np.full((12, 2), n_neg))
    assert clf.n_training_samples_ == 12 * 2 * n_neg
    for member in clf.estimators_:
        assert member.tree_.n_node_samples[0] == 2 * n_neg
        np.testing.assert_allclose(member.tree_.value[0, 0], [0.5, 0.5])


def test_smotebagging_does_not_depend_on_n_jobs(imbalanced):
    X, y = imbalanced
    serial = SMOTEBaggingClassifier(n_estimators=4, random_state=0).fit(X, y).predict_proba(X)
    threads = SMOTEBaggingClassifier(n_estimators=4, n_jobs=2, random_state=0).fit(X, y)
    np.testing.assert_array_equal(threads.predict_proba(X), serial)


@pytest.mark.parametrize("cls", [SMOTEBoostClassifier, RAMOBoostClassifier])
def test_boosting_adds_exactly_n_samples_synthetic_minority_rows_per_round(cls, imbalanced):
    X, y = imbalanced
    n_pos, n_neg = _counts(y)
    clf = cls(n_samples=37, random_state=0).fit(X, y)
    # Full-depth trees are perfect on the training set; the error floor keeps boosting going.
    assert clf.n_estimators_ == len(clf.estimators_) == 10
    np.testing.assert_array_equal(clf.n_synthetic_, np.full(10, 37))
    np.testing.assert_array_equal(clf.subset_sizes_, np.tile([n_neg, n_pos + 37], (10, 1)))
    for member in clf.estimators_:
        assert member.tree_.n_node_samples[0] == n_pos + n_neg + 37
    assert np.all(np.isfinite(clf.estimator_weights_)) and np.all(clf.estimator_weights_ > 0)


@pytest.mark.parametrize("cls", [SMOTEBoostClassifier, RAMOBoostClassifier])
def test_boosting_moves_the_seed_distribution_toward_misclassified_minority(cls, imbalanced):
    X, y = imbalanced
    clf = cls(DecisionTreeClassifier(max_depth=1), random_state=0).fit(X, y)
    assert np.all(clf.estimator_errors_ > 0) and np.all(clf.estimator_errors_ < 0.5)
    assert np.ptp(clf.estimator_weights_) > 0
    first, second = clf.seed_probabilities_[:2]
    missed = clf.estimators_[0].predict(X[y == 1]) == 0
    assert missed.any() and second[missed].mean() > first[missed].mean()


def test_ramoboost_favours_minority_examples_with_majority_neighbours():
    rng = np.random.RandomState(0)
    angles = np.linspace(0, 2 * np.pi, 5, endpoint=False)
    ring = 0.1 * np.column_stack([np.cos(angles), np.sin(angles)])  # 5 majority around (0, 0)
    far_majority = rng.normal(-10, 1, (100, 2))
    lonely = np.array([[0.0, 0.0]])  # minority in the middle of the ring
    cluster = rng.normal(10, 0.1, (6, 2))  # minority with only minority neighbours
    X = np.vstack([ring, far_majority, lonely, cluster])
    y = np.r_[np.zeros(105, dtype=int), np.ones(7, dtype=int)]
    clf = RAMOBoostClassifier(n_estimators=2, k_neighbors_1=5, alpha=0.3, random_state=0)
    clf.fit(X, y)
    np.testing.assert_array_equal(clf.majority_neighbour_counts_, [5, 0, 0, 0, 0, 0, 0])
    ranks = 1 / (1 + np.exp(-0.3 * clf.majority_neighbour_counts_))
    np.testing.assert_allclose(clf.minority_ranks_, ranks)
    # Round 1 has uniform boosting weights, so seeds are drawn ∝ rank alone.
    np.testing.assert_allclose(clf.seed_probabilities_[0], ranks / ranks.sum())
    assert clf.seed_probabilities_[0][0] > clf.seed_probabilities_[0][1:].max()


# --------------------------------------------------------------------------- imbalanced-learn


def test_rusboost_reports_members_built_and_uses_full_depth_trees(imbalanced):
    X, y = imbalanced
    n_pos, _ = _counts(y)
    clf = RUSBoostClassifier(n_estimators=10, random_state=0).fit(X, y)
    assert clf.n_estimators_ == len(clf.estimators_) <= 10
    assert clf.estimator_.get_params()["max_depth"] is None
    assert clf.replacement is True  # MESA Table 8
    assert clf.n_training_samples_ == clf.n_estimators_ * 2 * n_pos


def test_n_training_samples_helper_covers_plain_ensembles(imbalanced):
    X, y = imbalanced
    n_pos, _ = _counts(y)
    plain = BalancedBaggingClassifier(n_estimators=3, bootstrap=False, random_state=0).fit(X, y)
    assert n_training_samples(plain, X, y) == 3 * 2 * n_pos
    bagging = BaggingClassifier(n_estimators=3, random_state=0).fit(X, y)
    assert n_training_samples(bagging, X, y) == 3 * 2 * n_pos
    with pytest.raises(ValueError, match="without y"):
        n_training_samples(bagging)


def test_rusboost_that_cannot_build_a_member_predicts_the_prior(monkeypatch):
    """scikit-learn's AdaBoost refuses to fit when its first member is worse than random (seen
    on KEEL's poker-8_vs_6): RUSBoost then has no member, says so, and scores as the prior."""
    from imblearn.ensemble import RUSBoostClassifier as _RUSBoost

    def refuse(self, X, y, **kwargs):
        raise ValueError("BaseClassifier in AdaBoostClassifier ensemble is worse than random")

    monkeypatch.setattr(_RUSBoost, "fit", refuse)
    X, y = make_classification(200, weights=[0.9], random_state=0)
    with pytest.warns(RuntimeWarning, match="built no member"):
        model = RUSBoostClassifier(random_state=0).fit(X, y)
    assert model.n_estimators_ == 0 and model.n_training_samples_ == 0
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba[:, 1], y.mean())
    assert set(model.predict(X)) == {0}
