"""The one vocabulary: every package's lists are the lists of :mod:`safetynet.codes`."""

from __future__ import annotations

from safetynet import codes
from safetynet.feeds.specs import SPECS, get_spec
from safetynet.monitoring.params import INDICATORS, LEVELS
from safetynet.policy.medical import DIBAO_CLASSES, GROUPS
from safetynet.registry import categories
from safetynet.synth import feeds as synth_feeds
from safetynet.synth import tables


def test_feed_specs_follow_the_codes() -> None:
    assert tuple(SPECS) == codes.FEED_SOURCES == INDICATORS == synth_feeds.SOURCES
    assert set(codes.FEED_SOURCE_LABELS) == set(codes.FEED_SOURCES)
    assert get_spec("disability").field("disability_type").allowed == list(codes.DISABILITY_TYPES)
    assert get_spec("relapse").field("subtype").allowed == list(codes.RELAPSE_SUBTYPES)
    assert get_spec("relapse").field("reason").allowed == list(codes.RELAPSE_REASONS)
    assert get_spec("university").field("level").allowed == list(codes.UNIVERSITY_LEVELS)


def test_synthetic_files_write_the_spec_headings_and_code_names() -> None:
    for source in codes.FEED_SOURCES:
        assert synth_feeds.COLUMNS[source] == get_spec(source).headings
    # every Chinese name the generator writes is accepted by the feed spec as that code
    spec_types = get_spec("disability").field("disability_type").codes
    assert [spec_types[zh] for zh in tables.DISABILITY_TYPES] == list(codes.DISABILITY_TYPES)
    subtypes = get_spec("relapse").field("subtype").codes
    assert [subtypes[zh] for zh in tables.RELAPSE_SUBTYPES] == list(codes.RELAPSE_SUBTYPES)


def test_registry_policy_and_monitoring_share_the_lists() -> None:
    assert categories.CATEGORIES is codes.CATEGORIES
    assert set(codes.RELAPSE_SUBTYPES) <= set(codes.CATEGORIES)
    assert tuple(categories.MEDICAL_GROUPS) == GROUPS
    assert tuple(categories.DIBAO_CLASSES) == DIBAO_CLASSES
    assert LEVELS == codes.LEVELS == tuple(codes.LEVEL_LABELS)
    # the registry import still accepts the group names its template used before
    lookup = categories.lookup_table(categories.MEDICAL_GROUPS, categories.ALIASES["medical_group"])
    assert lookup["过渡期脱贫人口"] == "transition_lifted"
    assert lookup["低保边缘人口"] == "dibao_edge"
    assert lookup["过渡期内已脱贫人口"] == "transition_lifted"
