// Security schemes (tier 4, FastAPI's fastapi.security): handler or
// dependency parameters that read a credential from the request, answer for
// themselves when it is missing, and describe themselves in OpenAPI.
//
//   // FastAPI: api_key = APIKeyHeader(name="X-API-Key")
//   //          def verify(key: str = Security(api_key)): ...
//   void verify(APIKeyHeader<"X-API-Key"> key) {
//     if (*key != secret) throw app::HTTPException(401, "Invalid API key");
//   }
//   api.post("/items", [](Depends<verify>, Body<Item> item) -> Item { ... });
//
// Each scheme holds what it read as `value` (also `*`, `->`), and is listed
// under components/securitySchemes (keyed by its scheme name, the class name
// unless given) with a `security` requirement on every operation that uses
// it, directly or through a dependency, so Swagger UI shows its Authorize
// button. The credential is only read, never checked: checking it is the
// application's dependency, as in FastAPI.
//
// Missing or malformed credentials end the request before any handler runs,
// with FastAPI's answers (the FastAPI Debian ships, which the benchmark's
// twin runs):
//   APIKeyHeader/APIKeyQuery/APIKeyCookie<Name>  absent or empty: 403 "Not authenticated"
//   HTTPBearer<>     no "Authorization: <scheme> <credentials>": 403 "Not authenticated";
//                    a scheme other than bearer: 403 "Invalid authentication credentials"
//   HTTPBasic<Realm> no "Authorization: Basic ...": 401 "Not authenticated";
//                    not base64 of ASCII "user:password": 401 "Invalid authentication
//                    credentials"; both with WWW-Authenticate: Basic[ realm="<Realm>"]
//   OAuth2PasswordBearer<TokenUrl>  no "Authorization: Bearer ...": 401 "Not authenticated"
//                    with WWW-Authenticate: Bearer; the value is the token
// With AutoError = false (FastAPI's auto_error=False) nothing is answered:
// the value is a std::optional, empty when the credential is missing.
// Scheme names (in Authorization headers) compare without regard to case.
//
// Two different schemes may not share a scheme name in one API:
// std::invalid_argument when the second route is added.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "app/request.hpp"
#include "common/text.hpp"
#include "router/params.hpp"

