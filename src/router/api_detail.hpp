// How tier 4's API templates work: pulling each parameter out of a request,
// solving dependencies, calling the handler on the loop or the pool,
// validating and encoding the result, and describing it all in OpenAPI.
// Included by router/api.hpp only; applications include that.
#pragma once

#include "router/api.hpp"

namespace strata::router {

namespace detail {

template <class A>
inline constexpr bool is_body = false;
template <class T>
inline constexpr bool is_body<Body<T>> = true;

template <class A>
concept ParamArg = requires {
  A::source;
  A::name();
};
template <class A>
concept DependsArg = requires { A::function; };
template <class A>
concept RequestArg = std::is_same_v<A, app::Request>;
template <class A>
concept SecurityArg = requires { A::is_security_scheme; };
template <class A>
concept FileArg = requires { A::is_upload; };
template <class A>
concept BackgroundArg = std::is_same_v<A, app::BackgroundTasks>;
template <class A>
concept FormParamArg = ParamArg<A> && A::source == Source::form;

template <class A>
struct stored {
  using type = std::remove_cvref_t<A>;
};
template <class A>
  requires RequestArg<std::remove_cvref_t<A>>
struct stored<A> {
  using type = app::Request*;
};
template <class A>
  requires BackgroundArg<std::remove_cvref_t<A>>
struct stored<A> {
  using type = app::BackgroundTasks*;
};

template <class Tuple>
struct stored_tuple;
template <class... A>
struct stored_tuple<std::tuple<A...>> {
  using type = std::tuple<typename stored<A>::type...>;
};

template <class Tuple>
struct arg_flags;
template <class... A>
struct arg_flags<std::tuple<A...>> {
  static constexpr bool check() {
    constexpr bool known = ((ParamArg<std::remove_cvref_t<A>> || is_body<std::remove_cvref_t<A>> ||
                             DependsArg<std::remove_cvref_t<A>> || RequestArg<std::remove_cvref_t<A>> ||
                             SecurityArg<std::remove_cvref_t<A>> || FileArg<std::remove_cvref_t<A>> ||
                             BackgroundArg<std::remove_cvref_t<A>>)&&...);
    static_assert(known,
                  "every handler parameter must be Path<>, Query<>, Header<>, Cookie<>, Form<>, File<>, Body<>, "
                  "Depends<>, a security scheme, app::BackgroundTasks& or app::Request& (see router/params.hpp and "
                  "router/security.hpp)");
    return known;
  }
  static constexpr bool body_here = (is_body<std::remove_cvref_t<A>> || ...);
  static constexpr bool depends = (DependsArg<std::remove_cvref_t<A>> || ...);
  static constexpr size_t bodies = (size_t{is_body<std::remove_cvref_t<A>>} + ... + 0);
};

template <class Tuple>
struct needs_body_of;

// Whether an argument, or a dependency's arguments all the way down, read the body.
template <class A>
constexpr bool arg_needs_body() {
  using P = std::remove_cvref_t<A>;
  if constexpr (is_body<P>) return true;
  else if constexpr (DependsArg<P>) return needs_body_of<typename P::traits::args>::value;
  else return false;
}
template <class... A>
struct needs_body_of<std::tuple<A...>> {
  static constexpr bool value = (arg_needs_body<A>() || ...);
};

// The same for a form (Form<> or File<>) and for app::BackgroundTasks&.
template <class Tuple>
struct needs_form_of;
template <class A>
constexpr bool arg_needs_form() {
  using P = std::remove_cvref_t<A>;
  if constexpr (FormParamArg<P> || FileArg<P>) return true;
  else if constexpr (DependsArg<P>) return needs_form_of<typename P::traits::args>::value;
  else return false;
}
template <class... A>
struct needs_form_of<std::tuple<A...>> {
  static constexpr bool value = (arg_needs_form<A>() || ...);
};
template <class Tuple>
struct needs_background_of;
template <class A>
constexpr bool arg_needs_background() {
  using P = std::remove_cvref_t<A>;
  if constexpr (BackgroundArg<P>) return true;
  else if constexpr (DependsArg<P>) return needs_background_of<typename P::traits::args>::value;
  else return false;
}
template <class... A>
struct needs_background_of<std::tuple<A...>> {
  static constexpr bool value = (arg_needs_background<A>() || ...);
};

// One request's solving state: errors from every parameter, the body, and
// the dependencies solved so far.
struct Solver {
  explicit Solver(app::Request& r) : req(r) {}
  app::Request& req;
  Errors errors;
  std::string_view body;
  bool body_is_json = true;
  struct Solved {
    const void* key;
    std::shared_ptr<void> value;  // null: its parameters failed
  };
  std::vector<Solved> solved;
  // The API's replacements; set only on routes that solve dependencies.
  const std::map<const void*, Override>* overrides = nullptr;
  // Set only on routes that read a form or take app::BackgroundTasks&.
  const app::FormData* form = nullptr;
  app::BackgroundTasks* background = nullptr;
};

// One address per dependency function: the key of the request's cache and
// of the API's overrides.
template <auto Fn>
inline constexpr char dependency_key = 0;

// After the body is read: records a content_type error unless the request
// says it is JSON (the rule at the top of this header).
void check_content_type(Solver& s);

// RFC 9110: 1xx, 204 and 304 responses have no content.
constexpr bool status_has_body(int status) { return status >= 200 && status != 204 && status != 304; }

std::optional<std::string_view> param_text(const app::Request& req, Source source, std::string_view name);
// A form's text field as Form<> reads it: the last of that name, an empty
// value as absent.
std::optional<std::string_view> form_text(const app::FormData* form, std::string_view name);
std::vector<std::string_view> form_texts(const app::FormData* form, std::string_view name);
// The files named `name`, adding "missing" (when `required` and none) or a
// value_error (a text field where a file belongs) at `at`.
std::vector<app::UploadFile*> form_files(Solver& s, std::string_view name, bool required, const Path& at);
// Request::form() with an unsupported Content-Type read as an empty form,
// as FastAPI reads one; 400 and 413 are thrown as HTTPException.
Task<const app::FormData*> read_form(app::Request& req, const app::FormLimits& limits);
std::vector<std::string_view> param_texts(const app::Request& req, Source source, std::string_view name);

template <class P>
const Pattern* param_pattern() {
  if constexpr (P::rule.pattern.empty()) {
    return nullptr;
  } else {
    static const Pattern* const p = compile_pattern(P::rule.pattern);
    return p;
  }
}

template <class P>
constexpr const Constraints* param_rule() {
  constexpr const Constraints& c = P::rule;
  constexpr bool any = c.min_length || c.max_length || c.ge || c.gt || c.le || c.lt || !c.pattern.empty();
  return any ? &c : nullptr;
}

template <ParamArg P>
void extract(Solver& s, P& p) {
  using T = typename P::value_type;
  const Path root;
  const Path source(&root, source_name(P::source));
  const Path at(&source, P::name());
  if constexpr (is_vector<T>) {
    static_assert(P::source == Source::query || P::source == Source::header || P::source == Source::form,
                  "only Query, Header and Form take a list");
    using U = typename T::value_type;
    std::vector<std::string_view> texts;
    if constexpr (P::source == Source::form) texts = form_texts(s.form, P::name());
    else texts = param_texts(s.req, P::source, P::name());
    p.value.clear();
    for (size_t i = 0; i < texts.size(); ++i) {
      U u{};
      const Path item(&at, i);
      if (from_text<U>(texts[i], u, nullptr, nullptr, s.errors, item)) p.value.push_back(std::move(u));
    }
    if constexpr (param_rule<P>() != nullptr)
      if (auto bad = check_length(texts.size(), param_rule<P>(), "List"))
        add_error(s.errors, at, bad->type, bad->msg, "null", bad->ctx);
  } else {
    std::optional<std::string_view> text;
    if constexpr (P::source == Source::form) text = form_text(s.form, P::name());
    else text = param_text(s.req, P::source, P::name());
    if (!text) {
      if constexpr (P::has_default) p.value = P::default_value();
      else if constexpr (is_optional<T>) p.value.reset();
      else add_error(s.errors, at, "missing", "Field required", "null");
      return;
    }
    if constexpr (is_optional<T>) {
      typename T::value_type u{};
      if (from_text(*text, u, param_rule<P>(), param_pattern<P>(), s.errors, at)) p.value = std::move(u);
    } else {
      from_text(*text, p.value, param_rule<P>(), param_pattern<P>(), s.errors, at);
    }
  }
}

template <class T>
void extract(Solver& s, Body<T>& b) {
  probe::Span span(probe::Phase::body);
  if (s.body_is_json) decode<T>(s.body, b.value, s.errors, "body");
}

inline void extract(Solver& s, app::Request*& r) { r = &s.req; }
inline void extract(Solver& s, app::BackgroundTasks*& b) { b = s.background; }

template <FileArg F>
void extract(Solver& s, F& f) {
  const Path root;
  const Path body(&root, "body");
  const Path at(&body, F::name());
  std::vector<app::UploadFile*> files = form_files(s, F::name(), F::required, at);
  if constexpr (F::list) f.value = std::move(files);
  else f.value = files.empty() ? nullptr : files.back();  // the last, as a form's get() gives in Starlette
}

// One pass of extract_all: the arguments that belong to it.
template <int Pass, class A>
void extract_pass(Solver& s, A& a) {
  if constexpr (SecurityArg<A>) {
    if constexpr (Pass == -1) a.read(s.req);  // throws HTTPException, as FastAPI's schemes raise
  } else if constexpr (ParamArg<A>) {
    if constexpr (static_cast<int>(A::source) == Pass) extract(s, a);
  } else if constexpr (is_body<A> || FileArg<A> || std::is_same_v<A, app::Request*> ||
                       std::is_same_v<A, app::BackgroundTasks*>) {
    if constexpr (Pass == 4) extract(s, a);
  }
}

// Extracts every argument but the dependencies (solve_all's), in FastAPI's
// order, which is the order of the errors in a 422: path, query, header and
// cookie parameters, then the body (or the form's fields and files, in the
// order of the parameters). Security schemes come first: in FastAPI
// they are dependencies, solved before the parameters, and they answer the
// request themselves.
template <class Stored>
void extract_all(Solver& s, Stored& args) {
  probe::Span span(probe::Phase::params);
  std::apply(
      [&s](auto&... a) {
        (extract_pass<-1>(s, a), ...);
        (extract_pass<0>(s, a), ...);
        (extract_pass<1>(s, a), ...);
        (extract_pass<2>(s, a), ...);
        (extract_pass<3>(s, a), ...);
        (extract_pass<4>(s, a), ...);
      },
      args);
}

template <class A>
std::suspend_never solve_one(Solver&, A&) {
  return {};
}
template <DependsArg D>
Task<void> solve_one(Solver& s, D& d);

template <class Stored, size_t... I>
Task<void> solve_all(Solver& s, Stored& args, std::index_sequence<I...>) {
  (co_await solve_one(s, std::get<I>(args)), ...);
}

template <class A, class S>
decltype(auto) pass(S& stored_arg) {
  if constexpr (RequestArg<std::remove_cvref_t<A>>) return static_cast<app::Request&>(*stored_arg);
  else if constexpr (BackgroundArg<std::remove_cvref_t<A>>) return static_cast<app::BackgroundTasks&>(*stored_arg);
  else return std::move(stored_arg);
}

template <class Args, class F, class Stored>
decltype(auto) call(F& fn, Stored& stored) {
  return [&]<size_t... I>(std::index_sequence<I...>) -> decltype(auto) {
    return fn(pass<std::tuple_element_t<I, Args>>(std::get<I>(stored))...);
  }(std::make_index_sequence<std::tuple_size_v<Args>>{});
}

// Solves the parameters of `fn` (a dependency or its replacement) and calls
// it; the value as the request's cache keeps it (null when its parameters
// failed; for a guard returning nothing, a non-null marker).
template <class V, class F>
Task<std::shared_ptr<void>> produce(Solver& s, F& fn) {
  using Traits = function_traits<F>;
  using Args = typename Traits::args;
  using R = typename task_value<typename Traits::result>::type;
  static_assert(std::is_void_v<V> ? std::is_void_v<R> : std::is_convertible_v<R, V>,
                "a dependency's replacement must return what the dependency returns");
  static_assert(arg_flags<Args>::check());
  typename stored_tuple<Args>::type args;
  const size_t before = s.errors.size();
  if constexpr (arg_flags<Args>::depends)
    co_await solve_all(s, args, std::make_index_sequence<std::tuple_size_v<Args>>{});
  extract_all(s, args);
  if (s.errors.size() != before) co_return nullptr;
  constexpr bool is_task = task_value<typename Traits::result>::is_task;
  if constexpr (std::is_void_v<V>) {
    if constexpr (is_task) co_await call<Args>(fn, args);
    else call<Args>(fn, args);
    co_return std::shared_ptr<void>(&s, [](void*) {});
  } else if constexpr (!std::is_copy_constructible_v<V>) {
    // Kept by the request until the response is sent: its destructor is the cleanup.
    V* kept;
    if constexpr (is_task) kept = &s.req.hold(V(co_await call<Args>(fn, args)));
    else kept = &s.req.hold(V(call<Args>(fn, args)));
    co_return std::shared_ptr<void>(kept, [](void*) {});
  } else {
    if constexpr (is_task) co_return std::make_shared<V>(co_await call<Args>(fn, args));
    else co_return std::make_shared<V>(call<Args>(fn, args));
  }
}

template <class V, class G>
Task<std::shared_ptr<void>> produce_override(Solver& s, void* g) {
  co_return co_await produce<V>(s, *static_cast<G*>(g));
}

template <DependsArg D>
Task<void> solve_one(Solver& s, D& d) {
  using V = typename D::value_type;
  const void* const key = &dependency_key<D::function>;
  const std::shared_ptr<void>* value = nullptr;
  for (const auto& done : s.solved)
    if (done.key == key) value = &done.value;
  if (!value) {
    std::shared_ptr<void> v;
    const Override* o = nullptr;
    if (s.overrides)
      if (const auto it = s.overrides->find(key); it != s.overrides->end()) o = &it->second;
    if (o) {
      v = co_await o->solve(s, o->fn.get());
    } else {
      auto fn = D::function;
      v = co_await produce<V>(s, fn);
    }
    s.solved.push_back({key, std::move(v)});
    value = &s.solved.back().value;
  }
  if constexpr (!std::is_void_v<V>) {
    if (*value) {
      if constexpr (!std::is_copy_constructible_v<V>) d.value = static_cast<V*>(value->get());
      else d.value = *static_cast<const V*>(value->get());
    }
  }
}

app::Response validation_error(const Errors& errors);
app::Response http_error(const app::HTTPException& e);

// RouteOptions' response_model_* settings, when a route has any.
struct ResponseFilter {
  std::vector<std::string> include, exclude;
  bool exclude_none = false;
  bool keeps(std::string_view field) const {
    if (!include.empty() && std::find(include.begin(), include.end(), field) == include.end()) return false;
    return std::find(exclude.begin(), exclude.end(), field) == exclude.end();
  }
};

template <class T>
constexpr bool is_null(const T& v) {
  if constexpr (is_optional<T>) return !v.has_value();
  else return false;
}

// encode() with a ResponseFilter: include/exclude at the top level only,
// exclude_none at every level, as pydantic's dict(include=, exclude=,
// exclude_none=) does.
template <class T>
void encode_filtered(const T& v, std::string& out, const ResponseFilter* top, bool exclude_none) {
  if constexpr (is_optional<T>) {
    if (v) encode_filtered(*v, out, top, exclude_none);
    else out.append("null");
  } else if constexpr (is_vector<T>) {
    out.push_back('[');
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) out.push_back(',');
      encode_filtered(static_cast<const typename T::value_type&>(v[i]), out, nullptr, exclude_none);
    }
    out.push_back(']');
  } else if constexpr (is_map<T>) {
    out.push_back('{');
    bool first = true;
    for (const auto& [key, item] : v) {
      if (exclude_none && is_null(item)) continue;
      if (!first) out.push_back(',');
      first = false;
      json::append_string(out, key);
      out.push_back(':');
      encode_filtered(item, out, nullptr, exclude_none);
    }
    out.push_back('}');
  } else if constexpr (is_model<T>) {
    out.push_back('{');
    bool first = true;
    mp::mp_for_each<Members<T>>([&](auto D) {
      if (top && !top->keeps(decltype(D)::name)) return;
      const auto& member = v.*decltype(D)::pointer;
      if (exclude_none && is_null(member)) return;
      const auto& key = KeyText<T, decltype(D)>::text;
      out.append(key.data() + first, key.size() - first);
      first = false;
      encode_filtered(member, out, nullptr, exclude_none);
    });
    out.push_back('}');
  } else {
    encode(v, out);
  }
}

