package io.dbbudget.test;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * A MariaDB (or MySQL) server that tests can create databases and users on: the shared
 * {@link TestMariaDb} or a {@link PrivateMariaDb} of a test's own.
 */
public interface MariaDbServer {

	/**
	 * Returns {@code host:port} of the server.
	 * @return the host and port
	 */
	String hostAndPort();

	/**
	 * Returns a JDBC URL for a database on this server, for one of the two drivers.
	 * @param driver the driver
	 * @param database the database name
	 * @return the JDBC URL
	 */
	default String jdbcUrl(MySqlDriver driver, String database) {
		return driver.url(hostAndPort(), database);
	}

	/**
	 * Opens a new connection as a user that may create databases and users, and whose
	 * connections the limits of other users do not count. The caller closes it.
	 * @return the connection
	 * @throws SQLException if the connection cannot be opened
	 */
	Connection openAdminConnection() throws SQLException;

}
