#include "providers/postgres/pg_connection.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <charconv>

#include <fmt/format.h>

#include "logging/loggers.hpp"

namespace duroxide::pg {

namespace {

void append_quoted(std::string& out, std::string_view value) {
  out += '"';
  for (const char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

/// Messages the server sends outside a statement's result (client_min_messages is warning), such
/// as the FATAL "terminating connection due to administrator command" before it hangs up: into
/// our log, not onto stderr, which is libpq's default.
void log_server_notice(void* /*unused*/, const char* message) {
  logging::provider().warn("postgres: server says: {}", without_trailing_space(message != nullptr ? message : ""));
}

}  // namespace

std::string without_trailing_space(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string first_line(std::string text) {
  if (const auto end = text.find('\n'); end != std::string::npos) text.resize(end);
  return without_trailing_space(std::move(text));
}

std::string text_array(const std::vector<std::optional<std::string>>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) out += ',';
    if (values[i]) {
      append_quoted(out, *values[i]);
    } else {
      out += "NULL";
    }
  }
  out += '}';
  return out;
}

std::string text_array(const std::vector<std::string>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) out += ',';
    append_quoted(out, values[i]);
  }
  out += '}';
  return out;
}

std::string int_array(const std::vector<std::optional<std::int64_t>>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) out += ',';
    out += values[i] ? std::to_string(*values[i]) : std::string("NULL");
  }
  out += '}';
  return out;
}

Result& Result::operator=(Result&& other) noexcept {
  if (this != &other) {
    if (res_ != nullptr) PQclear(res_);
    res_ = other.res_;
    other.res_ = nullptr;
  }
  return *this;
}

Result::~Result() {
  if (res_ != nullptr) PQclear(res_);
}

int Result::rows() const { return res_ != nullptr ? PQntuples(res_) : 0; }

int Result::columns() const { return res_ != nullptr ? PQnfields(res_) : 0; }

bool Result::is_null(int row, int col) const { return PQgetisnull(res_, row, col) != 0; }

std::string Result::text(int row, int col) const {
  return std::string(PQgetvalue(res_, row, col), static_cast<std::size_t>(PQgetlength(res_, row, col)));
}

std::optional<std::string> Result::optional_text(int row, int col) const {
  if (is_null(row, col)) return std::nullopt;
  return text(row, col);
}

std::int64_t Result::int64(int row, int col) const {
  if (is_null(row, col)) return 0;
  const char* begin = PQgetvalue(res_, row, col);
  const char* end = begin + PQgetlength(res_, row, col);
  std::int64_t value = 0;
  std::from_chars(begin, end, value);
  return value;
}

std::optional<std::int64_t> Result::optional_int64(int row, int col) const {
  if (is_null(row, col)) return std::nullopt;
  return int64(row, col);
}

bool Result::boolean(int row, int col) const { return !is_null(row, col) && PQgetvalue(res_, row, col)[0] == 't'; }

std::int64_t Result::affected() const {
  const char* tuples = PQcmdTuples(res_);
  std::int64_t value = 0;
  if (tuples != nullptr) std::from_chars(tuples, tuples + std::char_traits<char>::length(tuples), value);
  return value;
}

bool is_transient(std::string_view sqlstate) {
  if (sqlstate.empty()) return true;  // no answer: the connection failed
  if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03" || sqlstate == "57014" || sqlstate == "0A000" ||
      sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03") {
    return true;
  }
  return sqlstate.starts_with("08") || sqlstate.starts_with("53");
}

ProviderError to_provider_error(std::string_view operation, const DbError& error) {
  std::string message =
      error.sqlstate.empty() ? error.message : fmt::format("{} (SQLSTATE {})", error.message, error.sqlstate);
  return ProviderError{std::string(operation), std::move(message), is_transient(error.sqlstate),
                       ProviderErrorKind::Other};
}

ProviderResult<std::unique_ptr<Connection>> Connection::connect(const std::string& conninfo,
                                                                const std::string& quoted_schema,
                                                                std::string_view operation, const std::string& node) {
  pg_conn* raw = PQconnectdb(conninfo.c_str());
  if (raw == nullptr) {
    return std::unexpected(ProviderError::transient(std::string(operation), "libpq could not allocate a connection"));
  }
  std::unique_ptr<Connection> conn(new Connection(raw));
  PQsetNoticeProcessor(raw, log_server_notice, nullptr);
  if (PQstatus(raw) != CONNECTION_OK) {
    const std::string why = without_trailing_space(PQerrorMessage(raw));
    const char* host = PQhost(raw);
    const char* port = PQport(raw);
    // Unreachable or refusing servers may come back: transient; the message names where we tried.
    return std::unexpected(ProviderError::transient(
        std::string(operation), fmt::format("cannot connect to PostgreSQL at {}:{}: {}", host != nullptr ? host : "?",
                                            port != nullptr ? port : "?", why)));
  }
  std::string setup = "SET client_encoding = 'UTF8'; SET client_min_messages = warning";
  if (!quoted_schema.empty()) setup += fmt::format("; SET search_path = {}", quoted_schema);
  if (!node.empty()) setup += fmt::format("; SET duroxide.node = {}", conn->quote_literal(node));
  auto done = conn->exec_script(operation, setup);
  if (!done) return std::unexpected(done.error());
  return conn;
}

