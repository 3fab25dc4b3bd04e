package io.dbbudget.server.pgbouncer;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Tells whether a connection reaches PostgreSQL through a pooler such as PgBouncer. PostgreSQL
 * sends each client its backend's process id in the {@code BackendKeyData} of the login (the
 * key a client quotes to cancel a query), and {@code pg_backend_pid()} answers the same id. A
 * pooler answers the login itself and hands out a key of its own, because a client's queries
 * may run on any of its server connections, so the two differ behind it. This needs no
 * privilege and no knowledge of the pooler, and is not fooled by a port that a container or a
 * tunnel maps to another: unlike comparing the URL's port with the server's {@code port}
 * setting, the process ids are the same however the bytes travel.
 *
 * @author db-budget team
 */
public final class PoolerDetection {

	// pgjdbc is the application's dependency, not db-budget's: named, not linked
	private static final String PG_CONNECTION = "org.postgresql.PGConnection";

	private PoolerDetection() {
	}

	/**
	 * Whether a PostgreSQL connection goes through a pooler.
	 * @param connection an open pgjdbc connection, or a wrapper of one (such as Hikari's) that
	 * unwraps to {@code org.postgresql.PGConnection}
	 * @return {@code true} if the backend the query ran on is not the one the login named
	 * @throws SQLException if the connection is not a pgjdbc connection, or the query fails
	 */
	public static boolean isPooled(Connection connection) throws SQLException {
		int loginPid = loginPid(connection);
		try (Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery("SELECT pg_backend_pid()")) {
			result.next();
			return result.getInt(1) != loginPid;
		}
	}

	private static int loginPid(Connection connection) throws SQLException {
		try {
			Class<?> type = Class.forName(PG_CONNECTION, false, connection.getClass().getClassLoader());
			return (int) type.getMethod("getBackendPID").invoke(connection.unwrap(type));
		}
		catch (ReflectiveOperationException ex) {
			throw new SQLException("Not a pgjdbc connection, cannot tell whether it goes through a pooler: " + ex,
					ex);
		}
	}

}
