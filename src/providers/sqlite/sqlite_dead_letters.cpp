// SqliteProvider: dead letters, written by the fetches and listed by the management interface.
#include "providers/sqlite/sqlite_dead_letters.hpp"

namespace duroxide {

namespace sqlite_detail {

ProviderResult<std::uint64_t> record_dead_letter(SqliteProvider::Store& s, std::string_view operation,
                                                 const RawQueueRow& row) {
  {
    DUROXIDE_TRY_ASSIGN(insert, s.statement(operation,
                                            "INSERT OR IGNORE INTO dead_letters (queue, source_row_id, instance_id, "
                                            "execution_id, activity_id, raw_text, error, created_at) VALUES (?1, ?2, "
                                            "?3, ?4, ?5, ?6, ?7, ?8)"));
    insert.bind(1, row.queue).bind(2, row.row_id).bind(3, row.instance_id).bind(4, row.execution_id);
    insert.bind(5, row.activity_id).bind(6, row.raw_text).bind(7, row.error).bind(8, SqliteProvider::Store::now_ms());
    DUROXIDE_TRY(insert.run());
  }
  DUROXIDE_TRY_ASSIGN(find,
                      s.statement(operation, "SELECT id FROM dead_letters WHERE queue = ?1 AND source_row_id = ?2"));
  find.bind(1, row.queue).bind(2, row.row_id);
  DUROXIDE_TRY_ASSIGN(found, find.step());
  if (!found) {
    return std::unexpected(ProviderError::transient(std::string(operation), "dead letter vanished after insert"));
  }
  return find.uint64(0);
}

}  // namespace sqlite_detail

ProviderResult<std::vector<DeadLetter>> SqliteProvider::list_dead_letters() {
  constexpr std::string_view op = "list_dead_letters";
  DUROXIDE_TRY_ASSIGN(reader, store_->read_connection());
  DUROXIDE_TRY_ASSIGN(stmt, reader.statement(op,
                                             "SELECT id, queue, source_row_id, instance_id, execution_id, "
                                             "activity_id, raw_text, error, created_at FROM dead_letters ORDER BY "
                                             "id"));
  std::vector<DeadLetter> letters;
  for (;;) {
    DUROXIDE_TRY_ASSIGN(row, stmt.step());
    if (!row) break;
    DeadLetter letter;
    letter.id = stmt.uint64(0);
    letter.queue = stmt.text(1);
    letter.source_row_id = stmt.uint64(2);
    letter.instance_id = stmt.optional_text(3);
    if (!stmt.is_null(4)) letter.execution_id = stmt.uint64(4);
    if (!stmt.is_null(5)) letter.activity_id = stmt.uint64(5);
    letter.raw_text = stmt.text(6);
    letter.error = stmt.text(7);
    letter.created_at_ms = stmt.uint64(8);
    letters.push_back(std::move(letter));
  }
  return letters;
}

}  // namespace duroxide
