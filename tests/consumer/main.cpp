// A typed endpoint with a JSON body, in a project of its own: the case that
// did not link when strata's -march reached only strata's own files.
// Usage: consumer PORT   (0 picks a free one); prints the listening line.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <strata/loop/server.hpp>
#include <strata/parser/http_server.hpp>
#include <strata/router/api.hpp>

struct Item {
  std::string name;
  double price = 0;
};
BOOST_DESCRIBE_STRUCT(Item, (), (name, price))

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  strata::router::API api;
  api.post("/items", [](strata::router::Body<Item> item) -> strata::Task<Item> {
    co_return Item{item->name + "!", item->price * 2};
  });
  strata::loop::ServerConfig server;
  server.port = static_cast<uint16_t>(argc > 1 ? std::atoi(argv[1]) : 0);
  strata::loop::Server srv(server, strata::http::http_workers({}, api.factory()));
  std::string error;
  if (!srv.listen(error)) {
    std::fprintf(stderr, "consumer: %s\n", error.c_str());
    return 1;
  }
  std::printf("listening on http://%s:%u tier=typed\n", server.host.c_str(), srv.port());
  std::fflush(stdout);
  return srv.run();
}
