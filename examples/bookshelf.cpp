// strata example: a small book catalogue in the typed style (tier 4).
//
//   GET    /books?author=&tag=&limit=20&offset=0   a page of books (async, on the loop)
//   GET    /books/{book_id}                        one book, or 404
//   POST   /books          X-API-Key + a NewBook   201 and the stored Book (sync, thread pool)
//   PATCH  /books/{book_id}/lend  X-API-Key        marks it lent, 409 if it already is
//   DELETE /books/{book_id}       X-API-Key        204
//   GET    /openapi.json, /docs, /redoc            the API described, Swagger UI and ReDoc
//
// What it shows: models with constraints and enums, parameters from the
// path and the query, routes grouped in a router with a prefix and tags, an
// API-key security scheme (Swagger UI's Authorize button) read by a
// dependency that guards the writes, plain functions on the thread pool
// next to coroutines on the loop, and the 422s, 404s, 403s and 401s
// FastAPI users expect.
//
//   strata-example-bookshelf --port 8000 --api-key secret
//   curl -s localhost:8000/books -H 'x-api-key: secret' -H 'content-type: application/json'
//        -d '{"title": "Dune", "author": "Frank Herbert", "year": 1965, "tags": ["sf"]}'   (one line)
#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <strata/router/api.hpp>
#include <strata/serve.hpp>

namespace shelf {

using namespace strata::router;
using strata::Task;
using strata::app::HTTPException;

enum class Status { available, lent };
BOOST_DESCRIBE_ENUM(Status, available, lent)

struct NewBook {
  std::string title;
  std::string author;
  int year = 0;
  std::vector<std::string> tags;
  std::optional<double> rating;
};
BOOST_DESCRIBE_STRUCT(NewBook, (), (title, author, year, tags, rating))

struct Book {
  int64_t id = 0;
  std::string title;
  std::string author;
  int year = 0;
  std::vector<std::string> tags;
  std::optional<double> rating;
  Status status = Status::available;
};
BOOST_DESCRIBE_STRUCT(Book, (), (id, title, author, year, tags, rating, status))

struct BookPage {
  int64_t total = 0;
  std::vector<Book> items;
};
BOOST_DESCRIBE_STRUCT(BookPage, (), (total, items))

}  // namespace shelf

// Constraints sit next to the models, as pydantic's Field(...) would.
template <>
struct strata::router::model_traits<shelf::NewBook> {
  static constexpr bool forbid_extra = true;
  static constexpr auto fields = std::tuple{
      field(&shelf::NewBook::title, {.min_length = 1, .max_length = 200}),
      field(&shelf::NewBook::author, {.min_length = 1, .max_length = 100}),
      field(&shelf::NewBook::year, {.ge = 1450, .le = 2100}),
      field(&shelf::NewBook::tags, {.max_length = 10}),
      field(&shelf::NewBook::rating, {.ge = 0, .le = 5}),
  };
};

namespace shelf {

// The catalogue: shared by every worker and by the pool threads that run
// the sync handlers, hence the lock.
class Catalogue {
 public:
  Book add(NewBook b) {
    std::lock_guard lock(mu_);
    Book book{next_id_++, std::move(b.title), std::move(b.author), b.year, std::move(b.tags), b.rating,
              Status::available};
    books_[book.id] = book;
    return book;
  }
  std::optional<Book> find(int64_t id) {
    std::lock_guard lock(mu_);
    auto it = books_.find(id);
    if (it == books_.end()) return std::nullopt;
    return it->second;
  }
  BookPage page(const std::optional<std::string>& author, const std::optional<std::string>& tag, int limit,
                int offset) {
    std::lock_guard lock(mu_);
    BookPage page;
    for (const auto& [id, b] : books_) {
      if (author && b.author != *author) continue;
      if (tag && std::find(b.tags.begin(), b.tags.end(), *tag) == b.tags.end()) continue;
      if (page.total++ >= offset && static_cast<int>(page.items.size()) < limit) page.items.push_back(b);
    }
    return page;
  }
  // false: no such book; throws 409 if it is lent already.
  bool lend(int64_t id) {
    std::lock_guard lock(mu_);
    auto it = books_.find(id);
    if (it == books_.end()) return false;
    if (it->second.status == Status::lent) throw HTTPException(409, "Book already lent");
    it->second.status = Status::lent;
    return true;
  }
  bool remove(int64_t id) {
    std::lock_guard lock(mu_);
    return books_.erase(id) == 1;
  }

