from socplan.tests.matrix import case, expect

# Territory is public reference data (NSI): everyone reads it, nobody changes it through the app.
CASES = [
    case("region-list", "territory:region-list", expect(200)),
    case("region-detail", "territory:region-detail", expect(200), kwargs=lambda o: {"code": "VTR"}),
    case("region-detail-unknown", "territory:region-detail", expect(404), kwargs=lambda o: {"code": "XXX"}),
    case("municipality-detail", "territory:municipality-detail", expect(200), kwargs=lambda o: {"code": "VTR04"}),
    case("municipality-detail-unknown", "territory:municipality-detail", expect(404), kwargs=lambda o: {"code": "VTR99"}),
    case("api-region-list", "api:region-list", expect(200)),
    case("api-region-detail", "api:region-detail", expect(200), kwargs=lambda o: {"code": "PVN"}),
    case("api-region-detail-unknown", "api:region-detail", expect(404), kwargs=lambda o: {"code": "ZZZ"}),
    case("api-municipality-list", "api:municipality-list", expect(200)),
    case("api-municipality-detail", "api:municipality-detail", expect(200), kwargs=lambda o: {"code": "PVN08"}),
    case("api-settlement-list", "api:settlement-list", expect(200)),
    # Only the national administrator loads NSI's population table.
    case("population-upload", "territory:population-upload", expect(403, anonymous=302, admin=200)),
]