template <class R>
app::Response respond(R&& result, int status, bool validate_response, const ResponseFilter* filter = nullptr) {
  using T = std::remove_cvref_t<R>;
  if constexpr (std::is_same_v<T, app::Response>) {
    return std::forward<R>(result);
  } else if constexpr (std::is_same_v<T, PlainText>) {
    return app::Response::text(std::move(result.text), status);
  } else {
    if (validate_response) {
      Errors errors;
      const Path root;
      const Path at(&root, "response");
      validate_value(result, errors, at, {});  // router::validate without building a Loc per call
      if (!errors.empty()) throw ResponseValidationError(std::move(errors));
    }
    std::string out;
    out.reserve(256);  // one allocation for a typical body, not a doubling series
    if (filter) encode_filtered(result, out, filter, filter->exclude_none);
    else encode(result, out);
    return app::Response::json(std::move(out), status);
  }
}

// Runs a sync handler on the pool with its time charged to the handler
// phase of this request: the job runs on another thread, so the request's
// probe record goes with it.
template <class Job>
Task<std::invoke_result_t<Job&>> run_handler_in_pool(app::Request& req, Job job) {
  probe::Record* const rec = probe::enabled() ? probe::current() : nullptr;
  using J = std::invoke_result_t<Job&>;
  auto in_pool = [&job, rec]() -> J {
    probe::Bind bind(rec);
    probe::Span span(probe::Phase::handler);
    return job();
  };
  if constexpr (std::is_void_v<J>) co_await req.run_in_threadpool(in_pool);
  else co_return co_await req.run_in_threadpool(in_pool);
}

