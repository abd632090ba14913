// ln::median against values worked out by hand, in any input order.
#include <doctest/doctest.h>

#include <vector>

#include "core/error.hpp"
#include "core/median.hpp"

TEST_CASE("median: the middle value of an odd count, the mean of the two middle ones of an even count") {
  CHECK(ln::median({7.0}) == 7.0);
  CHECK(ln::median({3.0, 1.0, 2.0}) == 2.0);
  CHECK(ln::median({5.0, 100.0, 1.0, 4.0, 2.0}) == 4.0);  // one outlier does not move it
  CHECK(ln::median({4.0, 1.0}) == 2.5);
  CHECK(ln::median({10.0, 2.0, 8.0, 4.0}) == 6.0);  // sorted 2 4 8 10: (4 + 8) / 2
  CHECK(ln::median({1.0, 1.0, 9.0, 9.0, 9.0, 1.0}) == 5.0);
}

TEST_CASE("median of nothing is refused with one line") { CHECK_THROWS_AS(ln::median({}), ln::Error); }