namespace strata::router {

// What HTTPBearer reads: "Authorization: Bearer abc" is {"Bearer", "abc"}.
struct HTTPAuthorizationCredentials {
  std::string scheme;
  std::string credentials;
};

// What HTTPBasic reads.
struct HTTPBasicCredentials {
  std::string username;
  std::string password;
};

namespace detail {

// "Bearer abc" -> {"Bearer", "abc"}: split at the first space, as FastAPI's
// get_authorization_scheme_param does (no Authorization header: both empty).
std::pair<std::string_view, std::string_view> authorization_scheme_param(const app::Request& req);

// The API key of an APIKey* scheme: nullopt when absent or empty.
std::optional<std::string> api_key(const app::Request& req, Source in, std::string_view name);

// Throws app::HTTPException(status, detail) with WWW-Authenticate when not empty.
[[noreturn]] void not_authenticated(int status, std::string_view detail, std::string www_authenticate = {});

// "dXNlcjpwYXNz" -> {"user", "pass"}: Python's b64decode (characters outside
// the alphabet skipped, padding required), then ASCII, then split at the
// first ':'. nullopt where FastAPI answers "Invalid authentication credentials".
std::optional<HTTPBasicCredentials> basic_credentials(std::string_view param);

// The securitySchemes entries.
std::string api_key_scheme(Source in, std::string_view name);
std::string oauth2_password_scheme(std::string_view token_url);

template <bool AutoError, class T>
using credential = std::conditional_t<AutoError, T, std::optional<T>>;

// Stores what was read, or answers when nothing was and AutoError is on.
template <bool AutoError, class T, class Fail>
void settle(std::optional<T> read, credential<AutoError, T>& out, Fail fail) {
  if constexpr (AutoError) {
    if (!read) fail();
    out = std::move(*read);
  } else {
    out = std::move(read);
  }
}

}  // namespace detail

// The part every scheme shares: what api_detail.hpp's solver and the
// OpenAPI writer look for.
template <class T, fixed_string SchemeName>
struct SecurityScheme : Holder<T> {
  static constexpr bool is_security_scheme = true;
  static constexpr std::string_view scheme_name() { return SchemeName.view(); }
};

template <Source In, fixed_string Name, bool AutoError, fixed_string SchemeName>
struct APIKey : SecurityScheme<detail::credential<AutoError, std::string>, SchemeName> {
  static std::string scheme() { return detail::api_key_scheme(In, Name.view()); }
  void read(const app::Request& req) {
    detail::settle<AutoError>(detail::api_key(req, In, Name.view()), this->value,
                              [] { detail::not_authenticated(403, "Not authenticated"); });
  }
};

template <fixed_string Name, bool AutoError = true, fixed_string SchemeName = fixed_string{"APIKeyHeader"}>
using APIKeyHeader = APIKey<Source::header, Name, AutoError, SchemeName>;
template <fixed_string Name, bool AutoError = true, fixed_string SchemeName = fixed_string{"APIKeyQuery"}>
using APIKeyQuery = APIKey<Source::query, Name, AutoError, SchemeName>;
template <fixed_string Name, bool AutoError = true, fixed_string SchemeName = fixed_string{"APIKeyCookie"}>
using APIKeyCookie = APIKey<Source::cookie, Name, AutoError, SchemeName>;

template <bool AutoError = true, fixed_string SchemeName = fixed_string{"HTTPBearer"}>
struct HTTPBearer : SecurityScheme<detail::credential<AutoError, HTTPAuthorizationCredentials>, SchemeName> {
  static std::string scheme() { return R"({"type":"http","scheme":"bearer"})"; }
  void read(const app::Request& req) {
    const auto [scheme, credentials] = detail::authorization_scheme_param(req);
    std::optional<HTTPAuthorizationCredentials> read;
    if (!scheme.empty() && !credentials.empty()) {
      if (!text::iequals(scheme, "bearer")) {
        if constexpr (!AutoError) {
          this->value.reset();
          return;
        }
        detail::not_authenticated(403, "Invalid authentication credentials");
      }
      read = HTTPAuthorizationCredentials{std::string(scheme), std::string(credentials)};
    }
    detail::settle<AutoError>(std::move(read), this->value,
                              [] { detail::not_authenticated(403, "Not authenticated"); });
  }
};

template <fixed_string Realm = fixed_string{""}, bool AutoError = true,
          fixed_string SchemeName = fixed_string{"HTTPBasic"}>
struct HTTPBasic : SecurityScheme<detail::credential<AutoError, HTTPBasicCredentials>, SchemeName> {
  static std::string scheme() { return R"({"type":"http","scheme":"basic"})"; }
  static std::string challenge() {
    if constexpr (Realm.view().empty()) return "Basic";
    else return "Basic realm=\"" + std::string(Realm.view()) + "\"";
  }
  void read(const app::Request& req) {
    const auto [scheme, param] = detail::authorization_scheme_param(req);
    if (scheme.empty() || !text::iequals(scheme, "basic")) {
      detail::settle<AutoError>(std::optional<HTTPBasicCredentials>{}, this->value,
                                [] { detail::not_authenticated(401, "Not authenticated", challenge()); });
      return;
    }
    // Malformed credentials are answered even without auto_error, as FastAPI does.
    auto credentials = detail::basic_credentials(param);
    if (!credentials) detail::not_authenticated(401, "Invalid authentication credentials", challenge());
    this->value = std::move(*credentials);
  }
};

template <fixed_string TokenUrl, bool AutoError = true, fixed_string SchemeName = fixed_string{"OAuth2PasswordBearer"}>
struct OAuth2PasswordBearer : SecurityScheme<detail::credential<AutoError, std::string>, SchemeName> {
  static std::string scheme() { return detail::oauth2_password_scheme(TokenUrl.view()); }
  void read(const app::Request& req) {
    const auto [scheme, param] = detail::authorization_scheme_param(req);
    std::optional<std::string> token;
    if (!scheme.empty() && text::iequals(scheme, "bearer")) token = std::string(param);
    detail::settle<AutoError>(std::move(token), this->value, [] {
      detail::not_authenticated(401, "Not authenticated", "Bearer");
    });
  }
};

}  // namespace strata::router
