#include "app/forms.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <system_error>

#include "app/http_exception.hpp"
#include "app/request.hpp"
#include "common/text.hpp"

namespace strata::app {

namespace {

using text::iequals;
using text::trim_ows;

// The media type of a Content-Type value, without parameters.
std::string_view media_type(std::string_view content_type) {
  return trim_ows(content_type.substr(0, content_type.find(';')));
}

// Splits "a; name=\"x;y\"; b=c" on the semicolons outside quoted strings.
template <class F>
void for_each_param(std::string_view value, F&& f) {
  size_t start = value.find(';');
  if (start == std::string_view::npos) return;
  ++start;
  bool quoted = false;
  for (size_t i = start; i <= value.size(); ++i) {
    const char c = i < value.size() ? value[i] : ';';
    if (quoted && c == '\\') {
      ++i;
      continue;
    }
    if (c == '"') quoted = !quoted;
    if (c == ';' && !quoted) {
      const std::string_view item = trim_ows(value.substr(start, i - start));
      start = i + 1;
      if (item.empty()) continue;
      const size_t eq = item.find('=');
      f(trim_ows(item.substr(0, eq)),
        eq == std::string_view::npos ? std::string_view{} : trim_ows(item.substr(eq + 1)));
    }
  }
}

// A parameter value, its quotes and backslash escapes removed.
std::string unquote(std::string_view v) {
  if (v.size() < 2 || v.front() != '"' || v.back() != '"') return std::string(v);
  v = v.substr(1, v.size() - 2);
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) ++i;
    out.push_back(v[i]);
  }
  return out;
}

bool boundary_char(char c) {
  // RFC 2046's bchars: DIGIT / ALPHA / "'()+_,-./:=?" and space (not last).
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

}  // namespace

// ---- UploadFile

UploadFile::UploadFile(std::string filename, std::string content_type,
                       std::vector<std::pair<std::string, std::string>> headers, size_t spool_threshold,
                       std::string_view temp_dir)
    : filename_(std::move(filename)),
      content_type_(std::move(content_type)),
      headers_(std::move(headers)),
      threshold_(spool_threshold),
      temp_dir_(temp_dir) {}

UploadFile::~UploadFile() {
  if (fd_ >= 0) ::close(fd_);
}

bool UploadFile::spool() {
  std::string dir = temp_dir_;
  if (dir.empty()) {
    const char* env = std::getenv("TMPDIR");
    dir = env && *env ? env : "/tmp";
  }
  std::string path = dir + "/strata-upload-XXXXXX";
  const int fd = ::mkostemp(path.data(), O_CLOEXEC);
  if (fd < 0) return false;
  // Unlinked at once: the file lives exactly as long as the descriptor, so
  // no exit path (a crash included) leaves an upload on disk.
  ::unlink(path.c_str());
  fd_ = fd;
  std::string pending = std::move(memory_);
  memory_ = {};
  memory_.shrink_to_fit();
  size_ = 0;
  return write(pending);
}

bool UploadFile::write(std::string_view bytes) {
  if (fd_ < 0) {
    if (memory_.size() + bytes.size() <= threshold_) {
      memory_.append(bytes);
      size_ += bytes.size();
      return true;
    }
    memory_.append(bytes);  // spool() writes it all out in one go
    return spool();
  }
  while (!bytes.empty()) {
    const ssize_t n = ::pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(size_));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
    size_ += static_cast<uint64_t>(n);
  }
  return true;
}

std::string UploadFile::read(size_t n) {
  const uint64_t left = pos_ < size_ ? size_ - pos_ : 0;
  const size_t want = static_cast<size_t>(std::min<uint64_t>(n, left));
  std::string out;
  if (want == 0) return out;  // also past the end after a seek, where assign() would throw
  if (fd_ < 0) {
    out.assign(memory_, static_cast<size_t>(pos_), want);
  } else {
    out.resize(want);
    size_t got = 0;
    while (got < want) {
      const ssize_t r = ::pread(fd_, out.data() + got, want - got, static_cast<off_t>(pos_ + got));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) throw std::system_error(errno, std::generic_category(), "reading an upload's temporary file");
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    out.resize(got);
  }
  pos_ += out.size();
  return out;
}

