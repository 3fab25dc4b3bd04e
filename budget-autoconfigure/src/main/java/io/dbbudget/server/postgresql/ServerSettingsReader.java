package io.dbbudget.server.postgresql;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import io.dbbudget.advisor.ServerSettings;

/**
 * Reads the settings the advisor checks from {@code pg_settings}, as they apply to the
 * connection's own session: the role's and the database's defaults included, and the TCP
 * keepalives in effect on its socket (the operating system's when none are set). Any role may
 * read them.
 *
 * @author db-budget team
 */
final class ServerSettingsReader {

	// pg_settings gives timeouts in milliseconds and keepalives in seconds; idle_session_timeout
	// is new in PostgreSQL 14, so NULL before
	private static final String QUERY = """
			SELECT (SELECT setting::bigint FROM pg_settings WHERE name = 'idle_in_transaction_session_timeout'),
			       (SELECT setting::bigint FROM pg_settings WHERE name = 'idle_session_timeout'),
			       (SELECT setting::bigint FROM pg_settings WHERE name = 'statement_timeout'),
			       (SELECT setting::int FROM pg_settings WHERE name = 'tcp_keepalives_idle'),
			       (SELECT setting::int FROM pg_settings WHERE name = 'tcp_keepalives_interval'),
			       (SELECT setting::int FROM pg_settings WHERE name = 'tcp_keepalives_count')""";

	private ServerSettingsReader() {
	}

	static ServerSettings read(Connection connection) throws SQLException {
		try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(QUERY)) {
			result.next();
			long idleSessionTimeout = result.getLong(2);
			Duration idleSession = result.wasNull() ? null : Duration.ofMillis(idleSessionTimeout);
			return new ServerSettings(Duration.ofMillis(result.getLong(1)), idleSession,
					Duration.ofMillis(result.getLong(3)), Duration.ofSeconds(result.getInt(4)),
					Duration.ofSeconds(result.getInt(5)), result.getInt(6));
		}
	}

}