using Overrides = std::map<const void*, Override>;

// Hands the request's app::BackgroundTasks to its response, unless the
// handler attached its own (FastAPI keeps a returned response's background).
inline void attach_background(Solver& s, app::Response& r) {
  if (!s.background->empty() && !r.has_background()) r.background(std::move(*s.background));
}

template <class F>
app::Endpoint make_endpoint(F fn, int status, bool validate_response, std::vector<Dependency> deps,
                            const Overrides* overrides, std::shared_ptr<const ResponseFilter> filter,
                            const app::FormLimits* form_limits) {
  using Traits = function_traits<F>;
  using Args = typename Traits::args;
  using Result = typename Traits::result;
  using R = typename task_value<Result>::type;
  static_assert(arg_flags<Args>::check());
  static_assert(arg_flags<Args>::bodies <= 1, "one Body<T> per handler (put several values in one model)");
  constexpr bool form = needs_form_of<Args>::value;
  constexpr bool background = needs_background_of<Args>::value;
  static_assert(!(form && needs_body_of<Args>::value),
                "a handler (with its Depends<>) reads a Body<T> or a form (Form<>, File<>), not both");
  return [fn = std::move(fn), status, validate_response, deps = std::move(deps), overrides, filter = std::move(filter),
          form_limits](app::Request& req) -> Task<app::Response> {
    try {
      probe::Record* const rec = probe::enabled() ? probe::current() : nullptr;
      Solver s(req);
      typename stored_tuple<Args>::type args;
      [[maybe_unused]] std::conditional_t<background, app::BackgroundTasks, std::monostate> tasks;
      if constexpr (background) s.background = &tasks;
      if constexpr (needs_body_of<Args>::value) {
        probe::Span span(probe::Phase::body);
        s.body = co_await req.body();
        check_content_type(s);
      }
      if constexpr (form) {
        probe::Span span(probe::Phase::body);
        s.form = co_await read_form(req, *form_limits);
      }
      // Dependencies first, as FastAPI solves them (and lists their errors)
      // first: the API's, the routers' and the route's, then the handler's.
      if (!deps.empty()) {
        probe::Span span(probe::Phase::depends);
        s.overrides = overrides;
        for (const Dependency& d : deps) co_await d.solve(s);
      }
      if constexpr (arg_flags<Args>::depends) {
        probe::Span span(probe::Phase::depends);
        s.overrides = overrides;
        co_await solve_all(s, args, std::make_index_sequence<std::tuple_size_v<Args>>{});
      }
      extract_all(s, args);
      if (!s.errors.empty()) co_return validation_error(s.errors);

      if constexpr (std::is_void_v<R>) {
        if constexpr (task_value<Result>::is_task) {
          probe::Span span(probe::Phase::handler);
          co_await call<Args>(fn, args);
        } else {
          co_await run_handler_in_pool(req, [&] { call<Args>(fn, args); });
        }
        probe::Bind back(rec);  // resumed from the pool or a timer: outside the tier's own binding
        // A status that carries no body (204, 304, 1xx) is sent without one
        // and without a Content-Type, as FastAPI sends `-> None` with 204.
        if constexpr (background) {
          app::Response r = status_has_body(status) ? app::Response::json("null", status) : app::Response::empty(status);
          attach_background(s, r);
          co_return r;
        } else {
          if (!status_has_body(status)) co_return app::Response::empty(status);
          co_return app::Response::json("null", status);
        }
      } else {
        std::optional<R> result;
        if constexpr (task_value<Result>::is_task) {
          probe::Span span(probe::Phase::handler);
          result.emplace(co_await call<Args>(fn, args));
        } else {
          // A plain function runs on the thread pool, as FastAPI runs `def` endpoints.
          result.emplace(co_await run_handler_in_pool(req, [&] { return call<Args>(fn, args); }));
        }
        probe::Bind back(rec);  // resumed from the pool or a timer: outside the tier's own binding
        probe::Span span(probe::Phase::serialize);
        if constexpr (background) {
          app::Response r = respond(std::move(*result), status, validate_response, filter.get());
          attach_background(s, r);
          co_return r;
        } else {
          co_return respond(std::move(*result), status, validate_response, filter.get());
        }
      }
    } catch (const app::HTTPException& e) {
      co_return http_error(e);
    }
  };
}