void UploadFile::seek(uint64_t offset) { pos_ = offset; }

// ---- FormData

std::optional<std::string_view> FormData::get(std::string_view name) const {
  for (const FormField& f : items_)
    if (!f.is_file() && f.name == name) return std::string_view(f.value);
  return std::nullopt;
}

std::vector<std::string_view> FormData::get_all(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const FormField& f : items_)
    if (!f.is_file() && f.name == name) out.emplace_back(f.value);
  return out;
}

UploadFile* FormData::file(std::string_view name) const {
  for (const FormField& f : items_)
    if (f.is_file() && f.name == name) return f.file.get();
  return nullptr;
}

std::vector<UploadFile*> FormData::files(std::string_view name) const {
  std::vector<UploadFile*> out;
  for (const FormField& f : items_)
    if (f.is_file() && f.name == name) out.push_back(f.file.get());
  return out;
}

FormField& FormData::add(std::string name, std::string value) {
  items_.push_back({std::move(name), std::move(value), {}});
  return items_.back();
}

FormField& FormData::add_file(std::string name, std::unique_ptr<UploadFile> file) {
  items_.push_back({std::move(name), {}, std::move(file)});
  return items_.back();
}

// ---- application/x-www-form-urlencoded

FormError parse_urlencoded(std::string_view body, const FormLimits& limits, FormData& out) {
  // Limits first, on the encoded bytes, so a hostile body costs no decoding.
  size_t fields = 0;
  for (std::string_view rest = body; !rest.empty();) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.empty()) continue;
    if (++fields > limits.max_fields)
      return {413, "Too many form fields: the limit is " + std::to_string(limits.max_fields) + "."};
    if (pair.size() > limits.max_part_size)
      return {413, "A form field is too large: the limit is " + std::to_string(limits.max_part_size) + " bytes."};
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  pairs.reserve(fields);
  parse_query(body, pairs);
  for (auto& [k, v] : pairs) out.add(std::move(k), std::move(v));
  return {};
}

// ---- multipart/form-data

FormError multipart_boundary(std::string_view content_type, std::string& boundary) {
  int seen = 0;
  std::string found;
  for_each_param(content_type, [&](std::string_view name, std::string_view value) {
    if (!iequals(name, "boundary")) return;
    ++seen;
    found = unquote(value);
  });
  if (seen == 0) return {400, "The multipart/form-data Content-Type has no boundary parameter."};
  if (seen > 1) return {400, "The multipart/form-data Content-Type has more than one boundary parameter."};
  if (found.empty()) return {400, "The multipart boundary is empty."};
  if (found.size() > 70) return {400, "The multipart boundary is longer than RFC 2046's 70 characters."};
  for (char c : found)
    if (!boundary_char(c)) return {400, "The multipart boundary has a character RFC 2046 does not allow."};
  if (found.back() == ' ') return {400, "The multipart boundary ends with a space."};
  boundary = std::move(found);
  return {};
}

MultipartParser::MultipartParser(std::string boundary, const FormLimits& limits, FormData& out)
    : delimiter_("\r\n--" + boundary), limits_(limits), out_(out) {
  // The first delimiter may open the body without a CRLF before it: a
  // CRLF put in front lets one search find both.
  buf_ = "\r\n";
}

FormError MultipartParser::fail(int status, std::string message) {
  error_ = {status, std::move(message)};
  buf_.clear();
  buf_.shrink_to_fit();
  return error_;
}

