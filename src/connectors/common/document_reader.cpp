#include "connectors/common/document_reader.hpp"

#include <fmt/format.h>

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

nlohmann::ordered_json resume_position(std::string_view resume_from) {
  if (resume_from.empty()) return nullptr;
  const auto point = nlohmann::ordered_json::parse(resume_from, nullptr, false);
  if (!point.is_object() || !point.contains("at")) return nullptr;
  return point["at"];
}

Error refused_resume_point(std::string_view what, const nlohmann::ordered_json& at,
                           std::string_view why, std::string_view backend) {
  return Error(ErrorCode::invalid_argument,
               fmt::format("{}: cannot continue from the resume point {}: {}; pass the resume "
                           "point of a reader of this same scan",
                           what, at.dump().substr(0, 200), why),
               std::string(backend));
}

std::optional<std::string> segment_mismatch(const nlohmann::ordered_json& recorded,
                                            const nlohmann::ordered_json& segment,
                                            std::string_view whole) {
  if (recorded == segment) return std::nullopt;
  if (recorded.is_array() && recorded.size() == 2)
    return fmt::format("it belongs to segment {} of {}", recorded[0].dump(), recorded[1].dump());
  return fmt::format("it belongs to a scan of the whole {}", whole);
}

}  // namespace polydb
