import copy

from orderproof import registry
from orderproof.checks.bodies import request_example
from orderproof.core.paths import spec_document


def test_a_request_example_is_a_copy_the_shared_spec_never_sees_changed():
    api = registry.get("sportsbook-order")
    before = copy.deepcopy(spec_document(api.spec_path))
    example = request_example(api.spec_path, api.path, api.method)
    example["optionArray"][0]["gameName"] = {}
    example.clear()
    assert spec_document(api.spec_path) == before
    assert request_example(api.spec_path, api.path, api.method)["optionArray"][0]["gameName"] != {}
