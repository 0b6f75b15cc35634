#include "router/api.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "common/ablation.hpp"
#include "common/text.hpp"
#include "parser/http1.hpp"

#ifndef STRATA_SWAGGER_UI_INSTALL_DIR
#define STRATA_SWAGGER_UI_INSTALL_DIR ""
#endif
#ifndef STRATA_SWAGGER_UI_DIR
#define STRATA_SWAGGER_UI_DIR ""
#endif
#ifndef STRATA_REDOC_INSTALL_DIR
#define STRATA_REDOC_INSTALL_DIR ""
#endif
#ifndef STRATA_REDOC_DIR
#define STRATA_REDOC_DIR ""
#endif

namespace strata::router {

namespace {

std::string describe_errors(const Errors& errors) {
  std::string s = "response does not match its model: ";
  errors.to_json(s);
  return s;
}

// "post_items_id" -> "Post Items Id": FastAPI titles a function name the same way.
std::string title_case(std::string_view name) {
  std::string out;
  bool start = true;
  for (char c : name) {
    if (c == '_') {
      if (!start) out.push_back(' ');
      start = true;
      continue;
    }
    out.push_back(start && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
    start = false;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// "/items/{id:int}" -> "/items/{id}": OpenAPI has no converters.
std::string openapi_path(std::string_view path) {
  std::string out;
  bool in_param = false;
  for (size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '{') in_param = true;
    if (c == '}') in_param = false;
    if (c == ':' && in_param) {
      while (i + 1 < path.size() && path[i + 1] != '}') ++i;
      continue;
    }
    out.push_back(c);
  }
  return out;
}

// The default operationId: method and path, runs of anything else as one '_'.
std::string operation_id(std::string_view method, std::string_view path) {
  std::string id;
  for (char c : method) id.push_back(text::ascii_lower(c));
  for (char c : path) {
    const bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (word) id.push_back(c);
    else if (id.back() != '_') id.push_back('_');
  }
  while (id.back() == '_') id.pop_back();
  return id;
}

bool is_json_media_type(std::string_view value) {
  if (value == "application/json") return true;  // what nearly every client sends
  std::string_view type = value.substr(0, value.find(';'));
  type = text::trim_ows(type);
  constexpr std::string_view app = "application/";
  if (type.size() < app.size() || !text::iequals(type.substr(0, app.size()), app)) return false;
  const std::string_view sub = type.substr(app.size());
  return text::iequals(sub, "json") || (sub.size() > 5 && text::iequals(sub.substr(sub.size() - 5), "+json"));
}

constexpr std::string_view kValidationSchemas =
    R"("HTTPValidationError":{"title":"HTTPValidationError","type":"object","properties":{"detail":{"title":"Detail",)"
    R"("type":"array","items":{"$ref":"#/components/schemas/ValidationError"}}}},)"
    R"("ValidationError":{"title":"ValidationError","type":"object","properties":{"loc":{"title":"Location",)"
    R"("type":"array","items":{"anyOf":[{"type":"string"},{"type":"integer"}]}},"msg":{"title":"Message",)"
    R"("type":"string"},"type":{"title":"Error Type","type":"string"}},"required":["loc","msg","type"]})";

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return std::nullopt;
  std::string body(static_cast<size_t>(in.tellg()), '\0');
  in.seekg(0);
  if (!in.read(body.data(), static_cast<std::streamsize>(body.size()))) return std::nullopt;
  return body;
}

}  // namespace

ResponseValidationError::ResponseValidationError(Errors errors)
    : std::runtime_error(describe_errors(errors)), errors_(std::move(errors)) {}

namespace detail {

void check_content_type(Solver& s) {
  // Tier 2 lower-cases header names, so the scope's exact lookup will do.
  const std::string_view found = s.req.scope().header("content-type");
  const std::optional<std::string_view> type =
      found.data() ? std::optional<std::string_view>(found) : std::nullopt;
  if (type && is_json_media_type(*type)) return;
  s.body_is_json = false;
  std::string input = "null";
  if (type) {
    input.clear();
    json::append_string(input, *type);
  }
  const Path root;
  const Path at(&root, "body");
  add_error(s.errors, at, "content_type", "Content-Type should be application/json", std::move(input));
}

std::optional<std::string_view> param_text(const app::Request& req, Source source, std::string_view name) {
  switch (source) {
    case Source::path:
      if (const app::PathParam* p = req.path_params().find(name)) return p->text;
      return std::nullopt;
    case Source::query: {
      // The last of repeated keys, as FastAPI reads query_params[name].
      std::optional<std::string_view> last;
      for (const auto& [key, value] : req.query_params())
        if (key == name) last = value;
      return last;
    }
    case Source::header: return req.header(name);
    case Source::cookie: return req.cookie(name);
    case Source::form: return std::nullopt;  // read from the Solver's form (form_text)
  }
  return std::nullopt;
}

std::optional<std::string_view> form_text(const app::FormData* form, std::string_view name) {
  std::optional<std::string_view> last;
  for (const app::FormField& f : form->items())
    if (!f.is_file() && f.name == name) last = f.value;
  // FastAPI reads an empty form value as no value.
  if (last && last->empty()) return std::nullopt;
  return last;
}

std::vector<std::string_view> form_texts(const app::FormData* form, std::string_view name) {
  return form->get_all(name);
}

std::vector<app::UploadFile*> form_files(Solver& s, std::string_view name, bool required, const Path& at) {
  std::vector<app::UploadFile*> files = s.form->files(name);
  if (!files.empty() || !required) return files;
  if (const auto text = s.form->get(name)) {
    // What FastAPI answers when a text field stands where a file belongs.
    std::string input;
    json::append_string(input, *text);
    add_error(s.errors, at, "value_error", "Value error, Expected UploadFile, received: <class 'str'>",
              std::move(input), "{\"error\":{}}");
  } else {
    add_error(s.errors, at, "missing", "Field required", "null");
  }
  return files;
}

Task<const app::FormData*> read_form(app::Request& req, const app::FormLimits& limits) {
  static const app::FormData no_fields;
  try {
    const app::FormData& form = co_await req.form(limits);
    co_return &form;
  } catch (const app::HTTPException& e) {
    if (e.status() != 415) throw;
  }
  co_return &no_fields;
}

std::vector<std::string_view> param_texts(const app::Request& req, Source source, std::string_view name) {
  if (source == Source::query) return req.query_all(name);
  if (source == Source::header) return req.header_all(name);
  std::vector<std::string_view> v;
  if (auto t = param_text(req, source, name)) v.push_back(*t);
  return v;
}

app::Response validation_error(const Errors& errors) {
  std::string body;
  errors.to_json(body);
  return app::Response::json(std::move(body), 422);
}

app::Response http_error(const app::HTTPException& e) {
  std::string body = "{\"detail\":";
  json::append_string(body, e.detail().empty() ? http::reason_phrase(e.status()) : std::string_view(e.detail()));
  body.push_back('}');
  app::Response r = app::Response::json(std::move(body), e.status());
  for (const auto& [name, value] : e.headers()) r.header(name, value);
  return r;
}

std::string param_doc_json(Source source, std::string_view name, bool required, std::string schema) {
  std::string out = "{\"name\":";
  json::append_string(out, name);
  out.append(",\"in\":\"").append(source_name(source)).append("\",\"required\":");
  out.append(required || source == Source::path ? "true" : "false");
  out.append(",\"schema\":").append(schema).push_back('}');
  return out;
}

void check_path_params(std::string_view path, const std::vector<std::string_view>& names) {
  for (std::string_view name : names) {
    const std::string open = "{" + std::string(name);
    bool found = false;
    for (size_t at = path.find(open); at != std::string_view::npos; at = path.find(open, at + 1)) {
      const char next = at + open.size() < path.size() ? path[at + open.size()] : '\0';
      if (next == '}' || next == ':') found = true;
    }
    if (!found)
      throw std::invalid_argument("route " + std::string(path) + ": Path<\"" + std::string(name) +
                                  "\"> has no {" + std::string(name) + "} in the path");
  }
}

}  // namespace detail

// ------------------------------------------------------------------ the document

struct API::DocsFiles {
  struct File {
    std::string body;
    std::string_view media_type;
  };
  std::string dir;
  std::string problem;  // why /docs cannot be served, when it cannot
  std::string html;
  std::map<std::string, File, std::less<>> files;
};

API::API(APIConfig config) : config_(std::move(config)), app_(config_.app), docs_(std::make_unique<DocsFiles>()) {
  // validate-response=off (common/ablation.hpp): read here because each
  // route picks its encoder when it is added, not per request.
  if (ablation::value("validate-response") == "off") config_.validate_responses = false;
  if (!config_.openapi_url.empty()) {
    app_.get(config_.openapi_url, [this](app::Request&) -> Task<app::Response> {
      co_return app::Response::json(openapi());
    });
    if (!config_.docs_url.empty()) serve_docs();
    if (!config_.redoc_url.empty()) serve_redoc();
  }
  // Built when the first worker starts, not per request.
  app_.on_startup([this] { openapi(); });
}

API::~API() = default;

// Where a documentation page's files are, first found of: the API's
// setting, $<env>, share/strata/<name> beside the running program's bin/
// (an installed strata or app), the install prefix strata was configured
// with, and the source tree it was built from. `probe` is one of the files.
static std::string asset_dir(const std::string& configured, const char* env_name, std::string_view name,
                             std::string_view probe, const char* install_dir, const char* source_dir) {
  if (!configured.empty()) return configured;
  if (const char* env = std::getenv(env_name); env && *env) return env;
  auto has_files = [probe](const std::string& dir) {
    return ::access((dir + "/" + std::string(probe)).c_str(), R_OK) == 0;
  };
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    std::string dir(exe, static_cast<size_t>(n));
    dir = dir.substr(0, dir.rfind('/'));  // .../bin
    dir = dir.substr(0, dir.rfind('/')) + "/share/strata/" + std::string(name);
    if (has_files(dir)) return dir;
  }
  if (has_files(install_dir)) return install_dir;
  return source_dir;
}

static std::string swagger_ui_dir(const std::string& configured) {
  return asset_dir(configured, "STRATA_SWAGGER_UI_DIR", "swagger-ui", "swagger-ui.css", STRATA_SWAGGER_UI_INSTALL_DIR,
                   STRATA_SWAGGER_UI_DIR);
}

// ReDoc, FastAPI's second documentation page: the page get_redoc_html
// writes, with redoc's standalone bundle served from here instead of a CDN
// (and no web fonts, which would be fetched from one).
void API::serve_redoc() {
  const std::string dir = asset_dir(config_.redoc_dir, "STRATA_REDOC_DIR", "redoc", "redoc.standalone.js",
                                    STRATA_REDOC_INSTALL_DIR, STRATA_REDOC_DIR);
  const std::string base = config_.redoc_url;
  // Read on the first request for it, not when the API is built: most APIs
  // (every test's) never serve it.
  struct Page {
    std::string html, problem;
    std::once_flag read;
    std::optional<std::string> js;
    const std::optional<std::string>& script(const std::string& path) {
      std::call_once(read, [&] { js = read_file(path); });
      return js;
    }
  };
  auto page = std::make_shared<Page>();
  page->html = "<!DOCTYPE html>\n<html>\n<head>\n<title>" + config_.title +
               " - ReDoc</title>\n<meta charset=\"utf-8\"/>\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
               "<style>\n  body {\n    margin: 0;\n    padding: 0;\n  }\n</style>\n</head>\n<body>\n<noscript>\n"
               "  ReDoc requires Javascript to function. Please enable it to browse the documentation.\n</noscript>\n"
               "<redoc spec-url=\"" +
               config_.openapi_url + "\"></redoc>\n<script src=\"" + base +
               "/redoc.standalone.js\"> </script>\n</body>\n</html>\n";
  const std::string path = dir + "/redoc.standalone.js";
  page->problem = "ReDoc is not installed: " + path +
                  " is missing (scripts/install-deps.sh installs redoc; STRATA_REDOC_DIR points elsewhere)";
  app_.get(base, [page, path](app::Request&) -> Task<app::Response> {
    if (!page->script(path)) co_return app::Response::text(page->problem, 404);
    co_return app::Response::html(page->html);
  });
  app_.get(base + "/redoc.standalone.js", [page, path](app::Request&) -> Task<app::Response> {
    const auto& js = page->script(path);
    if (!js) co_return app::Response::text("Not Found", 404);
    app::Response r = app::Response::bytes(*js, "text/javascript; charset=utf-8");
    r.header("cache-control", "public, max-age=3600");
    co_return r;
  });
}

void API::serve_docs() {
  DocsFiles& d = *docs_;
  d.dir = swagger_ui_dir(config_.docs_dir);

  static constexpr std::pair<std::string_view, std::string_view> kFiles[] = {
      {"swagger-ui.css", "text/css; charset=utf-8"},
      {"swagger-ui-bundle.js", "text/javascript; charset=utf-8"},
      {"favicon-32x32.png", "image/png"},
      {"favicon-16x16.png", "image/png"},
  };
  for (const auto& [name, type] : kFiles) {
    auto body = read_file(d.dir + "/" + std::string(name));
    if (!body) {
      if (d.problem.empty() && name.ends_with(".png") == false)
        d.problem = "Swagger UI is not installed: " + d.dir + "/" + std::string(name) +
                    " is missing (scripts/install-deps.sh installs swagger-ui-dist; STRATA_SWAGGER_UI_DIR points "
                    "elsewhere)";
      continue;
    }
    d.files.emplace(std::string(name), DocsFiles::File{std::move(*body), type});
  }

  // The page FastAPI's get_swagger_ui_html writes, with the assets served here
  // instead of from a CDN.
  const std::string base = config_.docs_url;
  d.html = "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>";
  d.html += config_.title + " - Swagger UI</title>\n<link type=\"text/css\" rel=\"stylesheet\" href=\"" + base +
            "/swagger-ui.css\">\n<link rel=\"shortcut icon\" href=\"" + base +
            "/favicon-32x32.png\">\n</head>\n<body>\n<div id=\"swagger-ui\"></div>\n<script src=\"" + base +
            "/swagger-ui-bundle.js\"></script>\n<script>\nconst ui = SwaggerUIBundle({\n  url: '" +
            config_.openapi_url +
            "',\n  dom_id: '#swagger-ui',\n  layout: 'BaseLayout',\n  deepLinking: true,\n  showExtensions: true,\n"
            "  showCommonExtensions: true,\n  presets: [SwaggerUIBundle.presets.apis, "
            "SwaggerUIBundle.SwaggerUIStandalonePreset],\n})\n</script>\n</body>\n</html>\n";

  const DocsFiles* docs = docs_.get();
  app_.get(base, [docs](app::Request&) -> Task<app::Response> {
    if (!docs->problem.empty()) co_return app::Response::text(docs->problem, 404);
    co_return app::Response::html(docs->html);
  });
  app_.get(base + "/{file}", [docs](app::Request& req) -> Task<app::Response> {
    const auto it = docs->files.find(req.path_param("file"));
    if (it == docs->files.end()) co_return app::Response::text("Not Found", 404);
    app::Response r = app::Response::bytes(it->second.body, it->second.media_type);
    r.header("cache-control", "public, max-age=3600");
    co_return r;
  });
}

void API::add_operation(std::string_view method, std::string_view path, const RouteOptions& options,
                        detail::OperationDoc& doc, std::string success_content) {
  std::string parameters;
  for (const auto& p : doc.params) parameters.append(parameters.empty() ? "" : ",").append(p.json);
  std::string& request_body = doc.body;
  const bool validates = !doc.params.empty() || !doc.body.empty() || !doc.form.empty();
  for (const auto& sec : doc.security) {
    const auto [it, added] = security_schemes_.try_emplace(std::string(sec.name), sec.scheme);
    if (!added && it->second != sec.scheme)
      throw std::invalid_argument("route " + std::string(method) + " " + std::string(path) +
                                  ": two different security schemes are named " + std::string(sec.name) +
                                  " (give one a SchemeName)");
  }

  Operation op;
  for (char c : method) op.method.push_back(text::ascii_lower(c));
  op.path = openapi_path(path);
  const std::string id = options.name.empty() ? operation_id(op.method, op.path) : options.name;

  std::string& j = op.json;
  j = "{";
  if (!options.tags.empty()) {
    j.append("\"tags\":[");
    for (size_t i = 0; i < options.tags.size(); ++i) {
      if (i) j.push_back(',');
      json::append_string(j, options.tags[i]);
    }
    j.append("],");
  }
  j.append("\"summary\":");
  json::append_string(j, options.summary.empty() ? title_case(id) : options.summary);
  if (!options.description.empty()) {
    j.append(",\"description\":");
    json::append_string(j, options.description);
  }
  j.append(",\"operationId\":");
  json::append_string(j, id);
  if (!doc.form.empty()) {
    if (!request_body.empty())
      throw std::invalid_argument("route " + std::string(method) + " " + std::string(path) +
                                  ": a Body<T> and Form<> or File<> parameters cannot share a request");
    // FastAPI's shape: one object schema for the whole form, named after the
    // operation, referenced from the request body.
    const std::string name = "Body_" + id;
    std::string schema = "{\"title\":";
    json::append_string(schema, name);
    schema.append(",\"type\":\"object\",\"properties\":{");
    std::string required;
    bool multipart = false;
    for (size_t i = 0; i < doc.form.size(); ++i) {
      const auto& f = doc.form[i];
      if (i) schema.push_back(',');
      json::append_string(schema, f.name);
      schema.push_back(':');
      schema.append(f.schema);
      if (f.required) {
        if (!required.empty()) required.push_back(',');
        json::append_string(required, f.name);
      }
      multipart = multipart || f.file;
    }
    schema.push_back('}');
    if (!required.empty()) schema.append(",\"required\":[").append(required).push_back(']');
    schema.push_back('}');
    schemas_.add_named(name, std::move(schema));
    request_body = "{\"content\":{\"";
    request_body.append(multipart ? "multipart/form-data" : "application/x-www-form-urlencoded");
    request_body.append("\":{\"schema\":{\"$ref\":");
    json::append_string(request_body, "#/components/schemas/" + name);
    request_body.append("}}}");
    if (!required.empty()) request_body.append(",\"required\":true");
    request_body.push_back('}');
  }
  if (!parameters.empty()) j.append(",\"parameters\":[").append(parameters).push_back(']');
  if (!request_body.empty()) j.append(",\"requestBody\":").append(request_body);
  if (!doc.security.empty()) {
    j.append(",\"security\":[");
    for (size_t i = 0; i < doc.security.size(); ++i) {
      if (i) j.push_back(',');
      j.push_back('{');
      json::append_string(j, doc.security[i].name);
      j.append(":[]}");
    }
    j.push_back(']');
  }
  j.append(",\"responses\":{\"");
  json::append_int(j, options.status_code);
  j.append("\":{\"description\":\"Successful Response\"");
  // A 204 (or 304) has no content to describe; FastAPI leaves it out too.
  if (detail::status_has_body(options.status_code)) j.append(",\"content\":").append(success_content);
  j.push_back('}');
  if (validates)
    j.append(",\"422\":{\"description\":\"Validation Error\",\"content\":{\"application/json\":{\"schema\":"
             "{\"$ref\":\"#/components/schemas/HTTPValidationError\"}}}}");
  std::vector<int> seen{options.status_code};
  if (validates) seen.push_back(422);
  for (const ResponseDoc& r : options.responses) {
    if (r.status < 100 || r.status > 599)
      throw std::invalid_argument("route " + std::string(method) + " " + std::string(path) +
                                  ": a documented response needs a status from 100 to 599");
    if (std::find(seen.begin(), seen.end(), r.status) != seen.end())
      throw std::invalid_argument("route " + std::string(method) + " " + std::string(path) + ": response " +
                                  std::to_string(r.status) + " is documented twice");
    seen.push_back(r.status);
    j.append(",\"");
    json::append_int(j, r.status);
    j.append("\":{\"description\":");
    json::append_string(j, r.description.empty() ? std::string(http::reason_phrase(r.status)) : r.description);
    if (r.schema) {
      j.append(",\"content\":{\"application/json\":{\"schema\":");
      r.schema(j, schemas_);
      j.append("}}");
    }
    j.push_back('}');
  }
  j.append("}}");
  if (validates) schemas_validation_ = true;
  operations_.push_back(std::move(op));
}

RouterOptions API::combine(const RouterOptions& outer, const RouterOptions& inner) {
  RouterOptions o = outer;
  o.prefix += inner.prefix;
  o.tags.insert(o.tags.end(), inner.tags.begin(), inner.tags.end());
  o.dependencies.insert(o.dependencies.end(), inner.dependencies.begin(), inner.dependencies.end());
  for (const ResponseDoc& r : inner.responses) {  // the inner (closer to the route) wins
    std::erase_if(o.responses, [&](const ResponseDoc& x) { return x.status == r.status; });
    o.responses.push_back(r);
  }
  return o;
}

static void check_prefix(std::string_view prefix) {
  if (!prefix.empty() && (prefix.front() != '/' || prefix.back() == '/'))
    throw std::invalid_argument("router prefix \"" + std::string(prefix) +
                                "\" must start with '/' and not end with '/'");
}

APIRouter::APIRouter(RouterOptions options) : options_(std::move(options)) { check_prefix(options_.prefix); }

APIRouter& APIRouter::include_router(const APIRouter& router, RouterOptions options) {
  check_prefix(options.prefix);
  const RouterOptions inner = API::combine(options, router.options_);
  for (const Add& add : router.routes_)
    routes_.push_back([add, inner](API& api, const RouterOptions& outer) { add(api, API::combine(outer, inner)); });
  return *this;
}

API& API::include_router(const APIRouter& router, RouterOptions options) {
  check_prefix(options.prefix);
  const RouterOptions outer = combine(options, router.options_);
  for (const APIRouter::Add& add : router.routes_) add(*this, outer);
  return *this;
}

void API::clear_dependency_overrides() { overrides_.clear(); }

const std::string& API::openapi() {
  std::call_once(built_, [this] {
    std::string& d = openapi_;
    d = "{\"openapi\":\"3.1.0\",\"info\":{\"title\":";
    json::append_string(d, config_.title);
    if (!config_.description.empty()) {
      d.append(",\"description\":");
      json::append_string(d, config_.description);
    }
    d.append(",\"version\":");
    json::append_string(d, config_.version);
    d.append("},\"paths\":{");
    // Operations grouped by path, paths in the order first declared.
    std::vector<std::string> order;
    std::map<std::string, std::string> ops;
    for (const auto& op : operations_) {
      std::string& item = ops[op.path];
      if (item.empty()) order.push_back(op.path);
      else item.push_back(',');
      json::append_string(item, op.method);
      item.push_back(':');
      item.append(op.json);
    }
    for (size_t i = 0; i < order.size(); ++i) {
      if (i) d.push_back(',');
      json::append_string(d, order[i]);
      d.append(":{").append(ops[order[i]]).push_back('}');
    }
    d.append("},\"components\":{\"schemas\":");
    std::string models;
    schemas_.to_json(models);  // {"A":...,"B":...}
    if (schemas_validation_) {
      models.insert(1, std::string(kValidationSchemas) + (models.size() > 2 ? "," : ""));
    }
    d.append(models);
    if (!security_schemes_.empty()) {
      d.append(",\"securitySchemes\":{");
      bool first = true;
      for (const auto& [name, scheme] : security_schemes_) {
        if (!first) d.push_back(',');
        first = false;
        json::append_string(d, name);
        d.push_back(':');
        d.append(scheme);
      }
      d.push_back('}');
    }
    d.append("}}");
  });
  return openapi_;
}

}  // namespace strata::router