// ------------------------------------------------------------------ OpenAPI pieces

struct ParamDoc {
  Source source;
  std::string name;
  std::string json;  // the Parameter Object
};

// What the arguments of one route (its dependencies' included) document.
struct OperationDoc {
  std::vector<ParamDoc> params;
  std::string body;  // the Request Body Object, or empty
  // A form's fields and files: add_operation makes them one Body_<operationId>
  // schema, as FastAPI does.
  struct FormField {
    std::string name;
    std::string schema;  // the property's schema
    bool required;
    bool file;
  };
  std::vector<FormField> form;
  struct Security {
    std::string_view name;  // components/securitySchemes key
    std::string scheme;     // the Security Scheme Object
  };
  std::vector<Security> security;
};

template <class T>
void inline_schema(std::string& out, const Constraints* c, Schemas& reg) {
  out.push_back('{');
  schema_members<T>(out, c, &reg);
  out.push_back('}');
}

std::string param_doc_json(Source source, std::string_view name, bool required, std::string schema);

template <class Tuple>
void describe_args(OperationDoc& doc, Schemas& reg);

template <class A>
void describe_arg(OperationDoc& doc, Schemas& reg) {
  auto& params = doc.params;
  if constexpr (SecurityArg<A>) {
    for (const auto& s : doc.security)
      if (s.name == A::scheme_name()) return;
    doc.security.push_back({A::scheme_name(), A::scheme()});
  } else if constexpr (FileArg<A>) {
    for (const auto& f : doc.form)
      if (f.name == A::name()) return;
    constexpr std::string_view binary = R"("type":"string","format":"binary")";
    std::string schema = "{";
    if constexpr (A::list) schema.append(R"("type":"array","items":{)").append(binary).push_back('}');
    else if constexpr (A::required) schema.append(binary);
    else schema.append(R"("anyOf":[{)").append(binary).append(R"(},{"type":"null"}])");
    schema.append(",\"title\":");
    json::append_string(schema, field_title(A::name()));
    schema.push_back('}');
    doc.form.push_back({std::string(A::name()), std::move(schema), A::required, true});
  } else if constexpr (FormParamArg<A>) {
    using T = typename A::value_type;
    for (const auto& f : doc.form)
      if (f.name == A::name()) return;
    std::string schema = "{";
    schema_members<T>(schema, param_rule<A>(), &reg);
    schema.append(",\"title\":");
    json::append_string(schema, field_title(A::name()));
    if constexpr (A::has_default) {
      schema.append(",\"default\":");
      encode(A::default_value(), schema);
    }
    schema.push_back('}');
    const bool required = !A::has_default && !is_optional<T> && !is_vector<T>;
    doc.form.push_back({std::string(A::name()), std::move(schema), required, false});
  } else if constexpr (ParamArg<A>) {
    using T = typename A::value_type;
    for (const auto& p : params)
      if (p.source == A::source && p.name == A::name()) return;  // FastAPI lists a shared parameter once
    std::string schema = "{";
    schema_members<T>(schema, param_rule<A>(), &reg);
    schema.append(",\"title\":");
    json::append_string(schema, field_title(A::name()));
    if constexpr (A::has_default) {
      schema.append(",\"default\":");
      encode(A::default_value(), schema);
    }
    schema.push_back('}');
    const bool required = !A::has_default && !is_optional<T> && !is_vector<T>;
    params.push_back({A::source, std::string(A::name()), param_doc_json(A::source, A::name(), required, schema)});
  } else if constexpr (is_body<A>) {
    doc.body = "{\"content\":{\"application/json\":{\"schema\":";
    inline_schema<typename A::value_type>(doc.body, nullptr, reg);
    doc.body.append("}},\"required\":true}");
  } else if constexpr (DependsArg<A>) {
    describe_args<typename A::traits::args>(doc, reg);
  }
}

