// The Lambda adapter's translation layer, Mangum's handlers in C++: an AWS
// event that carries an HTTP request becomes one request for the tier-2
// boundary, and the app's response becomes the JSON document the event's
// source expects back. Pure functions: no loop, no sockets, no app.
//
// Event kinds (AWS's documented formats):
//   API Gateway REST API, payload 1.0: httpMethod, path, headers and/or
//     multiValueHeaders, queryStringParameters and/or
//     multiValueQueryStringParameters (values decoded by API Gateway),
//     body, isBase64Encoded. Also an HTTP API's 1.0 payload ("version": "1.0").
//   API Gateway HTTP API, payload 2.0 ("version": "2.0"): rawPath,
//     rawQueryString, headers (repeated ones joined with commas), cookies,
//     requestContext.http.method, body, isBase64Encoded.
//   ALB target group (requestContext.elb): httpMethod, path, and either
//     headers + queryStringParameters or, with multi-value headers on,
//     multiValueHeaders + multiValueQueryStringParameters; query values
//     arrive as the client sent them (still percent-encoded).
//
// Responses, in the shape each source reads:
//   REST (1.0): statusCode, headers (names with one value),
//     multiValueHeaders (names with several, Set-Cookie typically), body,
//     isBase64Encoded.
//   HTTP API (2.0): statusCode, headers (repeats joined with ", "),
//     cookies (every Set-Cookie value), body, isBase64Encoded.
//   ALB: statusCode, statusDescription ("200 OK"), then multiValueHeaders
//     when the event had them (the target group's setting), else headers,
//     where a repeated Set-Cookie keeps its last value, as ALB itself would.
// A body is sent as text when its Content-Type is textual (text/*, JSON,
// XML, JavaScript, form data), it has no Content-Encoding and it is valid
// UTF-8; anything else is base64 with isBase64Encoded: true.
//
// Errors are values: parse_event() returns false with one sentence for
// anything that is not such an event (not JSON, another kind of event, a
// field of the wrong type, a body that is not base64 when it says it is).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata::lambda {

enum class EventKind { rest_v1, http_v2, alb };

// "API Gateway REST (1.0)", "API Gateway HTTP API (2.0)", "ALB".
std::string_view describe(EventKind kind);

using Fields = std::vector<std::pair<std::string, std::string>>;

// One event as an HTTP request. Owns its strings; a tier-2 Scope views them.
struct HttpRequest {
  EventKind kind = EventKind::rest_v1;
  // The event had multiValueHeaders: ALB then expects them back.
  bool multi_value_headers = false;
  std::string method;        // upper-case
  std::string path;          // decoded
  std::string raw_path;      // as sent (REST: re-encoded from the decoded path)
  std::string query_string;  // encoded, without '?'
  std::string scheme = "https";  // X-Forwarded-Proto when given
  std::string client_ip;     // requestContext's source IP; may be empty
  // Lower-case names, in the event's order; v2's cookies as one Cookie
  // header; Content-Length set to the decoded body's size when it has one.
  Fields headers;
  std::string body;          // base64-decoded when the event said so
};

// Parses `event_json` into `out`. False, with one sentence in `error`, when
// it is not an HTTP event of a known kind.
bool parse_event(std::string_view event_json, HttpRequest& out, std::string& error);

// What the app answered.
struct HttpResponse {
  int status = 200;
  Fields headers;  // any case; repeated names kept in order
  std::string body;
};

// The response document for `request`'s kind.
std::string format_response(const HttpRequest& request, const HttpResponse& response);

// The Runtime API's error document: {"errorMessage": ..., "errorType": ...}.
std::string format_error(std::string_view message, std::string_view type);

// Whether a body with these headers goes out as text (else base64).
bool is_text_body(std::string_view content_type, std::string_view content_encoding, std::string_view body);

// Standard base64 (RFC 4648 section 4, with padding). decode accepts
// missing padding and refuses any other character.
std::string base64_encode(std::string_view bytes);
bool base64_decode(std::string_view text, std::string& out);

// application/x-www-form-urlencoded encoding of one key or value, as
// Python's urllib.parse.quote_plus: unreserved bytes kept, ' ' as '+'.
void append_form_encoded(std::string& out, std::string_view s);

}  // namespace strata::lambda
