#include "parser/http1_internal.hpp"

#include <arpa/inet.h>
#include <unistd.h>
#include <netinet/in.h>

#include <uv.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "common/text.hpp"
#include "common/url.hpp"
#include "parser/websocket_session.hpp"

namespace strata::http {

namespace {

using text::ascii_lower;
using text::iequals;
constexpr auto trim = text::trim_ows;

// Character classes as 256-entry tables: one load per byte on paths that
// run for every request (response headers, Host).
struct CharClass {
  bool in[256] = {};
  constexpr CharClass(const char* extra, bool alnum) {
    for (int c = 0; alnum && c < 256; ++c)
      in[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    for (; *extra; ++extra) in[static_cast<unsigned char>(*extra)] = true;
  }
  bool all(std::string_view v) const {
    for (char c : v)
      if (!in[static_cast<unsigned char>(c)]) return false;
    return true;
  }
};
constexpr CharClass host_chars("-._~!$&'()*+,;=:%[]", true);  // RFC 3986 reg-name, IP literal, port
constexpr CharClass token_chars("!#$%&'*+-.^_`|~", true);      // RFC 9110 token
constexpr CharClass field_value_chars = [] {
  CharClass c("", false);
  for (int i = 0; i < 256; ++i) c.in[i] = i != '\r' && i != '\n' && i != 0;
  return c;
}();

// A field-name byte lower-cased, or 0 when it is not a token character: one
// load per byte both checks a name and lower-cases it in place.
struct LowerToken {
  unsigned char to[256] = {};
  constexpr LowerToken() {
    for (int c = 0; c < 256; ++c)
      if (token_chars.in[c]) to[c] = static_cast<unsigned char>(ascii_lower(static_cast<char>(c)));
  }
};
constexpr LowerToken lower_token;

bool valid_host(std::string_view v) { return host_chars.all(v); }

// Transfer-Encoding we can decode: "chunked", once, and nothing else.
bool supported_transfer_coding(std::string_view v) {
  int chunked = 0;
  while (!v.empty()) {
    const size_t comma = v.find(',');
    const std::string_view coding = trim(v.substr(0, comma));
    v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
    if (coding.empty()) continue;
    if (!iequals(coding, "chunked")) return false;
    ++chunked;
  }
  return chunked == 1;
}

bool valid_field_name(std::string_view n) { return !n.empty() && token_chars.all(n); }

bool valid_field_value(std::string_view v) { return field_value_chars.all(v); }

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

void append_hex(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v, 16);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

Protocol& self(llhttp_t* p) { return *static_cast<Protocol*>(p->data); }

// One text per limit, whichever check meets it first (it depends on how
// the bytes were cut), so the answer does not.
constexpr const char* kFramingTooLong = "chunk-size line or chunk extensions are too long";
constexpr const char* kTrailersTooLarge = "trailer section is too large";

}  // namespace

// ------------------------------------------------------------ helpers

void format_http_date(std::time_t t, char out[29]) {
  static const char days[] = "SunMonTueWedThuFriSat";
  static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];  // wide enough for any int fields, so the format cannot truncate
  std::snprintf(buf, sizeof buf, "%.3s, %02d %.3s %04d %02d:%02d:%02d GMT", days + 3 * tm.tm_wday, tm.tm_mday,
                months + 3 * tm.tm_mon, tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  std::memcpy(out, buf, 29);
}

uint64_t Context::now() const { return loop ? uv_now(loop) : now_ms; }

void Context::refresh_date(std::time_t now) {
  if (now == date_second && date_line[0] != 0) return;
  date_second = now;
  std::memcpy(date_line, "Date: ", 6);
  format_http_date(now, date_line + 6);
  std::memcpy(date_line + 35, "\r\n", 2);
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "";
  }
}

// ------------------------------------------------------------ setup

const llhttp_settings_t Protocol::settings = [] {
  llhttp_settings_t s;
  llhttp_settings_init(&s);
  s.on_message_begin = cb_message_begin;
  s.on_url = cb_url;
  s.on_header_field = cb_header_field;
  s.on_header_field_complete = cb_header_field_complete;
  s.on_header_value = cb_header_value;
  s.on_header_value_complete = cb_header_value_complete;
  s.on_headers_complete = cb_headers_complete;
  s.on_body = cb_body;
  s.on_message_complete = cb_message_complete;
  s.on_chunk_header = cb_chunk_header;
  s.on_chunk_extension_name = cb_chunk_extension;
  s.on_chunk_extension_value = cb_chunk_extension;
  return s;
}();

Protocol::Protocol(loop::Stream& s, Context& ctx) : s_(s), ctx_(ctx), opt_(ctx.options) {
  llhttp_init(&parser_, HTTP_REQUEST, &settings);
  parser_.data = this;
  header_spans_.resize(opt_.max_headers + 1);
  headers_.reserve(opt_.max_headers);
  idle_since_ms_ = ctx_.now_ms;
}

Protocol::~Protocol() = default;

// ------------------------------------------------------------ llhttp callbacks

int Protocol::extend(Span& sp, const char* at, size_t len) {
  const auto rel = static_cast<uint32_t>(at - (s_.in.data() + base_));
  // Pieces of one span arrive adjacent: reads append to the same buffer,
  // which is never compacted while a request head is being parsed. The one
  // exception is obs-fold, a value continued on the next line: refused, so
  // the app never sees a CR or LF in a value (RFC 9112 5.2 allows that).
  if (sp.len == 0) sp.off = rel;
  else if (rel != sp.off + sp.len) {
    error_status_ = 400;
    error_reason_ = "obsolete line folding is not accepted";
    return HPE_USER;
  }
  sp.len += static_cast<uint32_t>(len);
  if (rel + len > head_end_) head_end_ = rel + static_cast<uint32_t>(len);
  if (rel + len > opt_.max_head_bytes) {
    error_status_ = 431;
    error_reason_ = "request line and headers are too large";
    return HPE_USER;
  }
  return 0;
}

int Protocol::cb_message_begin(llhttp_t* p) {
  Protocol& c = self(p);
  c.phase_ = Phase::head;
  c.is_head_ = false;  // an error answer to this request has a body, whatever the last one was
  c.head_started_ms_ = c.ctx_.now();
  c.url_ = {};
  c.nheaders_ = 0;
  c.in_field_ = false;
  c.head_end_ = c.framing_run_ = 0;
  c.te_seen_ = c.in_trailers_ = false;
  c.trailer_name_len_ = 0;
  c.ext_bytes_ = 0;
  c.framing_from_ = 0;
  c.trailer_value_end_ = kNoValue;
  c.host_count_ = 0;
  c.host_invalid_ = c.te_unsupported_ = c.expect_continue_ = c.expect_unknown_ = false;
  c.body_seen_ = false;
  c.body_begin_ = c.body_end_ = c.deliver_from_ = 0;
  c.body_total_ = 0;
  c.message_complete_ = false;
  c.body_done_delivered_ = false;
  c.continue_sent_ = false;
  return 0;
}

int Protocol::cb_url(llhttp_t* p, const char* at, size_t len) {
  Protocol& c = self(p);
  return c.extend(c.url_, at, len);
}

// Chunked trailers arrive through the header callbacks after the head is
// complete; like ASGI, the app is not shown them, so they are only checked
// (names are tokens; their size counts in the framing budget) and dropped.
int Protocol::cb_header_field(llhttp_t* p, const char* at, size_t len) {
  Protocol& c = self(p);
  if (c.phase_ != Phase::head) {
    c.trailer_name_len_ += static_cast<uint32_t>(len);
    if (!token_chars.all({at, len})) {
      c.error_status_ = 400;
      c.error_reason_ = "invalid trailer field name";
      return HPE_USER;
    }
    return c.count_framing(len);
  }
  if (!c.in_field_) {
    if (c.nheaders_ >= c.opt_.max_headers) {
      c.error_status_ = 431;
      c.error_reason_ = "too many header fields";
      return HPE_USER;
    }
    c.header_spans_[c.nheaders_] = {};
    c.in_field_ = true;
  }
  return c.extend(c.header_spans_[c.nheaders_].first, at, len);
}

int Protocol::cb_header_field_complete(llhttp_t* p) {
  Protocol& c = self(p);
  auto invalid = [&] {
    c.error_status_ = 400;
    c.error_reason_ = "invalid header field name";
    return HPE_USER;
  };
  if (c.phase_ != Phase::head) {
    if (std::exchange(c.trailer_name_len_, 0) == 0) return invalid();
    return 0;
  }
  // llhttp (built lenient) lets any byte but ':' into a name; a field name
  // is a token (RFC 9110 5.1), and an empty one is no name at all.
  if (!std::exchange(c.in_field_, false)) return invalid();
  // ASGI hands header names over in lower case; do it once, in place.
  const Span name = c.header_spans_[c.nheaders_].first;
  auto* b = reinterpret_cast<unsigned char*>(c.s_.in.data() + c.base_ + name.off);
  bool token = name.len != 0;
  for (uint32_t i = 0; i < name.len; ++i) {
    b[i] = lower_token.to[b[i]];
    token &= b[i] != 0;
  }
  if (!token) return invalid();
  return 0;
}

int Protocol::cb_header_value(llhttp_t* p, const char* at, size_t len) {
  Protocol& c = self(p);
  if (c.phase_ != Phase::head) {
    // A trailer value in two pieces that are not adjacent is obs-fold.
    const size_t off = static_cast<size_t>(at - c.s_.in.data());
    if (c.trailer_value_end_ != kNoValue && off != c.trailer_value_end_) {
      c.error_status_ = 400;
      c.error_reason_ = "obsolete line folding is not accepted";
      return HPE_USER;
    }
    c.trailer_value_end_ = off + len;
    return c.count_framing(len);
  }
  return c.extend(c.header_spans_[c.nheaders_].second, at, len);
}

int Protocol::cb_header_value_complete(llhttp_t* p) {
  Protocol& c = self(p);
  if (c.phase_ != Phase::head) {
    c.trailer_value_end_ = kNoValue;
    return 0;
  }
  auto& [n, v] = c.header_spans_[c.nheaders_++];
  const std::string_view name = c.view(n);
  const std::string_view value = trim(c.view(v));
  // Keep the trimmed span, so the scope is built without trimming again.
  v = {v.len ? static_cast<uint32_t>(value.data() - (c.s_.in.data() + c.base_)) : 0, static_cast<uint32_t>(value.size())};
  switch (name.size()) {
    case 4:
      if (name == "host") {
        ++c.host_count_;
        c.host_invalid_ |= !valid_host(value);
      }
      break;
    case 6:
      if (name == "expect") {
        if (iequals(value, "100-continue")) c.expect_continue_ = true;
        else c.expect_unknown_ = true;
      }
      break;
    case 17:
      if (name != "transfer-encoding") break;
      c.te_seen_ = true;
      if (!supported_transfer_coding(value)) {
        c.te_unsupported_ = true;
        c.error_status_ = 501;
        c.error_reason_ = "only the chunked transfer coding is supported";
      }
      break;
    default: break;
  }
  return 0;
}

int Protocol::cb_headers_complete(llhttp_t* p) {
  Protocol& c = self(p);
  auto reject = [&](int status, const char* why) {
    c.error_status_ = status;
    c.error_reason_ = why;
    return HPE_USER;
  };
  const bool v10 = p->http_major == 1 && p->http_minor == 0;
  const bool v11 = p->http_major == 1 && p->http_minor == 1;
  if (!v10 && !v11) return reject(505, "only HTTP/1.0 and HTTP/1.1 are supported");
  // The head's size, with the CRLFs that end it: after the last field value
  // (or the request target, when there are none) come exactly "\r\n\r\n"
  // (or " HTTP/1.x\r\n\r\n"); llhttp refuses bare LFs there.
  if (c.head_end_ + (c.nheaders_ ? 4 : 13) > c.opt_.max_head_bytes)
    return reject(431, "request line and headers are too large");
  // RFC 9112 6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
  if (v10 && c.te_seen_) return reject(400, "Transfer-Encoding is not allowed in HTTP/1.0");
  if (c.te_unsupported_) return reject(501, "only the chunked transfer coding is supported");
  if (v11 && c.host_count_ != 1) return reject(400, "HTTP/1.1 requires exactly one Host header");
  if (c.host_count_ > 1) return reject(400, "more than one Host header");
  if (c.host_invalid_) return reject(400, "invalid Host header");
  if (c.expect_unknown_) return reject(417, "only Expect: 100-continue is supported");
  if ((p->flags & F_CONTENT_LENGTH) && p->content_length > c.opt_.max_body_bytes)
    return reject(413, "request body is too large");
  c.http10_ = v10;
  c.framing_from_ = c.head_end_;
  // Upgrade and CONNECT turn the connection into something else, which no
  // tier speaks: the request is answered as a plain one, then the
  // connection closes, so nothing after it is misread as HTTP.
  c.keep_alive_ = llhttp_should_keep_alive(p) && !c.stopping_ && !p->upgrade;
  c.is_head_ = p->method == HTTP_HEAD;
  c.phase_ = Phase::ready;
  return 0;
}

int Protocol::cb_body(llhttp_t* p, const char* at, size_t len) {
  Protocol& c = self(p);
  c.body_total_ += len;
  if (c.body_total_ > c.opt_.max_body_bytes) {
    c.error_status_ = 413;
    c.error_reason_ = "request body is too large";
    return HPE_USER;
  }
  char* base = c.s_.in.data() + c.base_;
  const auto rel = static_cast<uint32_t>(at - base);
  // The framing before this piece, counted here too so the limit does not
  // depend on whether it arrived in the same read as the data after it.
  if (c.framing_run_ + (rel - c.framing_from_) > c.opt_.max_head_bytes) {
    c.error_status_ = 400;
    c.error_reason_ = kFramingTooLong;
    return HPE_USER;
  }
  if (!c.body_seen_) {
    c.body_seen_ = true;
    c.body_begin_ = c.body_end_ = c.deliver_from_ = rel;
  }
  // Chunked bodies are de-chunked in place: each piece moves down over the
  // framing already parsed, so the body is one contiguous region. Only bytes
  // behind llhttp's position move.
  if (rel != c.body_end_) std::memmove(base + c.body_end_, at, len);
  c.body_end_ += static_cast<uint32_t>(len);
  // A body byte ends a run of framing; the next one starts after this piece.
  c.framing_run_ = c.ext_bytes_ = 0;
  c.framing_from_ = rel + static_cast<uint32_t>(len);
  return 0;
}

// Chunk extensions are parsed and dropped: what they may hold is bounded
// like a head, so a chunk-size line cannot go on for ever.
int Protocol::cb_chunk_extension(llhttp_t* p, const char*, size_t len) { return self(p).count_framing(len); }

int Protocol::count_framing(size_t len) {
  ext_bytes_ += len;
  if (ext_bytes_ <= opt_.max_head_bytes) return 0;
  error_status_ = in_trailers_ ? 431 : 400;
  error_reason_ = in_trailers_ ? kTrailersTooLarge : kFramingTooLong;
  return HPE_USER;
}

int Protocol::cb_chunk_header(llhttp_t* p) {
  Protocol& c = self(p);
  // Refuse a chunk that announces more than the limit before reading it,
  // so no bytes after it (a pipelined request) are swallowed as its data.
  if (p->content_length > c.opt_.max_body_bytes - c.body_total_) {
    c.error_status_ = 413;
    c.error_reason_ = "request body is too large";
    return HPE_USER;
  }
  if (p->content_length == 0) c.in_trailers_ = true;
  c.ext_bytes_ = 0;  // a new chunk-size line; trailers then share one budget
  return 0;
}

int Protocol::cb_message_complete(llhttp_t* p) {
  Protocol& c = self(p);
  c.message_complete_ = true;
  // Pause so that each pipelined request is handed to the app in order,
  // and the next head is not parsed while this one's views are in use.
  return HPE_PAUSED;
}

// ------------------------------------------------------------ the driver

void Protocol::drive() {
  if (in_drive_) {
    again_ = true;  // the caller up the stack will loop once more
    return;
  }
  in_drive_ = true;
  do {
    again_ = false;
    step();
  } while (again_ && !s_.closed());
  in_drive_ = false;
  finish_drive();
}

void Protocol::step() {
  for (;;) {
    if (s_.closed() || failed_) return;
    if (app_running_) {
      if (!message_complete_) parse();
      if (failed_) return;
      if (body_waiter_ && (deliver_from_ < body_end_ || message_complete_)) wake(body_waiter_);
      if (app_running_) return;
      continue;
    }
    if (phase_ == Phase::app) {  // the app has finished this request
      next_request();
      continue;
    }
    if (s_.queued_bytes() >= opt_.high_water) {
      // Backpressure: send what is queued; carry on only if that drained it
      // at once, else resume in on_drained.
      s_.flush();
      if (s_.queued_bytes() >= opt_.high_water) return;
    }
    if (stopping_ && phase_ == Phase::idle) return s_.finish();
    const size_t before = parse_pos_;
    parse();
    if (failed_) return;
    if (phase_ == Phase::ready && (message_complete_ || parse_pos_ == s_.in.size())) {
      dispatch();
      continue;
    }
    if (parse_pos_ == before || parse_pos_ == s_.in.size()) return;  // need more bytes
  }
}

void Protocol::parse() {
  if (paused_) {
    if (!message_complete_ || phase_ != Phase::idle) return;  // the paused request is not done yet
    llhttp_resume(&parser_);
    paused_ = false;
  }
  const size_t avail = s_.in.size() - parse_pos_;
  if (avail == 0) return;
  const char* start = s_.in.data() + parse_pos_;
  llhttp_errno_t err;
  {
    probe::Bind bind(probe_);
    probe::Span span(probe::Phase::parse);
    err = llhttp_execute(&parser_, start, avail);
  }
  if (err == HPE_OK) {
    parse_pos_ = s_.in.size();
  } else if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
    parse_pos_ = static_cast<size_t>(llhttp_get_error_pos(&parser_) - s_.in.data());
    paused_ = true;
    // The last chunk and trailers end a message inside one read as often
    // as across several: their framing is held to the same limit either way.
    if (message_complete_ && phase_ != Phase::head && !check_framing()) return;
    // Protocol upgrades are not supported: answer, then close.
    if (err == HPE_PAUSED_UPGRADE) keep_alive_ = false;
  } else {
    if (retry_with_tabs_as_spaces(err)) return parse();
    const char* reason = llhttp_get_error_reason(&parser_);
    if (err == HPE_INVALID_VERSION && !error_status_ && reason && std::strcmp(reason, "Invalid HTTP version") == 0) {
      // A well-formed version llhttp will not parse (1.2, 3.0); 2.0 reaches
      // headers_complete. Malformed tokens ("HTTP/1.x") stay 400s.
      return fail(505, "only HTTP/1.0 and HTTP/1.1 are supported");
    }
    const char* why = error_reason_ ? error_reason_ : reason;
    return fail(error_status_ ? error_status_ : 400, why ? why : "malformed request");
  }
  if (phase_ == Phase::head && parse_pos_ - base_ > opt_.max_head_bytes)
    return fail(431, "request line and headers are too large");
  if (phase_ == Phase::ready || phase_ == Phase::app) {
    if (!message_complete_ && !check_framing()) return;
    // Without this, framing the app never reads (a long chunk extension, a
    // trailer section) could fill the buffer and stop reading for good.
    if (!message_complete_ && s_.in.free_space() < s_.in.capacity() / 4) reclaim_framing();
  }
}

