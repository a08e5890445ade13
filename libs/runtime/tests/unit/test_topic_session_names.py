import pytest
from civic_runtime.admin import registry_topics
from civic_runtime.topic_sessions import SESSION_TOPIC, UNCLAIMED_TOPIC

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("prefix", ["", "staging.", "council-a.", "t.", "bench."])
def test_the_platforms_topics_match_no_throwaway_pattern(prefix: str) -> None:
    for name, _ in registry_topics(prefix):
        assert SESSION_TOPIC.match(name) is None
        assert UNCLAIMED_TOPIC.match(name) is None


def test_a_session_topic_names_its_owner_and_session() -> None:
    found = SESSION_TOPIC.match("t-0a1b2c-00112233aabb-7.cases.lifecycle.v1.dlq")
    assert found is not None
    assert (found["owner"], found["session"]) == ("0a1b2c", "00112233aabb")


@pytest.mark.parametrize("prefix", ["t0123456789.", "e2e0123abcd.", "b0123abcd.", "bench0123abcd."])
def test_prefixes_from_before_sessions_are_unclaimed(prefix: str) -> None:
    assert UNCLAIMED_TOPIC.match(prefix + "cases.lifecycle.v1")
