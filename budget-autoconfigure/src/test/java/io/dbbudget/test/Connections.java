package io.dbbudget.test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

import org.jspecify.annotations.Nullable;

/**
 * Opens plain JDBC connections for the test infrastructure.
 */
final class Connections {

	// Short timeouts so that an unreachable server fails a test quickly instead of hanging it.
	private static final String CONNECT_TIMEOUT_SECONDS = "5";

	private Connections() {
	}

	static Connection open(String url, String user, @Nullable String password) throws SQLException {
		Properties properties = new Properties();
		properties.setProperty("user", user);
		if (password != null) {
			properties.setProperty("password", password);
		}
		properties.setProperty("connectTimeout", CONNECT_TIMEOUT_SECONDS);
		properties.setProperty("loginTimeout", CONNECT_TIMEOUT_SECONDS);
		// Makes sessions left behind by tests recognisable in pg_stat_activity.
		properties.setProperty("ApplicationName", "db-budget-tests");
		return DriverManager.getConnection(url, properties);
	}

	// MySQL and MariaDB: both drivers take connectTimeout in milliseconds and know no
	// ApplicationName
	static Connection openMySql(String url, String user, @Nullable String password) throws SQLException {
		Properties properties = new Properties();
		properties.setProperty("user", user);
		if (password != null) {
			properties.setProperty("password", password);
		}
		properties.setProperty("connectTimeout", CONNECT_TIMEOUT_SECONDS + "000");
		return DriverManager.getConnection(url, properties);
	}

}