// Bytes parsed since the last body byte (chunk-size lines, extensions,
// trailers; the head's final CRLFs) are framing: a few per chunk in honest
// traffic. A long run of them is refused rather than parsed forever.
bool Protocol::check_framing() {
  const size_t run = framing_run_ + (parse_pos_ - base_ - framing_from_);
  if (run <= opt_.max_head_bytes) return true;
  if (in_trailers_) fail(431, kTrailersTooLarge);
  else fail(400, kFramingTooLong);
  return false;
}

// Drops framing already parsed from the read buffer; what lies before it
// (the head the app's views point into, body not yet delivered) stays put.
void Protocol::reclaim_framing() {
  const size_t from = base_ + (body_seen_ ? body_end_ : head_end_);
  if (parse_pos_ <= from) return;
  framing_run_ += static_cast<uint32_t>(parse_pos_ - base_ - framing_from_);
  s_.in.erase(from, parse_pos_ - from);
  parse_pos_ = from;
  framing_from_ = static_cast<uint32_t>(from - base_);
  // A trailer value being parsed continues where the next bytes now land.
  if (trailer_value_end_ != kNoValue) trailer_value_end_ = from;
}

// llhttp 8.1 refuses a horizontal tab as trailing whitespace of a
// Content-Length or Transfer-Encoding value, though RFC 9110 5.5 makes it
// OWS like a space. On that error only (so the common path pays nothing),
// the head's trailing tabs become spaces and the request is parsed again.
// Each retry turns at least one tab into a space, so retries are bounded by
// the head's size.
bool Protocol::retry_with_tabs_as_spaces(llhttp_errno_t err) {
  if (body_seen_) return false;
  char* const head = s_.in.data() + base_;
  char* const end = s_.in.data() + s_.in.size();
  bool changed = false;
  if (err == HPE_INVALID_CONTENT_LENGTH) {
    // llhttp stops at the tab itself: the rest of the line may not be here yet.
    char* c = const_cast<char*>(llhttp_get_error_pos(&parser_));
    if (c < head || c >= end || *c != '\t') return false;
    for (; c < end && (*c == '\t' || *c == ' '); ++c) *c = ' ';
    changed = true;
  } else if (err == HPE_INVALID_TRANSFER_ENCODING) {
    // Found where the head ends: every line's trailing whitespace is before
    // that point, and nothing after it (the body) may be touched.
    const char* at = llhttp_get_error_pos(&parser_);
    if (at < head || at > end) return false;
    const std::string_view bytes{head, static_cast<size_t>(at - head)};
    for (size_t eol = bytes.find("\r\n"); eol != std::string_view::npos; eol = bytes.find("\r\n", eol + 2)) {
      for (size_t i = eol; i > 0 && (head[i - 1] == '\t' || head[i - 1] == ' '); --i) {
        changed |= head[i - 1] == '\t';
        head[i - 1] = ' ';
      }
    }
  }
  if (!changed) return false;
  llhttp_init(&parser_, HTTP_REQUEST, &settings);
  parser_.data = this;
  error_status_ = 0;
  error_reason_ = nullptr;
  parse_pos_ = base_;
  phase_ = Phase::idle;
  return true;
}

