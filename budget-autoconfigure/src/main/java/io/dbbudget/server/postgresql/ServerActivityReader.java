package io.dbbudget.server.postgresql;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.dbbudget.advisor.IdleTransaction;
import io.dbbudget.fleet.MemberState;
import io.dbbudget.server.ServerActivity;
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

	static final int LISTED_IDLE_TRANSACTIONS = 20;

	// This application's own sessions (its name and role, on its database) that wait inside a
	// transaction: their ages only, never what they ran. Unnamed applications share pgjdbc's
	// name with every other unnamed client, so they have no sessions of their own to list.
	private static final String IDLE_IN_TRANSACTION = """
			SELECT pid, extract(epoch FROM now() - state_change)::float8, extract(epoch FROM now() - xact_start)::float8
			FROM pg_stat_activity
			WHERE state IN ('idle in transaction', 'idle in transaction (aborted)')
			  AND usename = current_user AND datname = current_database()
			  AND application_name = current_setting('application_name') AND application_name <> ALL (?)
			  AND pid <> pg_backend_pid()
			ORDER BY state_change
			LIMIT\s""" + LISTED_IDLE_TRANSACTIONS;

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
		return new ServerActivity(maxConnections, connections, ServerActivity.mostFirst(byState), ServerActivity.mostFirst(byApplication),
				Instant.now(), idleInTransaction(connection));
	}

	private static List<IdleTransaction> idleInTransaction(Connection connection) throws SQLException {
		List<IdleTransaction> sessions = new ArrayList<>();
		try (PreparedStatement statement = connection.prepareStatement(IDLE_IN_TRANSACTION)) {
			Array sharedNames = connection.createArrayOf("text", IdleSessionTerminator.SHARED_NAMES.toArray());
			statement.setArray(1, sharedNames);
			try (ResultSet result = statement.executeQuery()) {
				while (result.next()) {
					sessions.add(new IdleTransaction(result.getInt(1), seconds(result.getDouble(2)),
							seconds(result.getDouble(3))));
				}
			}
		}
		return List.copyOf(sessions);
	}

	private static Duration seconds(double seconds) {
		return Duration.ofMillis(Math.round(seconds * 1000));
	}

	// Coordination sessions publish their member's state in their name, which changes with
	// every heartbeat: one label for all of them keeps the metric's tags few
	private static String applicationLabel(@Nullable String application) {
		if (application == null) {
			return "";
		}
		return application.startsWith(MemberState.PREFIX) ? MemberState.PREFIX : application;
	}

}
