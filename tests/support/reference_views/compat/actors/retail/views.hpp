// Compatibility name for tools/ only (tests/support/reference_views/
// CMakeLists.txt): retail::views moved out of the product to the tests'
// reference model. Remove once tools/ folds the projection set.
#pragma once

#include "tests/support/reference_views/views.hpp"
