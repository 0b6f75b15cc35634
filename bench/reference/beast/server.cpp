// Peer row of `strata bench`: Boost.Beast's fast-server pattern for the
// user scenario (seed 003's POST /user) and seed 002's greetings: one
// thread, one io_context, each connection a chain of asynchronous reads
// and writes over a flat buffer that keeps its capacity, the JSON decoded
// with simdjson's on-demand API (strata's own decoder) into a User and
// encoded back by hand. Built by `strata bench --peers beast` at start
// (g++ -O2 against Debian's Boost and simdjson), not by the project's build.
// Usage: strata-beast-peer [--host H] [--port N]   (N = 0 picks a free port)
// Prints "listening on http://HOST:PORT tier=beast"; SIGINT/SIGTERM exit 0.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::string_view kText = "text/plain; charset=utf-8";

void json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket socket) : socket_(std::move(socket)) {}
  void start() { read(); }

 private:
  tcp::socket socket_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
  simdjson::ondemand::parser parser_;
  simdjson::padded_string body_;

  void read() {
    req_ = {};
    http::async_read(socket_, buffer_, req_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      self->answer();
    });
  }

  void answer() {
    res_ = {};
    res_.version(req_.version());
    res_.keep_alive(req_.keep_alive());
    res_.set(http::field::server, "beast");
    const std::string_view target = req_.target();
    if (req_.method() == http::verb::post && target == "/user") {
      user();
    } else if (req_.method() == http::verb::get && target.substr(0, target.find('?')) == "/index") {
      const size_t at = target.find("name=");
      const std::string_view name = at == std::string_view::npos ? "" : target.substr(at + 5);
      reply(http::status::ok, kText, name.empty() ? "Hello ASGI World!" : "Hello " + std::string(name.substr(0, name.find('&'))));
    } else {
      reply(http::status::ok, kText, "Hello ASGI World!");
    }
    http::async_write(socket_, res_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || !self->res_.keep_alive()) return self->close();
      self->read();
    });
  }

  void user() {
    body_ = simdjson::padded_string(req_.body());
    simdjson::ondemand::document doc;
    int64_t id = 0;
    std::string_view name, email;
    if (parser_.iterate(body_).get(doc) || doc["id"].get_int64().get(id) || doc["name"].get_string().get(name) ||
        doc["email"].get_string().get(email))
      return reply(http::status::unprocessable_entity, kText, "expected {id: int, name: str, email: str}");
    std::string out = "{\"id\":" + std::to_string(id) + ",\"name\":";
    json_string(out, name);
    out += ",\"email\":";
    json_string(out, email);
    out += "}";
    reply(http::status::ok, "application/json", std::move(out));
  }

  void reply(http::status status, std::string_view type, std::string body) {
    res_.result(status);
    res_.set(http::field::content_type, type);
    res_.body() = std::move(body);
    res_.prepare_payload();
  }

  void close() {
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
  }
};

void accept(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](beast::error_code ec, tcp::socket socket) {
    if (!ec) {
      socket.set_option(tcp::no_delay(true));
      std::make_shared<Session>(std::move(socket))->start();
    }
    if (acceptor.is_open()) accept(acceptor);
  });
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  unsigned short port = 8000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--host") == 0) host = argv[i + 1];
    else if (std::strcmp(argv[i], "--port") == 0) port = static_cast<unsigned short>(std::atoi(argv[i + 1]));
    else {
      std::fprintf(stderr, "strata-beast-peer: unknown option '%s'\n", argv[i]);
      return 2;
    }
  }
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  beast::error_code ec;
  const tcp::endpoint endpoint{asio::ip::make_address(host, ec), port};
  if (ec || acceptor.open(endpoint.protocol(), ec) || acceptor.set_option(asio::socket_base::reuse_address(true), ec) ||
      acceptor.bind(endpoint, ec) || acceptor.listen(asio::socket_base::max_listen_connections, ec)) {
    std::fprintf(stderr, "strata-beast-peer: cannot listen on %s:%u: %s\n", host.c_str(), port, ec.message().c_str());
    return 1;
  }
  std::printf("listening on http://%s:%u tier=beast\n", host.c_str(), acceptor.local_endpoint().port());
  std::fflush(stdout);
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) {
    acceptor.close();
    ioc.stop();
  });
  accept(acceptor);
  ioc.run();
  return 0;
}
