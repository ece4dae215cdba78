from socplan.tests.matrix import case, expect

CASES = [
    case("home", "core:home", expect(200)),
    case("healthz", "core:healthz", expect(200)),
    case("login-page", "core:login", expect(302, anonymous=200)),
    case("logout", "core:logout", expect(302), method="post"),
    case("two-factor", "core:two-factor", expect(200, anonymous=302)),
    case("api-schema", "api:schema", expect(200)),
    case("api-docs", "api:docs", expect(200)),
    case("api-redoc", "api:redoc", expect(200)),
]
