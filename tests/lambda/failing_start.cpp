// A function whose app cannot start: its start-up hook throws, as one
// whose database is unreachable would. The runtime tests check that the
// Runtime API hears of it through /runtime/init/error.
#include <stdexcept>

#include "app/application.hpp"
#include "lambda/lambda.hpp"

int main() {
  strata::app::Application app;
  app.on_startup([] { throw std::runtime_error("the database is unreachable"); });
  return strata::lambda::run(app);
}
