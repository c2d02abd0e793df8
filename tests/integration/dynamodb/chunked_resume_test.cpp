// A chunked copy out of DynamoDB (the emulator of scripts/services.sh),
// interrupted inside a chunk and resumed: DynamoDB chunks are scan segments
// (no key order), continued from the reader's resume point (the last item's
// ExclusiveStartKey) recorded at each intermediate commit, so the resumed job
// reads only the items after it and ends with exactly the table.

#include <stdlib.h>

#include <filesystem>
#include <optional>
#include <stop_token>

#include "engine/chunks.hpp"
#include "fixture.hpp"
#include "polydb/engine.hpp"
#include "polydb/state.hpp"

namespace polydb::dynamotest {
namespace {

constexpr int64_t kItems = 3000;

// Stops the copy at the `stop_after`-th progress update; remembers the rows
// the last update reported (what the source handed out).
class StopAfter final : public engine::ProgressSink {
 public:
  explicit StopAfter(std::optional<size_t> stop_after) : stop_after_(stop_after) {}
  void update(const engine::Progress& p) override {
    rows = p.rows;
    if (stop_after_ && ++updates_ == *stop_after_) stop.request_stop();
  }
  std::stop_source stop;
  uint64_t rows = 0;

 private:
  std::optional<size_t> stop_after_;
  size_t updates_ = 0;
};

TEST_F(DynamoTest, AChunkedCopyInterruptedInsideASegmentResumesAfterTheLastCommittedItem) {
  auto schema = std::make_shared<Schema>();
  schema->fields = {{"id", TypeId::int64, false, ""}, {"name", TypeId::string, true, ""}};
  schema->primary_key = {"id"};
  Batch b(schema);
  for (int64_t i = 1; i <= kItems; ++i)
    b.append_row(std::vector<Value>{i, "item " + std::to_string(i)});
  {
    auto w = conn_->writer(table_, *schema, {WriteMode::create, {}});
    w->write(b);
    w->commit();
  }
  std::string tmpl = (std::filesystem::temp_directory_path() / "polydb-ddb-resume-XXXXXX").string();
  const std::filesystem::path dir = mkdtemp(tmpl.data());
  ConnectOptions create;
  create.create_if_missing = true;
  auto dst = connect("sqlite://" + (dir / "dst.db").string(), create);

  engine::CopyOptions o;
  o.table = table_;
  o.columns = {"id", "name"};
  o.dst_table = "out";
  o.chunked = true;
  o.state = (dir / "state.db").string();
  o.job = "ddb";
  o.worker = "w";
  o.batch_rows = 100;
  o.checkpoint_rows = 300;
  auto run = [&](std::optional<size_t> stop_after) {
    StopAfter sink(stop_after);
    o.progress = &sink;
    o.stop = sink.stop.get_token();
    try {
      engine::copy(*conn_, *dst, o);
      EXPECT_FALSE(stop_after) << "the copy ignored the stop request";
    } catch (const Error& e) {
      EXPECT_TRUE(stop_after) << e.what();
      EXPECT_EQ(e.code(), ErrorCode::cancelled) << e.what();
    }
    return sink.rows;
  };

  // Commits after 300 and 600 items; stopped after the 8th batch of 100.
  EXPECT_EQ(run(8), 800u);
  auto chunks = state::open_state_store(o.state)->chunks("ddb");
  ASSERT_FALSE(chunks.empty());
  uint64_t saved = 0;
  for (const auto& c : chunks) {
    saved += c.rows;
    if (c.rows > 0) {
      EXPECT_FALSE(engine::decode_position(c.position).reader.empty());
    }
  }
  EXPECT_EQ(saved, 600u);
  // "rows distinct-ids sum(id)" of the target.
  auto target = [&] {
    auto r = dst->query("SELECT count(*), count(DISTINCT id), coalesce(sum(id), 0) FROM out");
    const auto row = r->next()->row(0);
    return row.at(0).to_text() + " " + row.at(1).to_text() + " " + row.at(2).to_text();
  };
  EXPECT_EQ(target().substr(0, 8), "600 600 ");

  // Resumed: only the items after the saved positions are read.
  o.resume = true;
  EXPECT_EQ(run(std::nullopt), static_cast<uint64_t>(kItems) - 600);
  EXPECT_EQ(target(), std::to_string(kItems) + " " + std::to_string(kItems) + " " +
                         std::to_string(kItems * (kItems + 1) / 2));
  for (const auto& c : state::open_state_store(o.state)->chunks("ddb")) {
    EXPECT_EQ(c.status, state::ChunkStatus::done);
    EXPECT_EQ(c.hash.size(), 16u);
  }
  dst.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace polydb::dynamotest