template <class Tuple>
void describe_args(OperationDoc& doc, Schemas& reg) {
  [&]<class... A>(std::type_identity<std::tuple<A...>>) {
    (describe_arg<std::remove_cvref_t<A>>(doc, reg), ...);
  }(std::type_identity<Tuple>{});
}

template <auto Fn>
Task<void> solve_dependency(Solver& s) {
  Depends<Fn> d;
  co_await solve_one(s, d);
}
template <class P>
Task<void> solve_param(Solver& s) {
  std::tuple<P> args;
  extract_all(s, args);
  co_return;
}

template <class R>
std::string success_content(Schemas& reg) {
  if constexpr (std::is_same_v<R, PlainText>) {
    return "{\"text/plain\":{\"schema\":{\"type\":\"string\"}}}";
  } else if constexpr (std::is_same_v<R, app::Response> || std::is_void_v<R>) {
    return "{\"application/json\":{\"schema\":{}}}";
  } else {
    std::string out = "{\"application/json\":{\"schema\":";
    inline_schema<R>(out, nullptr, reg);
    out.append("}}");
    return out;
  }
}

template <class Tuple>
void path_names(std::vector<std::string_view>& names) {
  [&]<class... A>(std::type_identity<std::tuple<A...>>) {
    (
        [&] {
          using P = std::remove_cvref_t<A>;
          if constexpr (ParamArg<P>) {
            if (P::source == Source::path) names.push_back(P::name());
          } else if constexpr (DependsArg<P>) {
            path_names<typename P::traits::args>(names);
          }
        }(),
        ...);
  }(std::type_identity<Tuple>{});
}

