// The event translation as pure functions: no loop, no app, no sockets.
#include <gtest/gtest.h>

#include <string>

#include "lambda/event.hpp"
#include "lambda/helpers.hpp"

namespace strata::lambda {
namespace {

using test::JsonDoc;
using test::read_fixture;

HttpRequest parse_ok(std::string_view json) {
  HttpRequest r;
  std::string error;
  EXPECT_TRUE(parse_event(json, r, error)) << error;
  return r;
}

std::string parse_error(std::string_view json) {
  HttpRequest r;
  std::string error;
  EXPECT_FALSE(parse_event(json, r, error)) << json;
  return error;
}

std::string header(const HttpRequest& r, std::string_view name) {
  std::string out;
  for (const auto& [n, v] : r.headers)
    if (n == name) out += (out.empty() ? "" : "|") + v;
  return out;
}

// ------------------------------------------------------------------ base64

TEST(LambdaBase64, RoundTripsEveryLengthAndEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= all.size(); ++n) {
    const std::string in = all.substr(0, n);
    std::string out;
    ASSERT_TRUE(base64_decode(base64_encode(in), out)) << n;
    EXPECT_EQ(out, in) << n;
  }
  EXPECT_EQ(base64_encode("Man"), "TWFu");
  EXPECT_EQ(base64_encode("Ma"), "TWE=");
  EXPECT_EQ(base64_encode("M"), "TQ==");
}

TEST(LambdaBase64, DecodeRefusesWhatIsNotBase64) {
  std::string out;
  EXPECT_TRUE(base64_decode("TWE", out));  // padding left out
  EXPECT_EQ(out, "Ma");
  EXPECT_FALSE(base64_decode("TWFuT", out));   // one leftover character: 6 bits
  EXPECT_FALSE(base64_decode("TW=u", out));    // padding in the middle
  EXPECT_FALSE(base64_decode("TWE==", out));   // too much padding for its length
  EXPECT_FALSE(base64_decode("TW Fu", out));   // a space
  EXPECT_FALSE(base64_decode("TWFu\n", out));  // a line break
  EXPECT_FALSE(base64_decode("TW-u", out));    // the URL-safe alphabet is another one
  EXPECT_TRUE(base64_decode("", out));
  EXPECT_EQ(out, "");
}

TEST(LambdaFormEncoding, KeepsUnreservedBytesAndEncodesTheRest) {
  std::string out;
  append_form_encoded(out, "a b&c=d/é~._-");
  EXPECT_EQ(out, "a+b%26c%3Dd%2F%C3%A9~._-");
}

// ------------------------------------------------------------------ REST (1.0)

TEST(LambdaRestEvent, MultiValueHeadersAndQueryComeThroughEachValue) {
  const HttpRequest r = parse_ok(read_fixture("rest_v1_get_index.json"));
  EXPECT_EQ(r.kind, EventKind::rest_v1);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/index");
  EXPECT_EQ(r.raw_path, "/index");
  // API Gateway decoded the value; it is encoded again for the app.
  EXPECT_EQ(r.query_string, "name=J%C3%BCrgen");
  EXPECT_EQ(header(r, "accept"), "text/plain|*/*");  // two values, two headers
  EXPECT_EQ(header(r, "host"), "id.execute-api.us-east-1.amazonaws.com");
  EXPECT_EQ(r.scheme, "https");
  EXPECT_EQ(r.client_ip, "192.0.2.1");
  EXPECT_EQ(header(r, "content-length"), "");  // no body
}

TEST(LambdaRestEvent, RepeatedQueryKeysAndReservedBytesAreEncoded) {
  const HttpRequest r = parse_ok(R"({"httpMethod":"get","path":"/a b",
    "multiValueQueryStringParameters":{"tag":["x y","a&b=c"],"empty":[""]},
    "queryStringParameters":{"tag":"a&b=c","empty":""}})");
  EXPECT_EQ(r.method, "GET");  // upper-cased
  EXPECT_EQ(r.query_string, "tag=x+y&tag=a%26b%3Dc&empty=");
  EXPECT_EQ(r.path, "/a b");
  EXPECT_EQ(r.raw_path, "/a%20b");
}

TEST(LambdaRestEvent, SingleValueFormsAreUsedWhenTheMultiValueOnesAreNull) {
  const HttpRequest r = parse_ok(R"({"httpMethod":"GET","path":"/","headers":{"X-One":"1"},
    "multiValueHeaders":null,"queryStringParameters":{"q":"1 2"},"multiValueQueryStringParameters":null})");
  EXPECT_EQ(header(r, "x-one"), "1");
  EXPECT_EQ(r.query_string, "q=1+2");
  EXPECT_FALSE(r.multi_value_headers);
}

