#include "app/gzip.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/text.hpp"

namespace strata::app {

namespace {

bool is_zero_q(std::string_view q) {
  // RFC 9110 12.4.2: qvalue = "0" [ "." 0*3DIGIT ] / "1" [ "." 0*3("0") ]
  if (q.empty() || q.front() != '0') return false;
  for (char c : q.substr(1))
    if (c != '.' && c != '0') return false;
  return true;
}

}  // namespace

bool accepts_gzip(std::string_view header) {
  std::optional<bool> gzip, any;
  while (!header.empty()) {
    const size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    const size_t semi = item.find(';');
    const std::string_view coding = text::trim_ows(item.substr(0, semi));
    bool zero = false;
    for (std::string_view params = semi == std::string_view::npos ? std::string_view{} : item.substr(semi + 1);
         !params.empty();) {
      const size_t next = params.find(';');
      const std::string_view p = text::trim_ows(params.substr(0, next));
      params = next == std::string_view::npos ? std::string_view{} : params.substr(next + 1);
      if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') zero = is_zero_q(text::trim_ows(p.substr(2)));
    }
    if (text::iequals(coding, "gzip") || text::iequals(coding, "x-gzip")) gzip = !zero;
    else if (coding == "*") any = !zero;
  }
  return gzip ? *gzip : any.value_or(false);
}

namespace {

bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    if (text::iequals(text::trim_ows(list.substr(0, comma)), token)) return true;
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
  return false;
}

// Holds the response start until the first body event says whether to
// compress: a one-piece body below minimum_size is sent as it is.
class GZipSend final : public ForwardingSend {
 public:
  GZipSend(http::Send& inner, const GZipOptions& o) : ForwardingSend(inner), o_(o) {}
  ~GZipSend() override {
    if (z_ready_) deflateEnd(&z_);
  }

  Task<void> start(http::ResponseStart r) override {
    started_ = true;
    bool identity = r.status < 200 || r.status == 204 || r.status == 304 || r.status == 206;
    for (const http::Header& h : r.headers) {
      if (text::iequals(h.name, "content-encoding") || text::iequals(h.name, "content-range")) identity = true;
      if (text::iequals(h.name, "content-type") && h.value.size() >= 17 &&
          text::iequals(h.value.substr(0, 17), "text/event-stream"))
        identity = true;
    }
    if (identity) {
      mode_ = Mode::identity;
      co_await inner_.start(r);
      co_return;
    }
    // The views in `r` die when this returns: keep copies until decided.
    status_ = r.status;
    for (const http::Header& h : r.headers) headers_.emplace_back(h.name, h.value);
  }

  Task<void> body(http::ResponseBody b) override {
    if (mode_ == Mode::identity) {
      co_await inner_.body(b);
      co_return;
    }
    if (mode_ == Mode::undecided) {
      if (!b.more_body && b.bytes.size() < o_.minimum_size) {
        mode_ = Mode::identity;
        co_await send_held_start(false);
        co_await inner_.body(b);
        co_return;
      }
      mode_ = Mode::gzip;
      if (deflateInit2(&z_, o_.compresslevel, Z_DEFLATED, 15 + 16 /* gzip wrapper */, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::bad_alloc();
      z_ready_ = true;
      deflate_into(b.bytes, b.more_body ? Z_SYNC_FLUSH : Z_FINISH);
      co_await send_held_start(true, b.more_body);
      if (!out_.empty() || !b.more_body) co_await inner_.body({out_, b.more_body});
      co_return;
    }
    deflate_into(b.bytes, b.more_body ? Z_SYNC_FLUSH : Z_FINISH);
    // An empty piece would be the chunked encoding's terminator in spirit
    // only; tier 2 skips it, but there is no reason to send it at all.
    if (!out_.empty() || !b.more_body) co_await inner_.body({out_, b.more_body});
  }

  // A file that is compressed is read into body(); one sent as it is
  // (a range, an excluded type) stays zero-copy.
  Task<void> file(http::ResponseFile f) override {
    if (mode_ == Mode::identity) return inner_.file(f);
    return http::Send::file(f);
  }

  // The app ended after start without a body event: pass the start on,
  // so the server ends the response as it would without this middleware.
  Task<void> finish() {
    if (mode_ == Mode::undecided && status_ != 0) {
      mode_ = Mode::identity;
      co_await send_held_start(false);
    }
  }

 private:
  Task<void> send_held_start(bool compressed, bool streaming = false) {
    std::vector<http::Header> hs;
    hs.reserve(headers_.size() + 3);
    bool vary_done = false;
    std::string vary;
    for (const auto& [n, v] : headers_) {
      if (compressed && text::iequals(n, "content-length")) continue;
      if (compressed && text::iequals(n, "vary") && !vary_done) {
        vary_done = true;
        vary = v;
        if (!has_token(v, "accept-encoding") && !has_token(v, "*")) vary.append(vary.empty() ? "" : ", ").append("Accept-Encoding");
        hs.push_back({n, vary});
        continue;
      }
      hs.push_back({n, v});
    }
    char len[24];
    if (compressed) {
      hs.push_back({"content-encoding", "gzip"});
      if (!vary_done) hs.push_back({"vary", "Accept-Encoding"});
      if (!streaming) {
        const int n = std::snprintf(len, sizeof len, "%zu", out_.size());
        hs.push_back({"content-length", {len, static_cast<size_t>(n)}});
      }
    }
    co_await inner_.start({status_, hs});
  }

  // Compresses `in` into out_ (replacing what it held).
  void deflate_into(std::string_view in, int flush) {
    out_.clear();
    // avail_in is 32 bits: feed a very large piece in slices.
    constexpr size_t slice = size_t{1} << 30;
    do {
      const std::string_view part = in.substr(0, slice);
      in.remove_prefix(part.size());
      const int mode = in.empty() ? flush : Z_NO_FLUSH;
      z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(part.data()));
      z_.avail_in = static_cast<uInt>(part.size());
      size_t room = std::max<size_t>(deflateBound(&z_, part.size()), 4096);
      for (;;) {
        const size_t have = out_.size();
        out_.resize(have + room);
        z_.next_out = reinterpret_cast<Bytef*>(out_.data() + have);
        z_.avail_out = static_cast<uInt>(room);
        const int rc = deflate(&z_, mode);
        out_.resize(have + room - z_.avail_out);
        if (rc == Z_STREAM_END) break;
        if (rc != Z_OK && rc != Z_BUF_ERROR) throw std::runtime_error("gzip: deflate failed");
        if (mode != Z_FINISH && z_.avail_out != 0 && z_.avail_in == 0) break;
        room = 64 * 1024;
      }
    } while (!in.empty());
  }

  enum class Mode { undecided, identity, gzip };
  const GZipOptions& o_;
  Mode mode_ = Mode::undecided;
  int status_ = 0;
  std::vector<std::pair<std::string, std::string>> headers_;
  z_stream z_{};
  bool z_ready_ = false;
  std::string out_;
};

}  // namespace

Middleware gzip(GZipOptions o) {
  if (o.compresslevel < 1 || o.compresslevel > 9)
    throw std::invalid_argument("gzip: compresslevel must be 1..9, not " + std::to_string(o.compresslevel));
  return [o](http::App next) -> http::App {
    return [next = std::move(next), o](const http::Scope& scope, http::Receive& receive,
                                       http::Send& send) -> Task<void> {
      if (!accepts_gzip(scope.header("accept-encoding"))) {
        co_await next(scope, receive, send);
        co_return;
      }
      GZipSend gz(send, o);
      co_await next(scope, receive, gz);
      co_await gz.finish();
    };
  };
}

}  // namespace strata::app
