// test_storage's main: runs the crash child when asked (crash_child.hpp),
// the GoogleTest suite otherwise.
#include <cstring>

#include <gtest/gtest.h>

#include "tests/unit/storage/crash_child.hpp"

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], sn::storage::test::crash_child_flag) == 0) {
    return sn::storage::test::crash_child_main(argc, argv);
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
