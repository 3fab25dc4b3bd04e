package io.dbbudget.server.mysql;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.dbbudget.server.ServerActivity;
import org.jspecify.annotations.Nullable;

/**
 * Reads what the threads of MySQL or MariaDB are doing from
 * {@code information_schema.PROCESSLIST}. No privilege is needed, but an account without
 * {@code PROCESS} sees only its own threads: the others are counted from the server's
 * {@code Threads_connected}, which every account may read, in state
 * {@value ServerActivity#UNKNOWN_STATE}, as PostgreSQL's sample counts sessions whose state it
 * may not see. Threads are {@code idle} ({@code Sleep}) or {@code active} (running a
 * statement); whether an idle thread is inside a transaction is not shown to such an account, so
 * no idle transaction is listed. Threads are grouped by their {@code program_name} attribute,
 * shown only for the account's own threads and only while {@code performance_schema} is on;
 * the others group under the empty name.
 *
 * @author db-budget team
 */
public final class MySqlActivityReader {

	private static final String THREADS = """
			SELECT p.COMMAND, a.ATTR_VALUE, count(*)
			FROM information_schema.PROCESSLIST p
			LEFT JOIN performance_schema.session_account_connect_attrs a
			       ON a.PROCESSLIST_ID = p.ID AND a.ATTR_NAME = 'program_name'
			WHERE p.COMMAND NOT IN ('Daemon', 'Binlog Dump', 'Binlog Dump GTID')
			GROUP BY p.COMMAND, a.ATTR_VALUE""";

	private static final String MAX_CONNECTIONS = "SELECT @@global.max_connections";

	private static final String THREADS_CONNECTED = "SHOW GLOBAL STATUS LIKE 'Threads_connected'";

	private MySqlActivityReader() {
	}

	/**
	 * Reads the server's activity.
	 * @param connection where to read it; the session counts itself
	 * @return the activity
	 * @throws SQLException if the server cannot be asked
	 */
	public static ServerActivity read(Connection connection) throws SQLException {
		Map<String, Integer> byState = new HashMap<>();
		Map<String, Integer> byApplication = new HashMap<>();
		int visible = 0;
		try (Statement statement = connection.createStatement()) {
			try (ResultSet result = statement.executeQuery(THREADS)) {
				while (result.next()) {
					int threads = result.getInt(3);
					visible += threads;
					byState.merge(state(result.getString(1)), threads, Integer::sum);
					String application = result.getString(2);
					byApplication.merge((application != null) ? application : "", threads, Integer::sum);
				}
			}
			int maxConnections = singleInt(statement, MAX_CONNECTIONS, 1);
			int connected = singleInt(statement, THREADS_CONNECTED, 2);
			int hidden = Math.max(0, connected - visible);
			if (hidden > 0) {
				byState.merge(ServerActivity.UNKNOWN_STATE, hidden, Integer::sum);
			}
			return new ServerActivity(maxConnections, visible + hidden, ServerActivity.mostFirst(byState),
					ServerActivity.mostFirst(byApplication), Instant.now(), List.of());
		}
	}

	private static String state(@Nullable String command) {
		if ("Sleep".equals(command)) {
			return "idle";
		}
		return ("Query".equals(command) || "Execute".equals(command)) ? "active"
				: (command != null) ? command : ServerActivity.UNKNOWN_STATE;
	}

	private static int singleInt(Statement statement, String sql, int column) throws SQLException {
		try (ResultSet result = statement.executeQuery(sql)) {
			result.next();
			return result.getInt(column);
		}
	}

}