TEST(LambdaRestEvent, TheBodyStatesItsOwnLength) {
  const HttpRequest r = parse_ok(read_fixture("rest_v1_post_user.json"));
  EXPECT_EQ(r.body, R"({"id": 1, "name": "user", "email": "user@email.com"})");
  // The event said 999; the body the app gets is what counts.
  EXPECT_EQ(header(r, "content-length"), std::to_string(r.body.size()));
  const HttpRequest chunked =
      parse_ok(R"({"httpMethod":"POST","path":"/","headers":{"Transfer-Encoding":"chunked"},"body":"abc"})");
  EXPECT_EQ(header(chunked, "transfer-encoding"), "");
  EXPECT_EQ(header(chunked, "content-length"), "3");
}

// ------------------------------------------------------------------ HTTP API (2.0)

TEST(LambdaHttpApiEvent, CookiesBecomeOneCookieHeaderAndTheRawQueryIsKept) {
  const HttpRequest r = parse_ok(read_fixture("http_v2_get_index.json"));
  EXPECT_EQ(r.kind, EventKind::http_v2);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/index");
  EXPECT_EQ(r.query_string, "name=J%C3%BCrgen&other=1");
  EXPECT_EQ(header(r, "cookie"), "cookie1=value1; cookie2=value2");
  EXPECT_EQ(r.client_ip, "192.0.2.1");
}

TEST(LambdaHttpApiEvent, ABase64BodyIsDecoded) {
  const HttpRequest r = parse_ok(read_fixture("http_v2_echo_binary.json"));
  EXPECT_EQ(r.body, std::string("\x00\x01\x02\xfe\xffpng", 8));
  EXPECT_EQ(header(r, "content-length"), "8");
}

TEST(LambdaHttpApiEvent, APercentEncodedPathIsDecodedForPathAndKeptForRawPath) {
  const HttpRequest r = parse_ok(
      R"({"version":"2.0","rawPath":"/a%20b/%2F","requestContext":{"http":{"method":"DELETE"}}})");
  EXPECT_EQ(r.path, "/a b//");
  EXPECT_EQ(r.raw_path, "/a%20b/%2F");
  EXPECT_EQ(r.method, "DELETE");
}

// ------------------------------------------------------------------ ALB

TEST(LambdaAlbEvent, TheQueryIsPassedAsTheClientSentIt) {
  const HttpRequest r = parse_ok(read_fixture("alb_get_index.json"));
  EXPECT_EQ(r.kind, EventKind::alb);
  EXPECT_EQ(r.query_string, "name=J%C3%BCrgen");
  EXPECT_EQ(r.scheme, "http");                // X-Forwarded-Proto
  EXPECT_EQ(r.client_ip, "192.0.2.1");        // the first X-Forwarded-For hop
  EXPECT_FALSE(r.multi_value_headers);
}

TEST(LambdaAlbEvent, MultiValueModeIsRememberedForTheResponse) {
  const HttpRequest r = parse_ok(read_fixture("alb_multi_get_cookies.json"));
  EXPECT_EQ(r.kind, EventKind::alb);
  EXPECT_TRUE(r.multi_value_headers);
  EXPECT_EQ(header(r, "cookie"), "a=1; b=2");
  EXPECT_EQ(r.query_string, "name=J%C3%BCrgen");
}

// ------------------------------------------------------------------ malformed events

