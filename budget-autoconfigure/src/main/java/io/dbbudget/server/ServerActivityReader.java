package io.dbbudget.server;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * Reads what the server's client sessions are doing from {@code pg_stat_activity}. Any role
 * may read it: no superuser or monitoring privilege is needed.
 *
 * @author db-budget team
 */
public final class ServerActivityReader {

	// The query column is never read: other sessions' statements are none of db-budget's
	// business. Without pg_read_all_stats, PostgreSQL hides the state and backend type of other
	// roles' sessions; those that have a database and a role are client sessions (background
	// processes have neither), so they are counted, in state 'unknown'.
	private static final String QUERY = """
			SELECT state, application_name, count(*), current_setting('max_connections')::int
			FROM pg_stat_activity
			WHERE backend_type = 'client backend'
			   OR (backend_type IS NULL AND datid IS NOT NULL AND usesysid IS NOT NULL)
			GROUP BY state, application_name""";

	private ServerActivityReader() {
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
		int connections = 0;
		int maxConnections = 0;
		try (PreparedStatement statement = connection.prepareStatement(QUERY);
				ResultSet result = statement.executeQuery()) {
			while (result.next()) {
				String state = result.getString(1);
				String application = result.getString(2);
				int sessions = result.getInt(3);
				maxConnections = result.getInt(4);
				connections += sessions;
				byState.merge((state != null) ? state : ServerActivity.UNKNOWN_STATE, sessions, Integer::sum);
				byApplication.merge(applicationLabel(application), sessions, Integer::sum);
			}
		}
		return new ServerActivity(maxConnections, connections, mostFirst(byState), mostFirst(byApplication),
				Instant.now());
	}

	// Coordination sessions publish their member's state in their name, which changes with
	// every heartbeat: one label for all of them keeps the metric's tags few
	private static String applicationLabel(@Nullable String application) {
		if (application == null) {
			return "";
		}
		return application.startsWith(MemberState.PREFIX) ? MemberState.PREFIX : application;
	}

	private static Map<String, Integer> mostFirst(Map<String, Integer> counts) {
		Map<String, Integer> sorted = new LinkedHashMap<>();
		counts.entrySet()
			.stream()
			.sorted(Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder())
				.thenComparing(Map.Entry.comparingByKey()))
			.forEach((entry) -> sorted.put(entry.getKey(), entry.getValue()));
		return Collections.unmodifiableMap(sorted);
	}

}
