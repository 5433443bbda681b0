#include "actors/projection_rows.hpp"

namespace sn::actors {

stored_row_store::stored_row_store(storage::projection_store& store) : store_(store) {
  for (std::size_t i = 0; i < store.size(); ++i) readers_.push_back(std::make_unique<stored_rows>(store, i));
}

status stored_row_store::write_all(const std::vector<write>& writes) {
  scratch_.clear();
  scratch_.reserve(writes.size());
  for (const write& w : writes) scratch_.push_back(storage::projection_store::write{w.projection, w.key, w.value});
  return store_.write_all(scratch_);
}

} // namespace sn::actors