void Protocol::dispatch() {
  probe::Bind bind(probe_);
  probe::Span dispatch_span(probe::Phase::dispatch);
  phase_ = Phase::app;
  if (ctx_.in_flight && opt_.limit_concurrency) {
    // uvicorn's --limit-concurrency: over the limit, 503 and close, so a
    // flood of requests cannot pile work up without bound.
    if (ctx_.in_flight->fetch_add(1, std::memory_order_relaxed) >= opt_.limit_concurrency) {
      ctx_.in_flight->fetch_sub(1, std::memory_order_relaxed);
      return fail(503, "too many requests in progress");
    }
    counted_ = true;
  }
  char* base = s_.in.data() + base_;
  std::string_view target = view(url_);
  if (url_.len == 0) target = {base, 0};
  // absolute-form ("http://host/path") carries the path after the authority
  if (!target.empty() && target.front() != '/' && target != "*") {
    const size_t scheme = target.find("://");
    if (scheme != std::string_view::npos) {
      const size_t slash = target.find('/', scheme + 3);
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
  }
  if (const size_t hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
  const size_t q = target.find('?');
  scope_.raw_path = target.substr(0, q);
  scope_.query_string = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  if (scope_.raw_path.find('%') == std::string_view::npos) {
    scope_.path = scope_.raw_path;
  } else {
    path_buf_.clear();
    url::percent_decode(scope_.raw_path, path_buf_);
    scope_.path = path_buf_;
  }
  scope_.method = llhttp_method_name(static_cast<llhttp_method_t>(parser_.method));
  scope_.http_version = http10_ ? "1.0" : "1.1";
  headers_.clear();
  for (size_t i = 0; i < nheaders_; ++i)
    headers_.push_back({view(header_spans_[i].first), view(header_spans_[i].second)});
  scope_.headers = headers_;
  scope_.client = &s_.peer;
  scope_.server = &s_.local;
  if (parser_.upgrade) [[unlikely]] {
    if (ws::is_upgrade_request(scope_)) return hand_over_websocket();
  }

  response_started_ = response_complete_ = head_open_ = head_aside_ = chunked_ = false;
  status_ = 0;
  declared_length_ = -1;
  body_sent_ = 0;
  app_running_ = true;
  dispatch_span.end();
  probe::Span app_span(probe::Phase::app);
  try {
    app_task_ = ctx_.app(scope_, receive_, send_);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "strata: application error: %s\n", e.what());
    app_task_.reset();
  }
  if (!app_task_) return app_finished();
  app_task_.start(&Protocol::on_app_done, this);
}

void Protocol::on_app_done(void* self) { static_cast<Protocol*>(self)->app_finished(); }

void Protocol::app_finished() {
  app_running_ = false;
  if (std::exchange(counted_, false)) ctx_.in_flight->fetch_sub(1, std::memory_order_relaxed);
  if (app_task_) {
    if (auto e = app_task_.error()) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::fprintf(stderr, "strata: application error: %s\n", ex.what());
      } catch (...) {
        std::fprintf(stderr, "strata: application error: unknown exception\n");
      }
    }
    // May run inside the task's final suspension; nothing touches the frame after.
    app_task_.reset();
  }
  if (!response_started_) {
    if (!disconnected_ && !failed_) write_simple(500, "Internal Server Error", !keep_alive_);
  } else if (!response_complete_ || head_open_) {
    keep_alive_ = false;  // a half-sent response can only be ended by closing
    if (head_open_) {
      // The app never sent a body event (it may have seen the peer's FIN
      // and given up): end the head honestly, then close, so no peer ever
      // receives half a head.
      open_head().append("Connection: close\r\n\r\n");
      close_head();
    }
  }
  // A body still arriving that the app did not read: stop here rather than
  // drain an unbounded upload.
  if (!message_complete_) keep_alive_ = false;
  drive();
}