// Throws std::invalid_argument unless every name is a {name} of `path`.
void check_path_params(std::string_view path, const std::vector<std::string_view>& names);

}  // namespace detail

namespace detail {

template <class R>
constexpr bool is_response_type() {
  return std::is_void_v<R> || std::is_same_v<R, PlainText> || std::is_same_v<R, app::Response> || is_json_value<R>();
}

template <class A>
struct body_value {
  static constexpr bool ok = true;
};
template <class T>
struct body_value<Body<T>> {
  static constexpr bool ok = is_json_value<T>();
};
template <class Tuple>
struct bodies_ok;
template <class... A>
struct bodies_ok<std::tuple<A...>> {
  static constexpr bool value = (body_value<std::remove_cvref_t<A>>::ok && ...);
};

}  // namespace detail

template <class T>
ResponseDoc response(int status, std::string description) {
  static_assert(detail::is_json_value<T>(), "response<T>: T must be a described struct or a JSON value type");
  return {status, std::move(description),
          [](std::string& out, Schemas& reg) { detail::inline_schema<T>(out, nullptr, reg); }};
}

template <class F>
API& API::route(std::string_view method, std::string_view path, F handler, RouteOptions options) {
  using Traits = detail::function_traits<F>;
  using Args = typename Traits::args;
  using R = typename detail::task_value<typename Traits::result>::type;
  // Checked here, once, so that a forgotten description is one error that
  // says what to do rather than several from deep inside the decoder.
  if constexpr (!detail::is_response_type<R>()) {
    static_assert(detail::always_false<R>,
                  "the handler's return type is not something strata can send: describe the struct with "
                  "BOOST_DESCRIBE_STRUCT(T, (), (its, fields)) (or return PlainText, app::Response, void, or a "
                  "bool, number, std::string, described enum, std::optional, std::vector or std::map of them)");
    return *this;
  } else if constexpr (!detail::bodies_ok<Args>::value) {
    static_assert(detail::always_false<Args>,  // the note names the parameters, Body<T> among them
                  "Body<T>: T must be a struct described with BOOST_DESCRIBE_STRUCT(T, (), (its, fields)), or a "
                  "bool, number, std::string, described enum, std::optional, std::vector or std::map of them");
    return *this;
  } else {
    return add_route(method, path, std::move(handler), std::move(options));
  }
}

