// Exception handlers registered by status code and by exception type:
// Starlette's `exception_handlers`. Registered on an Application:
//
//   api.exception_handler(404, [](app::Request& req, const app::HTTPException& e) -> Task<app::Response> {
//     co_return app::Response::json(R"({"missing":")" + std::string(req.path()) + "\"}", 404);
//   });
//   api.exception_handler<QuotaExceeded>([](app::Request&, const QuotaExceeded& e) -> Task<app::Response> {
//     co_return app::Response::text(e.what(), 429);
//   });
//
// Which handler runs:
//  - An HTTPException: the handler for its status if there is one (this
//    includes the router's own 404 and 405, raised as HTTPExceptions once a
//    status handler exists), else a type handler that matches, else the
//    plain response it describes, as without handlers.
//  - Any other exception: the first type handler, in registration order,
//    whose type it is or derives from (register a derived type before its
//    base; Starlette picks the nearest class, which C++ cannot ask for).
//    None: it goes on to server_errors, a logged 500.
//  - An exception thrown by a handler goes on to server_errors too.
//  - After the response has started, no handler runs: the exception goes
//    on and the connection is closed, as in Starlette.
// The handler gets a Request over the same scope (no path parameters; the
// body may already have been read) and the exception, valid until its Task
// ends. Handlers are coroutines, run on the loop.
#pragma once

#include <exception>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "app/http_exception.hpp"
#include "app/middleware.hpp"
#include "app/request.hpp"
#include "app/response.hpp"

namespace strata::app {

struct ExceptionHandlers {
  using StatusHandler = std::function<Task<Response>(Request&, const HTTPException&)>;
  // The handler's Task if `error` is of its type, else nullopt.
  using TypeHandler = std::function<std::optional<Task<Response>>(Request&, const std::exception_ptr& error)>;

  std::vector<std::pair<int, StatusHandler>> by_status;
  std::vector<TypeHandler> by_type;

  template <class E, class F>
  void add_type(F handler) {
    by_type.push_back([h = std::move(handler)](Request& req, const std::exception_ptr& error)
                          -> std::optional<Task<Response>> {
      try {
        std::rethrow_exception(error);
      } catch (const E& e) {
        // `e` is the object `error` owns, which the caller keeps alive.
        return std::optional<Task<Response>>(h(req, e));
      } catch (...) {
        return std::nullopt;
      }
    });
  }
  bool empty() const { return by_status.empty() && by_type.empty(); }
};

// The innermost middleware when handlers are registered, in place of
// http_exceptions(). `handlers` must outlive the app it returns.
Middleware exception_handlers(const ExceptionHandlers& handlers);

}  // namespace strata::app
