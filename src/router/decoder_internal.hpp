// The JSON walker behind router::decode(): simdjson's On-Demand API driven
// by the type tables of router/model_detail.hpp. Internal to tier 4 (model.cpp
// and types.cpp); applications never include it, and with it simdjson.
#pragma once

#include <simdjson.h>

#include "router/model.hpp"

namespace strata::router::detail {

namespace od = simdjson::ondemand;

// The outcome of reading one scalar: fatal means the JSON itself is
// malformed, and decoding stops.
enum class Read : uint8_t { ok, invalid, fatal };

// One decode() call: the simdjson document and the error bookkeeping.
class Decoder {
 public:
  Decoder(Errors& errors, std::string_view root);
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Parses `json`; on true, `v` is the root value to read. On false the
  // outcome (missing body, malformed JSON) is already recorded.
  bool open(std::string_view json, od::value& v, bool null_is_missing);
  // Checks that nothing follows the root value, turns a fatal error into
  // json_invalid, and says whether this call added no error.
  bool close(bool ok);

  // Reads `v` as `type` into *out.
  bool read(od::value v, const TypeInfo& type, void* out, const Path& at, Check chk);
  // read() at the root, where a body is most often a model.
  bool read_root(od::value v, const TypeInfo& type, void* out) {
    if (type.kind == TypeInfo::Kind::model) return read_model(v, *type.model, out, root_);
    return read(v, type, out, root_, {});
  }

 private:
  // Strings and integers, inline where read_model calls it (the seed User
  // is three such fields); any other type goes through read().
  [[gnu::always_inline]] bool read_field(od::value v, const TypeInfo& type, void* out, const Path& at, Check chk);
  bool read_model(od::value v, const ModelInfo& model, void* out, const Path& at);
  bool read_list(od::value v, const TypeInfo& type, void* out, const Path& at, Check chk);
  bool read_map(od::value v, const TypeInfo& type, void* out, const Path& at, Check chk);

  Read read_int(od::value v, const Path& at, Check chk, int64_t lo, int64_t hi, int64_t& out);
  Read read_double(od::value v, const Path& at, Check chk, double& out, bool to_float);
  Read read_bool(od::value v, const Path& at, bool& out);
  Read read_string(od::value v, const Path& at, Check chk, std::string& out);
  Read read_enum(od::value v, const Path& at, std::span<const std::string_view> names, size_t& index);
  // The value types' readers live in types.cpp, out of model.cpp's hot code.
  Read read_literal(od::value v, const Path& at, std::span<const std::string_view> names, size_t& index);
  Read read_value(od::value v, const Path& at, const ValueKind& kind, void* out);
  // Where the raw text of a value read from `token` on ends, for an error's input.
  std::string_view span_from(std::string_view token) {
    const char* end = location();
    return end > token.data() ? std::string_view(token.data(), static_cast<size_t>(end - token.data())) : token;
  }
  Read read_number(od::value& v, Num& n);

  bool fatal(simdjson::error_code e);
  Read broken(simdjson::error_code e) {
    fatal(e);
    return Read::fatal;
  }
  [[gnu::always_inline]] bool peek(od::value& v, od::json_type& t) {
    if (auto e = v.type().get(t)) return fatal(e);
    return true;
  }
  bool take_null(od::value& v);
  // A key without a backslash is its raw bytes (stage 1 has already checked
  // their UTF-8 and control characters): this skips simdjson's unescaping
  // copy and its indirect call, about a tenth of decoding the seed User.
  // Escaped keys are unescaped. Inlined: it runs once per key, and the
  // walker's loops are too big for GCC to inline it on its own.
  [[gnu::always_inline]] bool key_of(od::field& f, std::string_view& key) {
    const char* start = f.key().raw();
    const char* end = start;
    while (*end != '"' && *end != '\\') ++end;  // the closing quote is there: stage 1 found it
    if (*end == '"') {
      key = std::string_view(start, static_cast<size_t>(end - start));
      return true;
    }
    if (auto e = f.unescaped_key().get(key)) return fatal(e);
    return true;
  }
  // Consumes `v`, validating it all the way down (simdjson would otherwise
  // skip it unchecked); with `raw`, also returns its text, compacted.
  bool skip(od::value v, std::string* raw = nullptr);
  // Consumes `v` and reports it as the input of an error.
  bool mismatch(od::value v, const Path& at, std::string_view type, std::string_view msg, std::string ctx = {});
  void report(const Path& at, std::string_view type, std::string msg, std::string_view raw_input,
              std::string ctx = {});
  void report(const Path& at, const Violation& v, std::string_view raw_input);
  // Where the iterator stands: just past the last value consumed.
  const char* location();
  bool enter();
  void leave() { --depth_; }

  // Declaration order for one model's errors: each field's errors are
  // noted with the field's index, then put in order once the object ends.
  struct Order {
    std::vector<std::pair<size_t, size_t>> marks;  // (first error, field index)
  };
  void note(Order& o, size_t first_error, size_t field);
  void sort(Order& o);
  void report_missing(const Path& at, const char* object_start, std::string& object_text);

  Errors& errors_;
  size_t first_error_;
  Path root_;
  od::document doc_;
  od::array_iterator it_, end_;
  const char* base_ = nullptr;  // the JSON text inside the padded scratch buffer
  size_t len_ = 0;
  std::string_view json_;       // the caller's text, for error positions
  simdjson::error_code fatal_ = simdjson::SUCCESS;
  bool opened_ = false;
  int depth_ = 0;
};

}  // namespace strata::router::detail
