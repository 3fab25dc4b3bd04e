package io.dbbudget.server.postgresql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import io.dbbudget.server.IdleSessionTermination.TerminatedSession;
import io.dbbudget.server.IdleSessionTermination;
import io.dbbudget.server.SparedSessions;

/**
 * Ends this application's server sessions that have been idle for long: those with the same
 * {@code application_name} and role as the connection it runs on, outside a transaction,
 * running nothing, holding no advisory lock and not spared by the caller. Sessions that are
 * active, idle in a transaction or holding an advisory lock, the sessions of this instance's
 * pooled connections (the server shows a connection that the application holds between two
 * statements in autocommit as {@code idle}, as it shows one waiting in the pool), and sessions
 * of any other application or role, are never touched. A role may end its own sessions, so no
 * privilege is needed.
 *
 * @author db-budget team
 */
public final class IdleSessionTerminator {

	// pgjdbc's name for sessions of applications that set none: shared by every unnamed client
	static final Set<String> SHARED_NAMES = Set.of("", "PostgreSQL JDBC Driver");

	private static final String IDENTITY = "SELECT current_setting('application_name'), current_user";

	// state 'idle' is outside a transaction: 'idle in transaction' sessions hold locks or a
	// snapshot that someone still means to use. A session-level advisory lock outlives
	// transactions and is held on purpose (leader election, fleet membership), so its session is
	// in use too. The function is in the select list because PostgreSQL may evaluate WHERE
	// conditions in any order, but computes the select list only for the rows the WHERE clause
	// kept.
	private static final String TERMINATE = """
			SELECT a.pid, a.datname, a.state_change, pg_terminate_backend(a.pid)
			FROM pg_stat_activity a
			WHERE a.application_name = ? AND a.usename = ? AND a.state = 'idle'
			  AND a.state_change < now() - ? * interval '1 millisecond'
			  AND a.pid <> pg_backend_pid() AND a.pid <> ALL (?)
			  AND NOT EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory')""";

	private IdleSessionTerminator() {
	}

	/**
	 * Ends the sessions of the connection's application and role that have been idle longer
	 * than the given age.
	 * @param connection a connection of the application, whose own session is spared
	 * @param idleLongerThan how long a session must have been idle
	 * @param spared the sessions to leave alone whatever they show
	 * @return what was ended, or why nothing was looked for: an application without a name of
	 * its own cannot tell its sessions from other clients'
	 * @throws SQLException if the server cannot be asked
	 */
	public static IdleSessionTermination terminate(Connection connection, Duration idleLongerThan,
			SparedSessions spared) throws SQLException {
		String applicationName;
		String user;
		try (PreparedStatement statement = connection.prepareStatement(IDENTITY);
				ResultSet result = statement.executeQuery()) {
			result.next();
			applicationName = result.getString(1);
			user = result.getString(2);
		}
		if (applicationName == null || SHARED_NAMES.contains(applicationName)) {
			return IdleSessionTermination.skipped(idleLongerThan, "the application's sessions carry no name of their "
					+ "own ('" + applicationName + "'), so they cannot be told from other clients' sessions: set "
					+ "spring.application.name or db.budget.application-name");
		}
		List<TerminatedSession> terminated = new ArrayList<>();
		try (PreparedStatement statement = connection.prepareStatement(TERMINATE)) {
			statement.setString(1, applicationName);
			statement.setString(2, user);
			statement.setLong(3, idleLongerThan.toMillis());
			statement.setArray(4, connection.createArrayOf("int8", spared.sessionIds().toArray()));
			try (ResultSet result = statement.executeQuery()) {
				while (result.next()) {
					// false when the session ended on its own in the meantime
					if (result.getBoolean(4)) {
						terminated.add(new TerminatedSession(result.getInt(1), result.getString(2),
								result.getTimestamp(3).toInstant()));
					}
				}
			}
		}
		return new IdleSessionTermination(applicationName, user, idleLongerThan, List.copyOf(terminated), null);
	}

}
