// A downstream program that uses only the installed public headers: opens an
// in-memory SQLite database, writes a batch into a new table, reads it back
// and checks every value. Exit 0 and "ok" on success; a message and exit 1 on
// any difference or error.

#include <polydb/batch.hpp>
#include <polydb/connection.hpp>
#include <polydb/error.hpp>
#include <polydb/type.hpp>
#include <polydb/value.hpp>

#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace {

constexpr int64_t kRows = 1000;

std::string name_of(int64_t i) { return "row " + std::to_string(i); }

int run() {
  auto conn = polydb::connect("sqlite::memory:");

  auto schema = std::make_shared<polydb::Schema>();
  schema->fields = {{"id", polydb::TypeId::int64, false}, {"name", polydb::TypeId::string},
                    {"score", polydb::TypeId::float64}};
  schema->primary_key = {"id"};

  polydb::Batch batch(schema);
  for (int64_t i = 0; i < kRows; ++i) {
    const std::vector<polydb::Value> row = {
        i, name_of(i), i % 7 == 0 ? polydb::Value() : polydb::Value(static_cast<double>(i) / 4)};
    batch.append_row(row);
  }
  auto writer = conn->writer("downstream", *schema, {.mode = polydb::WriteMode::create});
  writer->write(batch);
  const auto written = writer->commit();
  if (written.rows != static_cast<uint64_t>(kRows)) {
    std::cerr << "wrote " << written.rows << " rows, expected " << kRows << "\n";
    return 1;
  }

  auto reader = conn->scan({.table = "downstream", .order_by = {{.column = "id"}}});
  int64_t next = 0;
  while (auto got = reader->next()) {
    for (size_t r = 0; r < got->num_rows(); ++r, ++next) {
      const auto row = got->row(r);
      const polydb::Value want_score =
          next % 7 == 0 ? polydb::Value() : polydb::Value(static_cast<double>(next) / 4);
      if (row.size() != 3 || !(row[0] == polydb::Value(next)) ||
          !(row[1] == polydb::Value(name_of(next))) || !(row[2] == want_score)) {
        std::cerr << "row " << next << " reads back as (" << row[0].to_text() << ", "
                  << row[1].to_text() << ", " << row[2].to_text() << ")\n";
        return 1;
      }
    }
  }
  if (next != kRows) {
    std::cerr << "read " << next << " rows, expected " << kRows << "\n";
    return 1;
  }
  std::cout << "ok: " << next << " rows through " << conn->backend() << "\n";
  return 0;
}

}  // namespace

int main() {
  try {
    return run();
  } catch (const polydb::Error& e) {
    std::cerr << "polydb error: " << e.what() << "\n";
    return 1;
  }
}