void Protocol::next_request() {
  if (probe::enabled()) {
    probe::commit(probe_);
    probe_.reset();
  }
  phase_ = Phase::idle;
  response_started_ = response_complete_ = head_open_ = chunked_ = false;
  base_ = parse_pos_;
  idle_since_ms_ = ctx_.now();
  if (!keep_alive_ || stopping_) s_.finish();
}

void Protocol::finish_drive() {
  if (ws_) [[unlikely]] return ws_->start();  // the upgrade was just handed over
  if (s_.closed()) {
    if (!app_running_) s_.release();  // last use: the stream may be freed now
    return;
  }
  // An open head stays held; complete responses queued before it leave now.
  if (head_open_ && head_at_ > 0) set_head_aside();
  s_.flush();
  // Between requests, drop consumed bytes: for free when all were consumed,
  // by moving the partial next request down only when space runs low.
  if (!app_running_ && phase_ != Phase::app) {
    if (base_ == s_.in.size()) {
      s_.in.consume(base_);
      parse_pos_ = base_ = 0;
    } else if (s_.in.free_space() < s_.in.capacity() / 4 && base_ > 0) {
      s_.in.consume(base_);
      parse_pos_ -= base_;
      base_ = 0;
    }
  }
  update_reading();
}

void Protocol::update_reading() {
  // While a response head is open it cannot be sent, so it is no reason to
  // stop reading: the app may be waiting for the very body behind it.
  s_.set_reading(!failed_ && !peer_done_ && s_.in.free_space() > 0 &&
                 (head_open_ || s_.queued_bytes() < opt_.high_water));
}

