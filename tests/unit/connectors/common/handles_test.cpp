#include "connectors/common/handles.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace polydb {
namespace {

int freed = 0;
void free_int(int* p) {
  ++freed;
  delete p;
}

TEST(Free, CallsTheFunctionOnceAndNeverForNull) {
  freed = 0;
  { std::unique_ptr<int, Free<&free_int>> h(new int(1)); }
  EXPECT_EQ(freed, 1);
  { std::unique_ptr<int, Free<&free_int>> none; }
  EXPECT_EQ(freed, 1);
  std::unique_ptr<int, Free<&free_int>> h(new int(2));
  h.reset();
  h.reset();
  EXPECT_EQ(freed, 2);
}

}  // namespace
}  // namespace polydb
