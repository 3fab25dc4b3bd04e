package io.dbbudget.server.mysql;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

import io.dbbudget.budget.ServerLimits;

/**
 * Reads the connection limits of MySQL and MariaDB on one connection. Every variable it reads
 * is visible to any account: no privilege is needed.
 * <p>
 * {@code max_connections} is the application's: the extra connection that both servers keep
 * for {@code SUPER} / {@code CONNECTION_ADMIN} and MariaDB's {@code extra_max_connections}
 * (on its {@code extra_port}) come on top of it and are for administrators, so none of
 * {@code max_connections} is reserved. Neither server limits connections per database. The
 * account's own {@code MAX_USER_CONNECTIONS} is in {@code mysql.user}, which an application
 * account may not read, but both servers show it as the session value of
 * {@code max_user_connections} (the global value when the account sets none), so it is never
 * hidden.
 *
 * @author db-budget team
 */
public final class MySqlLimitsReader {

	private static final String QUERY = """
			SELECT @@global.max_connections, @@global.max_user_connections, @@session.max_user_connections""";

	private static final String MAX_CONNECTIONS_SOURCE = "server: @@max_connections (the extra connection for "
			+ "SUPER / CONNECTION_ADMIN and MariaDB's extra_max_connections are beyond it, for administrators)";

	private static final String RESERVED_SOURCE = "none: MySQL and MariaDB keep their administrators' connection "
			+ "beyond max_connections";

	private static final String DATABASE_LIMIT_SOURCE = "none: MySQL and MariaDB have no per-database limit";

	private MySqlLimitsReader() {
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
			int maxConnections = result.getInt(1);
			long global = result.getLong(2);
			long account = result.getLong(3);
			int userLimit = (account > 0) ? (int) Math.min(account, Integer.MAX_VALUE) : ServerLimits.NO_LIMIT;
			return new ServerLimits(maxConnections, 0, ServerLimits.NO_LIMIT, userLimit, ServerLimits.Source.SERVER,
					Map.of("serverMaxConnections", MAX_CONNECTIONS_SOURCE, "serverReservedConnections",
							RESERVED_SOURCE, "databaseConnectionLimit", DATABASE_LIMIT_SOURCE, "roleConnectionLimit",
							userLimitSource(global, account)));
		}
	}

	private static String userLimitSource(long global, long account) {
		if (account != global) {
			return "server: the account's MAX_USER_CONNECTIONS (@@session.max_user_connections)";
		}
		if (account > 0) {
			return "server: @@global.max_user_connections (the account sets no MAX_USER_CONNECTIONS of its own, "
					+ "or the same number)";
		}
		return "server: none (max_user_connections is 0 and the account sets no MAX_USER_CONNECTIONS)";
	}

}