void Protocol::fail(int status, std::string_view reason) {
  failed_ = true;
  if (head_open_) {
    // Nothing of the app's response has left: the error answer replaces it.
    if (!head_aside_) s_.out().resize(head_at_);
    head_open_ = head_aside_ = false;
    s_.hold_output(false);
    response_started_ = false;
  }
  // Half of the app's response is queued: it leaves behind the complete
  // responses before it, and the close ends it.
  if (app_running_ && response_started_ && !response_complete_) return s_.finish();
  if (!(app_running_ && response_started_) && !disconnected_) {
    write_simple(status, reason, true);
    // The app, if running, now sees a finished response: its sends are dropped.
    response_started_ = response_complete_ = true;
    head_open_ = false;
  }
  s_.finish();
}

void Protocol::set_head_aside() {
  if (head_aside_) return;
  std::string& o = s_.out();
  head_buf_.assign(o, head_at_);
  o.resize(head_at_);
  head_aside_ = true;
  s_.hold_output(false);
}

// The head's framing is written: it joins the output, which may leave.
void Protocol::close_head() {
  if (head_aside_) s_.out().append(head_buf_);
  head_open_ = head_aside_ = false;
  s_.hold_output(false);
}

void Protocol::write_simple(int status, std::string_view body, bool close) {
  std::string& o = s_.out();
  o.append("HTTP/1.1 ");
  append_uint(o, static_cast<uint64_t>(status));
  o.push_back(' ');
  o.append(reason_phrase(status)).append("\r\nServer: strata\r\n").append(ctx_.date());
  o.append("Content-Type: text/plain; charset=utf-8\r\nContent-Length: ");
  append_uint(o, body.size() + 1);
  if (close) o.append("\r\nConnection: close");
  else if (http10_) o.append("\r\nConnection: keep-alive");
  o.append("\r\n\r\n");
  if (!is_head_) o.append(body).push_back('\n');
  response_started_ = response_complete_ = true;
}

