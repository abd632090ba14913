#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "data/split.hpp"

namespace {
std::vector<uint64_t> offsets_of(const std::vector<uint64_t>& lengths) {
  std::vector<uint64_t> offsets = {0};
  for (uint64_t n : lengths) offsets.push_back(offsets.back() + n);
  return offsets;
}
}  // namespace

TEST_CASE("split: by document, deterministic, covering every token once") {
  std::vector<uint64_t> lengths;
  for (int d = 0; d < 40; ++d) lengths.push_back(5 + (d * 7) % 13);
  const auto offsets = offsets_of(lengths);
  const auto split = ln::split_by_document(offsets, 0.1, 42);
  CHECK(split.val_documents.size() == 4);  // round(0.1 * 40)

  // Every token is in exactly one split, and each range starts and ends on document
  // boundaries; the validation ranges are exactly the validation documents.
  std::vector<int> owner(offsets.back(), 0);
  auto is_boundary = [&](int64_t x) {
    return std::find(offsets.begin(), offsets.end(), uint64_t(x)) != offsets.end();
  };
  for (const auto* ranges : {&split.train, &split.val}) {
    for (size_t i = 0; i < ranges->size(); ++i) {
      const ln::TokenRange& r = (*ranges)[i];
      CHECK(is_boundary(r.begin));
      CHECK(is_boundary(r.end));
      CHECK(r.size() > 0);
      if (i > 0) CHECK((*ranges)[i - 1].end < r.begin);  // sorted, adjacent ones merged
      for (int64_t t = r.begin; t < r.end; ++t) owner[size_t(t)] += ranges == &split.train ? 1 : 2;
    }
  }
  for (int o : owner) CHECK(o != 0);
  for (int o : owner) CHECK(o != 3);
  int64_t val_tokens = 0;
  for (int64_t d : split.val_documents) val_tokens += int64_t(lengths[size_t(d)]);
  CHECK(ln::total_tokens(split.val) == val_tokens);
  CHECK(ln::total_tokens(split.train) + val_tokens == int64_t(offsets.back()));

  // Same seed, same split; other seeds pick other documents.
  CHECK(ln::split_by_document(offsets, 0.1, 42).val_documents == split.val_documents);
  int different = 0;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    different += ln::split_by_document(offsets, 0.1, seed).val_documents != split.val_documents;
  }
  CHECK(different >= 4);
}

TEST_CASE("split: at least one document on each side, tail of a single document, no validation") {
  const auto two = offsets_of({10, 20});
  auto split = ln::split_by_document(two, 0.01, 1);
  CHECK(split.val_documents.size() == 1);
  CHECK(split.train.size() == 1);
  split = ln::split_by_document(two, 0.99, 1);
  CHECK(split.val_documents.size() == 1);
  CHECK(split.train.size() == 1);
  CHECK(ln::split_by_document(offsets_of({3, 3, 3, 3, 3, 3, 3, 3, 3, 3}), 0.95, 7).val_documents.size() == 9);

  const auto one = offsets_of({1000});
  split = ln::split_by_document(one, 0.05, 3);
  CHECK(split.train == std::vector<ln::TokenRange>{{0, 950}});
  CHECK(split.val == std::vector<ln::TokenRange>{{950, 1000}});
  split = ln::split_by_document(offsets_of({2}), 0.001, 3);
  CHECK(split.val == std::vector<ln::TokenRange>{{1, 2}});

  split = ln::split_by_document(offsets_of({4, 5}), 0.0, 3);
  CHECK(split.val.empty());
  CHECK(split.train == std::vector<ln::TokenRange>{{0, 9}});

  CHECK_THROWS_AS(ln::split_by_document(two, 1.0, 1), ln::Error);
  CHECK_THROWS_AS(ln::split_by_document(two, -0.1, 1), ln::Error);
}
