"""Merging the services' API descriptions: names kept apart, each path from its owner only."""

from kasa_gateway.domain.openapi_merge import REF_PREFIX, merge, owner_of


def test_clashing_schema_names_are_kept_apart():
    def doc(path, field):
        return {
            "paths": {
                path: {
                    "get": {
                        "responses": {
                            "200": {
                                "content": {
                                    "application/json": {"schema": {"$ref": REF_PREFIX + "Out"}}
                                }
                            }
                        }
                    }
                }
            },
            "components": {"schemas": {"Out": {"properties": {field: {"type": "string"}}}}},
        }

    merged = merge(
        {"ledger": doc("/api/v1/transactions", "a"), "audit": doc("/api/v1/audit-events", "b")},
        title="t",
        version="1",
    )
    schemas = merged["components"]["schemas"]
    assert {"Out", "ledger_Out"} <= schemas.keys()
    ledger_ref = merged["paths"]["/api/v1/transactions"]["get"]["responses"]["200"]["content"]
    assert ledger_ref["application/json"]["schema"]["$ref"] == REF_PREFIX + "ledger_Out"


def test_only_routes_the_gateway_sends_to_a_service_are_taken_from_it():
    assert owner_of("/api/v1/transactions/{id}") == "ledger"
    assert owner_of("/portal/{token}") == "invoicing"
    assert owner_of("/api/v1/auth/token") is None
    merged = merge(
        {"ledger": {"paths": {"/api/v1/syncs": {"get": {"responses": {}}}}}},
        title="t",
        version="1",
    )
    assert merged["paths"] == {}, "ledger cannot claim another service's family"