void Protocol::wake(std::coroutine_handle<>& slot) {
  std::coroutine_handle<> h = slot;
  slot = {};
  probe::Bind bind(probe_);
  probe::Span span(probe::Phase::app, probe::Span::if_idle);
  h.resume();
}

// An event (EOF, drain, timeout, close) resumes a waiting app; the driver
// runs once afterwards, not from inside the app's resumption.
void Protocol::wake_outside_drive(std::coroutine_handle<>& slot) {
  if (!slot) return;
  in_drive_ = true;
  wake(slot);
  in_drive_ = false;
}

// uvicorn's access line: `INFO:     127.0.0.1:51234 - "GET /p?q HTTP/1.1" 200 OK`,
// written with one fwrite so lines from several workers do not interleave.
void Protocol::log_access(int status) {
  char host[INET6_ADDRSTRLEN] = "-";
  unsigned port = 0;
  if (s_.peer.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&s_.peer);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
  } else if (s_.peer.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&s_.peer);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
  }
  thread_local std::string line;
  line.assign("INFO:     ").append(host).push_back(':');
  append_uint(line, port);
  line.append(" - \"").append(scope_.method).push_back(' ');
  line.append(scope_.raw_path);
  if (!scope_.query_string.empty()) line.append("?").append(scope_.query_string);
  line.append(" HTTP/").append(scope_.http_version).append("\" ");
  append_uint(line, static_cast<uint64_t>(status));
  line.append(" ").append(reason_phrase(status)).push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void Protocol::append_server_timing(std::string& o, std::span<const Header> app_headers) {
  o.append("Server-Timing: ");
  size_t entries = probe::append_server_timing(o, probe_.elapsed_ns(), probe_.seen);
  for (const Header& h : app_headers) {
    if (!iequals(h.name, "server-timing") || h.value.empty()) continue;
    if (entries++) o.append(", ");
    o.append(h.value);
  }
  if (entries == 0) o.resize(o.size() - 15);  // nothing to say: no field at all
  else o.append("\r\n");
}

void Protocol::reclaim_body() {
  // Called when the app asks for more body: what it was given before is
  // dead, and so is the chunk framing left behind de-chunking.
  if (!body_seen_) return;
  reclaim_framing();
  const uint32_t dead = deliver_from_ - body_begin_;
  if (dead > 0) {
    s_.in.erase(base_ + body_begin_, dead);
    body_end_ -= dead;
    deliver_from_ = body_begin_;
    parse_pos_ -= dead;
    framing_from_ -= dead;  // everything after the erased bytes moved down
    if (trailer_value_end_ != kNoValue) trailer_value_end_ -= dead;
  }
}

// ------------------------------------------------------------ events