FormError MultipartParser::feed(std::string_view bytes) {
  if (error_) return error_;
  if (state_ == State::epilogue) return {};
  // A part's bytes go from tier 2's buffer straight to the field or the
  // UploadFile, not through buf_: a large upload is copied once. Only the
  // tail kept from the last piece (shorter than a delimiter) is joined to
  // the head of this one, to see whether a delimiter starts in it.
  if (state_ == State::body && bytes.size() >= delimiter_.size()) {
    if (!buf_.empty()) {
      const size_t tail = buf_.size();
      buf_.append(bytes.substr(0, delimiter_.size() - 1));
      if (buf_.find(delimiter_) < tail) {
        buf_.append(bytes.substr(delimiter_.size() - 1));
        return run();
      }
      if (FormError e = part_data(std::string_view(buf_).substr(0, tail))) return e;
      buf_.clear();
    }
    const size_t at = bytes.find(delimiter_);
    const size_t safe = at != std::string_view::npos ? at : bytes.size() - (delimiter_.size() - 1);
    if (FormError e = part_data(bytes.substr(0, safe))) return e;
    bytes.remove_prefix(safe);
  }
  buf_.append(bytes);
  return run();
}

FormError MultipartParser::run() {
  for (;;) {
    switch (state_) {
      case State::preamble:
      case State::body: {
        const size_t at = buf_.find(delimiter_);
        if (at == std::string::npos) {
          // Keep what could be the start of a delimiter; the rest is data.
          const size_t keep = std::min(buf_.size(), delimiter_.size() - 1);
          const size_t data = buf_.size() - keep;
          if (state_ == State::body && data > 0)
            if (FormError e = part_data(std::string_view(buf_).substr(0, data))) return e;
          buf_.erase(0, data);
          return {};
        }
        if (state_ == State::body)
          if (FormError e = part_data(std::string_view(buf_).substr(0, at))) return e;
        buf_.erase(0, at + delimiter_.size());
        part_ = nullptr;
        state_ = State::after_delimiter;
        break;
      }
      case State::after_delimiter: {
        if (buf_.size() < 2) return {};
        if (buf_.compare(0, 2, "--") == 0) {
          state_ = State::epilogue;
          buf_.clear();
          buf_.shrink_to_fit();
          return {};
        }
        if (buf_.compare(0, 2, "\r\n") != 0)
          return fail(400, "A multipart delimiter is not followed by CRLF or \"--\" (is the boundary right?).");
        buf_.erase(0, 2);
        state_ = State::headers;
        break;
      }
      case State::headers: {
        // One pass over each byte, however the block arrives: a bare LF is
        // refused where it is, and the block ends at the first empty line.
        size_t end = std::string::npos;
        for (; header_scanned_ < buf_.size(); ++header_scanned_) {
          const size_t i = header_scanned_;
          if (i >= limits_.max_part_header_bytes)
            return fail(413, "A multipart part's headers are too large: the limit is " +
                                 std::to_string(limits_.max_part_header_bytes) + " bytes.");
          if (buf_[i] != '\n') continue;
          if (i == 0 || buf_[i - 1] != '\r') return fail(400, "A multipart header line does not end with CRLF.");
          if (i == 1) end = 0;  // no headers: the empty line comes first
          else if (i >= 3 && buf_[i - 2] == '\n') end = i - 3;
          if (end != std::string::npos) break;
        }
        if (end == std::string::npos) return {};
        if (FormError e = start_part(std::string_view(buf_).substr(0, end))) return e;
        buf_.erase(0, header_scanned_ + 1);
        header_scanned_ = 0;
        state_ = State::body;
        break;
      }
      case State::epilogue:
        buf_.clear();
        return {};
    }
  }
}

