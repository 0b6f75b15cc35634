// The server security-page.mjs drives: one route behind an API key and one
// behind a bearer token, each answering the credential only when it is the
// right one, so a 200 in the browser proves Swagger UI sent it.
#include <string>

#include <strata/router/api.hpp>
#include <strata/serve.hpp>

namespace {

using namespace strata::router;
using strata::Task;
using strata::app::HTTPException;

struct Credential {
  std::string credential;
};
BOOST_DESCRIBE_STRUCT(Credential, (), (credential))

Credential checked(const std::string& got, const char* want) {
  if (got != want) throw HTTPException(401, "Wrong credential");
  return {got};
}

}  // namespace

int main(int argc, char** argv) {
  API api({.title = "Secured"});
  api.get("/key", [](APIKeyHeader<"X-API-Key"> key) -> Task<Credential> { co_return checked(*key, "k3y"); });
  api.get("/token", [](HTTPBearer<> bearer) -> Task<Credential> { co_return checked(bearer->credentials, "t0ken"); });
  return strata::serve(api, argc, argv);
}