template <class F>
API& API::add_route(std::string_view method, std::string_view path, F handler, RouteOptions options) {
  using Traits = detail::function_traits<F>;
  using Args = typename Traits::args;
  using R = typename detail::task_value<typename Traits::result>::type;
  std::vector<std::string_view> names;
  detail::path_names<Args>(names);
  detail::check_path_params(path, names);

  detail::OperationDoc doc;
  std::vector<Dependency> deps = config_.dependencies;
  deps.insert(deps.end(), options.dependencies.begin(), options.dependencies.end());
  for (const Dependency& d : deps) d.describe(doc, schemas_);
  detail::describe_args<Args>(doc, schemas_);

  const int status = options.status_code;
  std::shared_ptr<const detail::ResponseFilter> filter;
  if (!options.response_model_include.empty() || !options.response_model_exclude.empty() ||
      options.response_model_exclude_none) {
    filter = std::make_shared<const detail::ResponseFilter>(detail::ResponseFilter{
        options.response_model_include, options.response_model_exclude, options.response_model_exclude_none});
    // A field name that is not the model's is a typo that would silently
    // send everything (or nothing): refuse it now.
    std::vector<std::string_view> fields;
    if constexpr (detail::is_model<R>)
      detail::mp::mp_for_each<detail::Members<R>>([&](auto D) { fields.push_back(decltype(D)::name); });
    for (const auto* listed : {&options.response_model_include, &options.response_model_exclude})
      for (const std::string& n : *listed)
        if (std::find(fields.begin(), fields.end(), n) == fields.end())
          throw std::invalid_argument("route " + std::string(method) + " " + std::string(path) +
                                      ": response_model_include/exclude names '" + n +
                                      "', which is not a field of the response model");
  }
  app_.route(path, {method},
             detail::make_endpoint(std::move(handler), status, config_.validate_responses, std::move(deps),
                                   &overrides_, std::move(filter), &config_.form_limits),
             options.name);
  add_operation(method, path, options, doc, detail::success_content<R>(schemas_));
  return *this;
}