FormError MultipartParser::start_part(std::string_view block) {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string name, content_type;
  std::optional<std::string> filename;
  bool disposition = false;
  while (!block.empty()) {
    const size_t eol = block.find("\r\n");
    const std::string_view line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view{} : block.substr(eol + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0 || trim_ows(line.substr(0, colon)).size() != colon)
      return fail(400, "A multipart header line is not \"Name: value\".");
    std::string hname = text::ascii_lowered(line.substr(0, colon));
    const std::string_view value = trim_ows(line.substr(colon + 1));
    if (hname == "content-disposition") {
      if (disposition) return fail(400, "A multipart part has more than one Content-Disposition header.");
      disposition = true;
      if (!iequals(media_type(value), "form-data"))
        return fail(400, "A multipart part's Content-Disposition is not form-data.");
      bool bad = false;
      for_each_param(value, [&](std::string_view p, std::string_view v) {
        if (iequals(p, "name")) {
          if (!name.empty()) bad = true;
          name = unquote(v);
        } else if (iequals(p, "filename")) {
          filename = unquote(v);
        }
      });
      if (bad) return fail(400, "A multipart part's Content-Disposition has more than one name.");
    } else if (hname == "content-type") {
      content_type = std::string(value);
    }
    headers.emplace_back(std::move(hname), std::string(value));
  }
  if (!disposition) return fail(400, "A multipart part has no Content-Disposition header.");
  if (name.empty()) return fail(400, "A multipart part's Content-Disposition has no name.");
  if (filename) {
    if (++files_ > limits_.max_files)
      return fail(413, "Too many files in the form: the limit is " + std::to_string(limits_.max_files) + ".");
    part_ = &out_.add_file(std::move(name), std::make_unique<UploadFile>(std::move(*filename), std::move(content_type),
                                                                std::move(headers), limits_.spool_threshold,
                                                                limits_.temp_dir));
  } else {
    if (++fields_ > limits_.max_fields)
      return fail(413, "Too many form fields: the limit is " + std::to_string(limits_.max_fields) + ".");
    part_ = &out_.add(std::move(name), {});
  }
  return {};
}

FormError MultipartParser::part_data(std::string_view bytes) {
  if (bytes.empty() || !part_) return {};
  if (part_->file) {
    if (!part_->file->write(bytes))
      return fail(500, "An upload could not be written to a temporary file.");
    return {};
  }
  if (part_->value.size() + bytes.size() > limits_.max_part_size)
    return fail(413, "A form field is too large: the limit is " + std::to_string(limits_.max_part_size) + " bytes.");
  part_->value.append(bytes);
  return {};
}

FormError MultipartParser::finish() {
  if (error_) return error_;
  if (state_ != State::epilogue) return fail(400, "The multipart body ended before its closing delimiter.");
  return {};
}

// ---- Request::form()

Task<std::reference_wrapper<const FormData>> Request::form(FormLimits limits) {
  // The parsed form is kept with hold(), so Request gains no member and a
  // request that never reads a form pays nothing for this feature.
  for (const auto& h : held_)
    if (auto* f = dynamic_cast<Held<FormData>*>(h.get())) co_return f->value;
  const std::string_view ct = header("content-type").value_or("");
  const std::string_view type = media_type(ct);
  // Parsed into a local first: a form that failed leaves nothing held, and
  // its temporary files are closed as the exception leaves.
  FormData form;
  if (iequals(type, "application/x-www-form-urlencoded")) {
    const std::string_view b = co_await body();
    if (FormError e = parse_urlencoded(b, limits, form)) throw HTTPException(e.status, e.message);
    co_return hold(std::move(form));
  }
  if (!iequals(type, "multipart/form-data"))
    throw HTTPException(415, "A form must be sent as application/x-www-form-urlencoded or multipart/form-data.");
  std::string boundary;
  if (FormError e = multipart_boundary(ct, boundary)) throw HTTPException(e.status, e.message);
  MultipartParser parser(std::move(boundary), limits, form);
  while (auto piece = co_await stream())
    if (FormError e = parser.feed(*piece)) throw HTTPException(e.status, e.message);
  if (FormError e = parser.finish()) throw HTTPException(e.status, e.message);
  co_return hold(std::move(form));
}

}  // namespace strata::app
