package io.dbbudget.server.pooler;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import org.postgresql.PGConnection;

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

	private PoolerDetection() {
	}

	/**
	 * Whether a PostgreSQL connection goes through a pooler.
	 * @param connection an open pgjdbc connection, or a wrapper of one (such as Hikari's) that
	 * unwraps to {@link PGConnection}; in auto-commit mode or outside a transaction, since the
	 * check runs one query
	 * @return {@code true} if the backend the query ran on is not the one the login named
	 * @throws SQLException if the connection is not a pgjdbc connection, or the query fails
	 */
	public static boolean isPooled(Connection connection) throws SQLException {
		int loginPid = connection.unwrap(PGConnection.class).getBackendPID();
		try (Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery("SELECT pg_backend_pid()")) {
			result.next();
			return result.getInt(1) != loginPid;
		}
	}

}