 private:
  std::mutex mu_;
  std::map<int64_t, Book> books_;
  int64_t next_id_ = 1;
};

Catalogue catalogue;
std::string api_key = "secret";

// The guard of every write: FastAPI's
//   api_key_header = APIKeyHeader(name="X-API-Key")
//   def verify_key(key: str = Security(api_key_header)): ...
// A request without the header is answered 403 by the scheme itself.
void verify_key(APIKeyHeader<"X-API-Key"> key) {
  if (*key != api_key) throw HTTPException(401, "Invalid API key", {{"www-authenticate", "ApiKey"}});
}

inline constexpr Constraints kLimit{.ge = 1, .le = 100};
inline constexpr Constraints kOffset{.ge = 0};
using BookId = Path<"book_id", int64_t>;

// The body of an HTTPException, for the 404s the OpenAPI document lists.
struct Message {
  std::string detail;
};
BOOST_DESCRIBE_STRUCT(Message, (), (detail))

Book found_or_404(std::optional<Book> b) {
  if (!b) throw HTTPException(404, "Book not found");
  return std::move(*b);
}

void add_routes(API& api) {
  auto with = [](std::string name, int status = 200, bool may_be_missing = false, bool writes = false) {
    RouteOptions o{.status_code = status, .name = std::move(name)};
    if (may_be_missing) o.responses = {response<Message>(404, "Book not found")};
    if (writes) o.dependencies = {dependency<verify_key>()};  // FastAPI's dependencies=[Depends(verify_key)]
    return o;
  };
  APIRouter books({.prefix = "/books", .tags = {"books"}});
  books.get(
      "",
      [](Query<"author", std::optional<std::string>> author, Query<"tag", std::optional<std::string>> tag,
         Query<"limit", int, 20, kLimit> limit, Query<"offset", int, 0, kOffset> offset) -> Task<BookPage> {
        co_return catalogue.page(*author, *tag, *limit, *offset);
      },
      with("list_books"));
  books.get(
      "/{book_id}", [](BookId id) -> Task<Book> { co_return found_or_404(catalogue.find(*id)); },
      with("get_book", 200, true));
  books.post(
      "", [](Body<NewBook> book) -> Book { return catalogue.add(std::move(*book)); },
      with("add_book", 201, false, true));
  books.patch(
      "/{book_id}/lend",
      [](BookId id) -> Book {
        if (!catalogue.lend(*id)) throw HTTPException(404, "Book not found");
        return found_or_404(catalogue.find(*id));
      },
      with("lend_book", 200, true, true));
  books.del(
      "/{book_id}",
      [](BookId id) -> strata::app::Response {
        if (!catalogue.remove(*id)) throw HTTPException(404, "Book not found");
        return strata::app::Response::empty(204);
      },
      with("delete_book", 204, true, true));
  api.include_router(books);
}

}  // namespace shelf

int main(int argc, char** argv) {
  strata::router::APIConfig config;
  config.title = "Bookshelf";
  config.version = "1.0.0";
  config.description = "A small book catalogue, declared with strata's typed tier.";
  strata::router::API api(config);
  shelf::add_routes(api);
  return strata::serve(api, argc, argv,
                       {.description = "strata example: a book catalogue API on tier 4 (typed)",
                        .flags = {{"--api-key", &shelf::api_key, "the X-API-Key that writes need"}}});
}
