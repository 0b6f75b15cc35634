// A typed endpoint with a JSON body, in a project of its own: the case that
// did not link when strata's -march reached only strata's own files.
// Usage: consumer --port 0   (0 picks a free one); prints the listening line.
#include <string>

#include <strata/router/api.hpp>
#include <strata/serve.hpp>

struct Item {
  std::string name;
  double price = 0;
};
BOOST_DESCRIBE_STRUCT(Item, (), (name, price))

int main(int argc, char** argv) {
  strata::router::API api;
  api.post("/items", [](strata::router::Body<Item> item) -> strata::Task<Item> {
    co_return Item{item->name + "!", item->price * 2};
  });
  return strata::serve(api, argc, argv);
}
