// Rows decoded straight into the typed tier's models: a struct described
// with BOOST_DESCRIBE_STRUCT gets each member from the column of the same
// name, converted as Row::get converts (NULL only into std::optional). The
// column of each member is looked up once per result, not once per row.
#pragma once

#include <array>
#include <string>
#include <vector>

#include <boost/describe.hpp>
#include <boost/mp11.hpp>

#include "db/db.hpp"

namespace strata::db {

template <class T>
std::vector<T> decode_rows(const Rows& rows) {
  static_assert(boost::describe::has_describe_members<T>::value,
                "decode_rows<T>: describe T with BOOST_DESCRIBE_STRUCT");
  using Members = boost::describe::describe_members<T, boost::describe::mod_public>;
  constexpr size_t n = boost::mp11::mp_size<Members>::value;
  std::array<size_t, n> cols{};
  size_t k = 0;
  boost::mp11::mp_for_each<Members>([&](auto m) {
    const int c = rows.find(m.name);
    if (c < 0) throw Error(std::string("result has no column '") + m.name + "' for the model's member");
    cols[k++] = static_cast<size_t>(c);
  });
  std::vector<T> out;
  out.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row row = rows[i];
    T& t = out.emplace_back();
    k = 0;
    boost::mp11::mp_for_each<Members>([&](auto m) {
      const size_t c = cols[k++];
      detail::convert_cell(row.is_null(c), row.text(c), t.*m.pointer, rows.columns()[c]);
    });
  }
  return out;
}

}  // namespace strata::db
