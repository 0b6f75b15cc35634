// Forms and uploads: Starlette's FormData, UploadFile and form parsers.
//
// Two body formats are parsed, both with limits so a hostile client costs
// bounded memory and a clear status, never a crash or a hang:
//   application/x-www-form-urlencoded  parse_urlencoded(), on the whole body
//                                      (already capped by the body limit);
//   multipart/form-data (RFC 7578)     MultipartParser, fed the body piece by
//                                      piece as it streams in; it keeps at
//                                      most one delimiter's length plus one
//                                      part's headers buffered, and a file
//                                      part moves to a temporary file once it
//                                      passes FormLimits::spool_threshold.
// Errors are values here (FormError); Request::form() turns them into
// HTTPException(400 or 413), and an unsupported Content-Type into a 415.
//
// Ownership: a FormData owns its fields and its UploadFiles; an UploadFile
// owns its temporary file, which is unlinked as soon as it is created (it
// has no name on disk, so nothing is left behind even after a crash) and
// closed when the UploadFile is destroyed. Request::form() keeps the
// FormData until the request ends. Not thread-safe; an UploadFile may be
// read from a thread-pool job once form() has returned.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata::app {

// Starlette's defaults: request.form(max_files=1000, max_fields=1000,
// max_part_size=1024 * 1024), and SpooledTemporaryFile's 1 MiB.
struct FormLimits {
  size_t max_fields = 1000;          // text fields (urlencoded pairs or multipart parts without filename)
  size_t max_files = 1000;           // multipart parts with a filename
  size_t max_part_size = 1 << 20;    // bytes of one text field's value (files are capped by the body limit)
  size_t max_part_header_bytes = 16 * 1024;  // bytes of one part's header block
  size_t spool_threshold = 1 << 20;  // a file above this many bytes moves from memory to a temporary file
  // Where spooled files go; empty: $TMPDIR, else /tmp. A view, so that
  // FormLimits stays trivially destructible: with a std::string here, the
  // default argument of Request::form() (a by-value coroutine parameter)
  // was freed twice under GCC 12. The text must outlive the parse.
  std::string_view temp_dir = {};
};

// A parse failure: 400 (malformed), 413 (over a limit) or 500 (the
// temporary file could not be written), with a sentence for the client.
struct FormError {
  int status = 0;  // 0: no error
  std::string message = {};
  explicit operator bool() const { return status != 0; }
};

// One uploaded file. Its bytes are in memory up to the spool threshold,
// then in an unnamed temporary file. read()/seek() are blocking file I/O
// once spooled: for a large file, call them from run_in_threadpool.
class UploadFile {
 public:
  UploadFile(std::string filename, std::string content_type, std::vector<std::pair<std::string, std::string>> headers,
             size_t spool_threshold, std::string_view temp_dir);
  ~UploadFile();
  UploadFile(const UploadFile&) = delete;
  UploadFile& operator=(const UploadFile&) = delete;

  const std::string& filename() const { return filename_; }
  const std::string& content_type() const { return content_type_; }
  // The part's headers, names lower-cased, in order.
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }
  uint64_t size() const { return size_; }
  bool in_memory() const { return fd_ < 0; }
  // The temporary file's descriptor (for sendfile, copy_file_range...), -1
  // while in memory. Owned by the UploadFile; its offset is the read position.
  int fd() const { return fd_; }

  // Up to `n` bytes from the read position (all the rest by default).
  // Throws std::system_error when the file cannot be read.
  std::string read(size_t n = SIZE_MAX);
  void seek(uint64_t offset);
  uint64_t tell() const { return pos_; }

  // Appends while parsing; spools to disk past the threshold. Returns false
  // (errno set) when the temporary file cannot be created or written.
  bool write(std::string_view bytes);

 private:
  bool spool();

  std::string filename_;
  std::string content_type_;
  std::vector<std::pair<std::string, std::string>> headers_;
  size_t threshold_;
  std::string temp_dir_;
  std::string memory_;
  int fd_ = -1;
  uint64_t size_ = 0;
  uint64_t pos_ = 0;
};

// One field: a text value, or a file (then `value` is empty).
struct FormField {
  std::string name;
  std::string value;
  std::unique_ptr<UploadFile> file;
  bool is_file() const { return file != nullptr; }
};

// Ordered multi-map of fields, as sent (Starlette's FormData).
class FormData {
 public:
  // The first text value named `name`; files are not text values.
  std::optional<std::string_view> get(std::string_view name) const;
  std::vector<std::string_view> get_all(std::string_view name) const;
  // The first file named `name`, or nullptr.
  UploadFile* file(std::string_view name) const;
  std::vector<UploadFile*> files(std::string_view name) const;
  const std::vector<FormField>& items() const { return items_; }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }

  // The new field; valid until the next add.
  FormField& add(std::string name, std::string value);
  FormField& add_file(std::string name, std::unique_ptr<UploadFile> file);

 private:
  std::vector<FormField> items_;
};

// Parses a whole application/x-www-form-urlencoded body into `out`
// (percent-decoded, '+' is a space, empty pairs skipped, as for query
// strings). 413 above max_fields or when one encoded pair is above
// max_part_size. Never 400: any byte string decodes.
FormError parse_urlencoded(std::string_view body, const FormLimits& limits, FormData& out);

// The boundary parameter of a multipart/form-data Content-Type: 400 when
// missing, empty, repeated, over RFC 2046's 70 characters, or made of
// characters RFC 2046 does not allow.
FormError multipart_boundary(std::string_view content_type, std::string& boundary);

// An incremental multipart/form-data parser. feed() takes the body in
// pieces of any size (a delimiter may be split anywhere); the result does
// not depend on where the pieces are cut. After the first error every
// call returns it again. finish() says whether the body ended properly
// (after the closing delimiter; the epilogue is ignored).
class MultipartParser {
 public:
  MultipartParser(std::string boundary, const FormLimits& limits, FormData& out);
  FormError feed(std::string_view bytes);
  FormError finish();

 private:
  enum class State { preamble, after_delimiter, headers, body, epilogue };
  FormError fail(int status, std::string message);
  FormError start_part(std::string_view header_block);
  FormError part_data(std::string_view bytes);
  FormError run();

  std::string delimiter_;  // "\r\n--" + boundary
  const FormLimits& limits_;
  FormData& out_;
  State state_ = State::preamble;
  std::string buf_;  // bytes not yet consumed: a possible partial delimiter, or a header block
  size_t fields_ = 0;
  size_t files_ = 0;
  FormField* part_ = nullptr;  // the part being read (the last one added)
  size_t header_scanned_ = 0;  // bytes of buf_ already checked in State::headers
  FormError error_;
};

}  // namespace strata::app
