package io.dbbudget.server;

import java.sql.SQLException;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * The errors by which a database says it ended sessions, not only the one that failed:
 * an administrator terminated them, the server is shutting down or crashed, or the
 * connection to it broke. One constant per product keeps its codes in one place.
 *
 * @param sqlStates the SQLSTATEs that mean the server ended sessions
 * @param errorCodes the vendor error codes that mean the same, for drivers that report no
 * useful SQLSTATE
 * @author db-budget team
 */
public record EndedSessionStates(Set<String> sqlStates, Set<Integer> errorCodes) {

	/**
	 * PostgreSQL: admin shutdown (also {@code pg_terminate_backend}), crash shutdown, cannot
	 * connect now, connection failure.
	 */
	public static final EndedSessionStates POSTGRESQL = new EndedSessionStates(
			Set.of("57P01", "57P02", "57P03", "08006"), Set.of());

	/**
	 * MySQL and MariaDB: communications link failure ({@code 08S01}: MySQL Connector/J's
	 * killed session, lost or refused connection), MariaDB Connector/J's connection failure
	 * ({@code 08000}: its socket error when the server closed the session), connection killed
	 * ({@code 70100} / 1927), server shutdown (1053), and the C client's server gone away and
	 * lost connection (2006, 2013).
	 */
	public static final EndedSessionStates MYSQL = new EndedSessionStates(Set.of("08S01", "08000", "70100"),
			Set.of(1053, 1927, 2006, 2013));

	/**
	 * The SQLSTATE or error code by which a failure says the server ended sessions.
	 * @param failure a connection's failure
	 * @return the matching SQLSTATE or error code, or {@code null} if the failure says
	 * nothing of the kind
	 */
	public @Nullable String match(SQLException failure) {
		String state = failure.getSQLState();
		if (state != null && this.sqlStates.contains(state)) {
			return state;
		}
		return this.errorCodes.contains(failure.getErrorCode()) ? String.valueOf(failure.getErrorCode()) : null;
	}

}