void Protocol::on_eof() {
  if (ws_) return ws_->on_eof();
  keep_alive_ = false;
  peer_done_ = true;
  if (app_running_) {
    // The request can never complete: the app sees a disconnect.
    if (!message_complete_) {
      disconnected_ = true;
      wake_outside_drive(body_waiter_);
    }
    return drive();
  }
  if (phase_ == Phase::idle && parse_pos_ == s_.in.size()) return s_.finish();
  // A complete request may still be waiting to be parsed; a partial one never completes.
  drive();
  if (!s_.closed() && !app_running_) s_.finish();
}

void Protocol::on_drained() {
  if (ws_) return ws_->on_drained();
  wake_outside_drive(drain_waiter_);
  drive();
}

void Protocol::on_tick(uint64_t now_ms) {
  if (ws_) return ws_->on_tick(now_ms);
  if (failed_) return;
  if (app_running_) {
    // The app waits for body the client does not send: a slow body, or a
    // Content-Length larger than what follows. Every read restarts the clock.
    if (!body_waiter_ || message_complete_) {
      body_waiting_ = false;
    } else if (std::exchange(read_since_tick_, false) || !body_waiting_) {
      body_waiting_ = true;
      body_wait_since_ms_ = now_ms;
    } else if (now_ms - body_wait_since_ms_ >= opt_.body_timeout_ms) {
      fail(408, "request body not received in time");
      // The app learns at once that no more body will come.
      disconnected_ = true;
      wake_outside_drive(body_waiter_);
      drive();
    }
    return;
  }
  if (phase_ == Phase::head) {
    if (now_ms - head_started_ms_ >= opt_.head_timeout_ms) {
      failed_ = true;
      write_simple(408, "request head not received in time", true);
      s_.finish();
    }
  } else if (phase_ == Phase::idle && s_.queued_bytes() == 0 && now_ms - idle_since_ms_ >= opt_.idle_timeout_ms) {
    s_.close();
  }
}

void Protocol::on_stop() {
  if (ws_) return ws_->on_stop();
  stopping_ = true;
  keep_alive_ = false;
  if (!app_running_ && phase_ == Phase::idle && parse_pos_ == s_.in.size()) s_.finish();
}

void Protocol::on_closed() {
  if (ws_) return ws_->on_closed();
  disconnected_ = true;
  // Let a waiting app run to its end; the transport frees us afterwards.
  wake_outside_drive(body_waiter_);
  wake_outside_drive(drain_waiter_);
}

bool Protocol::busy() const { return ws_ ? ws_->busy() : app_running_; }

void Protocol::ws_data() { ws_->on_data(); }

// The request becomes a WebSocket: the session gets a copy of its scope,
// the head leaves the read buffer (what follows it is the first frame),
// and the HTTP driver stops; the session starts once the driver unwinds.
void Protocol::hand_over_websocket() {
  if (std::exchange(counted_, false)) ctx_.in_flight->fetch_sub(1, std::memory_order_relaxed);
  ws_ = std::make_unique<WebSocketSession>(s_, ctx_, scope_);
  s_.in.consume(parse_pos_);
  parse_pos_ = base_ = 0;
  failed_ = true;
}

// ------------------------------------------------------------ the app's end

Task<ReceiveEvent> Protocol::receive() {
  for (;;) {
    if (disconnected_) co_return ReceiveEvent{ReceiveEvent::disconnect, {}, false};
    if (body_seen_ && s_.in.free_space() < s_.in.capacity() / 4) {
      reclaim_body();
      update_reading();
    }
    if (deliver_from_ < body_end_ || (message_complete_ && !body_done_delivered_)) {
      const std::string_view piece{s_.in.data() + base_ + deliver_from_, body_end_ - deliver_from_};
      deliver_from_ = body_end_;
      const bool more = !message_complete_;
      if (!more) body_done_delivered_ = true;
      co_return ReceiveEvent{ReceiveEvent::body, piece, more};
    }
    if (message_complete_ && response_complete_) co_return ReceiveEvent{ReceiveEvent::disconnect, {}, false};
    // RFC 9110 10.1.1: never a 1xx to an HTTP/1.0 client.
    if (expect_continue_ && !http10_ && !continue_sent_ && !response_started_) {
      continue_sent_ = true;
      s_.out().append("HTTP/1.1 100 Continue\r\n\r\n");
      s_.flush();
    }
    co_await Waiter{body_waiter_};
  }
}