TEST(LambdaMalformedEvent, EachIsOneSentenceNotACrash) {
  EXPECT_NE(parse_error(read_fixture("malformed_not_json.json")).find("not valid JSON"), std::string::npos);
  EXPECT_NE(parse_error(read_fixture("malformed_s3_event.json")).find("not an API Gateway or ALB"),
            std::string::npos);
  EXPECT_NE(parse_error(read_fixture("malformed_bad_base64.json")).find("base64"), std::string::npos);
  EXPECT_EQ(parse_error("[1, 2]"), "the event is not a JSON object");
  EXPECT_NE(parse_error("").find("JSON"), std::string::npos);
  EXPECT_NE(parse_error(R"({"httpMethod":"GET"})").find("path"), std::string::npos);
  EXPECT_NE(parse_error(R"({"httpMethod":"GET","path":"index"})").find("'/'"), std::string::npos);
  EXPECT_NE(parse_error(R"({"httpMethod":"","path":"/"})").find("method"), std::string::npos);
  EXPECT_NE(parse_error(R"({"httpMethod":"G T","path":"/"})").find("token"), std::string::npos);
  EXPECT_NE(parse_error(R"({"httpMethod":7,"path":"/"})").find("\"httpMethod\" is not a string"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"version":"2.0","rawPath":"/"})").find("method"), std::string::npos);
  EXPECT_NE(parse_error(R"({"httpMethod":"GET","path":"/","headers":"x"})").find("\"headers\" is not an object"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"httpMethod":"GET","path":"/","multiValueHeaders":{"a":[1]}})").find("multiValueHeaders.a"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"httpMethod":"GET","path":"/","headers":{"a":["1"]}})").find("headers.a"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"httpMethod":"GET","path":"/","body":{}})").find("\"body\""), std::string::npos);
  EXPECT_NE(parse_error(R"({"httpMethod":"GET","path":"/","isBase64Encoded":"yes"})").find("isBase64Encoded"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"version":"2.0","rawPath":"/","cookies":"a=1","requestContext":{"http":{"method":"GET"}}})")
                .find("cookies"),
            std::string::npos);
}

TEST(LambdaMalformedEvent, HeadersHttpWouldRefuseAreRefused) {
  EXPECT_NE(parse_error(R"({"httpMethod":"GET","path":"/","headers":{"X-A":"1\r\nX-Injected: 2"}})")
                .find("header"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"httpMethod":"GET","path":"/","headers":{"X A":"1"}})").find("header"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"httpMethod":"GET","path":"/","headers":{"":"1"}})").find("header"), std::string::npos);
  EXPECT_NE(parse_error(R"({"httpMethod":"GET","path":"/","headers":{"a":"\u0000"}})").find("header"),
            std::string::npos);
}

TEST(LambdaMalformedEvent, AHugeBodyIsDecodedWhole) {
  const std::string bytes(3 * 1024 * 1024, '\xab');
  const std::string event =
      R"({"httpMethod":"POST","path":"/","isBase64Encoded":true,"body":")" + base64_encode(bytes) + "\"}";
  const HttpRequest r = parse_ok(event);
  EXPECT_EQ(r.body.size(), bytes.size());
  EXPECT_EQ(r.body, bytes);
}

// ------------------------------------------------------------------ responses

HttpRequest request_of(EventKind kind, bool multi = false) {
  HttpRequest r;
  r.kind = kind;
  r.multi_value_headers = multi;
  return r;
}

const HttpResponse kTwoCookies{201,
                               {{"Content-Type", "text/plain"},
                                {"Set-Cookie", "a=1; Path=/"},
                                {"X-Tag", "x"},
                                {"set-cookie", "b=2; Path=/"},
                                {"x-tag", "y"}},
                               "made \"it\"\n"};

TEST(LambdaResponse, RestPutsRepeatedHeadersInMultiValueHeaders) {
  const JsonDoc d(format_response(request_of(EventKind::rest_v1), kTwoCookies));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.num("/statusCode"), 201);
  EXPECT_EQ(d.str("/headers/content-type"), "text/plain");
  EXPECT_FALSE(d.has("/headers/set-cookie"));
  EXPECT_EQ(d.size("/multiValueHeaders/set-cookie"), 2u);
  EXPECT_EQ(d.str("/multiValueHeaders/set-cookie/1"), "b=2; Path=/");
  EXPECT_EQ(d.str("/multiValueHeaders/x-tag/0"), "x");
  EXPECT_EQ(d.str("/body"), "made \"it\"\n");
  EXPECT_FALSE(d.flag("/isBase64Encoded"));
  EXPECT_FALSE(d.has("/statusDescription"));
}

TEST(LambdaResponse, HttpApiMovesSetCookieToCookiesAndJoinsTheRest) {
  const JsonDoc d(format_response(request_of(EventKind::http_v2), kTwoCookies));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.size("/cookies"), 2u);
  EXPECT_EQ(d.str("/cookies/0"), "a=1; Path=/");
  EXPECT_FALSE(d.has("/headers/set-cookie"));
  EXPECT_EQ(d.str("/headers/x-tag"), "x, y");
  EXPECT_FALSE(d.has("/multiValueHeaders"));
}

