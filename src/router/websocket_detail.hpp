// How tier 4's API::websocket works: the handshake request's path, query,
// header and cookie parameters are read with the same machinery as an HTTP
// route's (api_detail.hpp's extract), then the handler gets them with the
// app::WebSocket. Included by api.hpp; not a header to include directly.
#pragma once

#include <tuple>
#include <type_traits>

#include "app/websocket.hpp"

namespace strata::router {

namespace detail {

template <class A>
concept WebSocketArg = std::is_same_v<std::remove_cvref_t<A>, app::WebSocket>;

template <class A>
struct ws_stored {
  using type = std::remove_cvref_t<A>;
};
template <WebSocketArg A>
struct ws_stored<A> {
  using type = app::WebSocket*;
};
template <class Tuple>
struct ws_stored_tuple;
template <class... A>
struct ws_stored_tuple<std::tuple<A...>> {
  using type = std::tuple<typename ws_stored<A>::type...>;
  static constexpr bool ok =
      (((ParamArg<std::remove_cvref_t<A>> && !FormParamArg<std::remove_cvref_t<A>>) || WebSocketArg<A>) && ...);
  static constexpr size_t sockets = (size_t{WebSocketArg<A>} + ... + 0);
};

// The handshake has no body: a Request over it reads none.
class NoBody final : public http::Receive {
 public:
  Task<http::ReceiveEvent> operator()() override { co_return http::ReceiveEvent{http::ReceiveEvent::disconnect, {}, false}; }
};

template <class A, class S>
decltype(auto) ws_pass(S& stored_arg) {
  if constexpr (WebSocketArg<A>) return static_cast<app::WebSocket&>(*stored_arg);
  else return std::move(stored_arg);
}

}  // namespace detail

template <class F>
API& API::websocket(std::string_view path, F handler) {
  using Traits = detail::function_traits<F>;
  using Args = typename Traits::args;
  using Stored = typename detail::ws_stored_tuple<Args>::type;
  static_assert(detail::ws_stored_tuple<Args>::ok,
                "a websocket handler takes app::WebSocket& and Path<>, Query<>, Header<> or Cookie<> parameters");
  static_assert(detail::ws_stored_tuple<Args>::sockets == 1, "a websocket handler takes one app::WebSocket&");
  std::vector<std::string_view> names;
  detail::path_names<Args>(names);
  detail::check_path_params(path, names);
  app_.websocket(path, [fn = std::move(handler)](app::WebSocket& ws) -> Task<void> {
    detail::NoBody no_body;
    app::Request req(ws.scope(), no_body, ws.path_params(), nullptr, 0);
    detail::Solver s(req);
    Stored args;
    std::apply(
        [&](auto&... a) {
          auto one = [&](auto& x) {
            if constexpr (std::is_same_v<std::remove_cvref_t<decltype(x)>, app::WebSocket*>) x = &ws;
            else detail::extract(s, x);
          };
          (one(a), ...);
        },
        args);
    if (!s.errors.empty()) {
      // FastAPI's answer to a handshake whose parameters do not validate:
      // closed before accept (403 on the wire), reason 1008 in its terms.
      co_await ws.close(1008);
      co_return;
    }
    co_await [&]<size_t... I>(std::index_sequence<I...>) {
      return fn(detail::ws_pass<std::tuple_element_t<I, Args>>(std::get<I>(args))...);
    }(std::make_index_sequence<std::tuple_size_v<Args>>{});
  });
  return *this;
}

}  // namespace strata::router
