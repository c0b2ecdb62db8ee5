"""S12: Schemathesis drives the public JSON API in-process from its own OpenAPI description.

Generated requests (any path text for ``ref``, any ``level``/``cluster`` strings — those the
schema allows and many it does not) must never get a 5xx, and every response must conform to
the declared status codes, content type and response schema. (Schemathesis' pytest plugin
does not support this pytest version, so each operation's Hypothesis strategy is run here.)
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.public_helpers import BANDS, cluster, publish

schemathesis = pytest.importorskip("schemathesis")


def test_api_conforms_to_its_description(app, factory):
    a, b = factory.unit(code="001", name="Quận Ba Đình"), factory.unit(code="002", name="Quận Hoàn Kiếm")
    camp = factory.campaign(units=[a, b], slug="api", name="Thi đua API", settings={"bands": BANDS})
    c1 = cluster(camp, "C1", "Cụm Một")
    publish(camp, [(a, 70, 1, {"I": 40, "II": 30}, c1, 1), (b, 60, 2, {"I": 30, "II": 30}, c1, 2)])
    camp_id = camp.id
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 2  # campaigns, leaderboard (and the description itself)
    statuses: list[tuple[str, int]] = []

    for operation in operations:
        @given(case=operation.as_strategy(), real=st.sampled_from([None, "api", str(camp_id)]))
        @settings(max_examples=80, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def conforms(case, real):
            if real and case.path_parameters and "ref" in case.path_parameters:
                case.path_parameters["ref"] = real  # also hit the published campaign, not only 404s
            # in-process WSGI calls decode no Content-Encoding: ask for the plain body (gzip: test_api_leaderboard_paging)
            response = case.call_and_validate(headers={"Accept-Encoding": "identity"})
            statuses.append((case.operation.label, response.status_code))

        conforms()
    assert statuses and all(code < 500 for _op, code in statuses)
    leaderboard = [code for op, code in statuses if "leaderboard" in op]
    assert 200 in leaderboard and 404 in leaderboard  # real results and refusals were both validated
