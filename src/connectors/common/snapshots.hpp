#pragma once

// A Snapshot whose reader connections had to be started together (MySQL's
// consistent snapshot under a global read lock, SQLite's write lock held
// until every reader has read once): it hands them out one by one.

#include <fmt/format.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "polydb/connection.hpp"
#include "polydb/error.hpp"

namespace polydb {

class PreopenedSnapshot final : public Snapshot {
 public:
  PreopenedSnapshot(std::vector<std::unique_ptr<Connection>> readers, std::string backend)
      : readers_(std::move(readers)), backend_(std::move(backend)) {}

  std::unique_ptr<Connection> open_reader() override {
    if (next_ >= readers_.size())
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("this snapshot was opened for {} reader{}, and all are taken "
                              "(open the snapshot for as many readers as you need: {} starts "
                              "them together)",
                              readers_.size(), readers_.size() == 1 ? "" : "s", backend_),
                  backend_);
    return std::move(readers_[next_++]);
  }

 private:
  std::vector<std::unique_ptr<Connection>> readers_;
  size_t next_ = 0;
  std::string backend_;
};

}  // namespace polydb