Connection::~Connection() { PQfinish(conn_); }

bool Connection::healthy() const { return PQstatus(conn_) == CONNECTION_OK; }

namespace {

/// libpq's escaped copy of `text` as a std::string (`fallback` when libpq cannot allocate it).
std::string escaped(char* (*escape)(pg_conn*, const char*, std::size_t), pg_conn* conn, const std::string& text,
                    const char* fallback) {
  char* quoted = escape(conn, text.c_str(), text.size());
  if (quoted == nullptr) return fallback;
  std::string out = quoted;
  PQfreemem(quoted);
  return out;
}

}  // namespace

std::string Connection::quote_identifier(const std::string& name) const {
  return escaped(PQescapeIdentifier, conn_, name, "\"\"");
}

std::string Connection::quote_literal(const std::string& value) const {
  return escaped(PQescapeLiteral, conn_, value, "''");
}

ProviderResult<Result> Connection::exec(std::string_view operation, const std::string& sql,
                                        const std::vector<Param>& params, DbError* db_error) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  values.reserve(params.size());
  for (const auto& p : params) {
    values.push_back(p ? p->c_str() : nullptr);
    lengths.push_back(p ? static_cast<int>(p->size()) : 0);
  }
  Result result = run(sql, values, lengths);
  pg_result* raw = result.get();
  const auto status = raw != nullptr ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  DbError error;
  if (raw != nullptr) {
    const char* state = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
    if (state != nullptr) error.sqlstate = state;
    const char* primary = PQresultErrorField(raw, PG_DIAG_MESSAGE_PRIMARY);
    error.message = primary != nullptr ? primary : PQresultErrorMessage(raw);
  }
  if (error.message.empty()) error.message = PQerrorMessage(conn_);
  error.message = without_trailing_space(std::move(error.message));
  if (!healthy()) mark_lost(error);
  if (db_error != nullptr) *db_error = error;
  return std::unexpected(to_provider_error(operation, error));
}

std::optional<std::string> Connection::prepared_name(const std::string& sql, int param_count) {
  if (auto found = prepared_.find(sql); found != prepared_.end()) return found->second;
  if (prepared_.size() >= kMaxPrepared) return std::nullopt;
  std::string name = fmt::format("dx_s{}", ++prepared_count_);
  Result prepared(PQprepare(conn_, name.c_str(), sql.c_str(), param_count, nullptr));
  // A statement that cannot be prepared (or a broken connection) runs unprepared, which reports
  // whatever the problem is with the statement's own result.
  if (prepared.get() == nullptr || PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) return std::nullopt;
  prepared_.emplace(sql, name);
  return name;
}

Result Connection::run(const std::string& sql, const std::vector<const char*>& values,
                       const std::vector<int>& lengths) {
  const int count = static_cast<int>(values.size());
  if (const auto name = prepared_name(sql, count)) {
    Result result(PQexecPrepared(conn_, name->c_str(), count, values.data(), lengths.data(), nullptr, 0));
    const char* state = result.get() != nullptr ? PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
    // 0A000 "cached plan must not change result type": a migration of another process changed
    // what the statement returns (schema step 3 added a column to dx_fetch_work). Forget the
    // prepared form and run the statement afresh.
    if (state == nullptr || std::string_view(state) != "0A000") return result;
    Result dropped(PQexec(conn_, fmt::format("DEALLOCATE {}", *name).c_str()));
    prepared_.erase(sql);
  }
  return Result(PQexecParams(conn_, sql.c_str(), count, nullptr, values.data(), lengths.data(), nullptr, 0));
}

void Connection::mark_lost(DbError& error) const {
  // Transient whatever libpq reports: a fresh connection may well work. Whether a statement whose
  // reply was lost committed cannot be known; an ack retried after a commit fails as LockLost.
  error.sqlstate.clear();
  const char* host = PQhost(conn_);
  const char* port = PQport(conn_);
  error.message = fmt::format("lost the connection to PostgreSQL at {}:{}: {}", host != nullptr ? host : "?",
                              port != nullptr ? port : "?", first_line(error.message));
}

bool Connection::closed_while_idle() const {
  // An idle connection is sent nothing (pooled connections do not LISTEN), so anything to read, or
  // a hang-up, is the server's goodbye: a FATAL "terminating connection" and the end of the stream.
  pollfd fd{PQsocket(conn_), POLLIN, 0};
  if (fd.fd < 0 || !healthy()) return true;
  return ::poll(&fd, 1, 0) != 0;
}

ProviderResult<void> Connection::exec_script(std::string_view operation, const std::string& sql) {
  Result result(PQexec(conn_, sql.c_str()));
  pg_result* raw = result.get();
  const auto status = raw != nullptr ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return {};
  DbError error;
  if (raw != nullptr) {
    const char* state = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
    if (state != nullptr) error.sqlstate = state;
  }
  error.message = without_trailing_space(PQerrorMessage(conn_));
  if (!healthy()) mark_lost(error);
  return std::unexpected(to_provider_error(operation, error));
}

}  // namespace duroxide::pg