template <auto Fn>
Dependency dependency() {
  using D = Depends<Fn>;
  static_assert(!detail::needs_form_of<typename D::traits::args>::value &&
                    !detail::needs_background_of<typename D::traits::args>::value,
                "dependency<fn>(): fn reads a form or takes app::BackgroundTasks&, which only a handler's own "
                "parameters (and their Depends<>) can do");
  return {&detail::solve_dependency<Fn>,
          [](detail::OperationDoc& doc, Schemas& reg) { detail::describe_args<typename D::traits::args>(doc, reg); }};
}

template <class P>
Dependency dependency() {
  static_assert((detail::ParamArg<P> && !detail::FormParamArg<P>) || detail::SecurityArg<P>,
                "dependency<P>(): P must be a parameter (Header<>, Query<>, ...) or a security scheme; a Form<> "
                "belongs in the handler's parameters");
  return {&detail::solve_param<P>,
          [](detail::OperationDoc& doc, Schemas& reg) { detail::describe_arg<P>(doc, reg); }};
}

template <auto Fn, class G>
void API::override_dependency(G replacement) {
  using V = typename Depends<Fn>::value_type;
  using Original = typename Depends<Fn>::traits::args;
  using Replacing = typename detail::function_traits<G>::args;
  // A route reads the form and makes the tasks for what its declared
  // dependencies take; a replacement cannot ask for more.
  static_assert(!detail::needs_form_of<Replacing>::value || detail::needs_form_of<Original>::value,
                "override_dependency: the replacement reads a form (Form<>, File<>) that the dependency does not");
  static_assert(!detail::needs_background_of<Replacing>::value || detail::needs_background_of<Original>::value,
                "override_dependency: the replacement takes app::BackgroundTasks& and the dependency does not");
  overrides_[&detail::dependency_key<Fn>] =
      detail::Override{std::make_shared<G>(std::move(replacement)), &detail::produce_override<V, G>};
}

template <class F>
void API::add_included(std::string_view method, std::string_view path, const F& handler, RouteOptions options,
                       const RouterOptions& outer) {
  std::vector<std::string> tags = outer.tags;
  tags.insert(tags.end(), options.tags.begin(), options.tags.end());
  options.tags = std::move(tags);
  std::vector<Dependency> deps = outer.dependencies;
  deps.insert(deps.end(), options.dependencies.begin(), options.dependencies.end());
  options.dependencies = std::move(deps);
  std::vector<ResponseDoc> responses;
  for (const ResponseDoc& r : outer.responses) {  // the route's own wins, as FastAPI merges them
    bool own = false;
    for (const ResponseDoc& mine : options.responses) own = own || mine.status == r.status;
    if (!own) responses.push_back(r);
  }
  responses.insert(responses.end(), options.responses.begin(), options.responses.end());
  options.responses = std::move(responses);
  route(method, outer.prefix + std::string(path), handler, std::move(options));
}

template <class F>
APIRouter& APIRouter::route(std::string_view method, std::string_view path, F handler, RouteOptions options) {
  routes_.push_back([method = std::string(method), path = std::string(path), handler = std::move(handler),
                     options = std::move(options)](API& api, const RouterOptions& outer) {
    api.add_included(method, path, handler, options, outer);
  });
  return *this;
}

}  // namespace strata::router
