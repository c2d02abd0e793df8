// A downstream program that uses only the installed public headers: opens an
// in-memory SQLite database, writes a batch into a new table, reads it back
// and checks every value; then copies a table between two SQLite files with
// the engine, chunk by chunk, recording the job in a state store, and reads
// the job back from the store. Exit 0 and "ok" on success; a message and
// exit 1 on any difference or error.

#include <unistd.h>

#include <polydb/batch.hpp>
#include <polydb/connection.hpp>
#include <polydb/engine.hpp>
#include <polydb/error.hpp>
#include <polydb/state.hpp>
#include <polydb/type.hpp>
#include <polydb/value.hpp>

#include <cstdint>
#include <filesystem>
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

// The engine and the state store: a chunked copy between two SQLite files.
int run_engine() {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("polydb-downstream-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string src = "sqlite://" + (dir / "src.db").string();
  const std::string dst = "sqlite://" + (dir / "dst.db").string();
  const std::string state = "sqlite://" + (dir / "state.db").string();
  {
    polydb::ConnectOptions create;
    create.create_if_missing = true;
    auto conn = polydb::connect(src, create);
    conn->execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)");
    conn->execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) "
        "INSERT INTO items SELECT i, 'item ' || i FROM n");
  }
  polydb::engine::CopyOptions options;
  options.table = "items";
  options.mode = polydb::WriteMode::create;
  options.chunked = true;
  options.state = state;
  options.job = "downstream";
  options.chunk_rows = 100;
  polydb::ConnectOptions connect;
  connect.create_if_missing = true;
  const auto stats = polydb::engine::copy(src, dst, options, connect);
  auto store = polydb::state::open_state_store(state);
  const auto progress = store->progress("downstream");
  const auto count = polydb::connect(dst)->count_rows("items");
  fs::remove_all(dir);
  if (stats.rows != 1000 || !count || *count != 1000 || progress.done < 2 ||
      progress.done != progress.total() || progress.rows_done != 1000) {
    std::cerr << "engine copy: " << stats.rows << " rows committed, " << progress.done << " of "
              << progress.total() << " chunks done\n";
    return 1;
  }
  std::cout << "ok: engine copy of 1000 rows in " << progress.done << " chunks\n";
  return 0;
}

}  // namespace

int main() {
  try {
    return run() != 0 ? 1 : run_engine();
  } catch (const polydb::Error& e) {
    std::cerr << "polydb error: " << e.what() << "\n";
    return 1;
  }
}
