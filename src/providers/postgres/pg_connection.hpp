#pragma once
// A small RAII layer over libpq: one connection, one result, parameterised statements with text
// parameters, and the SQLSTATE -> transient/permanent classification of the store's errors.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <duroxide/provider_types.hpp>

struct pg_conn;
struct pg_result;

namespace duroxide::pg {

/// A statement parameter in text form; nothing is SQL NULL.
using Param = std::optional<std::string>;

/// Encodes a PostgreSQL array literal of text values ('{"a","b",NULL}'), quoting every element so
/// that any text, including braces, quotes, backslashes and "NULL", round-trips byte for byte.
/// libpq's messages end in a newline, sometimes with spaces: the text without them.
std::string without_trailing_space(std::string text);
/// The first line only: the rest of libpq's "server closed the connection unexpectedly" is a guess
/// ("This probably means the server terminated abnormally") that is usually wrong.
std::string first_line(std::string text);

std::string text_array(const std::vector<std::optional<std::string>>& values);
std::string text_array(const std::vector<std::string>& values);
/// '{1,2,NULL}'
std::string int_array(const std::vector<std::optional<std::int64_t>>& values);

class Result {
 public:
  Result() = default;
  explicit Result(pg_result* res) : res_(res) {}
  Result(Result&& other) noexcept : res_(other.res_) { other.res_ = nullptr; }
  Result& operator=(Result&& other) noexcept;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  ~Result();

  int rows() const;
  int columns() const;
  bool is_null(int row, int col) const;
  std::string text(int row, int col) const;
  std::optional<std::string> optional_text(int row, int col) const;
  std::int64_t int64(int row, int col) const;
  std::optional<std::int64_t> optional_int64(int row, int col) const;
  std::uint64_t uint64(int row, int col) const { return static_cast<std::uint64_t>(int64(row, col)); }
  bool boolean(int row, int col) const;
  /// Rows changed by an INSERT/UPDATE/DELETE.
  std::int64_t affected() const;
  /// The libpq result (ownership stays here).
  pg_result* get() const { return res_; }

 private:
  pg_result* res_ = nullptr;
};

/// A database error: the SQLSTATE (empty when the connection failed) and the server's message.
struct DbError {
  std::string sqlstate;
  std::string message;
};

/// Whether retrying may help: serialization/deadlock/lock/cancel/cached-plan, connection and
/// resource classes, server shutdown, and an empty SQLSTATE (no answer from the server).
bool is_transient(std::string_view sqlstate);

class Connection {
 public:
  /// Connects with libpq's connection string or URL `conninfo`, then sets the search path to
  /// `schema` (already quoted) unless empty, and `node` as the session's `duroxide.node` (whose
  /// connection this is, for the listener registry) unless empty. Errors name host and port.
  static ProviderResult<std::unique_ptr<Connection>> connect(const std::string& conninfo,
                                                             const std::string& quoted_schema,
                                                             std::string_view operation, const std::string& node = {});
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Runs one statement with text parameters ($1..$n). A failure is a ProviderError for
  /// `operation` whose retryability follows the SQLSTATE; `db_error` (when given) receives it.
  /// The first kMaxPrepared distinct statements are prepared on the connection the first time
  /// they run and executed by name after that, so the server parses and plans each once per
  /// connection instead of once per call (docs/storage.md, "One round trip per call").
  ProviderResult<Result> exec(std::string_view operation, const std::string& sql, const std::vector<Param>& params = {},
                              DbError* db_error = nullptr);
  /// Statements without parameters (may be several, separated by ';').
  ProviderResult<void> exec_script(std::string_view operation, const std::string& sql);
  /// False once libpq reports the connection broken: the pool drops it.
  bool healthy() const;
  /// For a connection that sat idle in the pool: true when the server has closed it meanwhile
  /// (terminated backend, restart), seen without a round trip, so the pool opens a fresh one
  /// instead of failing the next call.
  bool closed_while_idle() const;
  /// The identifier quoted for SQL.
  std::string quote_identifier(const std::string& name) const;
  /// The text quoted as an SQL string literal.
  std::string quote_literal(const std::string& value) const;
  pg_conn* handle() { return conn_; }

 private:
  explicit Connection(pg_conn* conn) : conn_(conn) {}
  /// Rewrites the error of a call whose connection broke: transient, naming the lost connection.
  void mark_lost(DbError& error) const;
  /// The name `sql` is prepared under, preparing it now if it is new and there is room; nullopt
  /// when it runs unprepared.
  std::optional<std::string> prepared_name(const std::string& sql, int param_count);
  /// Runs `sql` prepared when it can be, else as an unnamed statement.
  Result run(const std::string& sql, const std::vector<const char*>& values, const std::vector<int>& lengths);

  static constexpr std::size_t kMaxPrepared = 128;
  pg_conn* conn_;
  std::unordered_map<std::string, std::string> prepared_;  ///< statement text -> name
  std::uint64_t prepared_count_ = 0;                       ///< names are never reused
};

/// A ProviderError from a database error of `operation`.
ProviderError to_provider_error(std::string_view operation, const DbError& error);

}  // namespace duroxide::pg
