#include "connectors/common/changes.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "polydb/error.hpp"

namespace polydb {
namespace {

using Row = std::vector<Value>;

std::shared_ptr<Schema> test_schema() {
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false, ""},
               {"note", TypeId::string, true, ""},
               {"ver", TypeId::int64, true, ""}};
  s->primary_key = {"id"};
  return s;
}

// The base with hooks that record what they were given; write_changes()
// throws `fail_sending` inside send_or_roll_back(), `fail_before` outside.
class RecordingWriter final : public ChangeWriterBase {
 public:
  explicit RecordingWriter(const ChangeOptions& options = {})
      : ChangeWriterBase("t", *test_schema(), options, "test", "test") {}

  std::vector<std::vector<size_t>> written;
  int commits = 0;
  int rollbacks = 0;
  bool fail_before = false;
  bool fail_sending = false;

 private:
  void write_changes(const ChangeBatch&, const std::vector<size_t>& rows) override {
    if (fail_before) throw Error(ErrorCode::type_mismatch, "a value does not convert");
    send_or_roll_back([&] {
      if (fail_sending) throw Error(ErrorCode::conflict, "a constraint");
      written.push_back(rows);
    });
  }
  void commit_changes() override { ++commits; }
  void roll_back() noexcept override { ++rollbacks; }
};

ChangeBatch batch(const std::vector<std::pair<ChangeOp, Row>>& list) {
  ChangeBatch b{Batch(test_schema()), {}};
  for (const auto& [op, row] : list) b.append(op, row);
  return b;
}

std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.message();
  }
  return "";
}

TEST(ChangeWriterBase, HooksGetTheDecidingChangesAndResultsCountEveryChange) {
  RecordingWriter w;
  w.apply(batch({{ChangeOp::upsert, {1, "a", 1}},
                 {ChangeOp::upsert, {2, "b", 1}},
                 {ChangeOp::remove, {1, nullptr, nullptr}}}));
  w.apply(batch({}));
  ASSERT_EQ(w.written.size(), 2u);
  EXPECT_EQ(w.written[0], (std::vector<size_t>{1, 2})) << "key 1 ends as its remove";
  EXPECT_TRUE(w.written[1].empty());
  const ChangeResult r = w.commit();
  EXPECT_EQ(r.upserts, 2u);
  EXPECT_EQ(r.removes, 1u);
  EXPECT_EQ(w.commits, 1);
  EXPECT_EQ(w.commit().upserts, 2u) << "cumulative, and the writer stays usable";
}

TEST(ChangeWriterBase, ARefusedBatchReachesNoHook) {
  RecordingWriter w;
  EXPECT_NE(
      message_of([&] {
        w.apply(batch({{ChangeOp::upsert, {1, "a", 1}}, {ChangeOp::upsert, {nullptr, "b", 1}}}));
      }).find("'id'"),
      std::string::npos);
  ChangeBatch wide{Batch([] {
                     auto s = test_schema();
                     s->fields.push_back({"more", TypeId::string, true, ""});
                     return s;
                   }()),
                   {}};
  EXPECT_NE(message_of([&] { w.apply(wide); }).find("4 columns"), std::string::npos);
  EXPECT_TRUE(w.written.empty());
  w.apply(batch({{ChangeOp::upsert, {1, "a", 1}}}));
  EXPECT_EQ(w.commit().upserts, 1u) << "refused batches count for nothing";
}

TEST(ChangeWriterBase, AFailureBeforeSendingLeavesTheWriterUsable) {
  RecordingWriter w;
  w.fail_before = true;
  EXPECT_THROW(w.apply(batch({{ChangeOp::upsert, {1, "a", 1}}})), Error);
  EXPECT_EQ(w.rollbacks, 0);
  w.fail_before = false;
  w.apply(batch({{ChangeOp::upsert, {1, "a", 1}}}));
  EXPECT_EQ(w.commit().upserts, 1u);
}

TEST(ChangeWriterBase, AFailedSendRollsBackAndTheWriterSaysSo) {
  RecordingWriter w;
  w.fail_sending = true;
  EXPECT_THROW(w.apply(batch({{ChangeOp::upsert, {1, "a", 1}}})), Error);
  EXPECT_EQ(w.rollbacks, 1);
  const std::string message = message_of([&] { w.commit(); });
  EXPECT_NE(message.find("commit() on the change writer of table 't'"), std::string::npos)
      << message;
  EXPECT_NE(message.find("rolled back after a failure"), std::string::npos) << message;
  w.abort();
  EXPECT_EQ(w.rollbacks, 1) << "rolled back once";
  EXPECT_EQ(w.commits, 0);
}

TEST(ChangeWriterBase, AbortRollsBackOnceAndEndsTheWriter) {
  RecordingWriter w;
  w.apply(batch({{ChangeOp::upsert, {1, "a", 1}}}));
  w.abort();
  w.abort();
  EXPECT_EQ(w.rollbacks, 1);
  const std::string message = message_of([&] { w.apply(batch({})); });
  EXPECT_NE(message.find("apply() on the change writer of table 't', which was aborted"),
            std::string::npos)
      << message;
}

TEST(ChangeWriterBase, OpeningChecksTheKeyAndVersion) {
  EXPECT_NE(
      message_of([] { RecordingWriter w({.key = {"nope"}, .version_column = ""}); }).find("'nope'"),
      std::string::npos);
  EXPECT_NE(message_of([] {
              RecordingWriter w({.key = {}, .version_column = "note"});
            }).find("must be an integer"),
            std::string::npos);
}

TEST(EffectiveChanges, TheHighestVersionDecidesAndTheLaterOneOnATie) {
  RecordingWriter w({.key = {}, .version_column = "ver"});
  w.apply(batch({{ChangeOp::remove, {1, nullptr, 8}},
                 {ChangeOp::upsert, {1, "older", 3}},
                 {ChangeOp::upsert, {2, "first", 5}},
                 {ChangeOp::upsert, {2, "tie", 5}},
                 {ChangeOp::upsert, {3, "only", 1}}}));
  ASSERT_EQ(w.written.size(), 1u);
  EXPECT_EQ(w.written[0], (std::vector<size_t>{0, 3, 4}));
  EXPECT_NE(message_of([&] {
              w.apply(batch({{ChangeOp::upsert, {4, "x", nullptr}}}));
            }).find("no version"),
            std::string::npos);
}

}  // namespace
}  // namespace polydb