TEST(LambdaResponse, AlbAnswersInTheHeaderModeOfItsEvent) {
  const JsonDoc single(format_response(request_of(EventKind::alb, false), kTwoCookies));
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single.str("/statusDescription"), "201 Created");
  EXPECT_EQ(single.str("/headers/set-cookie"), "b=2; Path=/");  // ALB keeps one: the last
  EXPECT_EQ(single.str("/headers/x-tag"), "x, y");
  EXPECT_FALSE(single.has("/multiValueHeaders"));
  const JsonDoc multi(format_response(request_of(EventKind::alb, true), kTwoCookies));
  ASSERT_TRUE(multi.ok());
  EXPECT_EQ(multi.size("/multiValueHeaders/set-cookie"), 2u);
  EXPECT_EQ(multi.size("/multiValueHeaders/content-type"), 1u);
  EXPECT_FALSE(multi.has("/headers"));
  const JsonDoc odd(format_response(request_of(EventKind::alb), {599, {}, ""}));
  EXPECT_EQ(odd.str("/statusDescription"), "599");  // no reason phrase known
}

TEST(LambdaResponse, BinaryBodiesGoOutBase64) {
  const std::string png("\x89PNG\r\n\x1a\n\x00\x01", 10);
  const JsonDoc d(format_response(request_of(EventKind::http_v2), {200, {{"content-type", "image/png"}}, png}));
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d.flag("/isBase64Encoded"));
  std::string decoded;
  ASSERT_TRUE(base64_decode(d.str("/body"), decoded));
  EXPECT_EQ(decoded, png);
  // Textual type but not UTF-8: the JSON document could not carry it.
  const JsonDoc latin1(
      format_response(request_of(EventKind::rest_v1), {200, {{"content-type", "text/plain"}}, "caf\xe9"}));
  EXPECT_TRUE(latin1.ok());
  EXPECT_TRUE(latin1.flag("/isBase64Encoded"));
  // Compressed JSON is bytes, whatever its type says.
  const JsonDoc gz(format_response(request_of(EventKind::rest_v1),
                                   {200, {{"content-type", "application/json"}, {"content-encoding", "gzip"}}, "{}"}));
  EXPECT_TRUE(gz.flag("/isBase64Encoded"));
}

TEST(LambdaResponse, AHeaderValueThatIsNotUtf8KeepsTheDocumentValid) {
  for (const EventKind kind : {EventKind::rest_v1, EventKind::http_v2, EventKind::alb}) {
    for (const bool multi : {false, true}) {
      const JsonDoc d(format_response(request_of(kind, multi),
                                      {200, {{"x-latin1", "caf\xe9"}, {"set-cookie", "n=\xff"}}, ""}));
      ASSERT_TRUE(d.ok()) << describe(kind);
      const std::string v =
          d.has("/headers/x-latin1") ? d.str("/headers/x-latin1") : d.str("/multiValueHeaders/x-latin1/0");
      EXPECT_EQ(v, "caf?") << describe(kind);
    }
  }
}

TEST(LambdaResponse, TextTypesAreRecognised) {
  EXPECT_TRUE(is_text_body("text/html; charset=utf-8", "", "<p>é</p>"));
  EXPECT_TRUE(is_text_body("Application/JSON", "", "{}"));
  EXPECT_TRUE(is_text_body("application/problem+json", "", "{}"));
  EXPECT_TRUE(is_text_body("image/svg+xml", "identity", "<svg/>"));
  EXPECT_TRUE(is_text_body("application/x-www-form-urlencoded", "", "a=1"));
  EXPECT_TRUE(is_text_body("", "", ""));
  EXPECT_FALSE(is_text_body("", "", "bytes of no stated type"));
  EXPECT_FALSE(is_text_body("application/octet-stream", "", "abc"));
  EXPECT_FALSE(is_text_body("text/plain", "br", "abc"));
}

TEST(LambdaResponse, AHugeBinaryBodyRoundTrips) {
  std::string body(5 * 1024 * 1024, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 131);
  const std::string doc = format_response(request_of(EventKind::http_v2), {200, {}, body});
  const JsonDoc d(doc);
  ASSERT_TRUE(d.ok());
  std::string decoded;
  ASSERT_TRUE(base64_decode(d.str("/body"), decoded));
  EXPECT_EQ(decoded, body);
}

TEST(LambdaErrorDocument, IsTheDocumentedShapeWhateverTheMessage) {
  const JsonDoc d(format_error("a \"quoted\"\nmessage", "InvalidEvent"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.str("/errorMessage"), "a \"quoted\"\nmessage");
  EXPECT_EQ(d.str("/errorType"), "InvalidEvent");
  const JsonDoc bytes(format_error("bad \xff byte", "UnhandledException"));
  EXPECT_TRUE(bytes.ok());  // still valid JSON (and UTF-8)
  EXPECT_EQ(bytes.str("/errorType"), "UnhandledException");
}

}  // namespace
}  // namespace strata::lambda
