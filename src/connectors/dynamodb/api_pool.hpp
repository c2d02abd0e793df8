#pragma once

// The connections a DynamoDB writer sends on at once: its connection's Api
// and clones of it, kept from one batch to the next (the bulk writer and the
// change writer share this).

#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "connectors/dynamodb/api.hpp"

namespace polydb::dynamodb {

class ApiPool {
 public:
  explicit ApiPool(Api& first) : first_(first) {}

  /// Runs task(api, i) for every i in [0, count) on up to `workers`
  /// connections at once (at least one); the first error stops the others
  /// from taking more work and is rethrown once all have finished.
  void run(size_t workers, size_t count, const std::function<void(Api&, size_t)>& task) {
    workers = std::max<size_t>(std::min(workers, count), 1);
    while (clones_.size() + 1 < workers) clones_.push_back(first_.clone());
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::vector<std::exception_ptr> errors(workers);
    auto work = [&](size_t w) noexcept {
      Api& api = w == 0 ? first_ : *clones_[w - 1];
      try {
        for (size_t i; !failed && (i = next++) < count;) task(api, i);
      } catch (...) {
        errors[w] = std::current_exception();
        failed = true;
      }
    };
    {
      std::vector<std::jthread> threads;
      for (size_t w = 1; w < workers; ++w) threads.emplace_back(work, w);
      work(0);
    }  // joined
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
  }

 private:
  Api& first_;
  std::vector<std::unique_ptr<Api>> clones_;
};

}  // namespace polydb::dynamodb