Task<void> Protocol::send_start(ResponseStart r) {
  if (disconnected_ || failed_) co_return;
  probe::Span span(probe::Phase::send);
  if (response_started_) throw std::logic_error("response already started");
  if (r.status < 200 || r.status > 999) throw std::logic_error("response status must be 200..999");
  int64_t declared = -1;
  for (const Header& h : r.headers) {
    if (!valid_field_name(h.name) || !valid_field_value(h.value))
      throw std::logic_error("invalid response header");
    if (iequals(h.name, "content-length")) {
      uint64_t n = 0;
      auto [ptr, ec] = std::from_chars(h.value.data(), h.value.data() + h.value.size(), n);
      if (ec != std::errc{} || ptr != h.value.data() + h.value.size()) throw std::logic_error("invalid Content-Length");
      declared = static_cast<int64_t>(n);
    }
  }
  response_started_ = true;
  status_ = r.status;
  declared_length_ = declared;
  if (opt_.access_log) log_access(r.status);
  std::string& o = s_.out();
  head_at_ = o.size();
  s_.hold_output(true);
  o.append("HTTP/1.1 ");
  append_uint(o, static_cast<uint64_t>(r.status));
  o.push_back(' ');
  o.append(reason_phrase(r.status)).append("\r\nServer: strata\r\n").append(ctx_.date());
  for (const Header& h : r.headers) {
    // Framing and persistence are the server's to decide.
    if (iequals(h.name, "transfer-encoding")) continue;
    if (iequals(h.name, "connection")) {
      if (h.value.find("close") != std::string_view::npos) keep_alive_ = false;
      continue;
    }
    // With Server-Timing on, the app's entries join ours in one field.
    if (probe::server_timing() && iequals(h.name, "server-timing")) continue;
    o.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  if (probe::server_timing()) append_server_timing(o, r.headers);
  head_open_ = true;
  co_return;
}

Task<void> Protocol::send_body(ResponseBody b) {
  if (disconnected_ || failed_) co_return;
  probe::Span span(probe::Phase::send);
  if (!response_started_) throw std::logic_error("response body before response start");
  if (response_complete_) throw std::logic_error("response body after the final body event");
  const bool bodiless = status_ == 204 || status_ == 304;
  if (head_open_) {
    std::string& o = open_head();
    if (bodiless || declared_length_ >= 0) {
      // nothing to add: no body, or the app's own Content-Length
    } else if (!b.more_body) {
      // The whole body is known now, so no chunking is needed.
      o.append("Content-Length: ");
      append_uint(o, b.bytes.size());
      o.append("\r\n");
    } else if (!http10_) {
      chunked_ = true;
      o.append("Transfer-Encoding: chunked\r\n");
    } else {
      keep_alive_ = false;  // HTTP/1.0 without a length: the close ends the body
    }
    if (!keep_alive_) o.append("Connection: close\r\n");
    else if (http10_) o.append("Connection: keep-alive\r\n");
    o.append("\r\n");
    close_head();
  }
  std::string& o = s_.out();
  if (declared_length_ >= 0 && body_sent_ + b.bytes.size() > static_cast<uint64_t>(declared_length_))
    throw std::logic_error("response body longer than its Content-Length");
  if (!is_head_ && !bodiless) {
    if (chunked_) {
      if (!b.bytes.empty()) {
        append_hex(o, b.bytes.size());
        o.append("\r\n").append(b.bytes).append("\r\n");
      }
      if (!b.more_body) o.append("0\r\n\r\n");
    } else {
      o.append(b.bytes);
    }
  }
  body_sent_ += b.bytes.size();
  if (!b.more_body) {
    response_complete_ = true;
    if (declared_length_ >= 0 && body_sent_ != static_cast<uint64_t>(declared_length_) && !is_head_) keep_alive_ = false;
  }
  span.end();  // the write is a phase of its own
  if (!in_drive_) s_.flush();  // inside the driver, one write carries every response
  if (s_.queued_bytes() >= opt_.high_water) {
    // Wait for the drain only if the flush could not write it all at once.
    s_.flush();
    if (s_.queued_bytes() >= opt_.high_water && !disconnected_ && !s_.closed()) co_await Waiter{drain_waiter_};
  }
}

// Files up to this size are copied into the output buffer (see below).
constexpr uint64_t kCopyFileBelow = 16 * 1024;

// Kept apart from send_body so the common body path pays nothing for it.
Task<void> Protocol::send_file(ResponseFile f) {
  if (disconnected_ || failed_) co_return;
  probe::Span span(probe::Phase::send);
  if (!response_started_) throw std::logic_error("response body before response start");
  if (response_complete_) throw std::logic_error("response body after the final body event");
  // File bytes are sent as they are: no chunk framing goes around them.
  if (declared_length_ < 0) throw std::logic_error("a file body needs a Content-Length");
  if (body_sent_ + f.count > static_cast<uint64_t>(declared_length_))
    throw std::logic_error("response body longer than its Content-Length");
  if (head_open_) {
    std::string& o = open_head();
    if (!keep_alive_) o.append("Connection: close\r\n");
    else if (http10_) o.append("Connection: keep-alive\r\n");
    o.append("\r\n");
    close_head();  // the output is no longer held: the file follows the head
  }
  body_sent_ += f.count;
  if (!f.more_body) {
    response_complete_ = true;
    if (body_sent_ != static_cast<uint64_t>(declared_length_) && !is_head_) keep_alive_ = false;
  }
  span.end();
  if (is_head_ || status_ == 204 || status_ == 304 || f.count == 0) {
    if (!in_drive_) s_.flush();
    co_return;
  }
  if (f.count <= kCopyFileBelow) {
    // A small file goes out with its head in one write: one syscall and one
    // segment instead of two, and batched with pipelined responses. The
    // copy costs less than the second syscall; the read is the page-cache
    // read sendfile would do on this thread anyway.
    std::string& o = s_.out();
    const size_t at = o.size();
    o.resize(at + f.count);
    size_t got = 0;
    while (got < f.count) {
      const ssize_t n = ::pread(f.fd, o.data() + at + got, f.count - got, static_cast<off_t>(f.offset + got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    if (got < f.count) {
      // The declared length cannot be met: what there is, then the close.
      o.resize(at + got);
      keep_alive_ = false;
      s_.finish();
      co_return;
    }
    if (!in_drive_) s_.flush();
    if (s_.queued_bytes() >= opt_.high_water) {
      s_.flush();
      if (s_.queued_bytes() >= opt_.high_water && !disconnected_ && !s_.closed()) co_await Waiter{drain_waiter_};
    }
    co_return;
  }
  // The transport flushes what is queued (this head, earlier pipelined
  // responses), then the file; the app resumes once it is all written or
  // the client is gone, so the descriptor it lent stays open until then.
  if (!s_.send_file(f.fd, f.offset, f.count)) co_await Waiter{drain_waiter_};
}

}  // namespace strata::http
