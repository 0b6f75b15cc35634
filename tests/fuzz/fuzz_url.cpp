// libFuzzer target for the URL helpers (common/url.hpp) and the seed 002
// greeting built on them (workload::hello_index).
//
// Each function is checked against a plain reference written from its
// documented contract, plus properties that hold for any input: decoding
// never grows a string, decoding what was percent-encoded gives it back,
// and query_value returns a view into the query it was given.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/url.hpp"
#include "common/workload.hpp"

namespace {

using strata::url::percent_decode;
using strata::url::query_value;

[[noreturn]] void violation(const char* what, std::string_view input, std::string_view got, std::string_view want) {
  auto show = [](const char* label, std::string_view s) {
    std::fprintf(stderr, "%s (%zu bytes): ", label, s.size());
    for (unsigned char c : s) {
      if (c >= 0x20 && c < 0x7f && c != '\\') std::fputc(c, stderr);
      else std::fprintf(stderr, "\\x%02x", c);
    }
    std::fputc('\n', stderr);
  };
  std::fprintf(stderr, "\nfuzz_url: invariant violated: %s\n", what);
  show("input", input);
  show("got", got);
  show("want", want);
  std::abort();
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Python's urllib.parse.unquote (and unquote_plus), byte for byte: "%XX"
// with two hex digits is that byte, anything else is kept.
std::string reference_decode(std::string_view s, bool plus_as_space) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && s.size() - i >= 3 && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(plus_as_space && s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

// Percent-encodes every byte outside RFC 3986's unreserved set; `lower`
// picks the hex case, `space_as_plus` writes ' ' as '+' (form encoding).
std::string encode(std::string_view s, bool lower, bool space_as_plus) {
  const char* digits = lower ? "0123456789abcdef" : "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                            c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ' && space_as_plus) {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 15]);
    }
  }
  return out;
}

// query_value's contract: the first '&'-separated pair whose key (up to its
// first '=') equals `key`; its value after the '=', empty when there is none.
std::pair<bool, std::string_view> reference_query_value(std::string_view q, std::string_view key) {
  size_t start = 0;
  while (start < q.size()) {
    size_t amp = q.find('&', start);
    if (amp == std::string_view::npos) amp = q.size();
    const std::string_view pair = q.substr(start, amp - start);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) return {true, eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1)};
    start = amp + 1;
  }
  return {false, {}};
}

void check_decode(std::string_view s) {
  for (bool plus : {false, true}) {
    std::string out = "prefix";  // percent_decode appends: what is there stays
    percent_decode(s, out, plus);
    if (!std::string_view(out).starts_with("prefix")) violation("percent_decode overwrote the output's start", s, out, "");
    const std::string_view got = std::string_view(out).substr(6);
    const std::string want = reference_decode(s, plus);
    if (got != want) violation(plus ? "percent_decode (plus) differs from unquote_plus" : "percent_decode differs from unquote", s, got, want);
    if (got.size() > s.size()) violation("percent_decode made the text longer", s, got, "");
  }
  for (bool lower : {false, true}) {
    std::string round;
    percent_decode(encode(s, lower, false), round, false);
    if (round != s) violation("decode(encode(s)) != s", s, round, s);
    round.clear();
    percent_decode(encode(s, lower, true), round, true);
    if (round != s) violation("decode_plus(encode_plus(s)) != s", s, round, s);
  }
}

void check_query(std::string_view q, std::string_view key) {
  bool found = true;
  const std::string_view got = query_value(q, key, &found);
  const auto [want_found, want] = reference_query_value(q, key);
  if (found != want_found) violation("query_value's found flag differs from the reference", q, key, want);
  if (got != want) violation("query_value differs from the reference", q, got, want);
  if (!got.empty() && (got.data() < q.data() || got.data() + got.size() > q.data() + q.size()))
    violation("query_value returned a view outside the query", q, got, want);
  if (query_value(q, key) != got) violation("query_value without `found` differs", q, got, want);

  if (key == "name") {
    std::string greeting;
    strata::workload::hello_index(q, greeting);
    std::string expected = "Hello ASGI World!";
    if (want_found && !want.empty()) expected = "Hello " + reference_decode(want, true);
    if (greeting != expected) violation("hello_index differs from its contract", q, greeting, expected);
  }
}

// A query built from pairs: looking up any key finds the first pair with
// that key, and decoding its value gives back what was encoded.
void check_built_query(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string q;
  for (const auto& [k, v] : pairs) {
    if (!q.empty()) q.push_back('&');
    q += encode(k, false, true) + "=" + encode(v, true, true);
  }
  for (const auto& [k, v] : pairs) {
    bool found = false;
    const std::string_view raw = query_value(q, encode(k, false, true), &found);
    std::string decoded;
    percent_decode(raw, decoded, true);
    std::string first;  // the first pair with this key wins
    for (const auto& [k2, v2] : pairs)
      if (k2 == k) {
        first = v2;
        break;
      }
    if (!found || decoded != first) violation("a built query does not give back its value", q, decoded, first);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_decode(input);

  // The input as "query\x00key" (key "name" when there is no NUL), and as
  // a list of NUL-separated key/value strings for a query built from them.
  const size_t nul = input.find('\0');
  const std::string_view query = input.substr(0, nul);
  const std::string_view key = nul == std::string_view::npos ? std::string_view("name") : input.substr(nul + 1);
  check_query(query, key);
  check_query(query, "name");
  check_query(query, "");

  std::vector<std::pair<std::string, std::string>> pairs;
  std::string_view rest = input;
  while (!rest.empty() && pairs.size() < 16) {
    const size_t a = rest.find('\0');
    std::string k(rest.substr(0, a));
    rest = a == std::string_view::npos ? std::string_view{} : rest.substr(a + 1);
    const size_t b = rest.find('\0');
    std::string v(rest.substr(0, b));
    rest = b == std::string_view::npos ? std::string_view{} : rest.substr(b + 1);
    pairs.emplace_back(std::move(k), std::move(v));
  }
  check_built_query(pairs);
  return 0;
}
