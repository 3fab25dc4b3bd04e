package io.dbbudget.server.postgresql;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import io.dbbudget.budget.ServerLimits;

/**
 * Reads the server's connection limits on one connection, and the settings the advisor checks
 * on the same one. Everything it reads is visible to any role: no superuser or monitoring
 * privilege is needed.
 *
 * @author db-budget team
 */
public final class ServerLimitsReader {

	// reserved_connections is new in PostgreSQL 16: current_setting(..., true) is NULL before.
	// The role limit is the login role's (session_user): that is the role PostgreSQL counts,
	// also when the URL switches to another one with options=-c role=...
	private static final String QUERY = """
			SELECT current_setting('max_connections')::int,
			       current_setting('superuser_reserved_connections')::int,
			       coalesce(current_setting('reserved_connections', true), '0')::int,
			       (SELECT datconnlimit FROM pg_database WHERE datname = current_database()),
			       (SELECT rolconnlimit FROM pg_roles WHERE rolname = session_user)""";

	private ServerLimitsReader() {
	}

	/**
	 * Reads the limits on a connection that stays open.
	 * @param connection where to read them
	 * @return the server's limits
	 * @throws SQLException if the server cannot be asked
	 */
	public static ServerLimits read(Connection connection) throws SQLException {
		try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(QUERY)) {
			result.next();
			return new ServerLimits(result.getInt(1), result.getInt(2) + result.getInt(3), result.getInt(4),
					result.getInt(5), ServerLimits.Source.SERVER);
		}
	}

}
