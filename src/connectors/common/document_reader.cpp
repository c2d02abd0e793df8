#include "connectors/common/document_reader.hpp"

#include <algorithm>

namespace polydb {

DocumentColumns document_columns(const ScanSpec& spec, Schema output,
                                 const std::function<Field(const std::string&)>& field_of) {
  DocumentColumns out;
  auto read = std::make_shared<Schema>(output);
  std::vector<std::string> needed =
      spec.filter ? spec.filter->columns() : std::vector<std::string>{};
  for (const auto& o : spec.order_by) needed.push_back(o.column);
  for (const auto& c : needed)
    if (!read->index_of(c)) read->fields.push_back(field_of(c));
  // The catch-all needs every property of a document: no projection then.
  if (!spec.columns.empty() && !read->index_of(kExtraColumn))
    for (const auto& f : read->fields) out.select.push_back(f.name);
  out.output = std::make_shared<const Schema>(std::move(output));
  out.read = std::move(read);
  return out;
}

void take_scan(DocumentReadSetup& setup, const ScanSpec& spec, const DocumentColumns& columns,
               const Schema& full) {
  setup.schema = columns.read;
  if (columns.read->fields.size() != columns.output->fields.size()) setup.output = columns.output;
  setup.full = std::make_shared<const Schema>(full);
  setup.residual = spec.filter;
  setup.order_by = spec.order_by;
  setup.limit = spec.limit;
  setup.batch_rows = std::max<size_t>(1, spec.batch_rows);
  setup.batch_bytes = spec.batch_bytes;
  setup.sort_memory_bytes = spec.sort_memory_bytes;
  setup.plan.columns_pushed = !columns.select.empty();
  setup.resume_from = spec.resume_from;
}

}  // namespace polydb
